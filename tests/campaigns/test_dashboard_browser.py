"""The funnel dashboard with conversions, in desktop Chromium (axe-core; the screenshot of the
closing note: var/screenshots/campaign-dashboard-conversions.png)."""

from datetime import timedelta

import pytest

from tests.browser import admin_sign_in, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_editor_reads_the_conversions_the_days_and_the_reach(
    browser, live_server, django_user_model, screenshot
):
    from django.utils import timezone

    from campaigns.models import Campaign, Placement
    from campaigns.services import funnel_record

    django_user_model.objects.create_superuser("editor", "e@example.org", "pw-editor-123")
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="Marque employeur 2026",
        slug="marque-conversions",
        status="live",
        starts_on=today - timedelta(days=9),
        reach_target=2_200_000,
        hero_title="Ici",
    )
    places = [
        ("Gare Saint-Charles, hall 1", 420_000, 31),
        ("Aéroport Marseille Provence, terminal 1", 180_000, 17),
        ("LinkedIn One Provence", 60_000, 9),
    ]
    for place, audience, base in places:
        placement = Placement.objects.create(
            campaign=campaign, channel="station", place_name=place, declared_audience=audience
        )
        for back in range(10):
            day = today - timedelta(days=back)
            scans = base + (back * 7) % 13
            steps = {
                "scan": scans,
                "landing": scans * 2 // 5,
                "recording_started": scans // 6,
                "upload_completed": scans // 11,
            }
            for step, n in steps.items():
                funnel_record(placement_id=placement.pk, step=step, day=day, n=n)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        admin_sign_in(page, live_server.url, "editor", "pw-editor-123")
        page.goto(
            f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/tableau-de-bord/"
            "?du=1900-01-01&au=2100-12-31"
        )

        assert "% des scans" in page.locator("#conversion-landing").inner_text()
        assert "Période demandée : du 01/01/1900" in page.locator("#period-notice").inner_text()
        assert page.locator("#funnel-by-day tbody tr").count() == 10
        assert page.locator("#reach-scan td.num").first.inner_text() != "0"
        assert_accessible(page)
        screenshot(page, "campaign-dashboard-conversions")
    finally:
        context.close()
