"""The embedded default (SQLite, file cache): scans and funnel counts still add up."""

import os
import subprocess
import sys

import pytest

from tests import processes

pytestmark = pytest.mark.slow

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from campaigns import scans
from campaigns.models import Campaign, FunnelCount, Placement
from campaigns.scans import scan_counts_flush
# The flush below moves the counts; the pusher thread, waking a second after the first scan
# on a slow machine, would write them at the same time and the print could miss them.
scans.PUSH_EVERY_SECONDS = 3600.0
from campaigns.services import funnel_record
campaign = Campaign.objects.create(
    name="C", slug="c", status="live", starts_on="2026-09-30", hero_title="C"
)
placement = Placement.objects.create(campaign=campaign, channel="station", place_name="Gare")
client = Client(HTTP_HOST="localhost")
statuses = {client.get(f"/q/{placement.code}").status_code for _ in range(3)}
scan_counts_flush()
funnel_record(placement_id=None, step="landing")
funnel_record(placement_id=None, step="landing")
print(statuses, sorted(FunnelCount.objects.values_list("step", "count")))
"""


def test_scans_and_funnel_counts_work_on_sqlite_without_redis(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "S3_PRIVATE_BUCKET", "STATICFILES_BACKEND"}
    }
    env.update(
        ONPROVENCE_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="onprovence.settings"
    )

    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=processes.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "{302} [('landing', 2), ('scan', 3)]"
