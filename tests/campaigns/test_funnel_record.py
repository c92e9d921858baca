import threading
from datetime import date

import pytest
from django.db import connection

from campaigns.models import Campaign, FunnelCount, Placement
from campaigns.services import funnel_record


@pytest.fixture
def placement(db):
    campaign = Campaign.objects.create(
        name="C", slug="c", starts_on="2026-09-30", hero_title="C", status="live"
    )
    return Placement.objects.create(campaign=campaign, channel="station", place_name="Gare")


def test_each_record_adds_to_the_day_count_of_its_step(placement):
    day = date(2026, 10, 1)
    funnel_record(placement_id=placement.pk, step="scan", day=day)
    funnel_record(placement_id=placement.pk, step="scan", day=day)
    funnel_record(placement_id=placement.pk, step="landing", day=day)
    funnel_record(placement_id=None, step="landing", day=day)
    funnel_record(placement_id=None, step="landing", day=day)

    counts = {(c.placement_id, c.step): c.count for c in FunnelCount.objects.filter(day=day)}
    assert counts == {
        (placement.pk, "scan"): 2,
        (placement.pk, "landing"): 1,
        (None, "landing"): 2,
    }


def test_an_unknown_step_is_refused_and_nothing_is_written(placement):
    with pytest.raises(ValueError):
        funnel_record(placement_id=placement.pk, step="bogus")

    assert not FunnelCount.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_records_on_postgresql_lose_no_count():
    campaign = Campaign.objects.create(
        name="C", slug="c2", starts_on="2026-09-30", hero_title="C", status="live"
    )
    placement = Placement.objects.create(campaign=campaign, channel="station", place_name="Gare")

    def record_many():
        for _ in range(50):
            funnel_record(placement_id=placement.pk, step="scan")
        connection.close()

    threads = [threading.Thread(target=record_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert FunnelCount.objects.get(placement=placement, step="scan").count == 400
