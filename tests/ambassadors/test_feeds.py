"""RSS, Atom and JSON Feed of published testimonials, for social-media tools."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from ambassadors.models import Status
from ambassadors.services import decisions, publication

from .moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db

MEDIA = "{http://search.yahoo.com/mrss/}"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def published(make_testimonial, django_capture_on_commit_callbacks):
    testimonial = make_testimonial(
        Status.APPROVED, publish_at=timezone.now(), tags="drones", duration=64.4
    )
    make_testimonial(Status.APPROVED, display_name="Not yet out")
    with django_capture_on_commit_callbacks(execute=True):
        publication.testimonial_publish(testimonial_id=testimonial.pk)
    testimonial.refresh_from_db()
    return testimonial


def _web_size(testimonial) -> int:
    """The size of the published video as the public store holds it."""
    from ambassadors import keys
    from onprovence.storage import public_storage

    return public_storage().size(keys.testimonial_key(testimonial.pk, keys.WEB))


def _public(testimonial, name: str) -> str:
    return f"/onprovence-public/testimonials/{testimonial.pk}/{name}"


def test_rss_items_carry_title_quote_poster_and_video(client, published):
    response = client.get("/temoignages/flux.rss")

    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    channel = ET.fromstring(response.content).find("channel")
    (item,) = channel.findall("item")
    assert item.findtext("title") == "Léa, ingénieure, aéronautique"
    assert item.findtext("link") == f"http://localhost:8000/temoignages/{published.pk}/"
    assert item.findtext("description") == (
        "« Ici, je travaille sur des hélicoptères et je vais à la plage le soir. »"
    )
    assert item.find("enclosure").get("type") == "video/mp4"
    assert int(item.find("enclosure").get("length")) == _web_size(published) > 0
    assert item.find("enclosure").get("url").endswith(_public(published, "web.mp4"))
    assert item.find(f"{MEDIA}content").get("url").endswith(_public(published, "web.mp4"))
    assert item.find(f"{MEDIA}thumbnail").get("url").endswith(_public(published, "poster.jpg"))
    assert [c.text for c in item.findall("category")] == ["Aéronautique", "drones"]
    assert "Not yet out" not in response.content.decode()


def test_atom_entries_link_the_video_as_an_enclosure(client, published):
    response = client.get("/temoignages/flux.atom")

    feed = ET.fromstring(response.content)
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Léa, ingénieure, aéronautique"
    enclosure = [e for e in entry.findall(f"{ATOM}link") if e.get("rel") == "enclosure"]
    assert enclosure[0].get("href").endswith(_public(published, "web.mp4"))
    assert entry.find(f"{MEDIA}thumbnail").get("url").endswith(_public(published, "poster.jpg"))


def test_json_feed_follows_version_1_1(client, published):
    response = client.get("/temoignages/flux.json")

    assert response["Content-Type"] == "application/feed+json"
    feed = json.loads(response.content)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "http://localhost:8000/temoignages/flux.json"
    (item,) = feed["items"]
    assert item["id"] == str(published.pk)
    assert item["url"] == f"http://localhost:8000/temoignages/{published.pk}/"
    assert item["title"] == "Léa, ingénieure, aéronautique"
    assert item["content_text"].startswith("« Ici, je travaille")
    assert item["image"].endswith(_public(published, "poster.jpg"))
    assert item["tags"] == ["Aéronautique", "drones"]
    assert item["attachments"][0]["url"].endswith(_public(published, "web.mp4"))
    assert item["attachments"][0]["mime_type"] == "video/mp4"
    assert item["attachments"][0]["duration_in_seconds"] == 64
    assert item["attachments"][0]["size_in_bytes"] == _web_size(published)
    assert "lea.martin@example.org" not in response.content.decode()
    assert "Martin" not in response.content.decode()


def test_feeds_are_translated_under_en(client, published):
    feed = json.loads(client.get("/en/temoignages/flux.json").content)

    assert feed["title"] == "Tous Ambassadeurs — testimonials from Aix-Marseille-Provence"
    assert feed["language"] == "en"
    assert feed["items"][0]["title"] == "Léa, ingénieure, aeronautics"


def test_an_edit_of_a_published_testimonial_reaches_the_cached_feed_at_once(
    client, published, moderator, django_capture_on_commit_callbacks
):
    assert "Léa, ingénieure" in client.get("/temoignages/flux.rss").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        decisions.testimonial_edit(
            testimonial_id=published.pk, actor=moderator, changes={"display_name": "Léa B."}
        )

    rss = client.get("/temoignages/flux.rss").content.decode()
    assert "Léa B." in rss and "Léa, ingénieure" not in rss


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/temoignages/flux.rss", "/temoignages/flux.rss"), ("/en/temoignages/flux.atom", None)],
)
def test_the_feed_s_self_link_is_built_from_site_url_not_the_request_s_host(
    client, published, settings, path, expected
):
    """Reproduction: rel="self" was taken from the request's Host and cached, so the first
    request with another allowed host (a preview domain, a raw IP) set the feed's address that
    every reader then got."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "preprod.example"]
    expected = expected or path

    first = client.get(path, HTTP_HOST="preprod.example")
    second = client.get(path)

    for response in (first, second):
        root = ET.fromstring(response.content)
        links = root.iter("{http://www.w3.org/2005/Atom}link")
        [self_link] = [link.get("href") for link in links if link.get("rel") == "self"]
        assert self_link == f"{settings.SITE_URL}{expected}"
