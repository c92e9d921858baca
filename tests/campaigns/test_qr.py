"""QR rendering round trip: every generated code decodes back to its URL (zxing-cpp)."""

import io

import pytest
import zxingcpp
from PIL import Image

from campaigns import qr

URL = "https://ambassadeurs.onprovence.fr/q/Xy_9-kQ2"


def decoded(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("size", qr.PNG_SIZES)
@pytest.mark.parametrize("with_logo", [False, True], ids=["plain", "logo"])
def test_every_png_size_decodes_back_to_its_url(size, with_logo):
    logo = qr.brand_mark() if with_logo else None

    image = Image.open(io.BytesIO(qr.qr_png(URL, size=size, logo=logo)))

    assert image.format == "PNG" and image.size == (size, size)
    assert decoded(image) == [URL]


def test_a_code_keeps_a_white_quiet_zone_of_four_modules():
    matrix = qr.qr_matrix(URL, with_logo=False)
    image = qr.qr_image(URL, size=1024)
    module = 1024 // len(matrix)
    margin = (1024 - module * len(matrix)) // 2 + 4 * module

    gray = image.convert("L")
    for edge in (
        gray.crop((0, 0, 1024, margin)),
        gray.crop((0, 1024 - margin, 1024, 1024)),
        gray.crop((0, 0, margin, 1024)),
        gray.crop((1024 - margin, 0, 1024, 1024)),
    ):
        assert edge.getextrema() == (255, 255)
    assert gray.getpixel((margin, margin)) < 128  # the finder pattern starts right there


def test_a_logo_raises_error_correction_to_h():
    plain = qr.qr_matrix(URL, with_logo=False)
    with_logo = qr.qr_matrix(URL, with_logo=True)

    # Same data at level H needs more modules than at level M.
    assert len(with_logo) > len(plain)
    png = qr.qr_image(URL, size=512, logo=qr.brand_mark())
    result = zxingcpp.read_barcodes(png)[0]
    assert result.ec_level == "H"


def test_too_small_or_huge_png_sizes_are_refused():
    with pytest.raises(ValueError, match="between 64 and 4096"):
        qr.qr_png(URL, size=10_000)
    with pytest.raises(ValueError, match="too small"):
        qr.qr_png("https://example.org/" + "x" * 300, size=64)


@pytest.mark.browser
@pytest.mark.parametrize("with_logo", [False, True], ids=["plain", "logo"])
def test_the_svg_rasterised_by_chromium_decodes_back_to_its_url(browser, with_logo):
    svg = qr.qr_svg(URL, logo=qr.brand_mark() if with_logo else None).decode()
    page = browser.new_page(viewport={"width": 600, "height": 600})
    try:
        page.set_content(
            "<html><body style='margin:0;background:#fff'>"
            + svg.replace("<svg ", '<svg style="width:560px;height:560px" ', 1)
            + "</body></html>"
        )
        png = page.screenshot()
    finally:
        page.close()

    assert decoded(Image.open(io.BytesIO(png))) == [URL]
