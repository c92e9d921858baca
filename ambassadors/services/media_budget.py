"""A per-client budget of media seconds per day, so one connection cannot keep the workers busy.

The client's IP is known only in web requests, and is never stored in the database. When an
upload completes, the web process puts an HMAC of the client's IP (keyed with SECRET_KEY, read
through the project's trusted-proxy reader) in the cache against the testimonial id. The worker,
once the packets have told the video's real length and before any transcode, charges those
seconds to that HMAC's counter for the day (Redis) and rejects the video with a clear reason
when the day's budget would be exceeded; the mapping is then deleted. The upload start also
refuses a connection whose day's budget is already spent, so nobody uploads for nothing.

Without a known client (a testimonial made by staff or a command, or a cache entry gone), no
budget applies. docs/pipeline.md says why this shape.
"""

import contextlib
import math
from datetime import datetime, timedelta
from uuid import UUID

from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ambassadors import conf

_CLIENT = "ambassadors:media-budget:client:{}"
_CHARGED = "ambassadors:media-budget:charged:{}"
_SPENT = "ambassadors:media-budget:spent:{}:{}"
# Long enough for a queued video to be processed after a worker outage; the counters need a day.
_MAPPING_SECONDS = 2 * 24 * 3600


def client_fingerprint(client_ip: str) -> str:
    """An HMAC of the client's IP: the same IP gives the same value, which reveals nothing."""
    return salted_hmac("ambassadors.media-budget", client_ip or "?").hexdigest()[:32]


def _spent_key(fingerprint: str, now: datetime | None) -> str:
    day = timezone.localdate(now or timezone.now())
    return _SPENT.format(day.isoformat(), fingerprint)


def media_budget_remember(*, testimonial_id: UUID | str, client_ip: str) -> None:
    """Note which client sent this testimonial's video (web request, at upload completion)."""
    cache.set(
        _CLIENT.format(testimonial_id), client_fingerprint(client_ip), timeout=_MAPPING_SECONDS
    )


def media_budget_forget(*, testimonial_id: UUID | str) -> None:
    """Drop what links this testimonial to a client (its erasure)."""
    cache.delete_many([_CLIENT.format(testimonial_id), _CHARGED.format(testimonial_id)])


def media_budget_spent(*, client_ip: str, now: datetime | None = None) -> int:
    """Media seconds charged today to this client."""
    return int(cache.get(_spent_key(client_fingerprint(client_ip), now)) or 0)


def media_budget_exhausted(*, client_ip: str, now: datetime | None = None) -> bool:
    """True when this client's budget for today is used up (checked at upload start)."""
    budget = conf.media_seconds_per_client_per_day()
    return bool(budget) and media_budget_spent(client_ip=client_ip, now=now) >= budget


def media_budget_charge(
    *, testimonial_id: UUID | str, seconds: float, now: datetime | None = None
) -> tuple[bool, int]:
    """Charge a video's seconds to the client that sent it: (admitted, seconds spent today).

    Idempotent per testimonial: a retried task is not charged twice. A video that does not fit
    is not charged (a shorter one may still fit).
    """
    budget = conf.media_seconds_per_client_per_day()
    if cache.get(_CHARGED.format(testimonial_id)):
        return True, 0
    fingerprint = cache.get(_CLIENT.format(testimonial_id))
    if not budget or not fingerprint:
        return True, 0
    key = _spent_key(fingerprint, now)
    amount = max(1, math.ceil(seconds))
    cache.add(key, 0, timeout=int(timedelta(days=1, hours=1).total_seconds()))
    try:
        total = cache.incr(key, amount)
    except ValueError:  # expired between add and incr
        cache.add(key, amount, timeout=int(timedelta(days=1, hours=1).total_seconds()))
        total = amount
    if total > budget:
        with contextlib.suppress(ValueError):
            cache.decr(key, amount)
        cache.delete(_CLIENT.format(testimonial_id))
        return False, total - amount
    cache.set(_CHARGED.format(testimonial_id), 1, timeout=_MAPPING_SECONDS)
    cache.delete(_CLIENT.format(testimonial_id))
    return True, total
