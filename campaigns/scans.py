"""QR scans: resolve a code to its destination and count the scan, in one Redis round trip.

Why Redis and not an `UPDATE` per scan: bench/redirect.py measured both (docs/campaigns.md);
a PostgreSQL upsert per scan commits a transaction per request, a Redis `HINCRBY` does not.
Counts live in one Redis hash per day (`placement id -> scans`) and `scan_counts_flush` moves
them into FunnelCount (step "scan") every minute. When Redis is unreachable the scan is
counted straight in PostgreSQL with `funnel_record`, so the redirect works and no scan is lost.

Nothing about the person is read or kept: no IP, no user agent, no cookie.
"""

import logging
import time
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from redis.backoff import NoBackoff
from redis.retry import Retry

from .models import Campaign, FunnelCount, Placement
from .services import funnel_record

logger = logging.getLogger(__name__)

DEFAULT_DESTINATION = "/ambassadeurs/"
# How long a resolved placement stays in Redis; saves in the admin also delete it at once.
PLACEMENT_TTL_SECONDS = 300
# Unflushed counts expire after 30 days, so a stopped scheduler cannot fill Redis forever.
COUNTS_TTL_SECONDS = 30 * 24 * 3600

_PLACEMENT_KEY = "campaigns:qr:{code}"
_COUNTS_PREFIX = "campaigns:scans:"
_FLUSHING_PREFIX = "campaigns:scans-flushing:"
_FLUSH_LOCK = "campaigns:scans-flush-lock"

# KEYS: placement hash, today's counts hash. ARGV: today (ISO), whether to count ("1"/"0").
# Returns [id, url, ends_on, ended, counted]; id is nil when the code is not in Redis.
_RESOLVE_AND_COUNT = """
local p = redis.call('HMGET', KEYS[1], 'id', 'url', 'ends_on', 'ended')
if not p[1] then return p end
local open = p[4] ~= '1' and (p[3] == '' or p[3] >= ARGV[1])
p[5] = '0'
if open and ARGV[2] == '1' then
  if redis.call('HINCRBY', KEYS[2], p[1], 1) == 1 then
    redis.call('EXPIRE', KEYS[2], ARGV[3])
  end
  p[5] = '1'
end
return p
"""


@dataclass(frozen=True)
class ScanOutcome:
    """What a scan leads to: a redirect URL, or a closed placement (`url` is empty)."""

    placement_id: int
    url: str
    is_open: bool


def placement_redirect_url(placement: Placement) -> str:
    """Return where a scan of `placement` lands: its destination with the attribution.

    On-site destinations get `p=<code>` (the journey attaches it to the testimonial); social
    placements also get UTM parameters so the site's own statistics can tell networks apart.
    """
    destination = placement.destination or DEFAULT_DESTINATION
    parts = urlsplit(destination)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not parts.netloc:
        query.append(("p", placement.code))
    if placement.channel == Placement.Channel.SOCIAL:
        query += [
            ("utm_source", slugify(placement.place_name) or "social"),
            ("utm_medium", "social"),
            ("utm_campaign", placement.campaign.slug),
            ("utm_content", placement.code),
        ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _placement_is_open(placement: Placement, today: date) -> bool:
    if placement.campaign.status == Campaign.Status.ENDED:
        return False
    return placement.ends_on is None or placement.ends_on >= today


_clients: dict[str, redis.Redis] = {}
_last_warning = 0.0


def _warn_redis_down(error: Exception) -> None:
    """Log the outage once a minute per process, not once per scan."""
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 60:
        _last_warning = now
        logger.warning("Redis unavailable for QR scans, counting in PostgreSQL: %s", error)


def scan_redis() -> redis.Redis | None:
    """Return a client for the cache's Redis, or None when the cache is not Redis."""
    cache = settings.CACHES["default"]
    if not cache["BACKEND"].endswith("RedisCache"):
        return None
    location = cache["LOCATION"]
    if isinstance(location, list | tuple):
        location = location[0]
    client = _clients.get(location)
    if client is None:
        # Short timeouts and no retries: when Redis is down, a scan falls back to PostgreSQL
        # at once instead of holding the visitor's phone.
        client = redis.Redis.from_url(
            location,
            socket_connect_timeout=0.25,
            socket_timeout=0.5,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=30,
        )
        _clients[location] = client
    return client


def _placement_load(code: str) -> Placement | None:
    return Placement.objects.select_related("campaign").filter(code=code).first()


def _placement_entry(placement: Placement) -> dict[str, str]:
    return {
        "id": str(placement.pk),
        "url": placement_redirect_url(placement),
        "ends_on": placement.ends_on.isoformat() if placement.ends_on else "",
        "ended": "1" if placement.campaign.status == Campaign.Status.ENDED else "0",
    }


def scan_record(*, code: str, count: bool = True) -> ScanOutcome | None:
    """Resolve `code` and, if its placement is open and `count`, add one scan for today.

    Return None for an unknown code.
    """
    today = timezone.localdate()
    client = scan_redis()
    if client is not None:
        try:
            return _scan_record_redis(client, code=code, today=today, count=count)
        except redis.RedisError as error:
            _warn_redis_down(error)
    placement = _placement_load(code)
    if placement is None:
        return None
    is_open = _placement_is_open(placement, today)
    if is_open and count:
        funnel_record(placement_id=placement.pk, step=FunnelCount.Step.SCAN, day=today)
    return ScanOutcome(placement.pk, placement_redirect_url(placement), is_open)


def _scan_record_redis(
    client: redis.Redis, *, code: str, today: date, count: bool
) -> ScanOutcome | None:
    keys = [_PLACEMENT_KEY.format(code=code), f"{_COUNTS_PREFIX}{today.isoformat()}"]
    args = [today.isoformat(), "1" if count else "0", COUNTS_TTL_SECONDS]
    found = client.eval(_RESOLVE_AND_COUNT, 2, *keys, *args)
    if found[0] is None:
        placement = _placement_load(code)
        if placement is None:
            return None
        with client.pipeline() as pipe:
            pipe.hset(keys[0], mapping=_placement_entry(placement))
            pipe.expire(keys[0], PLACEMENT_TTL_SECONDS)
            pipe.eval(_RESOLVE_AND_COUNT, 2, *keys, *args)
            found = pipe.execute()[-1]
    placement_id, url, ends_on, ended = (value.decode() for value in found[:4])
    is_open = ended != "1" and (not ends_on or ends_on >= today.isoformat())
    return ScanOutcome(int(placement_id), url, is_open)


def placement_cache_forget(*, codes: list[str]) -> None:
    """Drop resolved placements from Redis so the next scan reads the new destination."""
    client = scan_redis()
    if client is None or not codes:
        return
    try:
        client.delete(*(_PLACEMENT_KEY.format(code=code) for code in codes))
    except redis.RedisError as error:
        # The entries expire on their own after PLACEMENT_TTL_SECONDS.
        logger.warning("could not forget cached placements: %s", error)


def scan_counts_flush() -> int:
    """Move the scan counts waiting in Redis into FunnelCount; return how many scans moved.

    Each day's hash is renamed first (atomic), so scans arriving meanwhile go to a fresh hash;
    a renamed hash left by a crash is picked up by the next run. A lock keeps two flushes
    (the periodic task and the dashboard) from adding the same counts twice.
    """
    client = scan_redis()
    if client is None:
        return 0
    try:
        client.ping()
    except redis.ConnectionError as error:
        # Scans are being counted in PostgreSQL meanwhile; what Redis holds waits for it.
        logger.warning("Redis unavailable, scan counts not flushed: %s", error)
        return 0
    moved = 0
    with client.lock(_FLUSH_LOCK, timeout=120, blocking_timeout=30):
        for key in client.scan_iter(match=f"{_COUNTS_PREFIX}*"):
            day = key.decode().removeprefix(_COUNTS_PREFIX)
            try:
                client.rename(key, f"{_FLUSHING_PREFIX}{day}:{timezone.now().timestamp()}")
            except redis.ResponseError:  # gone since the scan: nothing to move
                continue
        for key in client.scan_iter(match=f"{_FLUSHING_PREFIX}*"):
            day = date.fromisoformat(key.decode().removeprefix(_FLUSHING_PREFIX).split(":")[0])
            counts = {int(pk): int(n) for pk, n in client.hgetall(key).items()}
            existing = set(Placement.objects.filter(pk__in=counts).values_list("pk", flat=True))
            with transaction.atomic():
                for placement_id, n in sorted(counts.items()):
                    if placement_id in existing and n > 0:
                        funnel_record(
                            placement_id=placement_id, step=FunnelCount.Step.SCAN, day=day, n=n
                        )
                        moved += n
            client.delete(key)
    return moved
