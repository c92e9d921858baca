"""Unpublish is not withdraw (issue 12, finding 7).

Reproduction (before this change): a moderator unpublishing a testimonial marked its kit asset
withdrawn for good and queued takedown notices telling every recruiter who downloaded it to
delete their copy; publishing it again did not bring the asset back.
"""

import pytest
import redis
from django.conf import settings
from django.core import mail

from ambassadors.models import Status
from ambassadors.services.journey import testimonial_withdraw
from ambassadors.services.publication import testimonial_publish, testimonial_unpublish
from employer_kit import selectors
from employer_kit.models import TakedownNotice
from employer_kit.services import kit_asset_from_testimonial, kit_download_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker():
    connection = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    connection.delete("default")
    yield connection
    connection.delete("default")


def _kit_page(client) -> str:
    return client.get("/kit/").content.decode()


def test_unpublishing_hides_the_asset_without_notice_and_publishing_brings_it_back(
    client, published_testimonial, make_recruiter, broker, django_capture_on_commit_callbacks
):
    asset = kit_asset_from_testimonial(testimonial_id=published_testimonial.pk)
    kit_download_record(recruiter=make_recruiter(), assets=[asset], channel="single")
    assert "Témoignage — Léa" in _kit_page(client)

    with django_capture_on_commit_callbacks(execute=True):
        testimonial_unpublish(testimonial_id=published_testimonial.pk, actor=None)

    asset.refresh_from_db()
    assert (asset.withdrawn_at, asset.withdrawn_reason) == (None, "")
    assert selectors.kit_asset_downloadable(asset_id=asset.pk) is None
    assert "Témoignage — Léa" not in _kit_page(client)
    assert not TakedownNotice.objects.exists()
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        assert testimonial_publish(testimonial_id=published_testimonial.pk) is True

    published_testimonial.refresh_from_db()
    assert published_testimonial.status == Status.PUBLISHED
    assert selectors.kit_asset_downloadable(asset_id=asset.pk) == asset
    assert "Témoignage — Léa" in _kit_page(client)
    assert not TakedownNotice.objects.exists()


def test_withdrawal_after_an_unpublish_sends_the_notices(
    published_testimonial, make_recruiter, broker, django_capture_on_commit_callbacks
):
    asset = kit_asset_from_testimonial(testimonial_id=published_testimonial.pk)
    recruiter = make_recruiter()
    kit_download_record(recruiter=recruiter, assets=[asset], channel="single")
    with django_capture_on_commit_callbacks(execute=True):
        testimonial_unpublish(testimonial_id=published_testimonial.pk, actor=None)

    with django_capture_on_commit_callbacks(execute=True):
        testimonial_withdraw(testimonial_id=published_testimonial.pk)

    asset.refresh_from_db()
    assert asset.withdrawn_at is not None
    assert asset.withdrawn_reason == "testimonial approved -> withdrawn"
    assert [n.recruiter for n in TakedownNotice.objects.filter(asset=asset)] == [recruiter]
