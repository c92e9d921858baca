"""Rendered campaign pages kept in the cache until campaign content or a testimonial changes.

A version number in the cache (`onprovence.cacheversion`) is part of every page key; any
change that a public page shows bumps it (campaigns' own models in `receivers`, testimonials
and kit assets in the app that composes the pages, `showcase`), so pages are never stale and
never rebuilt for nothing. When the cache is unreachable, pages are rendered on every request
instead of failing.
"""

import logging
from collections.abc import Callable

from django.core.cache import cache

from onprovence.cacheversion import CacheVersion
from onprovence.erasure import cache_forget

logger = logging.getLogger(__name__)

PAGES_VERSION = CacheVersion("campaigns:content-version")
PAGE_TIMEOUT_SECONDS = 3600


def content_changed() -> None:
    """Make every cached campaign page stale (called on commit of a change they show)."""
    PAGES_VERSION.bump()


def cached_page(name: str, build: Callable[[], dict]) -> dict:
    """Return `build()` (a dict of rendered strings) from the cache, or build and keep it."""
    try:
        key = f"campaigns:page:{name}:{PAGES_VERSION.current()}"
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
    content_changed()
    cache_forget(patterns=["campaigns:page:*"])
