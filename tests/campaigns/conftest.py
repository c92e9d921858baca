"""Fixtures of the campaigns tests: a live campaign, placements, published testimonials."""

import socket
from datetime import date, timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Placement
from tests.factories import CampaignFactory, PlacementFactory, TestimonialFactory, seeded_sector


@pytest.fixture
def live_campaign(db):
    return CampaignFactory(
        name="Marque employeur territoriale",
        slug="marque-employeur",
        status=Campaign.Status.LIVE,
        starts_on=date(2026, 9, 30),
        reach_target=2_200_000,
        hero_title="Ici, on vit ce qu'on aime.",
        hero_title_en="Here, we live what we love.",
        hero_text="Celles et ceux qui font la région racontent pourquoi ils y vivent.",
        hero_text_en="The people who make the region tell why they live here.",
    )


@pytest.fixture
def placement(live_campaign):
    return PlacementFactory(
        campaign=live_campaign,
        channel=Placement.Channel.STATION,
        place_name="Gare Saint-Charles, hall 1",
        declared_audience=420_000,
    )


@pytest.fixture
def make_testimonial(db):
    """Create a testimonial row directly in a given status (tests may, services must not).

    A wrapper around `TestimonialFactory`: a published testimonial as the pages show it (display
    name, town, quote), without personal data or consent record.
    """
    from ambassadors.models import Status

    def make(*, status=Status.PUBLISHED, sector_slug="aeronautique", **fields):
        values = {
            "display_name": "Camille",
            "commune": "Marignane",
            "quote": "Je travaille sur des hélicoptères et je vois la mer.",
            **dict.fromkeys(("first_name", "last_name", "email", "job_title"), ""),
            **fields,
        }
        sector = seeded_sector(sector_slug) if sector_slug else None
        return TestimonialFactory(status=status, sector=sector, consent=False, **values)

    return make


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down(settings, closed_port):
    """Point the cache (and so the scan counter) at a Redis that is not there."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        }
    }
    return closed_port


@pytest.fixture
def yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)


@pytest.fixture(autouse=True)
def _fresh_scan_state():
    """Each test resolves codes afresh, and pushes buffered scans itself (through
    scan_counts_flush): the background pusher of this process is put to sleep, so it cannot
    race a test (tests of the pusher use their own buffer)."""
    from campaigns import scans

    scans.PUSH_EVERY_SECONDS = 3600.0
    scans._resolved.clear()
    scans._buffer.take()  # leftovers belong to rows a previous test rolled back
    yield
    scans._resolved.clear()
    scans._buffer.take()
