"""The one cache-version helper (onprovence.cacheversion), used by the campaign pages and the
published testimonials' feeds and embeds."""

import logging
import socket

import pytest
from django.core.cache import cache

from ambassadors.selectors import PUBLISHED_VERSION_KEY, testimonials_published_version
from onprovence.cacheversion import CacheVersion


@pytest.fixture
def redis_cache_down(settings):
    """The cache pointed at a loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }


def test_a_bump_moves_the_version_by_one_for_every_reader():
    version = CacheVersion("tests:version")
    before = version.current()

    version.bump()

    assert version.current() == before + 1
    assert CacheVersion("tests:version").current() == before + 1  # another reader, same number


def test_a_lost_version_never_comes_back_to_a_number_that_keyed_old_copies():
    # Reproduction: with a version that restarts at 1, copies keyed "1" and "2" before the key
    # was lost (evicted, flushed, or deleted on purpose as moderation does) were served again.
    version = CacheVersion("tests:version")
    seen = {version.current()}
    for _ in range(3):
        version.bump()
        seen.add(version.current())

    cache.delete("tests:version")

    assert version.current() not in seen


def test_a_bump_before_any_read_changes_nothing_and_raises_nothing():
    version = CacheVersion("tests:never-read")

    version.bump()

    assert cache.get("tests:never-read") is None


def test_a_bump_with_the_cache_away_is_logged_not_raised(redis_cache_down, caplog):
    with caplog.at_level(logging.WARNING, logger="onprovence.cacheversion"):
        CacheVersion("tests:version").bump()

    assert "could not bump the cache version tests:version" in caplog.text


def test_deleting_the_published_key_gives_feeds_a_new_version():
    # What ambassadors' moderation does when the published set changes.
    before = testimonials_published_version()

    cache.delete(PUBLISHED_VERSION_KEY)

    assert testimonials_published_version() != before
