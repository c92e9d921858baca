"""Version numbers kept in the shared cache: what cached copies are keyed on.

A cached page or feed puts the current version of what it shows in its key; a change bumps
the version, so every copy made before goes stale at once and nothing has to find and delete
them. The number lives in the shared cache (Redis, or the on-disk cache of the embedded
defaults), so a bump made by a worker reaches the web processes.

A version starts at the clock in nanoseconds, not at 1: when the number is lost (evicted,
flushed, or deleted on purpose, which is also a bump) the fresh one cannot meet a number that
keys copies made before.
"""

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)


class CacheVersion:
    """One version number in the cache, under `key`."""

    def __init__(self, key: str) -> None:
        self.key = key

    def current(self) -> int:
        """The version now (created on first use). Raises when the cache is unreachable."""
        version = cache.get(self.key)
        if version is not None:
            return version
        fresh = time.time_ns()
        if cache.add(self.key, fresh, timeout=None):
            return fresh
        # Another process started it at the same moment: theirs wins.
        version = cache.get(self.key)
        return fresh if version is None else version

    def bump(self) -> None:
        """Make every copy keyed on the current version stale (logged, never raised: a change
        already committed must not fail because the cache is away)."""
        try:
            cache.incr(self.key)
        except ValueError:  # no version yet: nothing is keyed on it, the next read starts one
            pass
        except Exception as error:
            logger.warning("could not bump the cache version %s: %s", self.key, error)
