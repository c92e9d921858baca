"""Fault: PostgreSQL drops the connections of the web and of the scan-count flush.

What happens in production when PostgreSQL restarts, fails over or kills idle sessions: a
gunicorn worker (tests/campaigns/fault_settings.py: persistent connections and their health
checks, DEBUG off) holds a connection that is dead, or dies under a query. The connections of
the server under test are found by their application_name and ended with
pg_terminate_backend(). A resident scanning a code gets the redirect, never a 500, and each
scan that got its redirect is counted once: not lost, not twice.
"""

import http.client
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
import redis
from celery import Celery
from django.conf import settings
from django.utils import timezone

from campaigns.models import Campaign, FunnelCount, Placement
from campaigns.scans import scan_counts_flush
from tests import processes
from tests.ambassadors.test_pipeline_chaos import RedisServer, free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.timeout(90)]

WEB = "onprovence-fault-web"
FLUSH = "onprovence-fault-flush"


def database_url(application_name: str) -> str:
    return processes.worker_env()["DATABASE_URL"] + f"?application_name={application_name}"


def admin() -> psycopg.Connection:
    """A connection of the test's own, outside Django, to the test database."""
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db.get("PASSWORD") or "",
        dbname=db["NAME"],
        autocommit=True,
    )


def backends(application_name: str, *, waiting: bool = False) -> list[int]:
    sql = (
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = %s AND pid <> pg_backend_pid()"
    )
    if waiting:
        sql += " AND wait_event_type = 'Lock'"
    with admin() as conn:
        return [row[0] for row in conn.execute(sql, [application_name])]


def terminate(pids: list[int]) -> None:
    assert pids, "no connection to drop"
    with admin() as conn:
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", [pid])
    wait_for(lambda: not set(pids) & set(backends(WEB) + backends(FLUSH)), 10, "the drop")


class Web:
    def __init__(self, port: int, process: subprocess.Popen) -> None:
        self.port, self.process = port, process

    def get(self, path: str) -> tuple[int, str, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers={"Accept-Language": "fr"})
            response = conn.getresponse()
            return response.status, response.getheader("Location") or "", response.read().decode()
        finally:
            conn.close()


def start_web(tmp_path, **env: str) -> Web:
    port = free_port()
    environment = processes.worker_env(
        DJANGO_SETTINGS_MODULE="tests.campaigns.fault_settings",
        DATABASE_URL=database_url(WEB),
        **env,
    )
    log = open(tmp_path / "web.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "onprovence.wsgi:application", "-b",
         f"127.0.0.1:{port}", "-w", "1", "--timeout", "60", "--graceful-timeout", "10"],
        cwd=processes.ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    processes.wait_for_port("127.0.0.1", port)
    return Web(port, process)


@pytest.fixture
def web(tmp_path) -> Iterator[Web]:
    server = start_web(tmp_path)
    yield server
    processes.stop(server.process)


@pytest.fixture
def placements(db) -> list[Placement]:
    campaign = Campaign.objects.create(
        name="Campagne",
        slug="campagne",
        status=Campaign.Status.LIVE,
        starts_on=timezone.localdate(),
    )
    return [
        Placement.objects.create(
            campaign=campaign, channel=Placement.Channel.STATION, place_name=f"Gare {n}"
        )
        for n in range(4)
    ]


def counted(placement: Placement) -> int:
    return sum(
        FunnelCount.objects.filter(placement=placement, step="scan").values_list("count", flat=True)
    )


def waiting_in_redis() -> int:
    """Scans counted in Redis, waiting or being flushed (the flush's lock is no count)."""
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    return sum(
        int(n)
        for pattern in ("campaigns:scans:*", "campaigns:scans-flushing:*")
        for key in client.scan_iter(pattern)
        for n in client.hvals(key)
    )


def assert_scan(web: Web, placement: Placement) -> None:
    status, location, body = web.get(f"/q/{placement.code}")
    assert (status, location) == (302, f"/ambassadeurs/?p={placement.code}"), body[:2000]


def test_a_dead_persistent_connection_is_replaced_before_the_scan_reads(web, placements):
    first, second, third, _ = placements
    assert_scan(web, first)
    [kept] = backends(WEB)  # persistent: still open after the response
    terminate([kept])

    assert_scan(web, second)  # a code not yet resolved in this process: reads PostgreSQL
    [replacement] = backends(WEB)
    assert replacement != kept
    terminate([replacement])
    assert_scan(web, third)
    terminate(backends(WEB))
    assert_scan(web, first)  # resolved before: no query at all

    wait_for(lambda: waiting_in_redis() == 4, 10, "the scans pushed to Redis")
    assert scan_counts_flush() == 4
    assert [counted(p) for p in placements] == [2, 1, 1, 0]


def test_a_connection_dropped_under_the_scan_query_still_redirects(web, placements):
    first, second, *_ = placements
    assert_scan(web, first)  # the worker is up and holds its connection
    answers: list = []
    with admin() as lock:
        lock.autocommit = False
        lock.execute(f"LOCK TABLE {Placement._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        scan = threading.Thread(target=lambda: answers.append(web.get(f"/q/{second.code}")))
        scan.start()
        blocked = wait_for(lambda: backends(WEB, waiting=True), 20, "the scan's query waiting")
        terminate(blocked)
        lock.rollback()
    scan.join(30)

    [(status, location, body)] = answers
    assert (status, location) == (302, f"/ambassadeurs/?p={second.code}"), body[:2000]
    wait_for(lambda: waiting_in_redis() == 2, 10, "the scans pushed to Redis")
    assert scan_counts_flush() == 2
    assert [counted(p) for p in placements[:2]] == [1, 1]


def test_redis_down_and_the_push_to_postgresql_cut_midway_counts_each_scan_once(
    tmp_path, placements, closed_port
):
    """Redis unreachable: the push thread writes the counts to PostgreSQL, and loses its
    connection after the first placement's count is committed and before the second's."""
    first, second, *_ = placements
    today = timezone.localdate()
    FunnelCount.objects.create(placement=second, day=today, step="scan", count=0)
    web = start_web(tmp_path, REDIS_URL=f"redis://127.0.0.1:{closed_port}/0")
    try:
        with admin() as lock:
            lock.autocommit = False
            lock.execute(
                f"SELECT 1 FROM {FunnelCount._meta.db_table} "
                "WHERE placement_id = %s AND step = 'scan' FOR UPDATE",
                [second.pk],
            )
            assert_scan(web, first)
            assert_scan(web, second)
            blocked = wait_for(lambda: backends(WEB, waiting=True), 20, "the push waiting")
            assert counted(first) == 1  # committed before the second placement's upsert
            terminate(blocked)
            lock.rollback()
        wait_for(lambda: counted(second) == 1, 20, "the second count after the next push")
        assert counted(first) == 1
    finally:
        processes.stop(web.process)
    assert [counted(p) for p in placements[:2]] == [1, 1]


@pytest.fixture
def flush_worker(tmp_path) -> Iterator[tuple[RedisServer, object]]:
    broker = RedisServer(tmp_path)
    broker.start()
    env = processes.worker_env(
        DATABASE_URL=database_url(FLUSH),
        CELERY_BROKER_URL=broker.url,
        CELERY_RESULT_BACKEND=broker.url,
    )
    log = tmp_path / "worker.log"
    worker = processes.start_worker(env=env, queues="default", hostname="flush", log_path=log)
    yield broker, log
    processes.stop(worker)
    broker.stop()


def test_the_flush_cut_midway_retries_and_moves_every_count_exactly_once(flush_worker, placements):
    broker, log = flush_worker
    first, second, *_ = placements
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    counts = {(yesterday, first): 7, (yesterday, second): 3, (today, first): 5, (today, second): 4}
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    for (day, placement), n in counts.items():
        client.hincrby(f"campaigns:scans:{day.isoformat()}", str(placement.pk), n)
    FunnelCount.objects.create(placement=second, day=today, step="scan", count=0)

    app = Celery("faults-client", broker=broker.url, set_as_current=False)
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with admin() as lock:
        lock.autocommit = False
        lock.execute(
            f"SELECT 1 FROM {FunnelCount._meta.db_table} "
            "WHERE placement_id = %s AND day = %s AND step = 'scan' FOR UPDATE",
            [second.pk, today],
        )
        with app.connection_for_write() as connection:
            app.send_task("campaigns.flush_scan_counts", connection=connection)
        blocked = wait_for(lambda: backends(FLUSH, waiting=True), 30, "the flush waiting")
        terminate(blocked)
        lock.rollback()

    wait_for(lambda: waiting_in_redis() == 0, 30, "every count moved out of Redis")
    rows = {
        (row.day, row.placement_id): row.count
        for row in FunnelCount.objects.filter(step="scan", count__gt=0)
    }
    assert rows == {(day, placement.pk): n for (day, placement), n in counts.items()}
    text = log.read_text(errors="replace")
    assert "Retry in" in text, text[-3000:]
