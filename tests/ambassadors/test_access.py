"""Right of access: from the status link a resident downloads what is held about them and
sees until when it is kept (issue 12)."""

import datetime
import json

import pytest
import requests
from django.core import signing
from django.urls import reverse
from django.utils import timezone, translation

from ambassadors import conf
from ambassadors.links import resident_token
from ambassadors.models import ConsentText, Status
from ambassadors.services import decisions, journey
from ambassadors.services.erasure import testimonial_purge
from campaigns.models import Sector
from tests.ambassadors.conftest import make_video

from .moderation_support import *  # noqa: F403
from .moderation_support import upload_through_store

pytestmark = pytest.mark.django_db


def _start(first_name: str, email: str, **extra):
    return journey.testimonial_start(
        first_name=first_name,
        last_name="Durand",
        email=email,
        commune="Aubagne",
        job_title="Soudeuse",
        sector=Sector.objects.get(slug="energie"),
        consent_text=ConsentText.objects.get(is_current=True),
        choices={"release": True, "age_group": "15-17", "parental_consent": True},
        language="fr",
        is_minor=True,
        parent_email="parent@example.org",
        **extra,
    )


def _urls(testimonial) -> tuple[str, str, str]:
    token = resident_token(testimonial.pk)
    return (
        reverse("ambassadors:status", args=[token]),
        reverse("ambassadors:access-data", args=[token]),
        reverse("ambassadors:access-video", args=[token]),
    )


def test_the_resident_downloads_their_data_and_their_original_video(client, tmp_path):
    testimonial = _start("Inès", "ines@example.org")
    video = make_video(tmp_path / "phone.mp4", seconds=3).read_bytes()
    upload_through_store(testimonial, video)
    status_url, data_url, video_url = _urls(testimonial)

    page = client.get(status_url).content.decode()
    assert data_url in page and video_url in page
    answer = client.get(data_url)
    assert answer["Content-Disposition"] == 'attachment; filename="mes-donnees-one-provence.json"'
    data = json.loads(answer.content)
    assert data["about_you"] == {
        "first_name": "Inès",
        "last_name": "Durand",
        "email": "ines@example.org",
        "commune": "Aubagne",
        "job_title": "Soudeuse",
    }
    assert data["testimonial"]["status"] == Status.UPLOADED
    assert data["consent"]["text_version"] == testimonial.consent.text_version
    assert data["consent"]["choices"]["age_group"] == "15-17"
    assert data["consent"]["parent_email"] == "parent@example.org"
    assert [(e["from"], e["to"], e["by"]) for e in data["history"]] == [
        ("created", "uploaded", "resident")
    ]
    assert data["retention"]["consent_months"] == 36
    assert data["video"]["original_size_bytes"] == len(video)
    assert data["video"]["original_download"] == "http://testserver" + video_url

    redirect = client.get(video_url)
    assert redirect.status_code == 302
    assert "X-Amz-Expires=300" in redirect["Location"]
    downloaded = requests.get(redirect["Location"], timeout=30)
    assert downloaded.status_code == 200
    assert downloaded.content == video
    assert "ma-video-one-provence" in downloaded.headers["Content-Disposition"]


def test_the_history_names_no_staff_member_and_shows_no_moderator_note(
    client, make_testimonial, moderator
):
    testimonial = make_testimonial()
    decisions.testimonial_approve(
        testimonial_id=testimonial.pk, actor=moderator, note="Vu par Camille"
    )

    raw = client.get(_urls(testimonial)[1]).content.decode()

    assert "camille" not in raw.lower()
    assert json.loads(raw)["history"][-1]["by"] == "staff"


def test_another_token_gives_nothing_of_this_resident(client, make_testimonial):
    mine = make_testimonial(email="mine@example.org")
    other = make_testimonial(email="other@example.org")
    forged = resident_token(mine.pk)[:-2] + "xx"
    wrong_salt = signing.dumps(str(mine.pk), salt="employer_kit.magic-link")

    theirs = client.get(_urls(other)[1]).content.decode()
    assert "other@example.org" in theirs and "mine@example.org" not in theirs
    for token in (forged, wrong_salt, "not-a-token"):
        for name in ("ambassadors:access-data", "ambassadors:access-video"):
            assert client.get(reverse(name, args=[token])).status_code == 404


def test_an_erased_testimonial_has_nothing_to_download(
    client, make_testimonial, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial(original_key="testimonials/x/original")
    status_url, data_url, video_url = _urls(testimonial)
    assert client.get(data_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        journey.testimonial_withdraw(testimonial_id=testimonial.pk)
    assert client.get(data_url).status_code == 404  # the erasure is under way
    testimonial_purge(testimonial_id=testimonial.pk)

    assert client.get(data_url).status_code == 404
    assert client.get(video_url).status_code == 404
    page = client.get(status_url).content.decode()
    assert "Retirée et effacée" in page and data_url not in page


def test_the_status_page_states_the_retention_of_each_stage(client, make_testimonial, moderator):
    published = make_testimonial(
        Status.PUBLISHED, published_at=datetime.datetime(2026, 10, 1, 10, tzinfo=datetime.UTC)
    )
    refused = make_testimonial()
    decisions.testimonial_reject(testimonial_id=refused.pk, actor=moderator, details="Flou")
    waiting = make_testimonial()

    page = client.get(_urls(published)[0]).content.decode()
    assert "diffusée jusqu&#x27;au 1 octobre 2029 (36 mois à compter de la publication)" in page
    erase_on = timezone.localdate() + datetime.timedelta(days=conf.retention_rejected_days())
    page = client.get(_urls(refused)[0]).content.decode()
    with translation.override("fr"):
        from django.utils.formats import date_format

        assert f"seront effacées le {date_format(erase_on, 'DATE_FORMAT')}" in page
    page = client.get(_urls(waiting)[0]).content.decode()
    assert "36 mois à compter de la publication" in page
    english = client.get("/en" + _urls(published)[0]).content.decode()
    assert "36 months from its publication" in english
    assert "Download my data (JSON)" in english


def test_on_local_storage_the_video_link_is_a_signed_local_link(client, local_storage):
    from django.core.files.base import ContentFile

    from ambassadors import keys
    from onprovence.storage import private_storage

    testimonial = _start("Inès", "ines@example.org")
    key = keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
    private_storage().save(key, ContentFile(b"\x00\x00\x00\x18ftypmp42original-bytes"))
    type(testimonial).objects.filter(pk=testimonial.pk).update(
        original_key=key, probe={"format_name": "mov,mp4,m4a,3gp,3g2,mj2"}
    )

    redirect = client.get(_urls(testimonial)[2])
    assert redirect.status_code == 302 and redirect["Location"].startswith("/media/private/")
    served = client.get(redirect["Location"])
    assert b"".join(served.streaming_content).endswith(b"original-bytes")
    assert 'filename="ma-video-one-provence.mp4"' in served["Content-Disposition"]
