"""Testimonials in the kit: consent limits, and takedown when they leave `published`."""

import base64
import json
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.core import mail
from django.utils import timezone

from ambassadors.models import Status
from ambassadors.services.retention import add_months
from ambassadors.services.status import testimonial_transition
from employer_kit import selectors
from employer_kit.models import KitAsset, TakedownNotice
from employer_kit.services import (
    TestimonialNotUsable,
    kit_asset_from_testimonial,
    takedown_notice_send,
)
from tests.employer_kit.conftest import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker():
    """The Redis broker of this test run, its default queue emptied."""
    connection = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    connection.delete("default")
    yield connection
    connection.delete("default")


def _queued(broker, task_name: str) -> list[list]:
    messages = [json.loads(raw) for raw in broker.lrange("default", 0, -1)]
    return [
        json.loads(base64.b64decode(m["body"]))[0]
        for m in messages
        if m["headers"]["task"] == task_name
    ]


def test_a_published_testimonial_becomes_a_video_asset_within_its_consent(published_testimonial):
    asset = kit_asset_from_testimonial(testimonial_id=published_testimonial.pk)

    assert asset.kind == KitAsset.Kind.VIDEO
    assert asset.file.name == f"testimonials/{published_testimonial.pk}/web.mp4"
    assert asset.sector == published_testimonial.sector
    # Until the day before the consent period (36 months from publication) ends.
    ends = add_months(published_testimonial.published_at, 36)
    assert asset.available_until == timezone.localdate(ends) - timedelta(days=1)
    assert "Recrutement uniquement" in asset.usage_rights
    assert "Léa, ingénieure" in asset.credits
    assert "Léa" not in asset.file.name and "lea@" not in asset.usage_rights + asset.credits
    assert selectors.kit_asset_downloadable(asset_id=asset.pk) == asset


def test_a_testimonial_whose_consent_excludes_the_kit_is_refused(published_testimonial):
    consent = published_testimonial.consent
    consent.choices = {"employer_kit": False}
    consent.save(update_fields=["choices"])

    with pytest.raises(TestimonialNotUsable, match="n'inclut pas le kit employeur"):
        kit_asset_from_testimonial(testimonial_id=published_testimonial.pk)
    assert KitAsset.objects.count() == 0


def test_an_unpublished_testimonial_cannot_be_added(published_testimonial):
    from ambassadors.models import Testimonial

    other = Testimonial.objects.create(status=Status.APPROVED, display_name="X")

    with pytest.raises(TestimonialNotUsable, match="Seul un témoignage publié"):
        kit_asset_from_testimonial(testimonial_id=other.pk)


def test_asset_expires_with_the_consent(published_testimonial):
    asset = kit_asset_from_testimonial(testimonial_id=published_testimonial.pk)
    # The consent period (36 months from the first publication) has run out since.
    published_testimonial.first_published_at = timezone.now() - timedelta(days=37 * 31)
    published_testimonial.save(update_fields=["first_published_at"])
    asset.available_until = timezone.localdate() - timedelta(days=1)
    asset.save(update_fields=["available_until"])

    assert selectors.kit_asset_downloadable(asset_id=asset.pk) is None
    with pytest.raises(TestimonialNotUsable, match="La durée du consentement de l'auteur"):
        kit_asset_from_testimonial(testimonial_id=published_testimonial.pk)


@pytest.mark.parametrize("to", [Status.WITHDRAWN])
def test_withdrawing_takes_the_asset_down_and_queues_notices(
    client, published_testimonial, make_recruiter, broker, django_capture_on_commit_callbacks, to
):
    from django.test import Client

    asset = kit_asset_from_testimonial(testimonial_id=published_testimonial.pk)
    downloaders = [
        make_recruiter(email=f"rh{n}@company{n}-test.fr", company=f"Company {n}") for n in range(2)
    ]
    bystander = make_recruiter(email="rh@other-test.fr")
    old_links = []
    for recruiter in downloaders:
        recruiter_client = Client()
        log_in(recruiter_client, recruiter)
        assert recruiter_client.get(f"/kit/telecharger/{asset.pk}/").status_code == 302
        old_links.append(recruiter_client)
    # One recruiter got it twice (single file, then archive): still one notice.
    assert old_links[0].get("/kit/archive.zip").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        testimonial_transition(
            testimonial_id=published_testimonial.pk, to=to, actor_label="resident", note="retrait"
        )

    asset.refresh_from_db()
    assert asset.withdrawn_at is not None
    assert selectors.kit_asset_downloadable(asset_id=asset.pk) is None
    assert "Témoignage — Léa" not in client.get("/kit/").content.decode()
    assert [c.get(f"/kit/telecharger/{asset.pk}/").status_code for c in old_links] == [404, 404]
    notices = TakedownNotice.objects.filter(asset=asset)
    assert {n.recruiter for n in notices} == set(downloaders)
    assert bystander not in {n.recruiter for n in notices}
    queued = _queued(broker, "employer_kit.send_takedown_notice")
    assert sorted(args[0] for args in queued) == sorted(n.pk for n in notices)

    # What the worker does with each queued message: one email, once.
    for args in queued:
        assert takedown_notice_send(notice_id=args[0]) is True
        assert takedown_notice_send(notice_id=args[0]) is False
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in downloaders)
    assert "Témoignage — Léa, ingénieure" in mail.outbox[0].subject
    assert "cesser de l'utiliser" in mail.outbox[0].body


def test_a_second_status_change_sends_no_second_notice(
    published_testimonial, make_recruiter, broker, django_capture_on_commit_callbacks
):
    from employer_kit.services import kit_download_record

    asset = kit_asset_from_testimonial(testimonial_id=published_testimonial.pk)
    kit_download_record(recruiter=make_recruiter(), assets=[asset], channel="single")
    with django_capture_on_commit_callbacks(execute=True):
        testimonial_transition(testimonial_id=published_testimonial.pk, to=Status.WITHDRAWN)
    with django_capture_on_commit_callbacks(execute=True):
        testimonial_transition(testimonial_id=published_testimonial.pk, to=Status.ERASED)

    assert TakedownNotice.objects.count() == 1
    assert len(_queued(broker, "employer_kit.send_takedown_notice")) == 1


def test_staff_add_a_published_testimonial_from_the_admin(admin_client, published_testimonial):
    page = admin_client.get("/admin/employer_kit/kitasset/depuis-un-temoignage/")
    assert "Léa, ingénieure" in page.content.decode()

    response = admin_client.post(
        "/admin/employer_kit/kitasset/depuis-un-temoignage/",
        {"testimonial": str(published_testimonial.pk)},
    )

    asset = KitAsset.objects.get(testimonial=published_testimonial)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/employer_kit/kitasset/{asset.pk}/change/"
    listing = admin_client.get("/admin/employer_kit/kitasset/").content.decode()
    assert "depuis-un-temoignage/" in listing
