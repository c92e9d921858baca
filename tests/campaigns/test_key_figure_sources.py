"""A key figure the public reads names its source and its year (issue 16, the kit: "every key
figure and talking point requires a source (name, year, URL when public) before it can be
published")."""

from decimal import Decimal

import pytest

from campaigns.models import KeyFigure


def _form(**changes) -> dict:
    data = {
        "value": "83",
        "unit": "%",
        "label": "des cadres recommandent la région",
        "label_en": "of managers recommend the region",
        "source_name": "ImageTerr",
        "source_url": "",
        "year": "",
        "order": "0",
        "is_active": "on",
        "comparison_value": "",
        "comparison_label": "",
        "comparison_label_en": "",
        "sector": "",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_a_figure_on_show_without_its_sources_year_is_refused_in_the_admin(admin_client):
    """Reproduction: a figure saved with a source name and no year was shown on the home page
    ("Source : Bloom Consulting"), which a reader cannot date or check."""
    before = KeyFigure.objects.count()
    response = admin_client.post("/admin/campaigns/keyfigure/add/", _form())
    assert response.status_code == 200
    assert "Un chiffre affiché donne l&#x27;année de sa source" in response.content.decode()
    assert KeyFigure.objects.count() == before

    admin_client.post("/admin/campaigns/keyfigure/add/", _form(year="2024"))
    assert KeyFigure.objects.filter(label="des cadres recommandent la région", year=2024).exists()


@pytest.mark.django_db
def test_a_hidden_draft_figure_may_wait_for_its_year(admin_client):
    admin_client.post("/admin/campaigns/keyfigure/add/", _form(is_active="", value="12"))
    figure = KeyFigure.objects.get(value=Decimal("12"))
    assert not figure.is_active and figure.year is None
