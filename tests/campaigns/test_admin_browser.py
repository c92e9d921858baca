"""The funnel dashboard as an editor sees it (desktop Chromium)."""

from datetime import timedelta

import pytest

from tests.browser import admin_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_shows_the_chart_the_totals_and_the_table(
    browser, live_server, django_user_model, screenshot
):
    from django.utils import timezone

    from campaigns.models import Campaign, Placement
    from campaigns.services import funnel_record

    django_user_model.objects.create_superuser("editor", "e@example.org", "pw-editor-123")
    campaign = Campaign.objects.create(
        name="Marque employeur 2026",
        slug="marque",
        status="live",
        starts_on=timezone.localdate() - timedelta(days=13),
        reach_target=2_200_000,
        hero_title="Ici",
    )
    today = timezone.localdate()
    for index, (place, audience) in enumerate(
        [("Gare Saint-Charles, hall 1", 420_000), ("Aéroport Marseille Provence", 180_000)]
    ):
        placement = Placement.objects.create(
            campaign=campaign, channel="station", place_name=place, declared_audience=audience
        )
        for day in range(14):
            funnel_record(
                placement_id=placement.pk,
                step="scan",
                day=today - timedelta(days=day),
                n=(day * 7 + 3) % 23 + index * 5,
            )
        funnel_record(placement_id=placement.pk, step="landing", n=9)

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        admin_sign_in(page, live_server.url, "editor", "pw-editor-123")
        page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/tableau-de-bord/")

        assert page.locator(".funnel-chart rect").count() == 14
        assert page.locator("#total-landing").inner_text() == "18"
        assert (
            page.locator("#funnel-by-placement tbody tr").count() == 2
        )  # h5: one table of several
        # The stylesheet is served and applied (CSP allows no inline style in the admin either).
        assert (
            page.evaluate("getComputedStyle(document.querySelector('.funnel-cards')).display")
            == "grid"
        )
        screenshot(page, "campaign-funnel-dashboard")
    finally:
        context.close()
