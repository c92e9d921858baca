"""QR scans: resolve a code to its destination and count the scan, cheaply and exactly.

A scan costs the web process a dictionary increment: each process adds its scans up in memory
and a background thread pushes them to Redis every PUSH_EVERY_SECONDS (one pipelined
`HINCRBY` per placement and day), and `scan_counts_flush` (a periodic task, every minute) moves
Redis' counts into FunnelCount, step "scan". bench/redirect.py measured the alternatives
(docs/campaigns.md): an `UPDATE` per scan in PostgreSQL, or a Redis round trip per scan, cost a
third and a quarter of the redirect's throughput on two cores; this keeps it within a few %.
When Redis is unreachable the push goes straight to PostgreSQL (`funnel_record`), so no scan
is lost and the redirect never waits for Redis. A process killed with SIGKILL loses the scans
of its last second at most; a normal stop pushes them first (atexit).

Resolving a code reads PostgreSQL once per process every RESOLVE_TTL_SECONDS: a printed code
is scanned many times, and its destination rarely changes (an edit applies within that delay
everywhere, at once in the process that saved it).

Nothing about the person is read or kept: no IP, no user agent, no cookie.
"""

import atexit
import logging
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from django.conf import settings
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.utils import timezone
from django.utils.text import slugify
from redis.backoff import NoBackoff
from redis.retry import Retry

from .models import Campaign, FunnelCount, Placement
from .services import funnel_record
from .theme import campaign_theme_url

logger = logging.getLogger(__name__)

DEFAULT_DESTINATION = "/ambassadeurs/"
RESOLVE_TTL_SECONDS = 15.0
PUSH_EVERY_SECONDS = 1.0
# Unflushed counts expire after 30 days, so a stopped scheduler cannot fill Redis forever.
COUNTS_TTL_SECONDS = 30 * 24 * 3600

_COUNTS_PREFIX = "campaigns:scans:"
_FLUSHING_PREFIX = "campaigns:scans-flushing:"
_FLUSH_LOCK = "campaigns:scans-flush-lock"


@dataclass(frozen=True)
class ScanOutcome:
    """Where a scan of a known code leads, and whether its placement still runs."""

    placement_id: int
    url: str
    ends_on: date | None
    campaign_ended: bool
    theme_url: str = ""  # the campaign's stylesheet, for the "poster ended" page

    def is_open(self, today: date) -> bool:
        return not self.campaign_ended and (self.ends_on is None or self.ends_on >= today)


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


def _placement_load(code: str) -> Placement | None:
    if "\x00" in code:
        # No code holds a NUL, and PostgreSQL refuses one in a query (a 500 otherwise).
        return None
    query = Placement.objects.select_related("campaign").filter(code=code)
    try:
        return query.first()
    except (OperationalError, InterfaceError):
        # The persistent connection died under the query (PostgreSQL restarted, failed over,
        # or ended the session): the health check only catches one that died while idle. A
        # read is safe to repeat once, on a new connection, rather than answer a scan with 500.
        if connection.in_atomic_block:
            raise
        connection.close()
        logger.warning("database connection lost while resolving a QR code; retried once")
        return query.first()


# code -> (expiry on the monotonic clock, outcome). Only existing codes are kept, so its size
# is bounded by the number of placements whatever codes people type.
_resolved: dict[str, tuple[float, ScanOutcome]] = {}


def _resolve(code: str) -> ScanOutcome | None:
    now = time.monotonic()
    hit = _resolved.get(code)
    if hit is not None and hit[0] > now:
        return hit[1]
    placement = _placement_load(code)
    if placement is None:
        return None
    outcome = ScanOutcome(
        placement_id=placement.pk,
        url=placement_redirect_url(placement),
        ends_on=placement.ends_on,
        campaign_ended=placement.campaign.status == Campaign.Status.ENDED,
        theme_url=campaign_theme_url(placement.campaign),
    )
    _resolved[code] = (now + RESOLVE_TTL_SECONDS, outcome)
    return outcome


_clients: dict[str, redis.Redis] = {}


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
        # Short timeouts and no retries: when Redis is down, counts go to PostgreSQL at once.
        client = redis.Redis.from_url(
            location,
            socket_connect_timeout=0.25,
            socket_timeout=0.5,
            retry=Retry(NoBackoff(), 0),
        )
        _clients[location] = client
    return client


class _ScanBuffer:
    """Scans counted in this process and not yet pushed: (day, placement id) -> n."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[date, int]] = Counter()
        self._pid = 0
        self._last_warning = 0.0

    def add(self, day: date, placement_id: int) -> None:
        with self._lock:
            if self._pid != os.getpid():
                # First scan in this process (or a fork): counts inherited from a parent are
                # the parent's to push; start this process' pusher.
                self._pid = os.getpid()
                self._counts.clear()
                threading.Thread(target=self._push_forever, name="scan-push", daemon=True).start()
            self._counts[(day, placement_id)] += 1

    def _push_forever(self) -> None:
        while True:
            time.sleep(PUSH_EVERY_SECONDS)
            try:
                close_old_connections()  # this thread's own connection, after a DB restart
                self.push()
            except Exception:  # the thread must survive anything; counts stay buffered
                logger.exception("could not push QR scan counts")

    def take(self) -> Counter[tuple[date, int]]:
        """Remove and return the buffered counts."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        return counts

    def push(self) -> int:
        """Move this process' counts to Redis (or PostgreSQL when Redis fails); return n."""
        counts = self.take()
        if not counts:
            return 0
        client = scan_redis()
        if client is not None:
            try:
                with client.pipeline(transaction=False) as pipe:
                    for (day, placement_id), n in counts.items():
                        key = f"{_COUNTS_PREFIX}{day.isoformat()}"
                        pipe.hincrby(key, str(placement_id), n)
                        pipe.expire(key, COUNTS_TTL_SECONDS)
                    pipe.execute()
                return counts.total()
            except redis.RedisError as error:
                now = time.monotonic()
                if now - self._last_warning > 60:
                    self._last_warning = now
                    logger.warning("Redis unavailable, QR scans counted in PostgreSQL: %s", error)
        total = counts.total()
        try:
            ids = {placement_id for _, placement_id in counts}
            existing = set(Placement.objects.filter(pk__in=ids).values_list("pk", flat=True))
            for (day, placement_id), n in list(counts.items()):
                if placement_id in existing:  # a placement deleted meanwhile has no count
                    funnel_record(
                        placement_id=placement_id, step=FunnelCount.Step.SCAN, day=day, n=n
                    )
                # Each upsert commits on its own: once it has, that count is no longer ours
                # to push again (the connection may die before the next one).
                del counts[(day, placement_id)]
        except Exception:
            with self._lock:  # keep the rest for the next push
                self._counts.update(counts)
            raise
        return total


_buffer = _ScanBuffer()
_today_until: tuple[float, date] = (0.0, date.min)


def _today() -> date:
    """Today in the site's time zone, computed once a day (the slowest part of a scan)."""
    global _today_until
    if time.time() < _today_until[0]:
        return _today_until[1]
    now = timezone.localtime()
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    _today_until = (midnight.timestamp(), now.date())
    return now.date()


atexit.register(_buffer.push)


def scan_record(*, code: str, count: bool = True) -> tuple[ScanOutcome | None, bool]:
    """Resolve `code` and, if its placement runs and `count`, add one scan for today.

    Return (outcome or None for an unknown code, whether the placement is open).
    """
    outcome = _resolve(code)
    if outcome is None:
        return None, False
    today = _today()
    is_open = outcome.is_open(today)
    if is_open and count:
        _buffer.add(today, outcome.placement_id)
    return outcome, is_open


def placement_cache_forget(*, codes: list[str]) -> None:
    """Resolve these codes again at their next scan in this process (others: within the TTL)."""
    for code in codes:
        _resolved.pop(code, None)


def scan_counts_flush() -> int:
    """Move the scan counts waiting in Redis into FunnelCount; return how many scans moved.

    Each day's hash is renamed first (atomic), so scans arriving meanwhile go to a fresh hash;
    a renamed hash left by a crash is picked up by the next run. A lock keeps two flushes
    (the periodic task and the dashboard) from adding the same counts twice.
    """
    _buffer.push()  # this process' last second
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
