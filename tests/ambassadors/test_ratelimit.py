"""The cache-based rate limiter and the client IP behind trusted proxies."""

import pytest
from django.test import RequestFactory

from onprovence.ratelimit import client_ip, ratelimit_hit, ratelimit_request


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        # No proxy: the header is whatever the client wrote, never trusted.
        (0, "203.0.113.7", "1.1.1.1", "203.0.113.7"),
        # One proxy (the load balancer) appends the client's address: the last entry.
        (1, "10.0.0.2", "1.1.1.1, 198.51.100.4", "198.51.100.4"),
        # Two proxies (CDN then load balancer): the second entry from the right.
        (2, "10.0.0.2", "1.1.1.1, 198.51.100.4, 192.0.2.10", "198.51.100.4"),
        # Behind a proxy but no header: the proxy's view is all there is.
        (1, "10.0.0.2", None, "10.0.0.2"),
    ],
)
def test_the_client_ip_is_read_as_many_hops_from_the_right_as_there_are_trusted_proxies(
    settings, proxies, remote, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies

    assert client_ip(request_from(remote, forwarded)) == expected


def test_a_spoofed_forwarded_header_does_not_dodge_the_limit_behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    allowed = [
        ratelimit_request(
            request_from("10.0.0.2", f"6.6.6.{n}, 198.51.100.4"), scope="t", rate=(3, 60)
        )
        for n in range(5)
    ]

    assert allowed == [True, True, True, False, False]


def test_hits_are_allowed_up_to_the_limit_then_refused_per_key_and_scope():
    first = [ratelimit_hit(scope="upload", key="a", limit=2, period=60) for _ in range(3)]
    other_key = ratelimit_hit(scope="upload", key="b", limit=2, period=60)
    other_scope = ratelimit_hit(scope="email", key="a", limit=2, period=60)

    assert first == [True, True, False]
    assert other_key is True
    assert other_scope is True


def test_the_counter_lives_in_the_shared_cache_and_holds_no_address():
    from django.core.cache import cache

    ratelimit_hit(scope="upload", key="203.0.113.7", limit=5, period=60)

    stored = cache._cache.get_client().keys("*ratelimit*")
    assert len(stored) == 1
    assert b"203.0.113.7" not in stored[0]
