"""The status page's "Vos données" section on a phone, with axe-core (right of access)."""

import datetime

import pytest

from ambassadors.links import resident_token
from ambassadors.models import Status
from tests.browser import assert_accessible

from .moderation_support import *  # noqa: F403

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_sees_the_retention_and_the_download_links_on_a_phone(
    phone_page, live_server, make_testimonial, screenshot
):
    testimonial = make_testimonial(
        Status.PUBLISHED,
        published_at=datetime.datetime(2026, 10, 1, 10, tzinfo=datetime.UTC),
        original_key="testimonials/x/original",
    )
    token = resident_token(testimonial.pk)

    phone_page.goto(f"{live_server.url}/ambassadeurs/suivi/{token}/")

    section = phone_page.locator("section.journey-access")
    assert "36 mois à compter de la publication" in section.inner_text()
    assert section.get_by_role("link", name="Télécharger mes données (JSON)").is_visible()
    assert section.get_by_role("link", name="Télécharger ma vidéo originale").is_visible()
    assert_accessible(phone_page)
    screenshot(phone_page, "status-access-phone")
