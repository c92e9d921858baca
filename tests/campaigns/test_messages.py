"""Messages of the QR redirect: every /q/ address that is not a running code answers the
scan's own page with the same headers as the "poster ended" page (410)."""

import pytest

SECURITY_HEADERS = {
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Cache-Control",
    "Content-Language",
}


def _value(header: str) -> set[str]:
    """A header's directives, in any order (the CSP's order is not fixed)."""
    return {part.strip() for part in header.split(";")}


@pytest.fixture
def ended_headers(client, placement, yesterday):
    placement.ends_on = yesterday
    placement.save(update_fields=["ends_on"])
    response = client.get(f"/q/{placement.code}")
    assert response.status_code == 410
    assert set(response.headers) >= SECURITY_HEADERS
    return response.headers


@pytest.mark.parametrize("url", ["/q/nope", "/q/nope/", "/q/", "/q/a/b", "/Q/nope", "/q/a%00b"])
def test_every_unknown_q_address_gets_the_scan_page_with_the_410s_headers(
    client, ended_headers, url
):
    """Reproduction: /q/ and /q/a/b (a code cut or extended by a bad copy) got the site's
    generic 404, without the scan page's `Cache-Control: no-store` and `Content-Language`."""
    for method in (client.get, client.head):
        response = method(url)

        assert response.status_code == 404
        assert set(response.headers) >= SECURITY_HEADERS, url
        for name in SECURITY_HEADERS:
            assert _value(response.headers[name]) == _value(ended_headers[name]), name
    page = client.get(url).content.decode()
    assert "Ce QR code ne nous dit rien" in page


def test_a_code_typed_all_in_capitals_with_the_q_too_resolves(client, placement):
    response = client.get(f"/Q/{placement.code.upper()}")

    assert response.status_code == 302
    assert response["Location"] == f"/ambassadeurs/?p={placement.code}"


@pytest.mark.parametrize("size", ["abc", "1e3", "-512", "12", "100000", "٣٠٠"])
def test_a_wrong_png_size_answers_a_sentence_not_a_python_error(admin_client, placement, size):
    """Reproduction: `qr.png?size=abc` answered Python's "invalid literal for int() with base
    10: 'abc'", and 100 px (below the documented 256) was served."""
    url = f"/admin/campaigns/placement/{placement.pk}/qr.png?size={size}"
    response = admin_client.get(url)
    assert response.status_code == 400
    text = response.content.decode()
    assert "entre 256 et 4096" in text and "invalid literal" not in text


@pytest.mark.parametrize("size", [256, 4096])
def test_the_documented_png_sizes_are_served(admin_client, placement, size):
    response = admin_client.get(f"/admin/campaigns/placement/{placement.pk}/qr.png?size={size}")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
