import pytest

from tests.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_on_a_phone_is_readable_accessible_and_keyboard_reachable(
    phone_page, live_server, screenshot
):
    from campaigns.models import Campaign

    Campaign.objects.create(
        name="Marque employeur",
        slug="marque",
        status=Campaign.Status.LIVE,
        starts_on="2026-09-30",
        hero_title="Ici, on vit ce qu'on aime.",
        hero_text="Celles et ceux qui font la région racontent pourquoi ils y vivent.",
    )

    phone_page.goto(live_server.url + "/")

    assert phone_page.locator("h1").inner_text() == "Ici, on vit ce qu'on aime."
    # No horizontal scrolling on a 360 px wide phone.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    path = screenshot(phone_page, "home-phone")
    assert path.stat().st_size > 10_000
    assert_accessible(phone_page)
    # The skip link is the first thing the keyboard reaches, and it is visible then.
    phone_page.keyboard.press("Tab")
    assert phone_page.evaluate("document.activeElement.className") == "skip-link"
    assert phone_page.locator(".skip-link").bounding_box()["y"] >= 0
