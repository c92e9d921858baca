"""The per-client budget of media seconds per day (security review 2026-12).

Reproduction (failed before the fix): one connection could have any number of videos
transcoded (20 upload starts an hour, each up to 120 s of video): nothing counted the seconds
the workers spent on one client.
"""

import os

import pytest
from django.core.cache import cache
from django.urls import reverse

from ambassadors.models import Status, Testimonial
from ambassadors.services import media_budget
from ambassadors.services.processing import testimonial_process
from tests.ambassadors.media.corpus import Corpus
from tests.ambassadors.test_processing import upload

pytestmark = pytest.mark.django_db

CLIENT = "203.0.113.66"
NEIGHBOUR = "198.51.100.7"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    return Corpus(tmp_path_factory.mktemp("budget-corpus"))


def test_a_client_over_its_day_s_media_seconds_is_refused_before_the_transcode(corpus, settings):
    settings.AMBASSADORS_MEDIA_SECONDS_PER_CLIENT_PER_DAY = 10  # two 4 s videos, not three
    videos = [upload(corpus["landscape"], language=lang) for lang in ("fr", "fr", "en")]
    neighbour = upload(corpus["landscape"])
    for testimonial in videos:
        media_budget.media_budget_remember(testimonial_id=testimonial.pk, client_ip=CLIENT)
    media_budget.media_budget_remember(testimonial_id=neighbour.pk, client_ip=NEIGHBOUR)

    outcomes = [testimonial_process(testimonial_id=t.pk) for t in (*videos, neighbour)]

    assert outcomes == ["in_review", "in_review", "rejected", "in_review"]
    refused = Testimonial.objects.get(pk=videos[2].pk)
    assert refused.status == Status.REJECTED
    assert refused.rejection_reason == (
        "Many videos have already been sent from your connection today: we cannot process "
        "this one. Try again tomorrow, or from another network (your phone's mobile data, "
        "for example)."
    )
    assert refused.probe["verdict"]["code"] == "daily_budget"
    assert "transcode" not in refused.probe["timings"]
    assert media_budget.media_budget_spent(client_ip=CLIENT) == 8
    assert media_budget.media_budget_spent(client_ip=NEIGHBOUR) == 4
    # The address itself is nowhere: not in the row, not in the cache.
    assert CLIENT not in str(Testimonial.objects.filter(pk=refused.pk).values().get())
    assert not any(CLIENT in str(cache.get(key)) for key in _cache_keys())


def test_a_retried_task_is_not_charged_twice(corpus, settings):
    settings.AMBASSADORS_MEDIA_SECONDS_PER_CLIENT_PER_DAY = 10
    testimonial = upload(corpus["landscape"])
    media_budget.media_budget_remember(testimonial_id=testimonial.pk, client_ip=CLIENT)

    first = media_budget.media_budget_charge(testimonial_id=testimonial.pk, seconds=4.0)
    again = media_budget.media_budget_charge(testimonial_id=testimonial.pk, seconds=4.0)

    assert first == (True, 4) and again == (True, 0)
    assert media_budget.media_budget_spent(client_ip=CLIENT) == 4


def test_no_budget_applies_when_the_client_is_unknown_or_the_setting_is_zero(settings):
    assert media_budget.media_budget_charge(testimonial_id="x", seconds=600) == (True, 0)
    settings.AMBASSADORS_MEDIA_SECONDS_PER_CLIENT_PER_DAY = 0
    media_budget.media_budget_remember(testimonial_id="y", client_ip=CLIENT)
    assert media_budget.media_budget_charge(testimonial_id="y", seconds=600) == (True, 0)


def _cache_keys() -> list[str]:
    client = cache._cache.get_client()
    prefix = cache.make_key("")
    return [key.decode()[len(prefix) :] for key in client.keys(prefix + "ambassadors:*")]


def api(client, name: str, body: dict, **extra):
    return client.post(
        reverse(f"ambassadors:{name}"), body, content_type="application/json", **extra
    )


def test_the_upload_start_is_refused_once_the_day_s_budget_is_spent_behind_a_proxy(
    resident_client, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AMBASSADORS_MEDIA_SECONDS_PER_CLIENT_PER_DAY = 10
    media_budget.media_budget_remember(testimonial_id="spent", client_ip=CLIENT)
    media_budget.media_budget_charge(testimonial_id="spent", seconds=10)
    body = {"size": 10, "type": "video/mp4"}

    refused = api(resident_client, "upload-start", body, HTTP_X_FORWARDED_FOR=CLIENT)
    english = resident_client.post(
        "/en/ambassadeurs/envoi/debut/", body, content_type="application/json",
        HTTP_X_FORWARDED_FOR=CLIENT,
    )  # fmt: skip
    neighbour = api(resident_client, "upload-start", body, HTTP_X_FORWARDED_FOR=NEIGHBOUR)

    assert (refused.status_code, refused.json()["code"]) == (429, "media_budget")
    assert refused.json()["error"].startswith(
        "Beaucoup de vidéos ont déjà été envoyées aujourd'hui depuis votre connexion."
    )
    assert english.json()["error"].startswith(
        "Many videos have already been sent from your connection today."
    )
    assert neighbour.status_code == 200


def test_the_upload_completion_remembers_an_hmac_of_the_client_for_the_worker(
    resident_client, testimonial, local_storage, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AMBASSADORS_UPLOAD_PART_SIZE = 1000
    data = os.urandom(1500)
    started = api(resident_client, "upload-start", {"size": 1500, "type": "video/mp4"}).json()
    urls = api(resident_client, "upload-sign", {"upload": started["upload"], "parts": [1, 2]})
    for number, url in urls.json()["urls"].items():
        start = (int(number) - 1) * 1000
        resident_client.generic("PUT", url, data=data[start : start + 1000])

    done = api(
        resident_client, "upload-complete", {"upload": started["upload"]},
        HTTP_X_FORWARDED_FOR=f"{CLIENT}, 10.0.0.2",
    )  # fmt: skip

    assert done.status_code == 200
    assert media_budget.media_budget_charge(testimonial_id=testimonial.pk, seconds=30) == (
        True,
        30,
    )
    # Charged to the address our proxy saw (the last entry), not the one the client wrote.
    assert media_budget.media_budget_spent(client_ip="10.0.0.2") == 30
    assert media_budget.media_budget_spent(client_ip=CLIENT) == 0
