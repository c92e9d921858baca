"""The co-branded one-pager: rendered with a logo, figures with their sources; logos checked."""

import html
import io
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader

from employer_kit.models import OnePager
from employer_kit.services import logo_validate, one_pager_render
from onprovence.storage import private_storage
from tests.employer_kit.conftest import bomb_png, log_in, png_bytes

pytestmark = pytest.mark.django_db


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_one_pager_pdf_has_the_logo_the_figures_with_sources_and_the_sector_points(
    kit_content, make_recruiter
):
    recruiter = make_recruiter(company="Airbus Helicopters")
    logo = logo_validate(upload=SimpleUploadedFile("logo.png", png_bytes((600, 300))))

    sheet = one_pager_render(
        recruiter=recruiter, sector=kit_content["aero"], logo_png=logo, language="fr"
    )

    pdf = private_storage().open(sheet.pdf_key, "rb").read()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = " ".join(_pdf_text(pdf).split())
    assert "Pourquoi nous rejoindre à Aix-Marseille-Provence ?" in text
    assert "Airbus Helicopters recrute — filière Aéronautique" in text
    assert "7,8/10" in text and "contre 7,4/10 — moyenne nationale" in text
    # French puts a narrow no-break space before % (the text's whitespace is joined as " ").
    assert "83 %" in text and "24 %" in text and "83%" not in text
    assert "Source : ImageTerr 2024 — IMPGT, Aix-Marseille Université, 2024" in text
    assert "Source : Bloom Consulting" in text
    assert "Concevoir les hélicoptères de demain" in text
    # Two figures of one point share a source: it is named once.
    assert text.count("Sources : ImageTerr 2024 — IMPGT, Aix-Marseille Université, 2024;") == 0
    # The logo is drawn on the page as an image.
    images = reader.pages[0].images
    assert len(images) == 1 and images[0].image.size[0] >= 300
    png = Image.open(io.BytesIO(private_storage().open(sheet.png_key, "rb").read()))
    assert png.format == "PNG" and png.size[1] > png.size[0] > 800


def test_one_pager_in_english(kit_content, make_recruiter):
    recruiter = make_recruiter(company="CMA CGM")
    logo = logo_validate(upload=SimpleUploadedFile("logo.png", png_bytes()))

    sheet = one_pager_render(recruiter=recruiter, sector=None, logo_png=logo, language="en")

    text = " ".join(_pdf_text(private_storage().open(sheet.pdf_key, "rb").read()).split())
    assert "Why join us in Aix-Marseille-Provence" in text
    assert "Residents' happiness index" in text
    assert "7.8/10" in text and "83%" in text
    assert "Source: ImageTerr 2024" in text
    assert "Source : " not in text


def test_recruiter_generates_a_one_pager_and_downloads_it(client, kit_content, make_recruiter):
    log_in(client, make_recruiter())
    upload = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")

    response = client.post(
        "/kit/fiche/", {"logo": upload, "sector": "aeronautique", "language": "fr"}
    )

    sheet = OnePager.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/kit/fiche/{sheet.pk}/"
    assert client.get(response["Location"]).status_code == 200
    pdf_link = client.get(f"/kit/fiche/{sheet.pk}.pdf")
    assert pdf_link.status_code == 302 and "X-Amz-Signature=" in pdf_link["Location"]
    assert (
        "pourquoi-nous-rejoindre-aix-marseille-provence-airbus-helicopters-aeronautique.pdf"
        in unquote(pdf_link["Location"])
    )


def test_an_english_sheet_downloads_under_an_english_name(client, kit_content, make_recruiter):
    log_in(client, make_recruiter())
    upload = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    client.post("/en/kit/fiche/", {"logo": upload, "sector": "aeronautique", "language": "en"})
    sheet = OnePager.objects.get()

    png_link = client.get(f"/en/kit/fiche/{sheet.pk}.png")

    assert "why-join-us-aix-marseille-provence-airbus-helicopters-aeronautics.png" in unquote(
        png_link["Location"]
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/kit/fiche/", "Cette image est trop grande"),
        ("/en/kit/fiche/", "This image is too large"),
    ],
)
def test_a_decompression_bomb_logo_is_refused_with_a_clear_message(
    client, kit_content, make_recruiter, path, message
):
    bomb = bomb_png()
    assert len(bomb) < 400_000  # tiny file, 3.6 billion pixels once decoded
    log_in(client, make_recruiter())

    response = client.post(
        path, {"logo": SimpleUploadedFile("logo.png", bomb, "image/png"), "language": "fr"}
    )

    assert response.status_code == 200
    assert message in html.unescape(response.content.decode())
    assert OnePager.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
            "n'est pas une image PNG, JPEG ou WebP",
        ),
        (b"GIF89a" + b"\x00" * 100, "n'est pas une image PNG, JPEG ou WebP"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 3 * 1024 * 1024, "Le logo pèse plus de 2 Mo"),
    ],
    ids=["svg", "gif", "too-heavy"],
)
def test_logos_that_are_not_small_images_are_refused(content, message):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("fr"), pytest.raises(ValidationError) as error:
        logo_validate(upload=SimpleUploadedFile("logo.png", content))

    assert message in error.value.messages[0]


def test_one_pager_needs_a_session(client):
    assert client.get("/kit/fiche/").status_code == 302
