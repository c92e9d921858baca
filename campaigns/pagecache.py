"""Rendered campaign pages kept in the cache until campaign content or a testimonial changes.

A version number in the cache (`onprovence.cacheversion`) says which copies are current: any
change that a public page shows bumps it (campaigns' own models in `receivers`, testimonials
and kit assets in the app that composes the pages, `showcase`), so pages are never stale and
never rebuilt for nothing. Each page is kept under one key with the version it was built at,
and read together with the current version in one round trip to the cache (one `MGET`): a copy
of another version is rebuilt. When the cache is unreachable, pages are rendered on every
request instead of failing.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache

from onprovence.cacheversion import CacheVersion
from onprovence.erasure import cache_forget

logger = logging.getLogger(__name__)

PAGES_VERSION = CacheVersion("campaigns:content-version")
PAGE_TIMEOUT_SECONDS = 3600
PAGE_KEY_PREFIX = "campaigns:page:"


def content_changed() -> None:
    """Make every cached campaign page stale (called on commit of a change they show)."""
    PAGES_VERSION.bump()


def _read_many(keys: list[str]) -> dict:
    """`cache.get_many(keys)`, one `MGET` on Redis with a client kept for the process.

    Django's Redis backend builds a new `redis.Redis` client (and its table of response
    callbacks) on every call: about 50 µs, a quarter of a cached page's own cost. The client
    here shares the backend's connection pool, key function and serializer, so it reads
    exactly what `cache.set` wrote.
    """
    backend: Any = caches[DEFAULT_CACHE_ALIAS]  # what `cache` stands for in this thread
    if not isinstance(backend, RedisCache):
        return cache.get_many(keys)
    redis: Any = backend._cache  # Django's RedisCacheClient (its private parts, read only)
    client = getattr(backend, "_pages_client", None)
    if client is None:
        client = redis._client(connection_pool=redis._get_connection_pool(write=False))
        setattr(backend, "_pages_client", client)  # noqa: B010 (not an attribute of its class)
    values = client.mget([backend.make_and_validate_key(key) for key in keys])
    loads = redis._serializer.loads
    return {key: loads(value) for key, value in zip(keys, values, strict=True) if value is not None}


def _always(page: dict) -> bool:
    return True


def cached_page(
    name: str, build: Callable[[], dict], *, keep: Callable[[dict], bool] = _always
) -> dict:
    """Return `build()` (a dict of rendered strings) from the cache, or build and keep it.

    `keep(page)` may refuse to keep a fresh page (it is returned all the same): for a page
    that turned out to depend on the request.
    """
    key = f"{PAGE_KEY_PREFIX}{name}"
    try:
        found = _read_many([PAGES_VERSION.key, key])
        version = found.get(PAGES_VERSION.key)
        if version is None:  # lost or never started: start one (nothing matches it)
            version = PAGES_VERSION.current()
    except Exception as error:
        logger.warning("campaign page cache unavailable: %s", error)
        return build()
    stored = found.get(key)
    if stored is not None and stored[0] == version:
        return stored[1]
    page = build()
    if keep(page):
        try:
            # Built from what was read after `version` was: at worst a copy made while a
            # change landed is labelled with the older version, and rebuilt once more.
            cache.set(key, (version, page), PAGE_TIMEOUT_SECONDS)
        except Exception as error:
            logger.warning("campaign page cache unavailable: %s", error)
    return page


def pages_forget() -> None:
    """Make every cached campaign page stale and delete the copies (an erasure: none may stay
    in the cache until it expires)."""
    content_changed()
    cache_forget(patterns=[f"{PAGE_KEY_PREFIX}*"])
