"""How few requests and S3 calls an upload takes: the start signs the first parts' URLs, the
completion lists the parts once and assembles exactly what it checked. Earlier clients (a page
loaded before a deploy, an upload resumed from IndexedDB) still sign their parts themselves."""

import os

import pytest
import requests

from ambassadors import uploads
from ambassadors.upload_backends import S3Backend
from ambassadors.views_upload import FIRST_URLS
from onprovence.storage import private_storage

pytestmark = pytest.mark.django_db

S3_PART = uploads.S3_MIN_PART_SIZE
LOCAL_PART = 64 * 1024


@pytest.fixture(params=["s3", "local"])
def backend(request, settings):
    """Run a test on the S3 endpoint, then on local storage with small parts."""
    if request.param == "local":
        request.getfixturevalue("local_storage")
    settings.AMBASSADORS_UPLOAD_PART_SIZE = LOCAL_PART if request.param == "local" else S3_PART
    return request.param


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


def test_a_completion_lists_the_parts_once(resident_client, testimonial, settings, monkeypatch):
    settings.AMBASSADORS_UPLOAD_PART_SIZE = S3_PART
    data = os.urandom(S3_PART + 1000)
    started = api(resident_client, "debut", {"size": len(data), "type": "video/mp4"}).json()
    for n in (1, 2):
        put(resident_client, started["urls"][str(n)], chunk(data, S3_PART, n))
    listings = []
    list_parts = S3Backend._list_parts
    monkeypatch.setattr(
        S3Backend,
        "_list_parts",
        lambda self, session: listings.append(1) or list_parts(self, session),
    )

    done = api(resident_client, "fin", {"upload": started["upload"]})

    assert (done.status_code, len(listings)) == (200, 1)
    testimonial.refresh_from_db()
    assert read_original(testimonial.original_key) == data


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
