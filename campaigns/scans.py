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

Not counted (docs/campaigns.md, "What is not a scan"): HEAD requests, link previews and other
automated fetchers (told apart by their user agent: `campaigns.link_previews`; the header is
matched and forgotten, never stored or logged), staff signed in to the admin (its "Voir sur le
site" links lead here), and scans before the placement's start date or after its end.

Nothing about the person is kept: no IP, no user agent, no cookie.
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

from .models import Campaign, DestinationChange, FunnelCount, Placement
from .services import destination_changes_apply, funnel_record
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

# A code copied from a text ends up with the sentence's punctuation: "…/q/ab3de.", "(…/q/ab3de)".
_TRAILING_PUNCTUATION = ".,;:!?)]}>\"'»’”…"


@dataclass(frozen=True)
class ScanOutcome:
    """Where a scan of a known code leads, and whether its placement still runs."""

    placement_id: int
    url: str
    ends_on: date | None
    campaign_ended: bool
    theme_url: str = ""  # the campaign's stylesheet, for the "poster ended" page
    code: str = ""
    starts_on: date | None = None
    # Destination changes scheduled for a date not applied yet: (day, url), by day.
    scheduled: tuple[tuple[date, str], ...] = ()

    def is_open(self, today: date) -> bool:
        return not self.campaign_ended and (self.ends_on is None or self.ends_on >= today)

    def is_counted(self, today: date) -> bool:
        """Open and started: a scan before the placement's start date is a test, not a scan."""
        return self.is_open(today) and (self.starts_on is None or self.starts_on <= today)

    def url_on(self, today: date) -> str:
        """The destination on `today`: the last scheduled change due by then, if any."""
        url = self.url
        for day, scheduled_url in self.scheduled:
            if day <= today:
                url = scheduled_url
        return url


def placement_redirect_url(placement: Placement, destination: str | None = None) -> str:
    """Return where a scan of `placement` lands: its destination (or `destination`, a
    scheduled one) with the attribution.

    On-site destinations get `p=<code>` (the journey attaches it to the testimonial); social
    placements also get UTM parameters so the site's own statistics can tell networks apart.
    """
    if destination is None:
        destination = placement.destination
    destination = destination or DEFAULT_DESTINATION
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


def code_variants(code: str) -> list[str]:
    """The codes a scanned or typed `code` may stand for, the exact one first: without the
    punctuation a copied link drags along, then in lower case (codes made since 0008 are
    lower case, so "AB3DE" is "ab3de"; older mixed-case codes only match exactly)."""
    variants = [code]
    stripped = code.rstrip(_TRAILING_PUNCTUATION)
    for variant in (stripped, stripped.lower()):
        if variant and variant not in variants:
            variants.append(variant)
    return variants


def _placement_load(code: str | list[str]) -> Placement | None:
    """The placement of a code, or of the first of its variants that exists."""
    variants = [code] if isinstance(code, str) else code
    if any("\x00" in code for code in variants):
        # No code holds a NUL, and PostgreSQL refuses one in a query (a 500 otherwise).
        return None
    query = Placement.objects.select_related("campaign").filter(code__in=variants)

    def first() -> Placement | None:
        found = {placement.code: placement for placement in query}
        return next((found[code] for code in variants if code in found), None)

    try:
        return first()
    except (OperationalError, InterfaceError):
        # The persistent connection died under the query (PostgreSQL restarted, failed over,
        # or ended the session): the health check only catches one that died while idle. A
        # read is safe to repeat once, on a new connection, rather than answer a scan with 500.
        if connection.in_atomic_block:
            raise
        connection.close()
        logger.warning("database connection lost while resolving a QR code; retried once")
        return first()


# code -> (expiry on the monotonic clock, outcome). Only existing codes are kept (under the
# placement's own code, never a variant someone typed), so its size is bounded by the number
# of placements whatever codes people type.
_resolved: dict[str, tuple[float, ScanOutcome]] = {}


def _outcome_build(placement: Placement) -> ScanOutcome:
    scheduled = DestinationChange.objects.filter(
        placement=placement, applied_at__isnull=True, effective_on__isnull=False
    ).order_by("effective_on", "changed_at", "pk")
    return ScanOutcome(
        placement_id=placement.pk,
        url=placement_redirect_url(placement),
        ends_on=placement.ends_on,
        campaign_ended=placement.campaign.status == Campaign.Status.ENDED,
        theme_url=campaign_theme_url(placement.campaign),
        code=placement.code,
        starts_on=placement.starts_on,
        scheduled=tuple(
            (change.effective_on, placement_redirect_url(placement, change.to_destination))
            for change in scheduled
            if change.effective_on is not None
        ),
    )


def _resolve(code: str) -> ScanOutcome | None:
    now = time.monotonic()
    hit = _resolved.get(code)
    if hit is not None and hit[0] > now:
        return hit[1]
    variants = code_variants(code)
    for variant in variants[1:]:
        hit = _resolved.get(variant)
        if hit is not None and hit[0] > now:
            return hit[1]
    placement = _placement_load(variants)
    if placement is None:
        return None
    outcome = _outcome_build(placement)
    _resolved[placement.code] = (now + RESOLVE_TTL_SECONDS, outcome)
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


def scan_record(*, code: str, count: bool = True) -> tuple[ScanOutcome | None, str | None]:
    """Resolve `code` and, if its placement runs, has started and `count`, add one scan for
    today.

    Return (outcome or None for an unknown code, today's destination or None when the
    placement has ended).
    """
    outcome = _resolve(code)
    if outcome is None:
        return None, None
    today = _today()
    if not outcome.is_open(today):
        return outcome, None
    if count and outcome.is_counted(today):
        _buffer.add(today, outcome.placement_id)
    return outcome, outcome.url_on(today) if outcome.scheduled else outcome.url


def placement_cache_forget(*, codes: list[str]) -> None:
    """Resolve these codes again at their next scan in this process (others: within the TTL)."""
    for code in codes:
        _resolved.pop(code, None)


def scan_counts_flush() -> int:
    """Move the scan counts waiting in Redis into FunnelCount; return how many scans moved.

    Then writes on their placements the destination changes scheduled for today or before
    (the scans follow them from midnight already: this keeps the admin's page true). The
    periodic task and the dashboard call it.
    """
    moved = _scan_counts_move()
    destination_changes_apply(today=timezone.localdate())
    return moved


def _scan_counts_move() -> int:
    """Each day's hash is renamed first (atomic), so scans arriving meanwhile go to a fresh hash;
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
