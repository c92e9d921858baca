"""The whole campaign home kept in the page cache (issue 18: the layout was rendered per request
around the cached body, the home served 28–33 % of a bare view's throughput).

A plain request (no query string, no flash message) gets the cached page without rendering a
template, with the same security headers and no cookie; whatever the home shows invalidates it
as before: a published testimonial, a campaign or key figure edit, the language.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from ambassadors.models import Status
from campaigns import pagecache
from campaigns.models import Campaign, KeyFigure
from campaigns.services import campaign_preview_token
from showcase import views

pytestmark = pytest.mark.django_db


def _get(client: Client, path: str = "/"):
    response = client.get(path)
    assert response.status_code == 200
    return response


def test_a_cached_home_renders_no_template(client, live_campaign):
    """Reproduction: every request rendered base.html and page.html around the cached body
    (about 0.7 ms of the home's 1.0 ms of CPU), the bare view's throughput fell to 28–33 %."""
    first = _get(client)
    assert "showcase/page.html" in [t.name for t in first.templates]

    second = _get(client)

    assert second.templates == []
    assert second.content == first.content
    assert "Ici, on vit ce qu&#x27;on aime." in second.content.decode()


def test_the_cached_home_has_the_same_headers_and_sets_no_cookie(client, live_campaign):
    first, second = _get(client), _get(client)

    assert second.templates == []  # the second one is the cached page
    for response in (first, second):
        assert response.cookies == {}
        assert "Set-Cookie" not in response
        assert "Cookie" not in response.get("Vary", "")
        assert response["Content-Language"] == "fr"
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
    headers = [
        {k: v for k, v in r.items() if k != "Content-Security-Policy"} for r in (first, second)
    ]
    assert headers[0] == headers[1]

    def policy(response) -> dict[str, set[str]]:
        directives = (part.split() for part in response["Content-Security-Policy"].split(";"))
        return {words[0]: set(words[1:]) for words in directives}

    assert policy(first) == policy(second)
    # The strict policy, untouched: scripts from the site only, no inline style or script.
    assert policy(second)["script-src"] == {"'self'"}
    assert policy(second)["style-src"] == {"'self'"}
    assert "nonce" not in second.content.decode()


def test_the_english_home_is_its_own_page(client, live_campaign):
    french, english = _get(client), _get(client, "/en/")
    english_again = _get(client, "/en/")

    assert english_again.templates == []
    assert english_again["Content-Language"] == "en"
    assert '<html lang="en">' in english_again.content.decode()
    assert "Here, we live what we love." in english_again.content.decode()
    assert french.content != english.content
    assert _get(client).content == french.content
    assert _get(client)["Content-Language"] == "fr"


def test_publishing_a_testimonial_shows_on_the_cached_home(
    client, live_campaign, make_testimonial, django_capture_on_commit_callbacks
):
    assert "Zoé" not in _get(client).content.decode()
    assert _get(client).templates == []  # cached

    with django_capture_on_commit_callbacks(execute=True):
        testimonial = make_testimonial(
            status=Status.APPROVED, display_name="Zoé", quote="La mer en bas du bureau."
        )
    assert "Zoé" not in _get(client).content.decode()  # approved is not published

    with django_capture_on_commit_callbacks(execute=True):
        testimonial.status = Status.PUBLISHED
        testimonial.published_at = timezone.now()
        testimonial.save()

    assert "Zoé" in _get(client).content.decode()
    assert "La mer en bas du bureau." in _get(client, "/en/").content.decode()


def test_a_campaign_edit_and_a_figure_edit_show_on_the_cached_home(
    client, live_campaign, django_capture_on_commit_callbacks
):
    _get(client)
    assert _get(client).templates == []

    with django_capture_on_commit_callbacks(execute=True):
        live_campaign.hero_title = "Ici, on respire."
        live_campaign.save()
    assert "Ici, on respire." in _get(client).content.decode()

    figure = KeyFigure.objects.filter(source_name="Bloom Consulting").first()
    with django_capture_on_commit_callbacks(execute=True):
        figure.source_name = "Bloom Consulting, édition 2026"
        figure.save()
    assert "Bloom Consulting, édition 2026" in _get(client).content.decode()


def test_the_staff_preview_is_never_the_public_home(client, admin_client, live_campaign):
    draft = Campaign.objects.create(
        name="Printemps", slug="printemps", starts_on="2027-03-01", hero_title="Bientôt"
    )
    link = f"/campagne/apercu/{campaign_preview_token(campaign_id=draft.pk)}/"
    for who in (admin_client, client):
        preview = _get(who, link)
        assert "Bientôt" in preview.content.decode()
        assert preview["Cache-Control"] == "private, no-store"
        assert "showcase/page.html" in [t.name for t in preview.templates]  # rendered each time

    for who in (admin_client, client, Client()):
        html = _get(who).content.decode()
        assert "Bientôt" not in html and "Aperçu de" not in html
        assert "Ici, on vit ce qu&#x27;on aime." in html


def test_a_flash_message_is_shown_once_and_never_cached(client, live_campaign):
    """A message left for the next page (the messages cookie) is shown on the home it lands
    on: that page is rendered for the request, and the cached home stays without it."""
    _get(client)
    assert _get(client).templates == []
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(constants.SUCCESS, "Merci, votre vidéo est bien arrivée.")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies[storage.cookie_name] = carrier.cookies[storage.cookie_name].value

    with_message = _get(client)

    assert "Merci, votre vidéo est bien arrivée." in with_message.content.decode()
    assert with_message.templates != []
    assert "Merci" not in _get(Client()).content.decode()
    assert "Merci" not in _get(client).content.decode()  # shown once


def test_a_query_string_is_kept_in_the_language_link_and_not_cached(client, live_campaign):
    """The language link repeats the query string (`page_in_language`): a page with one is
    rendered for the request, and never served to another."""
    _get(client)
    tagged = _get(client, "/?utm_source=affiche")

    assert 'href="/en/?utm_source=affiche"' in tagged.content.decode()
    assert "utm_source" not in _get(client).content.decode()
    assert 'href="/en/"' in _get(client).content.decode()


def test_a_page_reading_the_csp_nonce_is_not_cached(client, live_campaign, settings, tmp_path):
    """A cached page cannot carry a fresh nonce: should a template of the page ever read one,
    the page is rendered per request, its nonce matching the header's."""
    folder = Path(tmp_path) / "templates" / "showcase"
    folder.mkdir(parents=True)
    folder.joinpath("page.html").write_text(
        '{% extends "base.html" %}{% block scripts %}'
        '<script nonce="{{ request.csp_nonce }}">1</script>{% endblock %}'
    )
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "DIRS": [str(Path(tmp_path) / "templates"), *settings.TEMPLATES[0]["DIRS"]],
        }
    ]

    nonces = []
    for _ in range(2):
        response = _get(client)
        (nonce,) = re.findall(r'<script nonce="([^"]+)">', response.content.decode())
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        nonces.append(nonce)

    assert nonces[0] != nonces[1]


def _wait(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _home_kept_here() -> bool:
    return pagecache._local.get(f"home:fr:html:{views._layout_build()}") is not None


def _served_here(client: Client) -> bytes:
    """The home once this process keeps it (its subscription to the changes confirmed)."""
    _get(client)
    assert _wait(lambda: pagecache._local._listening)
    content = _get(client).content  # read after the subscription: kept here
    assert _home_kept_here()
    return content


def test_the_home_is_served_from_the_process_without_a_round_trip(client, live_campaign):
    """Reproduction: after the whole page was cached, one Redis read per request still cost a
    gunicorn worker ~250 µs of CPU (bench: the bare view plus one MGET = 59 % of the bare view)."""
    content = _served_here(client)
    # Even the shared copy and the version gone (not a change: nothing published), the process
    # answers from its own copy: no request reached Redis.
    cache.delete_many(
        [pagecache.PAGES_VERSION.key, f"campaigns:page:home:fr:html:{views._layout_build()}"]
    )

    again = _get(client)

    assert again.templates == []
    assert again.content == content


def test_a_change_made_in_another_process_reaches_the_copy_kept_here(client, live_campaign):
    """A worker publishing a testimonial bumps the version in another process: the copy kept
    here is forgotten when the change is heard, and the next request rebuilds the page."""
    _served_here(client)

    subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from campaigns.pagecache import content_changed; content_changed()",
        ],
        cwd=settings.BASE_DIR,
        env={**os.environ, "REDIS_URL": settings.CACHES["default"]["LOCATION"]},
        check=True,
        timeout=60,
    )

    assert _wait(lambda: not _home_kept_here(), 2.0)
    assert _get(client).templates != []  # rebuilt


def test_an_erasure_forgets_the_copy_kept_here(client, live_campaign):
    _served_here(client)

    pagecache.pages_forget()

    assert not _home_kept_here()
    assert _get(client).templates != []


def test_without_the_subscription_nothing_is_kept_here(client, live_campaign):
    """Redis restarted or the connection cut: a change published meanwhile would be missed, so
    the copies go and every request reads the cache until the subscription is back."""
    _served_here(client)
    redis = pagecache._redis_client(pagecache._redis_backend())
    # Only this process's listener (its Redis db): killing every subscriber on the server cut
    # the other xdist worker's listener in the middle of its own test (CI: "Connection closed
    # by server" in test_a_quiet_subscription_stays_alive).
    database = int(redis.connection_pool.connection_kwargs.get("db", 0))
    subscribers = [
        c["id"]
        for c in redis.client_list()
        if c.get("cmd") in ("subscribe", "ping")
        and int(c.get("sub", 0))
        and int(c.get("db", -1)) == database
    ]
    assert subscribers
    for client_id in subscribers:
        redis.client_kill_filter(_id=client_id)

    assert _wait(lambda: not pagecache._local._listening, 2.0)
    assert not _home_kept_here()
    assert _get(client).templates == []  # still the shared copy
    assert _wait(lambda: pagecache._local._listening, 5.0)  # back


def test_a_quiet_subscription_stays_alive(client, live_campaign, monkeypatch):
    """Without changes the listener checks its connection with PING: each PONG keeps the
    copies (a missing one would drop them and resubscribe)."""
    _served_here(client)
    generation = pagecache._local._generation
    monkeypatch.setattr(pagecache, "LISTEN_PING_SECONDS", 0.1)

    time.sleep(pagecache.LISTEN_PING_SECONDS + 5.5)  # the wait under way, then many PINGs

    assert pagecache._local._listening
    assert pagecache._local._generation == generation
    assert _home_kept_here()


def test_with_the_cache_unreachable_the_home_is_rendered(client, live_campaign, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }

    for _ in range(2):
        response = _get(client)
        assert response.templates != []
        assert "Ici, on vit ce qu&#x27;on aime." in response.content.decode()
