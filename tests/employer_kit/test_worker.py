"""The kit's Celery tasks in a real worker process: asset analysis and takedown notices."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ambassadors.models import Status
from ambassadors.services.status import testimonial_transition
from employer_kit.models import KitAsset, TakedownNotice
from employer_kit.services import kit_asset_from_testimonial, kit_download_record
from tests import processes
from tests.employer_kit.conftest import png_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_for(check, timeout: float = 45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.3)
    raise AssertionError("the worker did not finish in time")


def test_worker_analyses_an_uploaded_asset_and_sends_takedown_notices(
    admin_client, kit_content, published_testimonial, make_recruiter, tmp_path
):
    from django.contrib.contenttypes.models import ContentType

    # An earlier transactional test flushed the content types this process still caches (the
    # admin logs the addition against one).
    ContentType.objects.clear_cache()
    worker = processes.start_worker(
        env=processes.worker_env(), hostname="kit-worker", log_path=tmp_path / "worker.log"
    )
    try:
        response = admin_client.post(
            "/admin/employer_kit/kitasset/add/",
            {
                "title": "Affiche gare Saint-Charles",
                "kind": "social",
                "audience": "all",
                "language": "fr",
                "file": SimpleUploadedFile("affiche.png", png_bytes((1080, 1350))),
                "credits": "One Provence",
                "usage_rights": "Libre pour le recrutement",
                "versions-TOTAL_FORMS": "0",
                "versions-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        asset = KitAsset.objects.get(title="Affiche gare Saint-Charles")

        analysed = _wait_for(
            lambda: KitAsset.objects.filter(pk=asset.pk, analysed_at__isnull=False).first()
        )
        assert (analysed.file_format, analysed.width, analysed.height) == ("PNG", 1080, 1350)
        assert analysed.preview_key.endswith("/v1.webp")

        video = kit_asset_from_testimonial(testimonial_id=published_testimonial.pk)
        kit_download_record(recruiter=make_recruiter(), assets=[video], channel="single")
        testimonial_transition(testimonial_id=published_testimonial.pk, to=Status.WITHDRAWN)

        notice = _wait_for(lambda: TakedownNotice.objects.filter(sent_at__isnull=False).first())
        assert notice.asset == video
    finally:
        processes.stop(worker)
