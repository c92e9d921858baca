"""The placement page offers every poster format (desktop Chromium)."""

import pytest

from campaigns.posters.formats import POSTER_FORMATS
from tests.browser import admin_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_placement_page_links_each_poster_format_and_they_download(
    browser, live_server, django_user_model, screenshot
):
    from datetime import date

    from campaigns.models import Campaign, Placement

    django_user_model.objects.create_superuser("editor", "e@example.org", "pw-editor-123")
    campaign = Campaign.objects.create(
        name="Marque employeur 2026 (interne)",
        slug="marque",
        status="live",
        starts_on=date(2026, 9, 30),
        hero_title="Ici, on vit ce qu'on aime.",
    )
    placement = Placement.objects.create(
        campaign=campaign, channel="station", place_name="Gare Saint-Charles, hall 1"
    )
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="fr-FR", accept_downloads=True
    )
    page = context.new_page()
    try:
        admin_sign_in(page, live_server.url, "editor", "pw-editor-123")
        page.goto(f"{live_server.url}/admin/campaigns/placement/{placement.pk}/change/")

        for fmt in POSTER_FORMATS.values():
            link = page.get_by_role("link", name=fmt.label, exact=True)
            assert link.count() == 1
        with page.expect_download() as download:
            page.get_by_role("link", name=POSTER_FORMATS["a3"].label).click()
        assert download.value.suggested_filename == (
            f"affiche-a3-gare-saint-charles-hall-1-{placement.code}.pdf"
        )
        assert download.value.path().read_bytes()[:5] == b"%PDF-"
        page.locator(".field-qr_preview").scroll_into_view_if_needed()
        screenshot(page, "print-admin-placement", full_page=False)
    finally:
        context.close()
