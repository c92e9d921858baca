"""The campaign's logo on its pages: transparent public copies, written by the admin, shown
in the hero with its size and the campaign's name."""

import hashlib
import io
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from campaigns import services
from campaigns.images import LOGO_BOX, logo_copy_sizes
from campaigns.models import Campaign
from onprovence.storage import list_prefix, public_storage
from tests.ambassadors.moderation_support import public_bucket_readable  # noqa: F401
from tests.browser import assert_accessible

SEA = (15, 92, 110)
RED = (200, 30, 30)


def _encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _disc_png(size=(800, 400), colour=SEA) -> bytes:
    """A coloured ellipse filling a transparent canvas: transparent corners, opaque middle."""
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    ImageDraw.Draw(image).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=(*colour, 255))
    return _encoded(image, "PNG")


def _palette_png() -> bytes:
    """A palette PNG whose index 0 is transparent (tRNS), as exported by many logo tools."""
    image = Image.new("P", (300, 300), 0)
    image.putpalette([255, 255, 255, *RED] + [0] * (256 - 2) * 3)
    ImageDraw.Draw(image).ellipse((0, 0, 299, 299), fill=1)
    return _encoded(image, "PNG", transparency=0)


def _animated_gif() -> bytes:
    """Three frames (red, green, blue discs on transparency): the first one is the logo."""
    frames = []
    for colour in (RED, (0, 160, 0), (0, 0, 200)):
        frame = Image.new("P", (240, 240), 0)
        frame.putpalette([255, 255, 255, *colour] + [0] * (256 - 2) * 3)
        ImageDraw.Draw(frame).ellipse((0, 0, 239, 239), fill=1)
        frames.append(frame)
    return _encoded(
        frames[0], "GIF", save_all=True, append_images=frames[1:], transparency=0, duration=200
    )


def _cmyk_jpeg() -> bytes:
    """A print-shop CMYK JPEG (no transparency): magenta + yellow = red."""
    return _encoded(Image.new("CMYK", (400, 200), (0, 230, 230, 0)), "JPEG", quality=95)


def _cmyk_jpeg_with_a_broken_profile() -> bytes:
    """A CMYK JPEG whose embedded ICC profile is unreadable: the plain conversion is used."""
    image = Image.new("CMYK", (400, 200), (0, 230, 230, 0))
    return _encoded(image, "JPEG", quality=95, icc_profile=b"not an ICC profile")


def _read(key: str) -> Image.Image:
    with public_storage().open(key, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def _copies(campaign: Campaign) -> list[str]:
    return sorted(list_prefix(public_storage(), f"campaigns/{campaign.pk}/logo"))


def _with_logo(campaign: Campaign, data: bytes, name: str) -> Campaign:
    campaign.logo.save(name, ContentFile(data), save=True)
    services.campaign_logo_render(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


def _close(pixel, colour, tolerance=30) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


# --- The copies ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_copies_are_webp_and_png_with_alpha_never_jpeg_under_digest_keys(live_campaign):
    data = _disc_png()
    digest = hashlib.sha256(data).hexdigest()[:12]

    campaign = _with_logo(live_campaign, data, "logo.png")

    renditions = campaign.logo_renditions
    # 800 × 400 fitted in 200 × 56 CSS px: 112 × 56, and 224 × 112 for 2x screens.
    assert (renditions["width"], renditions["height"]) == (112, 56)
    assert renditions["copies"] == [
        {"density": 1, "width": 112, "height": 56},
        {"density": 2, "width": 224, "height": 112},
    ]
    prefix = f"campaigns/{campaign.pk}/logo/{digest}"
    assert renditions["key"] == prefix
    assert _copies(campaign) == [
        f"{prefix}-112x56.png",
        f"{prefix}-112x56.webp",
        f"{prefix}-224x112.png",
        f"{prefix}-224x112.webp",
    ]
    for key in _copies(campaign):
        image = _read(key)
        assert image.format == ("WEBP" if key.endswith(".webp") else "PNG")
        rgba = image.convert("RGBA")
        assert rgba.getpixel((0, 0))[3] == 0, key  # a corner outside the disc stays transparent
        middle = rgba.getpixel((rgba.width // 2, rgba.height // 2))
        assert middle[3] == 255 and _close(middle, SEA, tolerance=2), key


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "make", "colour", "transparent_corners"),
    [
        ("palette.png", _palette_png, RED, True),
        ("anime.gif", _animated_gif, RED, True),  # the first frame, not the green or blue ones
        ("print.jpg", _cmyk_jpeg, (255, 25, 25), False),
        ("print-profile.jpg", _cmyk_jpeg_with_a_broken_profile, (255, 25, 25), False),
    ],
)
def test_palette_gif_and_cmyk_logos_become_rgba_copies(
    live_campaign, name, make, colour, transparent_corners
):
    campaign = _with_logo(live_campaign, make(), name)

    keys = _copies(campaign)
    assert keys and all(key.endswith((".webp", ".png")) for key in keys)
    for key in keys:
        image = _read(key).convert("RGBA")
        middle = image.getpixel((image.width // 2, image.height // 2))
        assert middle[3] == 255 and _close(middle, colour), (key, middle)
        assert (image.getpixel((0, 0))[3] == 0) is transparent_corners, key


@pytest.mark.django_db
def test_transparent_margins_are_trimmed_so_the_mark_fills_its_box(live_campaign):
    image = Image.new("RGBA", (1000, 1000), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((400, 450, 599, 549), fill=(*SEA, 255))  # 200 × 100 mark

    campaign = _with_logo(live_campaign, _encoded(image, "PNG"), "padded.png")

    assert (campaign.logo_renditions["width"], campaign.logo_renditions["height"]) == (112, 56)
    assert _read(_copies(campaign)[0]).convert("RGBA").getpixel((0, 0)) == (*SEA, 255)


@pytest.mark.django_db
def test_a_huge_logo_gives_copies_of_the_box_size_only(live_campaign):
    campaign = _with_logo(
        live_campaign, _encoded(Image.new("RGB", (6000, 1800), RED), "JPEG"), "huge.jpg"
    )

    assert [(c["width"], c["height"]) for c in campaign.logo_renditions["copies"]] == [
        (187, 56),
        (373, 112),
    ]


def test_a_small_logo_is_never_enlarged_and_gets_no_2x_copy_it_has_no_pixels_for():
    assert logo_copy_sizes(80, 40) == [(1, 80, 40)]
    assert logo_copy_sizes(150, 60) == [(1, 140, 56)]  # 2x would need 280 × 112
    assert logo_copy_sizes(2000, 100) == [(1, 200, 10), (2, 400, 20)]  # a long wordmark
    for density, width, height in logo_copy_sizes(56, 9000):  # a tall, thin mark
        assert width <= density * LOGO_BOX[0] and height <= density * LOGO_BOX[1]


# --- The admin -------------------------------------------------------------------------------


def _form(campaign: Campaign, **files) -> dict:
    data = {
        "name": campaign.name,
        "slug": campaign.slug,
        "status": campaign.status,
        "starts_on": campaign.starts_on.isoformat(),
        "reach_target": str(campaign.reach_target),
        "hero_title": campaign.hero_title,
        "hero_title_en": campaign.hero_title_en,
        "cta_label": campaign.cta_label,
        "cta_label_en": campaign.cta_label_en,
        "primary_color": campaign.primary_color,
        "accent_color": campaign.accent_color,
        "placements-TOTAL_FORMS": "0",
        "placements-INITIAL_FORMS": "0",
        "placements-MIN_NUM_FORMS": "0",
        "placements-MAX_NUM_FORMS": "1000",
    }
    data.update(files)
    return data


def _upload(campaign: Campaign, admin_client, data: bytes, name="logo.png", kind="image/png"):
    return admin_client.post(
        f"/admin/campaigns/campaign/{campaign.pk}/change/",
        _form(campaign, logo=SimpleUploadedFile(name, data, kind)),
    )


@pytest.mark.django_db
def test_the_admin_writes_the_copies_and_the_page_shows_them_at_once(
    admin_client, client, live_campaign, django_capture_on_commit_callbacks
):
    assert "hero__logo" not in client.get("/").content.decode()  # cached without a logo

    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(live_campaign, admin_client, _disc_png())

    assert response.status_code == 302
    live_campaign.refresh_from_db()
    key = live_campaign.logo_renditions["key"]
    assert len(_copies(live_campaign)) == 4
    html = client.get("/").content.decode()
    logo = re.search(r'<picture class="hero__logo">.*?</picture>', html, re.S).group(0)
    base = public_storage().url(key)
    assert f'srcset="{base}-112x56.webp 1x, {base}-224x112.webp 2x"' in logo
    assert f'src="{base}-112x56.png"' in logo
    assert f'srcset="{base}-112x56.png 1x, {base}-224x112.png 2x"' in logo
    assert 'width="112" height="56"' in logo
    assert 'alt="Marque employeur territoriale"' in logo
    # Before the title, in the hero; also on the campaign's own page and in English.
    assert html.index("hero__logo") < html.index('id="hero-title"')
    assert "hero__logo" in client.get("/campagne/marque-employeur/").content.decode()
    assert 'alt="Marque employeur territoriale"' in client.get("/en/").content.decode()


@pytest.mark.django_db
def test_a_new_logo_keeps_the_previous_copies_and_deletes_older_ones(admin_client, live_campaign):
    generations = []
    for colour in (SEA, RED, (40, 40, 40)):
        assert _upload(live_campaign, admin_client, _disc_png(colour=colour)).status_code == 302
        live_campaign.refresh_from_db()
        generations.append(live_campaign.logo_renditions["key"])

    keys = _copies(live_campaign)
    assert len(set(generations)) == 3
    assert not any(k.startswith(generations[0]) for k in keys)  # two changes ago: gone
    assert sum(k.startswith(generations[1]) for k in keys) == 4  # a page cached before: works
    assert sum(k.startswith(generations[2]) for k in keys) == 4


@pytest.mark.django_db
def test_clearing_the_logo_removes_it_from_the_pages(admin_client, client, live_campaign):
    _upload(live_campaign, admin_client, _disc_png())

    response = admin_client.post(
        f"/admin/campaigns/campaign/{live_campaign.pk}/change/",
        _form(live_campaign, **{"logo-clear": "on"}),
    )

    assert response.status_code == 302
    live_campaign.refresh_from_db()
    assert not live_campaign.logo and live_campaign.logo_renditions == {}
    assert "hero__logo" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_admin_refuses_a_file_that_is_not_an_image(admin_client, live_campaign):
    response = _upload(live_campaign, admin_client, b"%PDF-1.4 not a logo", "logo.png")

    assert response.status_code == 200
    assert "Téléversez une image valide." in response.content.decode()
    live_campaign.refresh_from_db()
    assert not live_campaign.logo and live_campaign.logo_renditions == {}


@pytest.mark.django_db
def test_the_admin_refuses_a_logo_too_big_to_decode_safely(admin_client, live_campaign):
    # 48 million pixels (a 1-bit PNG, small to send, ~200 MB once decoded to RGBA).
    data = _encoded(Image.new("1", (8000, 6000), 1), "PNG")

    response = _upload(live_campaign, admin_client, data, "enorme.png")

    assert response.status_code == 200
    assert (
        "Ce logo fait 8000 × 6000 pixels : envoyez une image de 40 millions de pixels au plus "
        "(2 000 pixels de large suffisent)."
    ) in response.content.decode()
    live_campaign.refresh_from_db()
    assert not live_campaign.logo


@pytest.mark.django_db
def test_pages_of_a_campaign_without_a_logo_show_no_logo(client, live_campaign):
    html = client.get("/").content.decode()

    assert "hero__logo" not in html and "/logo/" not in html
    assert re.search(r'<div class="wrap hero__inner">\s*<h1 id="hero-title">', html)


# --- In Chromium -----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("public_bucket_readable")
@pytest.mark.parametrize(
    ("device", "viewport", "scale"),
    [("phone", {"width": 360, "height": 740}, 2), ("desktop", {"width": 1366, "height": 900}, 1)],
)
def test_the_logo_sits_on_the_hero_sharp_and_unshifted(
    browser, live_server, screenshot, device, viewport, scale
):
    from datetime import date

    campaign = Campaign.objects.create(
        name="Marque employeur territoriale 2026",
        slug="marque-employeur-2026",
        status=Campaign.Status.LIVE,
        starts_on=date(2026, 9, 30),
        hero_title="Ici, on vit ce qu'on aime. Et on y travaille.",
        hero_text="Celles et ceux qui font Aix-Marseille-Provence racontent pourquoi ils y vivent.",
    )
    # A wordmark-like logo: a dark disc and a bar, on transparency (invisible on a dark hero
    # without its white plate).
    image = Image.new("RGBA", (1200, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, 399, 399), fill=(*SEA, 255))
    draw.rounded_rectangle((460, 130, 1199, 270), radius=60, fill=(42, 31, 26, 255))
    _with_logo(campaign, _encoded(image, "PNG"), "logo.png")

    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=scale,
        is_mobile=device == "phone",
        has_touch=device == "phone",
        locale="fr-FR",
    )
    page = context.new_page()
    try:
        page.goto(live_server.url + "/", wait_until="networkidle")
        logo = page.locator(".hero__logo img")
        assert logo.get_attribute("alt") == "Marque employeur territoriale 2026"
        # The 2x WebP on a 2x phone (1x on the desktop), drawn at its declared CSS size.
        copy = "-336x112.webp" if scale == 2 else "-168x56.webp"
        assert logo.evaluate("i => i.currentSrc").endswith(copy)
        # (naturalWidth counts CSS pixels: a 2x candidate's 336 px read as 168.)
        assert logo.evaluate("i => [i.naturalWidth, i.clientWidth, i.clientHeight]") == [
            168,
            168,
            56,
        ]
        box = logo.bounding_box()
        title = page.locator("#hero-title").bounding_box()
        assert box["y"] + box["height"] < title["y"]  # above the title, not over it
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert_accessible(page)
        screenshot(page, f"campaign-logo-{device}", full_page=False)
    finally:
        context.close()
