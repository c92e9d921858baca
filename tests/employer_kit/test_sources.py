"""Every published talking point has a source, shown on the kit page and copied with it; a
recruiter's history says which downloads were withdrawn since (issue 16, "The kit")."""

import re

import pytest
from django.utils import timezone

from employer_kit.models import KitDownload, TalkingPoint
from employer_kit.services import kit_asset_from_testimonial, kit_asset_takedown
from tests.employer_kit.conftest import log_in

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/employer_kit/talkingpoint/add/"


def _point_form(**fields) -> dict:
    data = {
        "headline": "Le soleil 300 jours par an",
        "body": "Marseille compte 2 900 heures de soleil par an.",
        "audience": "all",
        "language": "fr",
        "version": 1,
        "order": 0,
        "is_active": "on",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_a_talking_point_without_a_source_cannot_be_published(admin_client, kit_content):
    """Before: a point with no key figure and no source went into the kit."""
    response = admin_client.post(ADD_URL, _point_form())
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "n'est publié qu'avec sa source" in errors["is_active"][0]
    assert not TalkingPoint.objects.filter(headline="Le soleil 300 jours par an").exists()

    # A name without its year is no source either.
    response = admin_client.post(ADD_URL, _point_form(source_name="Météo-France"))
    assert response.context["adminform"].form.errors["source_year"]

    # Unpublished, it may wait for its source.
    assert admin_client.post(ADD_URL, _point_form(is_active=None)).status_code == 302


def test_a_point_with_its_own_source_or_a_sourced_figure_is_published(admin_client, kit_content):
    response = admin_client.post(
        ADD_URL,
        _point_form(
            source_name="Météo-France",
            source_year=2024,
            source_url="https://meteofrance.com/climat/marseille",
        ),
    )
    assert response.status_code == 302
    figure = kit_content["figures"][0]
    response = admin_client.post(
        ADD_URL, _point_form(headline="Heureux ici", key_figures=[figure.pk])
    )
    assert response.status_code == 302
    assert TalkingPoint.objects.filter(headline="Heureux ici", is_active=True).exists()


def test_the_kit_page_shows_a_points_own_source_and_leaves_out_unsourced_points(
    client, kit_content
):
    TalkingPoint.objects.create(
        headline="Le soleil 300 jours par an",
        body="2 900 heures de soleil.",
        source_name="Météo-France",
        source_year=2024,
        source_url="https://meteofrance.com/climat/marseille",
    )
    TalkingPoint.objects.create(headline="Sans source", body="Texte non sourcé.")

    page = client.get("/kit/").content.decode()

    card = re.search(r'<li class="card kit-point">\s*<h3[^>]*>Le soleil.*?</li>', page, re.S)
    assert card, "the sourced point is on the page"
    assert (
        'Sources : <a href="https://meteofrance.com/climat/marseille" rel="noopener">'
        "Météo-France</a> (2024)" in card.group(0)
    )
    # The copy button copies the text with this sources line.
    assert re.search(r'data-copy-with="tp-src-\d+"', card.group(0))
    assert "Sans source" not in page


def test_download_history_shows_which_assets_were_withdrawn_since(
    client, kit_content, make_asset, make_recruiter, published_testimonial
):
    """Before: the history listed titles only; a withdrawn video looked like any other."""
    recruiter = make_recruiter()
    log_in(client, recruiter)
    logo = make_asset(title="Logo One Provence")
    video = kit_asset_from_testimonial(testimonial_id=published_testimonial.pk)
    for asset in (logo, video):
        KitDownload.objects.create(
            recruiter=recruiter, asset=asset, asset_title=asset.title, channel="single"
        )
    kit_asset_takedown(testimonial_id=published_testimonial.pk, reason="retrait de l'auteur")

    page = client.get("/kit/compte/").content.decode()

    rows = dict(re.findall(r"<td>([^<]+) \(v\d+\)</td><td>[^<]+</td><td>(.*?)</td>", page))
    day = timezone.localdate().strftime("%d/%m/%Y")
    assert f"Retiré le {day} : ne l'utilisez plus" in rows[video.title]
    assert "Toujours disponible" in rows["Logo One Provence"]
