"""The tracked QR redirect /q/<code>: counts, attribution, privacy, failures."""

import http.client
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.models import Campaign, FunnelCount, Placement
from campaigns.scans import scan_counts_flush


def scans_in_database(placement) -> int:
    return sum(
        FunnelCount.objects.filter(placement=placement, step="scan").values_list("count", flat=True)
    )


def test_a_scan_redirects_to_the_ambassadors_landing_with_the_placement(client, placement):
    response = client.get(f"/q/{placement.code}")

    assert response.status_code == 302
    assert response["Location"] == f"/ambassadeurs/?p={placement.code}"
    assert response["Cache-Control"] == "no-store"


def test_a_code_typed_with_a_trailing_slash_still_works(client, placement):
    assert client.get(f"/q/{placement.code}/")["Location"] == f"/ambassadeurs/?p={placement.code}"
    assert "Ce QR code ne nous dit rien" in client.get("/q/nope/").content.decode()


def test_a_scan_is_counted_in_redis_then_flushed_to_the_day_count(client, placement):
    for _ in range(3):
        client.get(f"/q/{placement.code}")
    assert scans_in_database(placement) == 0  # still in Redis

    assert scan_counts_flush() == 3

    count = FunnelCount.objects.get(placement=placement, step="scan")
    assert (count.day, count.count) == (timezone.localdate(), 3)
    assert scan_counts_flush() == 0  # nothing counted twice


def test_a_scan_stores_no_cookie_and_nothing_about_the_person(client, placement):
    response = client.get(
        f"/q/{placement.code}",
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) Mobile",
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    scan_counts_flush()

    assert response.cookies == {}
    row = FunnelCount.objects.filter(placement=placement).values().get()
    assert set(row) == {"id", "placement_id", "day", "step", "count"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM campaigns_funnelcount")
        dumped = repr(cursor.fetchall())
    assert "203.0.113.7" not in dumped and "Android" not in dumped


def test_a_head_request_from_a_link_preview_redirects_without_counting(client, placement):
    response = client.head(f"/q/{placement.code}")
    scan_counts_flush()

    assert response.status_code == 302
    assert scans_in_database(placement) == 0


def test_an_english_phone_lands_on_the_english_page(client, placement):
    response = client.get(f"/q/{placement.code}", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert response["Location"] == f"/en/ambassadeurs/?p={placement.code}"


def test_social_placements_carry_utm_parameters(client, live_campaign):
    social = Placement.objects.create(
        campaign=live_campaign, channel=Placement.Channel.SOCIAL, place_name="LinkedIn One Provence"
    )

    location = urlsplit(client.get(f"/q/{social.code}")["Location"])

    assert location.path == "/ambassadeurs/"
    assert parse_qs(location.query) == {
        "p": [social.code],
        "utm_source": ["linkedin-one-provence"],
        "utm_medium": ["social"],
        "utm_campaign": ["marque-employeur"],
        "utm_content": [social.code],
    }


def test_an_edited_destination_applies_at_the_next_scan_without_reprinting(
    client, placement, django_capture_on_commit_callbacks
):
    client.get(f"/q/{placement.code}")  # resolves and keeps the placement in Redis
    placement.destination = "/temoignages/?secteur=maritime"
    with django_capture_on_commit_callbacks(execute=True):
        placement.save(update_fields=["destination"])

    response = client.get(f"/q/{placement.code}")

    assert response["Location"] == f"/temoignages/?secteur=maritime&p={placement.code}"


def test_an_external_destination_gets_no_placement_parameter(client, placement):
    placement.destination = "https://www.onprovence.fr/emploi"
    placement.save(update_fields=["destination"])

    assert client.get(f"/q/{placement.code}")["Location"] == "https://www.onprovence.fr/emploi"


@pytest.mark.django_db
def test_an_unknown_code_gets_a_friendly_page_in_the_phones_language(client):
    response = client.get("/q/nope-nope")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Ce QR code ne nous dit rien" in html
    assert 'href="/ambassadeurs/"' in html
    english = client.get("/q/nope-nope", HTTP_ACCEPT_LANGUAGE="en")
    assert "This QR code means nothing to us" in english.content.decode()
    assert client.get("/q/" + "x" * 200).status_code == 404
    assert response.cookies == {}


def test_an_ended_placement_is_not_counted_and_says_so(client, placement):
    placement.ends_on = timezone.localdate() - timedelta(days=1)
    placement.save(update_fields=["ends_on"])

    response = client.get(f"/q/{placement.code}")
    scan_counts_flush()

    assert response.status_code == 410
    assert "Cette affiche est terminée" in response.content.decode()
    assert scans_in_database(placement) == 0


def test_codes_of_an_ended_campaign_stop_at_once(
    client, placement, live_campaign, django_capture_on_commit_callbacks
):
    client.get(f"/q/{placement.code}")
    live_campaign.status = Campaign.Status.ENDED
    with django_capture_on_commit_callbacks(execute=True):
        live_campaign.save(update_fields=["status"])

    assert client.get(f"/q/{placement.code}").status_code == 410


def test_when_redis_is_down_the_scan_still_redirects_and_is_counted_in_postgresql(
    client, placement, redis_down
):
    from django.core.cache import cache

    with pytest.raises(Exception, match=r"Connection refused"):
        cache.get("anything")  # the cache really is unreachable

    response = client.get(f"/q/{placement.code}")

    assert response.status_code == 302
    assert response["Location"] == f"/ambassadeurs/?p={placement.code}"
    assert scan_counts_flush() == 0  # nothing moved through Redis...
    assert scans_in_database(placement) == 1  # ...the push went straight to PostgreSQL
    assert client.get("/q/unknown").status_code == 404
    assert client.get("/").status_code == 200  # pages too, uncached


def _hammer(base_url: str, path: str, *, threads: int, per_thread: int) -> list[int]:
    host, port = urlsplit(base_url).netloc.split(":")
    statuses: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        for _ in range(per_thread):
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            with lock:
                statuses.append(response.status)
        conn.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return statuses


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("counter", ["redis", "postgresql"])
def test_parallel_scans_are_all_counted_exactly(live_server, counter, request):
    if counter == "postgresql":
        request.getfixturevalue("redis_down")
    campaign = Campaign.objects.create(
        name="C", slug="c", starts_on="2026-09-30", hero_title="C", status="live"
    )
    placement = Placement.objects.create(campaign=campaign, channel="station", place_name="Gare")

    statuses = _hammer(live_server.url, f"/q/{placement.code}", threads=12, per_thread=25)
    scan_counts_flush()

    assert statuses == [302] * 300
    assert scans_in_database(placement) == 300


def test_a_flush_skips_counts_of_a_deleted_placement(client, placement, live_campaign):
    other = Placement.objects.create(
        campaign=live_campaign, channel="event", place_name="Salon, stand 4"
    )
    client.get(f"/q/{placement.code}")
    client.get(f"/q/{other.code}")
    other.delete()

    assert scan_counts_flush() == 1
    assert scans_in_database(placement) == 1


@pytest.mark.django_db(transaction=True)
def test_a_process_pushes_its_scans_to_redis_on_its_own_within_a_second(monkeypatch):
    from campaigns import scans

    campaign = Campaign.objects.create(
        name="C", slug="c", starts_on="2026-09-30", hero_title="C", status="live"
    )
    placement = Placement.objects.create(campaign=campaign, channel="station", place_name="Gare")
    monkeypatch.setattr(scans, "PUSH_EVERY_SECONDS", 0.05)
    buffer = scans._ScanBuffer()
    today = timezone.localdate()
    for _ in range(7):
        buffer.add(today, placement.pk)

    key = f"campaigns:scans:{today.isoformat()}"
    deadline = time.monotonic() + 5
    while scans.scan_redis().hget(key, str(placement.pk)) is None and time.monotonic() < deadline:
        time.sleep(0.05)

    assert scans.scan_redis().hget(key, str(placement.pk)) == b"7"
    assert scans.scan_redis().ttl(key) > 29 * 24 * 3600  # unflushed counts cannot pile up
    assert scan_counts_flush() == 7


def test_the_flush_runs_every_minute_on_celery_beat():
    from onprovence.celery import app

    app.loader.import_default_modules()  # what beat does before reading its schedule

    entry = app.conf.beat_schedule["campaigns: flush QR scan counts"]
    assert (entry["task"], entry["schedule"]) == ("campaigns.flush_scan_counts", 60.0)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_moves_the_counts_from_redis_to_postgresql(client, tmp_path):
    from celery import current_app

    from campaigns import scans
    from tests.processes import start_worker, stop, worker_env

    campaign = Campaign.objects.create(
        name="C", slug="c", starts_on="2026-09-30", hero_title="C", status="live"
    )
    placement = Placement.objects.create(campaign=campaign, channel="station", place_name="Gare")
    for _ in range(4):
        client.get(f"/q/{placement.code}")
    assert scans._buffer.push() == 4  # now in Redis, as the pusher thread would leave them

    worker = start_worker(env=worker_env(), queues="default", log_path=tmp_path / "worker.log")
    try:
        current_app.send_task("campaigns.flush_scan_counts")
        deadline = time.monotonic() + 60
        while scans_in_database(placement) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop(worker)

    assert scans_in_database(placement) == 4, (tmp_path / "worker.log").read_text()[-2000:]
