"""The recruiter's path in a real browser: campaign home → kit → magic link → ZIP → one-pager.

Also the screenshot of the kit page (var/screenshots/kit-page.png) and axe-core checks.
"""

import io
import re
import time
import zipfile

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw
from pypdf import PdfReader

from employer_kit.models import KitAsset, KitDownload, OnePager
from employer_kit.services import kit_asset_analyse, kit_asset_from_testimonial
from onprovence.storage import public_storage
from tests.browser import assert_accessible
from tests.employer_kit.conftest import pdf_bytes, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _photo() -> bytes:
    """A small landscape: sky, sea, limestone hills (generated, no file committed)."""
    image = Image.new("RGB", (960, 600), "#8fc9e8")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 360, 960, 600), fill="#0f5c6e")
    draw.polygon(
        [(0, 380), (220, 210), (420, 330), (640, 180), (960, 360), (960, 400), (0, 400)],
        fill="#e8dcc4",
    )
    draw.ellipse((760, 60, 860, 160), fill="#f2b13b")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


@pytest.fixture
def kit_assets(kit_content, make_asset, published_testimonial, public_bucket_readable):
    from ambassadors import keys

    assets = [
        make_asset(
            title="Logo One Provence", content=png_bytes((512, 512)), name="logo-one-provence.png"
        ),
        make_asset(
            title="Brochure « Pourquoi Aix-Marseille-Provence »",
            kind=KitAsset.Kind.BROCHURE,
            content=pdf_bytes("Pourquoi Aix-Marseille-Provence"),
            name="brochure.pdf",
            usage_rights="Libre pour le recrutement, sans modification",
        ),
        make_asset(
            title="Calanques au lever du jour",
            kind=KitAsset.Kind.PHOTO,
            content=_photo(),
            name="calanques.jpg",
            credits="Photo : Studio Mistral / One Provence",
            usage_rights="Attribution obligatoire",
        ),
    ]
    for asset in assets:
        kit_asset_analyse(asset_id=asset.pk)
    poster = io.BytesIO()
    Image.new("RGB", (480, 270), "#9c3d1f").save(poster, "JPEG")
    public_storage().save(
        keys.testimonial_key(published_testimonial.pk, keys.POSTER_JPEG),
        ContentFile(poster.getvalue()),
    )
    assets.append(kit_asset_from_testimonial(testimonial_id=published_testimonial.pk))
    return assets


def test_recruiter_goes_from_the_campaign_home_to_a_kit_and_a_one_pager(
    desktop_page, live_server, kit_assets, tmp_path, screenshot
):
    page = desktop_page
    started = time.monotonic()
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Kit employeur").first.click()
    page.wait_for_url("**/kit/")
    assert page.context.cookies() == []  # browsing the kit sets no cookie

    page.get_by_role("link", name="Accéder aux téléchargements").click()
    screenshot(page, "kit-access")
    page.get_by_label("Entreprise", exact=True).fill("Airbus Helicopters")
    page.get_by_label("E-mail professionnel").fill("rh.airbus@gmail.com")
    page.get_by_role("button", name="Recevoir mon lien de connexion").click()
    email_field = page.get_by_label("E-mail professionnel")
    assert "pas une messagerie personnelle" in email_field.evaluate(
        "input => input.getAttribute('aria-describedby').split(' ')"
        ".map(id => document.getElementById(id).textContent).join(' ')"
    )
    assert_accessible(page)
    email_field.fill("rh@airbus-helicopters.test")
    page.get_by_role("button", name="Recevoir mon lien de connexion").click()
    page.get_by_role("heading", name="Vérifiez votre messagerie").wait_for()
    link = re.search(r"https?://\S+/kit/acces/\S+/", mail.outbox[-1].body).group(0)
    page.goto(live_server.url + "/" + link.split("://", 1)[1].split("/", 1)[1])
    # Opening the link changes nothing (mail scanners open links too): the button signs in.
    screenshot(page, "kit-confirm")
    assert_accessible(page)
    page.get_by_role("button", name="Me connecter").click()
    page.get_by_text("Adresse confirmée").wait_for()
    identified = time.monotonic() - started

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tout télécharger (ZIP)").click()
    archive_path = tmp_path / "kit.zip"
    download_info.value.save_as(archive_path)
    with zipfile.ZipFile(archive_path) as archive:
        names = archive.namelist()
        assert archive.testzip() is None
    assert "README.md" in names and "photo/tous-secteurs/calanques-au-lever-du-jour.jpg" in names
    assert any(name.startswith("video/aeronautique/") for name in names)
    kit_done = time.monotonic() - started

    page.get_by_role("link", name="Créer ma fiche co-brandée").first.click()
    page.get_by_label("Logo de votre entreprise").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": png_bytes((400, 200))}]
    )
    page.get_by_label("Secteur").select_option("aeronautique")
    page.get_by_role("button", name="Générer ma fiche").click()
    page.get_by_role("heading", name="Votre fiche est prête").wait_for()
    sheet = page.locator("img.kit-sheet")
    sheet.scroll_into_view_if_needed()
    # The preview comes from the S3 endpoint after the page: it may still be on its way.
    page.wait_for_function("img => img.complete", arg=sheet.element_handle(), timeout=10_000)
    screenshot(page, "kit-one-pager-ready")
    assert sheet.evaluate("img => img.naturalWidth") > 800
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le PDF").click()
    pdf_path = tmp_path / "sheet.pdf"
    download_info.value.save_as(pdf_path)
    text = PdfReader(pdf_path).pages[0].extract_text()
    assert "Airbus Helicopters" in text and "Source" in text
    total = time.monotonic() - started

    print(
        f"\nrecruiter path: identified {identified:.1f} s, kit ZIP {kit_done:.1f} s, "
        f"one-pager PDF {total:.1f} s"
    )
    assert total < 120
    assert KitDownload.objects.count() == 4
    assert OnePager.objects.count() == 1


def test_kit_page_screenshot_accessibility_and_one_click_copy(
    desktop_page, live_server, kit_assets, make_recruiter, screenshot
):
    page = desktop_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(live_server.url + "/kit/")

    # Every preview loads: image thumbnail, PDF first page, video poster.
    previews = page.locator(".kit-asset__preview img")
    assert previews.count() == 4
    for index in range(4):
        preview = previews.nth(index)
        preview.scroll_into_view_if_needed()  # previews load lazily
        preview.element_handle().wait_for_element_state("visible")
        page.wait_for_function("img => img.complete", arg=preview.element_handle(), timeout=10_000)
        assert preview.evaluate("img => img.naturalWidth") > 0, preview.get_attribute("src")
    assert page.get_by_text("Attribution obligatoire").is_visible()
    assert page.get_by_text("Photo : Studio Mistral / One Provence").is_visible()
    assert_accessible(page)
    screenshot(page, "kit-page")

    point = page.locator(".kit-point").filter(has_text="Concevoir les hélicoptères de demain")
    point.get_by_role("button", name="Copier le texte").click()
    page.wait_for_function(
        "() => document.getElementById('kit-copy-status').textContent === 'Copié'"
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    # The text with its source (issue 16: "Copier" copies a talking point with its source).
    assert copied == (
        "De Marignane à Cannes, la filière aéronautique recrute des ingénieurs.\n\n"
        "Sources : ImageTerr 2024 — IMPGT, Aix-Marseille Université (2024)"
    )

    for path in ("/kit/acces/", "/en/kit/", "/kit/widget/?secteur=aeronautique"):
        page.goto(live_server.url + path)
        assert_accessible(page)


def test_kit_page_on_a_phone_fits_the_screen(phone_page, live_server, kit_assets, screenshot):
    phone_page.goto(live_server.url + "/kit/")
    screenshot(phone_page, "kit-phone")

    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone_page)


# For each choice of the kit's filters that is wider than its select (less the padding and the
# arrow), "label: choice".
CUT_CHOICES = """() => {
  const context = document.createElement("canvas").getContext("2d");
  const cut = [];
  for (const select of document.querySelectorAll(".kit-filters select")) {
    const style = getComputedStyle(select);
    context.font = style.font;
    const room = select.clientWidth - parseFloat(style.paddingLeft)
      - parseFloat(style.paddingRight) - 20;
    for (const option of select.options) {
      if (context.measureText(option.text).width > room) cut.push(`${select.name}: ${option.text}`);
    }
  }
  return cut;
}"""


@pytest.mark.parametrize("width", [360, 760, 1280])
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_every_kit_filter_choice_fits_its_select(browser, live_server, width, prefix):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()

    page.goto(live_server.url + prefix + "/kit/")

    assert page.evaluate(CUT_CHOICES) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
