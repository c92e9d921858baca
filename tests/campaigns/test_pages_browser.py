"""The campaign pages in Chromium: phone and desktop screenshots, axe-core on every public page."""

import io

import pytest
from PIL import Image, ImageDraw

from tests.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = [
    ("Camille", "Marignane", "aeronautique", "Je conçois des pales d'hélicoptère face à la mer."),
    ("Yanis", "Marseille", "maritime", "Le premier port de France, c'est mon bureau."),
    ("Inès", "Saint-Paul-lez-Durance", "energie", "Construire ITER, à vingt minutes d'Aix."),
]


def _poster(color: str, fmt: str) -> bytes:
    image = Image.new("RGB", (360, 450), color)
    draw = ImageDraw.Draw(image)
    draw.ellipse((110, 90, 250, 230), fill="#f3d9b8")
    draw.rounded_rectangle((70, 250, 290, 450), radius=60, fill="#2a1f1a")
    buffer = io.BytesIO()
    image.save(buffer, fmt, quality=70)
    return buffer.getvalue()


@pytest.fixture
def campaign_site(live_server):
    import importlib

    from django.apps import apps

    from ambassadors.keys import POSTER_JPEG, POSTER_WEBP, testimonial_key
    from ambassadors.models import Status, Testimonial
    from campaigns.models import Campaign, Placement, Sector
    from onprovence.storage import public_storage

    # Transactional tests empty the tables: seed the sectors and figures again.
    importlib.import_module("campaigns.migrations.0002_seed_sectors_and_key_figures").seed(
        apps, None
    )
    campaign = Campaign.objects.create(
        name="Marque employeur territoriale 2026",
        slug="marque-employeur-2026",
        status=Campaign.Status.LIVE,
        starts_on="2026-09-30",
        reach_target=2_200_000,
        hero_title="Ici, on vit ce qu'on aime. Et on y travaille.",
        hero_title_en="Here, we live what we love. And we work here too.",
        hero_text="Ingénieures, techniciens, marins, chercheuses : celles et ceux qui font "
        "Aix-Marseille-Provence racontent pourquoi ils ont choisi d'y vivre.",
        hero_text_en="Engineers, technicians, sailors, researchers: the people who make "
        "Aix-Marseille-Provence tell why they chose to live here.",
    )
    placement = Placement.objects.create(
        campaign=campaign, channel="station", place_name="Gare Saint-Charles, hall 1"
    )
    store = public_storage()
    colors = ["#c8643a", "#0f5c6e", "#2f5d3a"]
    for (name, commune, sector, quote), color in zip(PEOPLE, colors, strict=True):
        testimonial = Testimonial.objects.create(
            status=Status.PUBLISHED,
            sector=Sector.objects.get(slug=sector),
            placement=placement,
            display_name=name,
            commune=commune,
            quote=quote,
            featured=True,
            published_at="2026-10-02T10:00:00+02:00",
        )
        for name, fmt, content_type in (
            (POSTER_JPEG, "JPEG", "image/jpeg"),
            (POSTER_WEBP, "WEBP", "image/webp"),
        ):
            # As publication leaves them: readable by anyone (the test bucket has no policy).
            store.bucket.put_object(
                Key=testimonial_key(testimonial.pk, name),
                Body=_poster(color, fmt),
                ContentType=content_type,
                ACL="public-read",
            )
    return campaign


def _context(browser, *, phone: bool, locale: str = "fr-FR"):
    if phone:
        return browser.new_context(
            viewport={"width": 360, "height": 740},
            device_scale_factor=1,
            is_mobile=True,
            has_touch=True,
            locale=locale,
        )
    return browser.new_context(viewport={"width": 1366, "height": 900}, locale=locale)


def _requests_stay_on_site(page, base_url: str, s3_endpoint: str) -> list[str]:
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith((base_url, s3_endpoint, "data:"))
            else None
        ),
    )
    return outside


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_campaign_home_screenshot_accessible_and_self_contained(
    browser, live_server, campaign_site, screenshot, s3_endpoint, device
):
    context = _context(browser, phone=device == "phone")
    page = context.new_page()
    outside = _requests_stay_on_site(page, live_server.url, s3_endpoint)
    try:
        page.goto(live_server.url + "/", wait_until="networkidle")
        for card in page.locator(".testimonial-card img").all():  # posters load lazily
            card.scroll_into_view_if_needed()
        page.wait_for_load_state("networkidle")
        page.evaluate("window.scrollTo(0, 0)")

        assert page.locator("h1").inner_text() == "Ici, on vit ce qu'on aime. Et on y travaille."
        assert page.locator(".testimonial-card").count() == 3
        # Every poster loaded (from the public store) and no layout overflow on a phone.
        assert page.evaluate(
            "[...document.querySelectorAll('.testimonial-card img')].every(i => i.naturalWidth > 0)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= (
            360 if device == "phone" else 1366
        )
        assert page.locator(".figure__source").first.is_visible()
        assert_accessible(page)
        assert context.cookies() == []
        assert outside == []
        screenshot(page, f"campaign-home-{device}")  # `make screenshots` refreshes docs/
    finally:
        context.close()


def test_every_public_campaign_page_passes_axe_in_french_and_english(
    browser, live_server, campaign_site
):
    from campaigns.services import campaign_preview_token

    token = campaign_preview_token(campaign_id=campaign_site.pk)
    paths = [
        "/",
        "/en/",
        "/campagne/marque-employeur-2026/",
        "/secteurs/aeronautique/",
        "/en/secteurs/maritime/",
        "/secteurs/logistique/",  # no testimonial yet
        f"/campagne/apercu/{token}/",
        "/q/unknown-code",
    ]
    context = _context(browser, phone=True)
    page = context.new_page()
    try:
        for path in paths:
            page.goto(live_server.url + path)
            assert page.locator("h1").count() == 1, path
            assert_accessible(page)
        # Keyboard: the first Tab lands on the skip link, the next ones on visible links.
        page.goto(live_server.url + "/")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
    finally:
        context.close()
