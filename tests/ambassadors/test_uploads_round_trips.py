"""How few requests and S3 calls an upload takes: the start signs the first parts' URLs, the
completion lists the parts once and assembles exactly what it checked. Earlier clients (a page
loaded before a deploy, an upload resumed from IndexedDB) still sign their parts themselves."""

import os
from types import SimpleNamespace

import pytest
import requests
from botocore.client import BaseClient
from django.core.cache import cache

from ambassadors import keys, upload_backends, uploads
from ambassadors.models import Status
from ambassadors.views_upload import FIRST_URLS
from onprovence.storage import private_storage

from .upload_support import LOCAL_PART, S3_PART

pytestmark = pytest.mark.django_db


def api(client, path: str, body: dict):
    return client.post(f"/ambassadeurs/envoi/{path}/", body, content_type="application/json")


def put(client, url: str, data: bytes) -> int:
    if url.startswith("http"):
        return requests.put(url, data=data, timeout=30).status_code
    return client.generic("PUT", url, data=data).status_code


def chunk(data: bytes, part_size: int, number: int) -> bytes:
    return data[(number - 1) * part_size : number * part_size]


def read_original(key: str) -> bytes:
    with private_storage().open(key, "rb") as handle:
        return handle.read()


def test_the_start_answers_with_urls_that_take_every_part_of_a_short_video(
    backend, resident_client, testimonial
):
    data = os.urandom(2 * (S3_PART if backend == "s3" else LOCAL_PART) + 1000)

    started = api(resident_client, "debut", {"size": len(data), "type": "video/mp4"}).json()
    statuses = [
        put(resident_client, started["urls"][str(n)], chunk(data, started["partSize"], n))
        for n in (1, 2, 3)
    ]
    done = api(resident_client, "fin", {"upload": started["upload"]})

    assert sorted(started["urls"]) == ["1", "2", "3"]
    assert statuses == [200, 200, 200]
    assert (done.status_code, done.json()["done"]) == (200, True)
    testimonial.refresh_from_db()
    assert read_original(testimonial.original_key) == data


def test_the_start_signs_the_uploaders_first_batch_and_the_rest_is_signed_on_request(
    local_storage, settings, resident_client, testimonial
):
    settings.AMBASSADORS_UPLOAD_PART_SIZE = LOCAL_PART
    data = os.urandom(LOCAL_PART * (FIRST_URLS + 2))

    started = api(resident_client, "debut", {"size": len(data), "type": "video/mp4"}).json()
    later = api(
        resident_client, "parties", {"upload": started["upload"], "parts": [FIRST_URLS + 1, 12]}
    ).json()["urls"]
    urls = started["urls"] | later
    statuses = {
        put(resident_client, urls[str(n)], chunk(data, LOCAL_PART, n)) for n in range(1, 13)
    }
    done = api(resident_client, "fin", {"upload": started["upload"]})

    assert sorted(map(int, started["urls"])) == list(range(1, FIRST_URLS + 1))
    assert (started["partCount"], statuses, done.status_code) == (12, {200}, 200)
    testimonial.refresh_from_db()
    assert read_original(testimonial.original_key) == data


def test_an_earlier_client_that_signs_every_part_itself_still_uploads(
    backend, resident_client, testimonial
):
    """A page loaded before the start signed URLs ignores them and asks `envoi/parties/`."""
    data = os.urandom(2 * (S3_PART if backend == "s3" else LOCAL_PART) + 1000)

    started = api(resident_client, "debut", {"size": len(data), "type": "video/mp4"}).json()
    signed = api(resident_client, "parties", {"upload": started["upload"], "parts": [1, 2, 3]})
    for n in (1, 2, 3):
        assert (
            put(resident_client, signed.json()["urls"][str(n)], chunk(data, started["partSize"], n))
            == 200
        )
    done = api(resident_client, "fin", {"upload": started["upload"]})

    assert done.status_code == 200
    testimonial.refresh_from_db()
    assert read_original(testimonial.original_key) == data


@pytest.fixture
def s3_calls(monkeypatch):
    """The S3 operations the site makes, in order; `answers` replaces the store's answer to
    an operation (a store that misbehaves)."""
    calls: list[str] = []
    answers: dict = {}
    make_api_call = BaseClient._make_api_call

    def recorded(client, operation, params):
        calls.append(operation)
        if operation in answers:
            return answers[operation]
        return make_api_call(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
    calls_and_answers = SimpleNamespace(calls=calls, answers=answers)
    return calls_and_answers


def sent_parts(client, data: bytes) -> dict:
    """Start an upload of `data` through the API and PUT its parts to the start's URLs."""
    started = api(client, "debut", {"size": len(data), "type": "video/mp4"}).json()
    for number, url in started["urls"].items():
        assert put(client, url, chunk(data, started["partSize"], int(number))) == 200
    return started


def test_a_completion_lists_the_parts_once_and_assembles_them_in_two_s3_calls(
    resident_client, testimonial, settings, s3_calls
):
    settings.AMBASSADORS_UPLOAD_PART_SIZE = S3_PART
    data = os.urandom(S3_PART + 1000)
    started = sent_parts(resident_client, data)
    s3_calls.calls.clear()

    done = api(resident_client, "fin", {"upload": started["upload"]})

    # The assembled object's ETag is the one the checked parts make: no HeadObject.
    assert (done.status_code, s3_calls.calls) == (200, ["ListParts", "CompleteMultipartUpload"])
    testimonial.refresh_from_db()
    assert testimonial.original_size == len(data)
    assert read_original(testimonial.original_key) == data


def test_an_assembly_whose_etag_says_nothing_is_sized_by_the_store_and_never_kept_if_wrong(
    resident_client, testimonial, settings, s3_calls, monkeypatch
):
    """A store whose ETags are not MD5s (some encryption) is asked the object's size; one that
    assembled something else than the checked parts keeps nothing."""
    settings.AMBASSADORS_UPLOAD_PART_SIZE = S3_PART
    data = os.urandom(S3_PART + 1000)
    started = sent_parts(resident_client, data)
    monkeypatch.setattr(upload_backends, "_multipart_etag", lambda parts: "")
    s3_calls.answers["HeadObject"] = {"ContentLength": len(data) + 1}
    s3_calls.calls.clear()

    refused = api(resident_client, "fin", {"upload": started["upload"]})

    assert s3_calls.calls[:3] == ["ListParts", "CompleteMultipartUpload", "HeadObject"]
    assert (refused.status_code, refused.json()["code"]) == (409, "size")
    s3_calls.answers.clear()
    testimonial.refresh_from_db()
    assert (testimonial.status, testimonial.original_key) == (Status.CREATED, "")
    assert not private_storage().exists(keys.testimonial_key(testimonial.pk, keys.ORIGINAL))


def test_a_part_sent_again_after_the_check_is_refused_and_nothing_is_assembled(
    testimonial, settings
):
    settings.AMBASSADORS_UPLOAD_PART_SIZE = S3_PART
    data = os.urandom(S3_PART + 1000)
    session = uploads.upload_start(
        testimonial_id=testimonial.pk, size=len(data), content_type="video/mp4"
    )
    urls = uploads.upload_sign_parts(session=session, numbers=[1, 2])
    for n in (1, 2):
        requests.put(urls[n], data=chunk(data, session.part_size, n), timeout=30)
    checked = uploads.upload_check_parts(session=session)
    other = os.urandom(session.part_size)
    requests.put(urls[1], data=other, timeout=30)  # same size, other bytes

    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.upload_backend().complete(session, checked)

    assert refused.value.code == "missing"
    assert not private_storage().exists(session.key)
    # The uploader completes again: what the store holds now is checked and assembled.
    assert uploads.upload_complete(session=session) == len(data)
    assert read_original(session.key) == other + data[session.part_size :]


def test_a_first_start_asks_the_store_once_and_a_restart_replaces_the_unfinished_upload(
    resident_client, testimonial, settings, s3_calls
):
    """No earlier upload can exist at a testimonial's first start: no listing then."""
    settings.AMBASSADORS_UPLOAD_PART_SIZE = S3_PART
    cache.set(uploads.BUCKET_CONFIGURED_CACHE_KEY, 1)  # configured at deployment
    first = sent_parts(resident_client, os.urandom(S3_PART + 10))
    first_calls = s3_calls.calls[:1]
    s3_calls.calls.clear()

    second = api(resident_client, "debut", {"size": 1000, "type": "video/mp4"}).json()

    assert first_calls == ["CreateMultipartUpload"]
    assert s3_calls.calls == [
        "ListMultipartUploads",
        "AbortMultipartUpload",
        "CreateMultipartUpload",
    ]
    assert second["upload"] != first["upload"]
    gone = api(resident_client, "etat", {"upload": first["upload"]})
    assert gone.json()["code"] == "expired"
