"""The whole life of a testimonial on the real services, through each team's own code.

Upload (the journey's services, parts PUT to presigned S3 URLs) → pipeline (a real Celery
worker) → in review → approved in the admin, logged in → published by the publisher task →
gallery and feeds → social pack → erased from the admin → nothing left in either store.
"""

import io
import json
import subprocess
import time
import zipfile

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from ambassadors import keys
from ambassadors.models import ConsentRecord, ConsentText, Status, Testimonial
from ambassadors.services import decisions, journey
from ambassadors.tasks.moderation import publish_due_testimonials
from campaigns.models import Sector
from onprovence.storage import list_prefix, private_storage, public_storage
from tests import processes

from .moderation_support import *  # noqa: F403
from .moderation_support import upload_through_store

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, what: str, timeout: float = 240.0, log=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def _status(testimonial_id) -> str:
    return Testimonial.objects.values_list("status", flat=True).get(pk=testimonial_id)


def _phone_video(path) -> bytes:
    """A 4-second portrait clip with a voice-like tone, as a phone would send."""
    subprocess.run(
        [
            settings.FFMPEG_BINARY, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=240x426:rate=15:duration=4",
            "-f", "lavfi", "-i", "sine=frequency=300:duration=4",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "48k", "-shortest", str(path),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    return path.read_bytes()


def test_upload_pipeline_review_publish_social_pack_and_erase(
    client, moderator, tmp_path, public_bucket_readable, broker
):
    testimonial = journey.testimonial_start(
        first_name="Nadia",
        last_name="Benali",
        email="nadia@example.org",
        commune="Martigues",
        job_title="Cheffe de quai",
        sector=Sector.objects.get(slug="energie"),
        consent_text=ConsentText.objects.get(is_current=True),
        choices={"diffusion": True},
        language="fr",
    )
    upload_through_store(testimonial, _phone_video(tmp_path / "phone.mp4"))
    assert _status(testimonial.pk) == Status.UPLOADED

    log = tmp_path / "worker.log"
    worker = processes.start_worker(
        env=processes.worker_env(), hostname="moderation-life", log_path=log
    )
    try:
        _wait_for(lambda: _status(testimonial.pk) == Status.IN_REVIEW, "the pipeline", log=log)

        client.force_login(moderator)
        queue = client.get("/admin/ambassadors/testimonial/?status__exact=in_review")
        assert f"/admin/ambassadors/testimonial/{testimonial.pk}/change/" in queue.content.decode()
        review = client.get(f"/admin/ambassadors/testimonial/{testimonial.pk}/change/")
        assert f"testimonials/{testimonial.pk}/web.mp4" in review.content.decode()
        # The moderator writes the card's quote (approval refuses a testimonial without one).
        decisions.testimonial_edit(
            testimonial_id=testimonial.pk,
            actor=moderator,
            changes={"quote": "Le port, la mer et un métier qui bouge."},
        )
        now = timezone.localtime()
        approve = f"/admin/ambassadors/testimonial/moderate/approve/?ids={testimonial.pk}"
        client.post(
            approve,
            {
                "ids": str(testimonial.pk),
                "publish_at_0": now.date().isoformat(),
                "publish_at_1": now.strftime("%H:%M"),
            },
        )
        assert _status(testimonial.pk) == Status.APPROVED

        publish_due_testimonials.delay()
        _wait_for(lambda: _status(testimonial.pk) == Status.PUBLISHED, "the publisher", log=log)
        gallery = client.get("/temoignages/?commune=Martigues").content.decode()
        assert f"/temoignages/{testimonial.pk}/" in gallery
        assert client.get(f"/temoignages/{testimonial.pk}/").status_code == 200
        feed = json.loads(client.get("/temoignages/flux.json").content)
        assert [item["id"] for item in feed["items"]] == [str(testimonial.pk)]
        video = requests.get(feed["items"][0]["attachments"][0]["url"], timeout=30)
        assert video.headers["Content-Type"] == "video/mp4"
        assert video.content[4:8] == b"ftyp"

        social = keys.testimonial_key(testimonial.pk, keys.SOCIAL["9x16"])
        _wait_for(lambda: private_storage().exists(social), "the social renditions")
        _wait_for(
            lambda: all(
                private_storage().exists(keys.testimonial_key(testimonial.pk, name))
                for name in keys.SOCIAL.values()
            ),
            "all three social formats",
        )
        pack = client.get(f"/admin/ambassadors/testimonial/{testimonial.pk}/social-pack/")
        archive = zipfile.ZipFile(io.BytesIO(b"".join(pack.streaming_content)))
        assert {"video-9x16.mp4", "video-1x1.mp4", "video-16x9.mp4", "affiche.jpg"} <= set(
            archive.namelist()
        )

        client.post(
            f"/admin/ambassadors/testimonial/moderate/erase/?ids={testimonial.pk}",
            {"ids": str(testimonial.pk), "confirm": "on"},
        )
        _wait_for(lambda: _status(testimonial.pk) == Status.ERASED, "the purge", log=log)
    finally:
        processes.stop(worker)

    prefix = keys.testimonial_prefix(testimonial.pk)
    assert list_prefix(private_storage(), prefix) == []
    assert list_prefix(public_storage(), prefix) == []
    erased = Testimonial.objects.get(pk=testimonial.pk)
    assert (erased.first_name, erased.email, erased.commune) == ("", "", "")
    assert ConsentRecord.objects.get(testimonial_ref=testimonial.pk).anonymised_at is not None
    assert client.get(f"/temoignages/{testimonial.pk}/").status_code == 404
    assert str(testimonial.pk) not in client.get("/temoignages/flux.rss").content.decode()
