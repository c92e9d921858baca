"""A small fixed-window rate limiter in the shared cache (Redis), keyed by client IP.

Behind a load balancer the client's address is in X-Forwarded-For; only the entries added by our
own proxies can be trusted, so the client IP is the one `settings.TRUSTED_PROXY_COUNT` hops from
the right (0 proxies: REMOTE_ADDR). Nothing else of the request is kept.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return the client's IP address as seen by the first trusted proxy."""
    proxies = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < proxies:
        # Fewer hops than proxies: the header was not written by our proxies; use the nearest.
        return forwarded[0] if forwarded else remote
    return forwarded[-proxies]


def ratelimit_hit(*, scope: str, key: str, limit: int, period: int) -> bool:
    """Count one hit of `key` in `scope`; return True while it stays within `limit` per `period`.

    The window is fixed (aligned on `period`), the counter lives in the cache and expires with
    the window. The key is hashed so no IP address is stored as such.
    """
    window = int(time.time() // period)
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{window}:{digest}"
    if cache.add(cache_key, 1, period + 5):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, period + 5)
        count = 1
    return count <= limit


def ratelimit_request(request: HttpRequest, *, scope: str, rate: tuple[int, int]) -> bool:
    """Count one request from the client's IP in `scope`; True while within `rate`."""
    limit, period = rate
    return ratelimit_hit(scope=scope, key=client_ip(request), limit=limit, period=period)
