"""Posters a print shop accepts: every format rendered by poppler, its code decoded back to the
placement's scan URL (zxing-cpp), its fonts embedded (pdffonts), its page boxes set (pypdf)."""

import io
import os
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from campaigns import printing, qr, theme
from campaigns.posters import fonts, layout
from campaigns.posters.formats import POSTER_FORMATS, SCAN_RATIO, PosterText
from campaigns.posters.render import poster_pdf

PRINT_FORMATS = [slug for slug, fmt in POSTER_FORMATS.items() if fmt.is_print]
# Low resolutions for the big formats: a module still spans 5 pixels or more.
RENDER_DPI = {"a4": 100, "a3": 72, "abribus": 12, "4x3": 6}
MM = 72 / 25.4

URL = "https://ambassadeurs.onprovence.fr/q/Xy_9-kQ2"
TEXT = PosterText(
    title="Ici, on vit ce qu'on aime.",
    call_to_action="Je deviens ambassadeur",
    pitch=printing.poster_pitch(),
    place_name="Gare Saint-Charles, hall 1",
    code="Xy_9-kQ2",
    short_url="ambassadeurs.onprovence.fr/q/Xy_9-kQ2",
)


# Where browser tests keep their screenshots (tests/conftest.py); `make screenshots` copies the
# print-*.png kept in docs/screenshots/ from there.
SCREENSHOT_DIR = Path(
    os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "var" / "screenshots")
)


def keep(image: Image.Image, name: str, *, longest: int = 720) -> None:
    """Save a reduced copy of a rendered poster as a screenshot."""
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.LANCZOS)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    copy.save(SCREENSHOT_DIR / f"{name}.png")


def decoded(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def poppler(tool: str, *args: str | Path | int) -> str:
    command = [tool, *map(str, args)]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def rendered(pdf: bytes, tmp_path: Path, dpi: int) -> Image.Image:
    (tmp_path / "poster.pdf").write_bytes(pdf)
    poppler("pdftoppm", "-r", dpi, "-png", "-singlefile", tmp_path / "poster.pdf", tmp_path / "p")
    return Image.open(tmp_path / "p.png").convert("RGB")


def fonts_of(pdf: bytes, tmp_path: Path) -> list[dict[str, str]]:
    """pdffonts' table, one dict per font (name, type, emb)."""
    (tmp_path / "fonts.pdf").write_bytes(pdf)
    lines = poppler("pdffonts", tmp_path / "fonts.pdf").splitlines()
    header, rule, *rows = lines
    # Columns are as wide as the dashes of the second line; names may hold spaces.
    spans, start = [], 0
    for dashes in rule.split(" "):
        spans.append((start, start + len(dashes)))
        start += len(dashes) + 1
    names = [header[a:b].strip() for a, b in spans]
    return [dict(zip(names, (row[a:b].strip() for a, b in spans), strict=True)) for row in rows]


@pytest.mark.parametrize("slug", PRINT_FORMATS)
def test_every_font_of_every_print_format_is_embedded(slug, tmp_path):
    """Reproduction: the A4 poster's Helvetica was not embedded (pdffonts: "emb no")."""
    pdf = poster_pdf(URL, fmt=POSTER_FORMATS[slug], text=TEXT, logo=qr.brand_mark())

    fonts = fonts_of(pdf, tmp_path)

    assert fonts, "no font at all: the text is missing"
    assert [(f["name"].split("+")[-1], f["emb"]) for f in fonts] == [
        ("DejaVuSans-Bold", "yes"),
        ("DejaVuSans", "yes"),
    ]


def test_the_poster_text_reads_without_spaces_inside_words(tmp_path):
    """The issue's poppler read the A4 poster as "J e deviens", "S cannez" (the metrics of a font
    substituted for the missing Helvetica). The poppler here substitutes well, so the font test
    above is the one that fails on the old poster; this one keeps the embedded font's text
    extractable, word by word."""
    fmt = POSTER_FORMATS["a4"]
    (tmp_path / "a4.pdf").write_bytes(poster_pdf(URL, fmt=fmt, text=TEXT))

    text = poppler("pdftotext", tmp_path / "a4.pdf", "-")

    assert "Je deviens ambassadeur" in text
    assert "Scannez ce code" in text
    assert "Ici, on vit ce qu'on aime." in text
    assert "Code : Xy_9-kQ2" in text


@pytest.mark.parametrize("slug", PRINT_FORMATS)
def test_the_page_boxes_hold_the_trim_the_bleed_and_the_crop_marks(slug):
    """Reproduction: the A4 poster's band ran to the page's edge with no bleed and no TrimBox."""
    fmt = POSTER_FORMATS[slug]
    page = PdfReader(io.BytesIO(poster_pdf(URL, fmt=fmt, text=TEXT))).pages[0]

    def mm(box) -> tuple[float, ...]:
        return tuple(round(float(v) / MM, 1) for v in (box.left, box.bottom, box.right, box.top))

    edge = fmt.bleed + fmt.marks
    assert "/TrimBox" in page and "/BleedBox" in page
    assert mm(page.trimbox) == (edge, edge, edge + fmt.width, edge + fmt.height)
    assert mm(page.bleedbox) == (
        fmt.marks,
        fmt.marks,
        fmt.marks + fmt.width + 2 * fmt.bleed,
        fmt.marks + fmt.height + 2 * fmt.bleed,
    )
    assert mm(page.mediabox) == (0, 0, fmt.width + 2 * edge, fmt.height + 2 * edge)
    assert fmt.bleed >= (3 if fmt.width <= 420 else 10)


def test_the_band_runs_into_the_bleed_and_crop_marks_sit_outside_it(tmp_path):
    fmt = POSTER_FORMATS["a4"]
    dpi = 150
    image = rendered(poster_pdf(URL, fmt=fmt, text=TEXT), tmp_path, dpi)

    def px(mm: float) -> int:
        return round(mm * dpi / 25.4)

    edge = fmt.bleed + fmt.marks  # from the page's edge to the trim
    middle = image.width // 2
    # The band's colour fills the bleed above the trim, up to the bleed's edge.
    for y_mm in (fmt.marks + 0.5, fmt.marks + fmt.bleed / 2, edge + 1):
        assert image.getpixel((middle, px(y_mm))) == (0x9C, 0x3D, 0x1F)
    # Beyond the bleed, only white paper and the marks.
    assert image.getpixel((middle, px(fmt.marks / 2))) == (255, 255, 255)
    # A crop mark on the trim's left line, in the slug above the bleed; none in the corner.
    mark_column = [image.getpixel((px(edge), px(y))) for y in (1, 2, 3)]
    assert all(sum(pixel) < 200 for pixel in mark_column), mark_column
    assert image.getpixel((px(fmt.marks / 2), px(fmt.marks / 2))) == (255, 255, 255)
    poppler(
        "pdftoppm",
        *("-r", 300, "-x", 0, "-y", 0, "-W", 300, "-H", 300),
        *("-png", "-singlefile", tmp_path / "poster.pdf", tmp_path / "corner"),
    )
    keep(Image.open(tmp_path / "corner.png"), "print-a4-corner", longest=300)


@pytest.mark.parametrize("slug", PRINT_FORMATS)
def test_the_code_is_sized_for_the_distance_it_is_read_from(slug):
    """One module per 250th of the viewing distance: 32 mm on a 4 × 3 m billboard read from
    8 m, 12 mm on a bus shelter from 3 m."""
    fmt = POSTER_FORMATS[slug]

    module = layout.poster_code_module(URL, fmt, TEXT, with_logo=True)

    assert module >= fmt.module_min - 0.01
    assert module == pytest.approx(fmt.scan_distance * 1000 / SCAN_RATIO, abs=0.05)


@pytest.mark.django_db
@pytest.mark.parametrize("slug", list(POSTER_FORMATS))
def test_each_format_from_the_placement_page_decodes_to_its_scan_url(
    admin_client, placement, slug, tmp_path, settings
):
    settings.SITE_URL = "https://ambassadeurs.onprovence.fr"  # the length of the real address
    fmt = POSTER_FORMATS[slug]
    html = admin_client.get(f"/admin/campaigns/placement/{placement.pk}/change/").content.decode()
    link = f"/admin/campaigns/placement/{placement.pk}/affiche-{slug}.{fmt.extension}"
    assert f'href="{link}"' in html

    response = admin_client.get(link)

    assert response.status_code == 200
    assert (
        f"affiche-{slug}-gare-saint-charles-hall-1-{placement.code}"
        in (response["Content-Disposition"])
    )
    scan_url = printing.placement_scan_url(placement)
    if fmt.is_print:
        assert response["Content-Type"] == "application/pdf"
        image = rendered(response.content, tmp_path, RENDER_DPI[slug])
        expected = [round((fmt.width + 2 * (fmt.bleed + fmt.marks)) * RENDER_DPI[slug] / 25.4)]
        assert abs(image.width - expected[0]) <= 1
    else:
        assert response["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(response.content))
        assert image.size == (1080, 1920)
    assert decoded(image) == [scan_url]
    keep(image, f"print-{slug}")


@pytest.mark.django_db
def test_the_poster_shows_and_is_titled_with_the_public_slogan_not_the_internal_name(
    admin_client, placement, tmp_path
):
    """Reproduction: the poster said "Marque employeur territoriale", the campaign's internal
    name, in its band and its PDF title."""
    campaign = placement.campaign
    response = admin_client.get(f"/admin/campaigns/placement/{placement.pk}/affiche-a3.pdf")
    (tmp_path / "a3.pdf").write_bytes(response.content)

    info = poppler("pdfinfo", tmp_path / "a3.pdf")
    text = poppler("pdftotext", tmp_path / "a3.pdf", "-")

    assert f"Title:           {campaign.hero_title}\n" in info
    assert campaign.hero_title in text
    assert campaign.name not in text and campaign.name not in info


@pytest.mark.django_db
def test_the_a4_poster_of_the_qr_downloads_and_the_zip_is_the_print_ready_one(
    admin_client, placement, tmp_path
):
    response = admin_client.get(f"/admin/campaigns/placement/{placement.pk}/qr.pdf")

    page = PdfReader(io.BytesIO(response.content)).pages[0]
    assert round(float(page.trimbox.width) / MM) == 210
    assert all(f["emb"] == "yes" for f in fonts_of(response.content, tmp_path))


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["affiche-a5.pdf", "affiche-a4.png", "affiche-ecran.pdf"])
def test_an_unknown_poster_format_is_not_found(admin_client, placement, path):
    response = admin_client.get(f"/admin/campaigns/placement/{placement.pk}/{path}")

    assert response.status_code == 404


@pytest.mark.django_db
def test_posters_need_a_staff_login(client, placement):
    response = client.get(f"/admin/campaigns/placement/{placement.pk}/affiche-a4.pdf")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_long_slogan_shrinks_then_is_cut_rather_than_leaving_the_band(tmp_path):
    long_text = PosterText(
        **{**TEXT.__dict__, "title": "Ici, on vit ce qu'on aime, " * 12 + "fin."}
    )
    fmt = POSTER_FORMATS["a4"]
    (tmp_path / "long.pdf").write_bytes(poster_pdf(URL, fmt=fmt, text=long_text))

    text = poppler("pdftotext", "-layout", tmp_path / "long.pdf", "-")

    assert "…" in text and "fin." not in text
    assert decoded(rendered((tmp_path / "long.pdf").read_bytes(), tmp_path, 100)) == [URL]


@pytest.mark.django_db
def test_a_machine_without_the_font_says_which_package_to_install(
    admin_client, placement, monkeypatch, tmp_path
):
    monkeypatch.setattr(fonts, "FONT_DIR", tmp_path)
    monkeypatch.setattr(pdfmetrics, "getRegisteredFontNames", lambda: [])

    response = admin_client.get(f"/admin/campaigns/placement/{placement.pk}/affiche-a4.pdf")

    assert response.status_code == 503
    assert "fonts-dejavu-core" in response.content.decode()


def test_a_light_campaign_colour_gets_dark_words_in_the_band():
    light = PosterText(**{**TEXT.__dict__, "primary_color": "#f2b13b"})
    fmt = POSTER_FORMATS["a4"]

    shapes = layout.poster_layout(URL, fmt, light, with_logo=True)

    band = next(s for s in shapes if isinstance(s, layout.Box))
    title = next(s for s in shapes if isinstance(s, layout.Text) and s.text == light.title)
    assert band.colour == "#f2b13b" and band.y <= title.y <= band.y + band.h
    assert theme.contrast_ratio(title.colour, band.colour) >= 4.5


def test_the_print_doc_table_is_the_formats_table():
    """docs/print.md states each format's size, bleed, marks and reading distance: the code's."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "print.md").read_text()
    rows = {
        line.split("|")[1].strip().split("`")[1]: [cell.strip() for cell in line.split("|")[2:-1]]
        for line in doc.splitlines()
        if line.startswith("| `")
    }

    def number(value: float) -> str:
        return f"{value:g}"

    assert set(rows) == set(POSTER_FORMATS)
    for slug, fmt in POSTER_FORMATS.items():
        _file, size, bleed, marks, module, distance = rows[slug]
        unit = "mm" if fmt.is_print else "px"
        assert size == f"{number(fmt.width)} × {number(fmt.height)} {unit}"
        if fmt.is_print:
            assert bleed == f"{number(fmt.bleed)} mm"
            assert marks == f"{number(fmt.marks)} mm, {number(fmt.mark_width)} pt"
            assert module == f"{number(fmt.module_min)} mm"
            assert distance == f"{number(fmt.scan_distance)} m"


def test_a_long_place_name_never_runs_into_the_code_at_the_foot():
    long_place = PosterText(
        **{**TEXT.__dict__, "place_name": "Gare Saint-Charles, hall 1, " * 8 + "quai Z"}
    )
    fmt = POSTER_FORMATS["a4"]

    shapes = layout.poster_layout(URL, fmt, long_place, with_logo=True)

    place, code = (
        s for s in shapes if isinstance(s, layout.Text) and s.text.startswith(("Empl", "Code"))
    )
    place_end = place.x + pdfmetrics.stringWidth(place.text, place.font, place.size)
    code_start = code.x - pdfmetrics.stringWidth(code.text, code.font, code.size)
    assert place.text.endswith("…") and place_end < code_start


@pytest.mark.django_db
def test_without_crop_marks_the_page_is_the_bleed_box(admin_client, placement, tmp_path):
    """For print shops that place their own marks: the same poster, bleed only."""
    html = admin_client.get(f"/admin/campaigns/placement/{placement.pk}/change/").content.decode()
    link = f"/admin/campaigns/placement/{placement.pk}/affiche-a3.pdf?traits=0"
    assert f'href="{link}"' in html

    response = admin_client.get(link)

    assert response["Content-Disposition"].endswith(f'{placement.code}-sans-traits.pdf"')
    page = PdfReader(io.BytesIO(response.content)).pages[0]
    fmt = POSTER_FORMATS["a3"]
    assert [round(float(v) / MM, 1) for v in page.mediabox] == [
        0,
        0,
        fmt.width + 2 * fmt.bleed,
        fmt.height + 2 * fmt.bleed,
    ]
    assert list(page.bleedbox) == list(page.mediabox)
    image = rendered(response.content, tmp_path, 72)
    assert image.getpixel((1, 1)) == (0x9C, 0x3D, 0x1F)  # the band's colour to the page's edge
    assert decoded(image) == [printing.placement_scan_url(placement)]
