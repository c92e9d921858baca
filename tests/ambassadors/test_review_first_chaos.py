"""Chaos for the approval-time stage (review first, issue 18): a worker SIGKILLed while it
encodes the public web rendition is replaced, and the rendition is made exactly once."""

import datetime
import json
import os
import signal
import subprocess

import pytest
from celery import Celery
from django.conf import settings
from django.utils import timezone

from ambassadors import keys
from ambassadors.models import Status, Testimonial
from ambassadors.services.processing import testimonial_process
from ambassadors.services.status import testimonial_transition
from onprovence.storage import private_storage
from tests import processes
from tests.ambassadors import test_pipeline_chaos as base
from tests.ambassadors.test_pipeline_chaos import _gone, cmdline, uploaded, wait_for

# The chaos fixtures: a private redis-server, workers on it, the 8 s clip.
broker, chaos, clip = base.broker, base.chaos, base.clip

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def probe_of(testimonial: Testimonial) -> dict:
    return Testimonial.objects.values_list("probe", flat=True).get(pk=testimonial.pk)


def test_a_worker_killed_mid_web_rendition_is_replaced_and_the_rendition_made_once(
    chaos, broker, clip, tmp_path
):
    testimonial = uploaded(clip)
    assert testimonial_process(testimonial_id=testimonial.pk) == "in_review"
    assert probe_of(testimonial)["web"] == "review"
    testimonial_transition(
        testimonial_id=testimonial.pk,
        to=Status.APPROVED,
        actor_label="test",
        expected_from=[Status.IN_REVIEW],
        changes={"publish_at": timezone.now() + datetime.timedelta(days=1)},
    )
    first = chaos.worker("first")
    app = Celery("chaos-client", broker=broker.url, set_as_current=False)
    app.conf.task_routes = settings.CELERY_TASK_ROUTES
    with app.connection_for_write() as connection:
        app.send_task(
            "ambassadors.render_social_renditions",
            args=[str(testimonial.pk)],
            connection=connection,
        )

    def encoding_web() -> list[int]:
        return [
            pid
            for pid in processes.descendants(first.pid)
            if "ffmpeg" in cmdline(pid)
            and keys.WEB in cmdline(pid)
            and "social" not in cmdline(pid)
        ]

    wait_for(encoding_web, 60, "the first worker's web rendition", interval=0.02)
    for pid in [first.pid, *processes.descendants(first.pid)]:
        with _gone():
            os.kill(pid, signal.SIGKILL)
    first.wait(10)
    assert probe_of(testimonial)["web"] == "review"

    chaos.worker("second")
    wait_for(lambda: probe_of(testimonial)["web"] == "public", 120, "the web rendition")
    social = keys.testimonial_key(testimonial.pk, keys.SOCIAL["9x16"])
    wait_for(lambda: private_storage().exists(social), 120, "the social cuts")

    local = tmp_path / "web.mp4"
    with private_storage().open(keys.testimonial_key(testimonial.pk, keys.WEB)) as handle:
        local.write_bytes(handle.read())
    probed = subprocess.run(
        [settings.FFPROBE_BINARY, "-v", "error", "-show_streams", "-of", "json", str(local)],
        check=True,
        capture_output=True,
        text=True,
    )
    video = json.loads(probed.stdout)["streams"][0]
    assert (video["codec_name"], video["profile"]) == ("h264", "High")
    assert Testimonial.objects.get(pk=testimonial.pk).status == Status.APPROVED
    assert "web rendition made" in chaos.log("second")
    assert "web rendition made" not in chaos.log("first")
