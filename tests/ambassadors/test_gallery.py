"""The public gallery, the testimonial page and its player: only `published` ever appears."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ambassadors.models import Status, Testimonial
from ambassadors.services import decisions, publication
from ambassadors.services.captions import testimonial_captions_set
from campaigns.models import Sector

from .moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db


@pytest.fixture
def publish(make_testimonial, moderator, django_capture_on_commit_callbacks):
    """Create an approved testimonial and publish it through the service."""

    def make(**fields) -> Testimonial:
        testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now(), **fields)
        with django_capture_on_commit_callbacks(execute=True):
            publication.testimonial_publish(testimonial_id=testimonial.pk)
        testimonial.refresh_from_db()
        return testimonial

    return make


def test_the_gallery_shows_published_testimonials_only(client, publish, make_testimonial):
    publish(display_name="Published Léa")
    for status in (Status.IN_REVIEW, Status.APPROVED, Status.REJECTED, Status.WITHDRAWN):
        make_testimonial(status, display_name=f"Hidden {status}")

    response = client.get("/temoignages/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Published Léa" in html
    assert "Hidden" not in html
    assert "1 témoignage" in html
    assert "onprovence-private" not in html
    assert "Set-Cookie" not in str(response.headers)
    assert not response.cookies


def test_the_gallery_filters_by_sector_and_commune(client, publish):
    energy = Sector.objects.get(slug="energie")
    publish(display_name="Aero Marignane")
    publish(display_name="Energy Fos", sector=energy, commune="Fos-sur-Mer")

    by_sector = client.get("/temoignages/?secteur=energie").content.decode()
    by_commune = client.get("/temoignages/?commune=Marignane").content.decode()
    unknown = client.get("/temoignages/?secteur=nope&commune=Atlantis").content.decode()

    assert "Energy Fos" in by_sector and "Aero Marignane" not in by_sector
    assert "Aero Marignane" in by_commune and "Energy Fos" not in by_commune
    assert "Aero Marignane" in unknown and "Energy Fos" in unknown
    assert '<option value="Fos-sur-Mer">Fos-sur-Mer</option>' in unknown


def test_featured_testimonials_come_first(client, publish, moderator):
    first = publish(display_name="Earlier featured")
    publish(display_name="Later plain")
    decisions.testimonial_feature(testimonial_id=first.pk, actor=moderator)

    html = client.get("/temoignages/").content.decode()

    assert html.index("Earlier featured") < html.index("Later plain")


def test_the_gallery_runs_a_fixed_number_of_queries(client, publish, django_assert_num_queries):
    publish()
    with CaptureQueriesContext(connection) as one:
        client.get("/temoignages/")
    for _ in range(9):
        publish()

    with django_assert_num_queries(len(one.captured_queries)):
        html = client.get("/temoignages/").content.decode()

    assert len(one.captured_queries) == 4  # sectors, communes, count, page
    assert html.count('<article class="testimonial-card') == 10


def test_the_testimonial_page_has_the_public_video_poster_captions_and_sharing_tags(
    client, publish, moderator
):
    testimonial = publish()
    testimonial_captions_set(
        testimonial_id=testimonial.pk,
        actor=moderator,
        text="WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nBonjour\n",
    )
    public = f"onprovence-public/testimonials/{testimonial.pk}"

    response = client.get(f"/temoignages/{testimonial.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        '<source src="http://127.0.0.1:' in html and f'{public}/web.mp4" type="video/mp4">' in html
    )
    assert re.search(rf'poster="[^"]+{public}/poster.jpg"', html)
    assert (
        f'<track kind="captions" src="/temoignages/{testimonial.pk}/sous-titres.vtt" '
        'srclang="fr" label="Français" default>'
    ) in html
    assert '<meta property="og:type" content="video.other">' in html
    assert re.search(rf'<meta property="og:video" content="http[^"]+{public}/web.mp4">', html)
    assert '<meta property="og:video:type" content="video/mp4">' in html
    assert '<meta property="og:video:width" content="320">' in html
    assert re.search(rf'<meta property="og:image" content="http[^"]+{public}/poster.jpg">', html)
    assert '<meta name="twitter:card" content="player">' in html
    assert (
        f'<meta name="twitter:player" content="http://localhost:8000/temoignages/'
        f'{testimonial.pk}/lecteur/">'
    ) in html
    assert "X-Amz-Signature" not in html
    assert "Martin" not in html and "lea.martin@example.org" not in html
    captions = client.get(f"/temoignages/{testimonial.pk}/sous-titres.vtt")
    assert captions["Content-Type"] == "text/vtt; charset=utf-8"
    assert captions.content == b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nBonjour\n"


def test_the_testimonial_page_lists_job_town_and_sector_as_separate_items(client, publish):
    testimonial = publish()

    html = client.get(f"/temoignages/{testimonial.pk}/").content.decode()

    # A list, so they are read one by one, not run together ("Ingénieure avionique Marignane").
    assert (
        '<ul class="testimonial-page__meta"><li>Ingénieure avionique</li><li>Marignane</li>'
        '<li><a href="/temoignages/?secteur=aeronautique">'
    ) in html


def test_the_player_can_be_framed_by_other_sites_but_pages_cannot(client, publish):
    testimonial = publish()

    player = client.get(f"/temoignages/{testimonial.pk}/lecteur/")
    page = client.get(f"/temoignages/{testimonial.pk}/")

    assert player.status_code == 200
    assert "X-Frame-Options" not in player.headers
    assert "frame-ancestors *" in player["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


def test_an_unpublished_testimonial_has_no_page(client, make_testimonial):
    for status in (Status.IN_REVIEW, Status.APPROVED):
        testimonial = make_testimonial(status)
        for path in ("", "lecteur/", "sous-titres.vtt"):
            assert client.get(f"/temoignages/{testimonial.pk}/{path}").status_code == 404


def test_unpublish_and_erase_remove_it_from_every_page_at_once(
    client, publish, moderator, django_capture_on_commit_callbacks
):
    kept, unpublished, erased = publish(), publish(), publish()
    for testimonial in (kept, unpublished, erased):
        assert client.get(f"/temoignages/{testimonial.pk}/").status_code == 200
        # Warm the feed cache: it must not outlive the removals.
    assert str(erased.pk) in client.get("/temoignages/flux.json").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        publication.testimonial_unpublish(testimonial_id=unpublished.pk, actor=moderator)
        decisions.testimonial_withdraw_by_staff(testimonial_id=erased.pk, actor=moderator)

    gallery = client.get("/temoignages/").content.decode()
    for gone in (unpublished, erased):
        for path in ("", "lecteur/", "sous-titres.vtt"):
            assert client.get(f"/temoignages/{gone.pk}/{path}").status_code == 404
        assert str(gone.pk) not in gallery
        for feed in ("flux.rss", "flux.atom", "flux.json"):
            assert str(gone.pk) not in client.get(f"/temoignages/{feed}").content.decode()
    assert str(kept.pk) in gallery
    assert str(kept.pk) in client.get("/temoignages/flux.json").content.decode()


def test_the_gallery_in_english(client, publish):
    publish()

    html = client.get("/en/temoignages/").content.decode()

    assert '<html lang="en">' in html
    assert "Their Provence, in their words" in html
    assert "All sectors" in html
    assert "Aeronautics" in html


@pytest.mark.parametrize(
    ("probe", "size"),
    [
        ({"video": {"display_width": 1080, "display_height": 1920}}, (720, 1280)),
        ({"video": {"width": 3840, "height": 2160}}, (1280, 720)),
        ({"video": {"width": 640, "height": 360}}, (640, 360)),
        ({}, (1280, 720)),
    ],
)
def test_sharing_tags_and_player_use_the_web_renditions_size(probe, size):
    from ambassadors.templatetags.gallery import web_size

    assert web_size(Testimonial(probe=probe)) == {"width": size[0], "height": size[1]}


def test_the_gallery_its_pages_and_feeds_answer_head_as_get(client, publish):
    """Uptime monitors and link checkers ask with HEAD: same status and headers, no body."""
    testimonial = publish(display_name="Léa")
    for path in (
        "/temoignages/",
        f"/temoignages/{testimonial.pk}/",
        "/temoignages/flux.rss",
        "/temoignages/flux.atom",
        "/temoignages/flux.json",
    ):
        get = client.get(path)
        head = client.head(path)
        assert (path, get.status_code, head.status_code) == (path, 200, 200)
        assert head["Content-Type"] == get["Content-Type"]
        assert head.content == b""
