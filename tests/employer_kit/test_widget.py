"""The embeddable widget and its oEmbed endpoint."""

import pytest

from ambassadors.models import Status, Testimonial

pytestmark = pytest.mark.django_db


@pytest.fixture
def testimonials(published_testimonial, kit_content):
    hidden = Testimonial.objects.create(
        status=Status.APPROVED, display_name="Pas encore publié", sector=kit_content["aero"]
    )
    energy = Testimonial.objects.create(
        status=Status.PUBLISHED, display_name="Marc, technicien", sector=kit_content["energy"]
    )
    return published_testimonial, hidden, energy


def test_widget_shows_published_testimonials_of_the_sector_only(client, testimonials):
    response = client.get("/kit/widget/?secteur=aeronautique")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Léa, ingénieure" in page
    assert "Pas encore publié" not in page
    assert "Marc, technicien" not in page
    assert f"testimonials/{testimonials[0].pk}/web.mp4" in page
    assert 'type="application/json+oembed"' in page
    assert "lea@example.org" not in page


def test_widget_is_the_one_page_allowed_in_frames_and_sets_no_cookie(client, testimonials):
    widget = client.get("/kit/widget/")
    kit = client.get("/kit/")

    assert widget.cookies == {}
    assert "X-Frame-Options" not in widget
    assert "frame-ancestors *" in widget["Content-Security-Policy"]
    assert "script-src" in widget["Content-Security-Policy"]
    assert widget["Cache-Control"] == "public, max-age=60"
    assert kit["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in kit["Content-Security-Policy"]


def test_oembed_returns_a_rich_iframe_for_a_widget_url(client, settings, testimonials):
    url = f"{settings.SITE_URL}/en/kit/widget/?secteur=aeronautique"

    response = client.get("/kit/oembed/", {"url": url, "maxwidth": "400"})

    data = response.json()
    assert data["type"] == "rich" and data["version"] == "1.0"
    assert data["width"] == 400
    assert f'src="{url}"' in data["html"]
    assert data["html"].startswith("<iframe ")
    assert data["title"] == "One Provence — Tous Ambassadeurs · Aeronautics"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"url": "https://evil.example/kit/widget/"}, 404),
        ({"url": "http://localhost:8000/kit/"}, 404),
        ({"url": "http://localhost:8000/kit/widget/", "format": "xml"}, 501),
    ],
)
def test_oembed_refuses_other_urls_and_formats(client, params, status):
    assert client.get("/kit/oembed/", params).status_code == status


def test_widget_oembed_and_kit_answer_head_as_get(client, settings, testimonials):
    """Link checkers and oEmbed consumers may ask with HEAD first: same answer, no body."""
    for path in (
        "/kit/",
        "/kit/widget/?secteur=aeronautique",
        f"/kit/oembed/?url={settings.SITE_URL}/kit/widget/",
    ):
        get = client.get(path)
        head = client.head(path)
        assert (path, get.status_code, head.status_code) == (path, 200, 200)
        assert head["Content-Type"] == get["Content-Type"]
        assert head.content == b""
