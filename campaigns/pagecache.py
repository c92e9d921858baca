"""Rendered campaign pages kept in the cache until campaign content or a testimonial changes.

A version number in the cache is part of every page key; any change that a public page shows
bumps it (signals in apps.py), so pages are never stale and never rebuilt for nothing. When
the cache is unreachable, pages are rendered on every request instead of failing.
"""

import logging
from collections.abc import Callable

from django.core.cache import cache

logger = logging.getLogger(__name__)

VERSION_KEY = "campaigns:content-version"
PAGE_TIMEOUT_SECONDS = 3600


def _version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def content_changed() -> None:
    """Make every cached campaign page stale (called on commit of a change they show)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet: nothing cached under it
        cache.add(VERSION_KEY, 1, timeout=None)
    except Exception as error:
        logger.warning("could not bump the campaign pages version: %s", error)


def cached_page(name: str, build: Callable[[], dict]) -> dict:
    """Return `build()` (a dict of rendered strings) from the cache, or build and keep it."""
    try:
        key = f"campaigns:page:{name}:{_version()}"
        page = cache.get(key)
    except Exception as error:
        logger.warning("campaign page cache unavailable: %s", error)
        return build()
    if page is None:
        page = build()
        try:
            cache.set(key, page, PAGE_TIMEOUT_SECONDS)
        except Exception as error:
            logger.warning("campaign page cache unavailable: %s", error)
    return page


def pages_forget() -> None:
    """Make every cached campaign page stale and delete the copies (an erasure: none may stay
    in the cache until it expires)."""
    from onprovence.erasure import cache_forget

    content_changed()
    cache_forget(patterns=["campaigns:page:*"])
