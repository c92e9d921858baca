"""The placement's page with its destination history and a scheduled change, and the sector's
archive confirmation, in desktop Chromium with axe-core."""

from datetime import timedelta

import pytest

from tests.browser import admin_sign_in, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_editor_schedules_a_destination_and_reads_the_history(
    browser, live_server, django_user_model, screenshot
):
    from django.utils import timezone

    from campaigns.models import Campaign, DestinationChange, Placement

    django_user_model.objects.create_superuser("editor", "e@example.org", "pw-editor-123")
    campaign = Campaign.objects.create(
        name="Marque employeur 2026",
        slug="marque-destinations",
        status="live",
        starts_on=timezone.localdate() - timedelta(days=9),
        hero_title="Ici",
    )
    placement = Placement.objects.create(
        campaign=campaign, channel="station", place_name="Gare Saint-Charles, hall 1"
    )
    in_a_week = timezone.localdate() + timedelta(days=7)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        admin_sign_in(page, live_server.url, "editor", "pw-editor-123")
        change = f"{live_server.url}/admin/campaigns/placement/{placement.pk}/change/"
        page.goto(change)
        page.fill("#id_destination", "/secteurs/maritme/")
        page.click("input[name=_continue]")
        assert "n'existe pas sur le site" in page.locator(".errorlist").first.inner_text()

        page.fill("#id_destination", "/secteurs/maritime/")
        page.fill("#id_scheduled_destination", "/secteurs/energie/")
        page.fill("#id_scheduled_on", in_a_week.isoformat())
        page.click("input[name=_continue]")
        page.wait_for_url(change)

        history = page.locator(".destination-history")
        assert history.locator("tbody tr").count() == 2
        assert f"programmé pour le {in_a_week:%d/%m/%Y}" in history.inner_text()
        assert "immédiat" in history.inner_text()
        assert DestinationChange.objects.count() == 2
        # Django's own change-form breadcrumbs (not this app's) fail link-in-text-block.
        violations = [v for v in serious_violations(page) if "'.breadcrumbs > a" not in v]
        assert violations == []
        screenshot(page, "campaign-placement-destination-history")
    finally:
        context.close()
