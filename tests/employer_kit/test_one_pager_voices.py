"""The one-pager's bottom third: a resident's quote with their photo, a QR code to the
testimonials, the company's careers link (issue 16: the bottom third was empty)."""

import io

import numpy
import pytest
import zxingcpp
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader

from ambassadors import keys
from employer_kit.models import OnePager
from employer_kit.services import kit_asset_from_testimonial, logo_validate, one_pager_render
from onprovence.storage import private_storage, public_storage
from tests.employer_kit.conftest import log_in, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def voice(published_testimonial):
    published_testimonial.job_title = "Ingénieure essais en vol"
    published_testimonial.save(update_fields=["job_title"])
    poster = io.BytesIO()
    Image.new("RGB", (360, 640), "#9c3d1f").save(poster, "JPEG")
    public_storage().save(
        keys.testimonial_key(published_testimonial.pk, keys.POSTER_JPEG),
        ContentFile(poster.getvalue()),
    )
    kit_asset_from_testimonial(testimonial_id=published_testimonial.pk)
    return published_testimonial


def _render(recruiter, sector, careers_url="https://www.airbus.com/fr/carrieres", language="fr"):
    logo = logo_validate(upload=SimpleUploadedFile("logo.png", png_bytes((600, 300))))
    return one_pager_render(
        recruiter=recruiter, sector=sector, logo_png=logo, language=language,
        careers_url=careers_url,
    )  # fmt: skip


def test_the_bottom_third_quotes_a_resident_with_photo_qr_and_careers_link(
    kit_content, make_recruiter, voice, settings
):
    sheet = _render(make_recruiter(), kit_content["aero"])

    pdf = private_storage().open(sheet.pdf_key, "rb").read()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Je travaille sur les hélicoptères et je vais à la plage le soir." in text
    assert "Léa, ingénieure · Ingénieure essais en vol" in text
    assert "Nos offres d'emploi : https://www.airbus.com/fr/carrieres" in text
    links = [a.get_object()["/A"]["/URI"] for a in reader.pages[0].get("/Annots", [])]
    assert "https://www.airbus.com/fr/carrieres" in links
    assert len(reader.pages[0].images) == 2  # the company's logo and the resident's photo
    assert sheet.testimonial_id == voice.pk and sheet.careers_url.endswith("/carrieres")

    png = Image.open(io.BytesIO(private_storage().open(sheet.png_key, "rb").read()))
    height = png.size[1]
    bottom = png.convert("L").crop((0, height * 2 // 3, png.size[0], height - height // 20))
    # Before: the bottom third was blank paper (one shade).
    assert numpy.asarray(bottom).std() > 20
    codes = zxingcpp.read_barcodes(png)
    assert [c.text for c in codes] == [f"{settings.SITE_URL}/temoignages/?secteur=aeronautique"]


def test_english_sheet_points_to_the_english_testimonials(kit_content, make_recruiter, voice):
    sheet = _render(make_recruiter(), None, careers_url="", language="en")
    png = Image.open(io.BytesIO(private_storage().open(sheet.png_key, "rb").read()))
    assert [c.text.rsplit("/", 3)[-3:] for c in zxingcpp.read_barcodes(png)] == [
        ["en", "temoignages", ""]
    ]
    text = PdfReader(io.BytesIO(private_storage().open(sheet.pdf_key, "rb").read())).pages[0]
    assert "They live and work here" in text.extract_text()


def test_the_careers_link_is_a_web_address(client, kit_content, make_recruiter):
    log_in(client, make_recruiter())
    upload = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    response = client.post(
        "/kit/fiche/",
        {"logo": upload, "language": "fr", "careers_url": "javascript:alert(1)"},
    )
    assert response.status_code == 200 and not OnePager.objects.exists()
    assert response.context["form"].errors["careers_url"]


def test_a_withdrawn_residents_quote_leaves_the_recruiters_sheets(
    kit_content, make_recruiter, voice, django_capture_on_commit_callbacks
):
    from ambassadors.models import Status
    from ambassadors.services.status import testimonial_transition

    sheet = _render(make_recruiter(), kit_content["aero"])
    storage = private_storage()
    assert storage.exists(sheet.pdf_key)

    with django_capture_on_commit_callbacks(execute=True):
        testimonial_transition(testimonial_id=voice.pk, to=Status.WITHDRAWN, actor_label="resident")

    assert not OnePager.objects.filter(pk=sheet.pk).exists()
    assert not storage.exists(sheet.pdf_key) and not storage.exists(sheet.png_key)
