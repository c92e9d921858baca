"""`/en/kit/` in English: sector names, usage rights, talking points (issues 15 and 16)."""

import io
import re
import zipfile

import pytest
from django.utils import translation

from employer_kit.models import TalkingPoint
from employer_kit.services import kit_asset_from_testimonial
from tests.employer_kit.conftest import log_in

pytestmark = pytest.mark.django_db


def test_english_kit_names_sectors_in_english_in_the_filter_and_on_cards(
    client, kit_content, make_asset
):
    """Before: the sector filter of /en/kit/ listed "Aéronautique", "Énergie"."""
    make_asset(title="Aircraft photo", sector=kit_content["aero"], language="en")
    page = client.get("/en/kit/").content.decode()

    options = re.findall(r"<option value=\"(?:aeronautique|energie)\"[^>]*>([^<]+)</option>", page)
    assert options and set(options) == {"Aeronautics", "Energy"}
    assert "Aéronautique" not in page and "Énergie" not in page
    # The French page keeps the French names.
    assert "Aéronautique" in client.get("/kit/").content.decode()


def test_english_kit_shows_usage_rights_in_english(client, kit_content, make_asset):
    """Before: "Usage rights: Libre pour le recrutement" on /en/kit/."""
    make_asset(title="Logo One Provence")  # the default rights
    make_asset(
        title="Calanques",
        usage_rights="Attribution obligatoire",
        usage_rights_en="Credit required",
    )
    page = client.get("/en/kit/").content.decode()

    assert "Free to use for recruitment" in page and "Credit required" in page
    assert "Libre pour le recrutement" not in page and "Attribution obligatoire" not in page


def test_a_testimonial_assets_rights_read_in_english(client, kit_content, published_testimonial):
    asset = kit_asset_from_testimonial(testimonial_id=published_testimonial.pk)
    assert asset.usage_rights.startswith("Recrutement uniquement")
    assert asset.usage_rights_en.startswith("Recruitment only")
    page = client.get("/en/kit/").content.decode()
    assert "Recruitment only" in page and "Recrutement uniquement" not in page


def test_english_kit_has_the_french_talking_points_translated_or_marked(
    client, kit_content, make_recruiter
):
    """Before: /en/kit/ showed only English-language points (none: "No talking points")."""
    engineers, general = kit_content["points"]
    engineers.headline_en = "Design tomorrow's helicopters"
    engineers.body_en = "From Marignane to Cannes, aeronautics hires engineers."
    engineers.save()
    general.headline_en = general.body_en = ""  # staff's new point, not translated yet
    general.save()

    page = client.get("/en/kit/").content.decode()

    assert "Design tomorrow&#x27;s helicopters" in page
    assert "Concevoir les hélicoptères de demain" not in page
    # Not translated yet: shown in French, marked as French for readers and screen readers.
    assert general.headline in page
    card = re.search(r'<li class="card kit-point" lang="fr">.*?</li>', page, re.S).group(0)
    assert general.headline in card and "Not translated yet" in card
    # The French kit is unchanged.
    french = client.get("/kit/").content.decode()
    assert "Concevoir les hélicoptères de demain" in french and "Not translated" not in french


def test_english_archive_readme_and_points_are_in_english(
    client, kit_content, make_asset, make_recruiter
):
    engineers, general = kit_content["points"]
    engineers.headline_en, engineers.body_en = "Design tomorrow's helicopters", "We hire."
    engineers.save()
    general.headline_en = general.body_en = ""
    general.save()
    make_asset(title="Logo One Provence")
    log_in(client, make_recruiter())

    body = b"".join(client.get("/en/kit/archive.zip").streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(body))
    readme = archive.read("README.md").decode()
    points = archive.read("talking-points.md").decode()
    assert "Free to use for recruitment" in readme
    assert "Design tomorrow" in points
    assert "On est plus heureux ici (in French: not translated yet)" in points


def test_the_seeded_french_points_read_in_english_without_a_duplicate(client, db):
    """The points 0003 seeded in French get their English text; its English twin is retired."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("employer_kit.migrations.0005_english_texts_and_basket")
    TalkingPoint.objects.all().delete()
    for headline in migration.SEEDED_ENGLISH:
        TalkingPoint.objects.create(
            headline=headline, body="…", language="fr", source_name="Insee", source_year=2024
        )
    TalkingPoint.objects.create(
        headline="People are happier here",
        body=migration.SEEDED_ENGLISH["On est plus heureux ici"][1],
        language="en",
        source_name="Insee",
        source_year=2024,
    )
    migration.translate_seeded_points(apps, None)

    page = client.get("/en/kit/").content.decode()
    assert page.count("People are happier here") == 1
    assert "Design tomorrow&#x27;s helicopters and satellites" in page
    assert "Not translated yet" not in page


def test_point_display_follows_the_language(kit_content):
    point = TalkingPoint(headline="Bonjour", body="Texte", headline_en="Hello", body_en="Text")
    with translation.override("en"):
        assert (point.display_headline, point.display_body) == ("Hello", "Text")
    with translation.override("fr"):
        assert (point.display_headline, point.display_body) == ("Bonjour", "Texte")
