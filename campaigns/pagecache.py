"""Rendered campaign pages kept in the cache until campaign content or a testimonial changes.

A version number in the cache (`onprovence.cacheversion`) says which copies are current: any
change that a public page shows bumps it (campaigns' own models in `receivers`, testimonials
and kit assets in the app that composes the pages, `showcase`), so pages are never stale and
never rebuilt for nothing. Each page is kept under one key with the version it was built at,
and read together with the current version in one round trip to the cache (one `MGET`): a copy
of another version is rebuilt. When the cache is unreachable, pages are rendered on every
request instead of failing.

On Redis, each process also keeps the pages it served (`_LocalPages`), so the busiest page
costs no round trip at all (issue 18: one Redis read cost a gunicorn worker about as much CPU as
the rest of the request). A change bumps the version, then publishes on a Redis channel; a
thread of each process listens and forgets its copies when it hears one (and the process that
made the change forgets its own at once). Copies are only kept while that subscription is
confirmed alive, from pages read after it was, and for an hour at most like the shared ones;
when the subscription drops (Redis restarted, a network cut) they are forgotten and every
request reads the cache as before until it is back.
"""

import logging
import os
import threading
import time
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
CHANGES_CHANNEL = "campaigns:pages-changed"
# How long the listener waits for a message before it checks its connection with a PING.
LISTEN_PING_SECONDS = 5.0
LISTEN_RETRY_SECONDS = 1.0


def _redis_backend() -> Any:
    """The default cache when it is Django's Redis backend, else None."""
    backend = caches[DEFAULT_CACHE_ALIAS]  # what `cache` stands for in this thread
    return backend if isinstance(backend, RedisCache) else None


def _redis_client(backend: Any) -> Any:
    """A `redis.Redis` client on the backend's own connection pool, kept with the backend.

    Django's Redis backend builds a new client (and its table of response callbacks) on every
    call: about 50 µs, a quarter of a cached page's own cost.
    """
    client = getattr(backend, "_pages_client", None)
    if client is None:
        redis = backend._cache  # Django's RedisCacheClient (its private parts, read only)
        client = redis._client(connection_pool=redis._get_connection_pool(write=True))
        setattr(backend, "_pages_client", client)  # noqa: B010 (not an attribute of its class)
    return client


def _channel(backend: Any) -> str:
    db = backend._cache._get_connection_pool(write=True).connection_kwargs.get("db", 0)
    return f"{backend.make_key(CHANGES_CHANNEL)}:{db}"


def _read_many(keys: list[str]) -> dict:
    """`cache.get_many(keys)`: on Redis one `MGET` with the client kept for the process, the
    backend's key function and serializer (it reads exactly what `cache.set` wrote)."""
    backend = _redis_backend()
    if backend is None:
        return cache.get_many(keys)
    values = _redis_client(backend).mget([backend.make_and_validate_key(key) for key in keys])
    loads = backend._cache._serializer.loads
    return {key: loads(value) for key, value in zip(keys, values, strict=True) if value is not None}


class _LocalPages:
    """The pages this process served, valid while its subscription to the changes is alive.

    `generation` moves on at every change heard (and whenever the subscription starts or
    drops); a copy counts only in the generation it was made in, and is made only if no change
    was heard between reading the version and keeping the page (`ticket`, then `keep`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: dict[str, tuple[int, float, dict]] = {}
        self._generation = 0
        self._listening = False
        self._pid = 0
        self._channel = ""

    def get(self, name: str) -> dict | None:
        entry = self._pages.get(name)
        if entry is None or not self._listening:
            return None
        generation, expires, page = entry
        if generation != self._generation or time.monotonic() > expires:
            return None
        return page

    def ticket(self, backend: Any) -> int | None:
        """Taken before the version is read: None while copies cannot be trusted (not
        listening yet, or listening to another cache than the one read: tests switch)."""
        if self._pid != os.getpid():
            self._start(backend)
        if not self._listening or _channel(backend) != self._channel:
            return None
        return self._generation

    def keep(self, name: str, ticket: int | None, page: dict) -> None:
        with self._lock:
            if ticket is not None and self._listening and ticket == self._generation:
                expires = time.monotonic() + PAGE_TIMEOUT_SECONDS
                self._pages[name] = (ticket, expires, page)

    def forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._pages.clear()

    def _set_listening(self, listening: bool) -> None:
        with self._lock:
            self._listening = listening
            self._generation += 1
            self._pages.clear()

    def _start(self, backend: Any) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            # First page in this process (or a fork): copies inherited are the parent's.
            self._pid = os.getpid()
            self._listening = False
            self._generation += 1
            self._pages.clear()
        channel = _channel(backend)
        self._channel = channel
        # Its own connection, which never reconnects behind our back: redis-py's pub/sub
        # resubscribes silently after a cut, and a change published meanwhile would be missed.
        from redis import ConnectionPool, Redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        pool = backend._cache._get_connection_pool(write=True)
        options = {**pool.connection_kwargs, "retry": Retry(NoBackoff(), 0)}
        options.update(socket_keepalive=True, health_check_interval=0)
        client = Redis(
            connection_pool=ConnectionPool(connection_class=pool.connection_class, **options)
        )
        thread = threading.Thread(
            target=self._listen_forever, args=(client, channel), name="pages-listen", daemon=True
        )
        thread.start()

    def _listen_forever(self, client: Any, channel: str) -> None:
        last_warning = 0.0
        while True:
            try:
                self._listen(client, channel)
            except Exception as error:  # the thread must survive anything
                if time.monotonic() - last_warning > 60:
                    last_warning = time.monotonic()
                    logger.warning("campaign page changes not heard, no local copies: %s", error)
            finally:
                self._set_listening(False)
            time.sleep(LISTEN_RETRY_SECONDS)

    def _listen(self, client: Any, channel: str) -> None:
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(channel)
            deadline = time.monotonic() + LISTEN_PING_SECONDS
            while True:  # the server confirms the subscription: from now on nothing is missed
                message = pubsub.get_message(timeout=0.5)
                if message and message["type"] == "subscribe":
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError("no subscription confirmation")
            self._set_listening(True)
            waiting_pong = False
            while True:
                message = pubsub.get_message(timeout=LISTEN_PING_SECONDS)
                if message is None:
                    if waiting_pong:  # the connection is dead without having said so
                        raise TimeoutError("no answer to PING")
                    pubsub.ping()
                    waiting_pong = True
                elif message["type"] == "pong":
                    waiting_pong = False
                elif message["type"] == "message":
                    self.forget()
                elif message["type"] == "subscribe":  # a reconnection after all: start over
                    raise ConnectionError("subscribed again")
        finally:
            pubsub.close()


_local = _LocalPages()


def local_pages_forget() -> None:
    """Forget this process' copies (tests: the database is rolled back without a change)."""
    _local.forget()


def content_changed() -> None:
    """Make every cached campaign page stale (called on commit of a change they show)."""
    PAGES_VERSION.bump()
    _local.forget()
    backend = _redis_backend()
    if backend is not None:
        try:
            _redis_client(backend).publish(_channel(backend), "1")
        except Exception as error:
            logger.warning("could not publish a campaign page change: %s", error)


def _always(page: dict) -> bool:
    return True


def cached_page(
    name: str, build: Callable[[], dict], *, keep: Callable[[dict], bool] = _always
) -> dict:
    """Return `build()` (a dict of rendered strings) from the cache, or build and keep it.

    `keep(page)` may refuse to keep a fresh page (it is returned all the same): for a page
    that turned out to depend on the request.
    """
    local = _local.get(name)
    if local is not None:
        return local
    key = f"{PAGE_KEY_PREFIX}{name}"
    try:
        backend = _redis_backend()
        ticket = _local.ticket(backend) if backend is not None else None
        found = _read_many([PAGES_VERSION.key, key])
        version = found.get(PAGES_VERSION.key)
        if version is None:  # lost or never started: start one (nothing matches it)
            version = PAGES_VERSION.current()
    except Exception as error:
        logger.warning("campaign page cache unavailable: %s", error)
        return build()
    stored = found.get(key)
    if stored is not None and stored[0] == version:
        _local.keep(name, ticket, stored[1])
        return stored[1]
    page = build()
    if keep(page):
        try:
            # Built from what was read after `version` was: at worst a copy made while a
            # change landed is labelled with the older version, and rebuilt once more.
            cache.set(key, (version, page), PAGE_TIMEOUT_SECONDS)
        except Exception as error:
            logger.warning("campaign page cache unavailable: %s", error)
        else:
            _local.keep(name, ticket, page)
    return page


def pages_forget() -> None:
    """Make every cached campaign page stale and delete the copies (an erasure: none may stay
    in the cache until it expires)."""
    content_changed()
    cache_forget(patterns=[f"{PAGE_KEY_PREFIX}*"])
