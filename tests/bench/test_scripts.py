"""Every load script of `make bench` runs to the end at a small size and passes its own checks.

The figures themselves are for people (docs/PERFORMANCE.md), not assertions; what is asserted
is what each script checks in every run: zero HTTP errors, every scan counted, every upload
complete and stored, every video in review or clearly rejected. A script that an unrelated
change breaks (a helper's signature, a setting) fails here instead of on the next `make bench`.
Each runs as its own process with the environment a person has, not this test session's.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ambassadors.media import corpus

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

# What tests/settings.py puts in this process's environment for the test session.
SESSION_VARIABLES = (
    "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL",
    "AWS_S3_ENDPOINT_URL", "ONPROVENCE_TEST_START_S3", "S3_PRIVATE_BUCKET", "S3_PUBLIC_BUCKET",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_REGION_NAME", "CSP_MEDIA_ORIGIN",
    "STATICFILES_BACKEND", "DJANGO_ALLOW_ASYNC_UNSAFE",
)  # fmt: skip


def run_bench(*arguments: str, timeout: float = 400) -> str:
    env = {name: value for name, value in os.environ.items() if name not in SESSION_VARIABLES}
    env.update(
        BENCH_DATABASE_URL=os.environ.get(
            "BENCH_SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/onprovence_bench_smoke"
        ),
        # The scripts empty their Redis db: one no test uses.
        BENCH_REDIS_URL=os.environ.get("BENCH_SMOKE_REDIS_URL", "redis://127.0.0.1:6379/12"),
    )
    result = subprocess.run(
        [sys.executable, *arguments], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_http_load_serves_the_scan_and_the_home_without_an_error_and_counts_every_scan():
    output = run_bench("bench/http_load.py", "--seconds", "2", "--connections", "10")

    assert "errors: 0 (target 0): OK" in output
    assert "counted in FunnelCount after the flush: OK" in output
    for endpoint in ("baseline", "qr", "home"):
        assert any(line.startswith(endpoint) for line in output.splitlines()), output


def test_redirect_counts_every_parallel_scan():
    output = run_bench("bench/redirect.py", "--seconds", "1", "--rounds", "1")

    assert "exactness: 2000 parallel scans sent, 2000 counted after the flush" in output


def test_parallel_uploads_all_complete_and_are_stored_whole():
    output = run_bench("bench/upload_parallel.py", "--residents", "3", "--size-mb", "6")

    assert "protocol uploads: 3/3 complete" in output
    assert "checks: 3 testimonials `uploaded` with the right size" in output


def test_the_resident_bench_times_a_recording_sent_at_each_bitrate_on_a_slow_uplink():
    """bench/upload_resident.py at a 4 s recording on a 4 Mb/s uplink: both sends reach the
    thank-you page, each with its baseline (issue 15)."""
    output = run_bench("bench/upload_resident.py", "--seconds", "4", "--uplink-kbps", "4000")

    for label in ("before (browser default)", "after (chosen bitrate)"):
        line = next(line for line in output.splitlines() if line.startswith(label))
        assert "Envoyer -> thank-you page" in line and "baseline" in line, output


def test_local_part_uploads_stream_with_a_small_heap():
    output = run_bench("bench/upload_local_parts.py")

    assert "heap peak:" in output


def test_upload_calls_give_up_with_storage_unavailable_in_every_outage():
    output = run_bench(
        "bench/upload_outage.py", "--repeat", "1", "--cap", "10", "--baseline-cap", "1"
    )

    assert "checks: every call raised StorageUnavailable (the view's 503): OK" in output
    for outage in ("refused", "no answer to connect", "blackhole"):
        assert sum(line.startswith(outage) for line in output.splitlines()) == 2, output


def test_the_media_queue_brings_every_upload_to_review_or_a_clear_rejection_in_both_designs():
    """The same burst under today's design and review first (issue 18), each with its checks and
    the figures compared in one table."""
    # Six files: five good ones of 4–12 s (camera clips, VP9, VP8 and H.264 recordings) and one
    # too short, which must be rejected.
    output = run_bench(
        "bench/media_queue.py", "--videos", "6", "--seconds", "6", "--camera", "360x640"
    )

    for design in ("encode-first", "review-first"):
        assert f"{design}: 6 uploads (5 in_review, 1 rejected)" in output, output
        assert f"{design}: time from enqueue to in_review: mean" in output, output
    assert "| figure | encode-first (today) | review-first | ratio new/old |" in output
    assert "| media worker CPU (s) |" in output
    checks = next(line for line in output.splitlines() if line.startswith("checks"))
    assert checks.endswith(": OK"), checks


def test_the_pipeline_bench_compares_review_first_with_todays_design(tmp_path):
    clip = corpus.portrait_rotated(tmp_path)

    output = run_bench(
        "bench/pipeline.py", "--repeat", "1", "--clip", str(clip), "--recording-seconds", "5"
    )

    for design in ("encode-first", "review-first"):
        assert output.count(f"run 1 {design}: in_review after") == 3, output
    assert output.count("run 1 approval (public web rendition):") == 3, output
    assert "| clip | to in_review, encode-first | to in_review, review-first |" in output


def test_the_signature_cost_bench_times_the_pass_with_and_without_the_samples():
    output = run_bench("bench/signature_cost.py", "--repeat", "1", "--seconds", "4")

    assert sum(line.startswith("without signature  wall") for line in output.splitlines()) == 1
    assert sum(line.startswith("with signature     wall") for line in output.splitlines()) == 1
    assert "cpu ratio" in output and "samples, hashed in Python" in output


def test_the_worst_accepted_file_is_measured_against_a_phone_clip_and_the_bomb_refused():
    output = run_bench("bench/worst_accepted.py", "--seconds", "3")

    assert "worst accepted: 4096x2304 @ 105 fps, 3 s" in output
    assert "baseline phone clip: 1920x1080 @ 30 fps, 3 s" in output
    assert "cpu ratio worst/baseline:" in output
    assert "refused before any transcode: 4096x2304 @ 240 fps -> pixel_rate" in output


def test_the_bench_scripts_run_one_at_a_time_under_xdist(request):
    """CI run of stop 20: http_load counted 0 of 4953 scans because bench/redirect.py, on the
    other xdist worker, emptied the same Redis db meanwhile. The scripts share one database and
    one Redis db, so --dist loadgroup must keep them on one worker: the group conftest.py adds
    has to be in place before xdist reads it (its hook ran first, and the group was ignored)."""
    assert request.node.get_closest_marker("xdist_group").args == ("bench-smoke",)
    if request.config.getoption("loadgroup", default=False):
        assert request.node.nodeid.endswith("@bench-smoke")
