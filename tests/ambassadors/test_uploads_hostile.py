"""Hostile uploads through the resident's upload API, on S3 (moto on loopback) and local files.

Sizes that lie, parts out of order or sent twice, someone else's upload, `../` in tokens, part
URLs and keys. Each lie gets a clear refusal in the resident's language (the `/en/` prefix of
the API's URLs) and changes nothing: no status, no audit event, no object, no part outside
the testimonial's prefix. Honest out-of-order and repeated parts still give the exact video.
"""

import dataclasses
import io
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings
from django.core import signing
from django.test import Client

from ambassadors import conf, keys, uploads
from ambassadors.models import Status, Testimonial, TestimonialEvent
from ambassadors.views import SESSION_KEY
from onprovence.storage import is_local, private_storage

from .upload_support import LOCAL_PART, S3_PART

pytestmark = pytest.mark.django_db

SIZE_FR = "La taille reçue ne correspond pas à la vidéo annoncée."
SIZE_EN = "The size received does not match the announced video."
FOREIGN_FR = "Cet envoi ne correspond pas à votre témoignage."
FOREIGN_EN = "This upload does not belong to your testimonial."


def api(client, name: str, body: dict, *, english: bool = False):
    path = {
        "upload-start": "envoi/debut/",
        "upload-sign": "envoi/parties/",
        "upload-state": "envoi/etat/",
        "upload-complete": "envoi/fin/",
    }[name]
    prefix = "/en/ambassadeurs/" if english else "/ambassadeurs/"
    return client.post(prefix + path, body, content_type="application/json")


def resident(testimonial: Testimonial) -> Client:
    """A browser of its own that went through the consent step for `testimonial`."""
    browser = Client()
    session = browser.session
    session[SESSION_KEY] = str(testimonial.pk)
    session.save()
    browser.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return browser


def start(client, size: int) -> dict:
    response = api(client, "upload-start", {"size": size, "type": "video/mp4"})
    assert response.status_code == 200, response.content
    return response.json()


def put(client, started: dict, number: int, data: bytes) -> int:
    """PUT one part where the browser would: the presigned S3 URL or the local endpoint."""
    signed = api(client, "upload-sign", {"upload": started["upload"], "parts": [number]})
    url = signed.json()["urls"][str(number)]
    if url.startswith("http"):
        return requests.put(url, data=data, timeout=30).status_code
    return client.generic("PUT", url, data=data).status_code


def chunk(data: bytes, started: dict, number: int) -> bytes:
    part_size = started["partSize"]
    return data[(number - 1) * part_size : number * part_size]


def world() -> dict:
    """Everything a hostile request could change: rows, audit trail, every stored byte."""
    storage = private_storage()
    if is_local(storage):
        root = Path(storage.location)
        stored = sorted(
            (str(path.relative_to(root)), path.stat().st_size)
            for path in root.rglob("*")
            if path.is_file()
        )
        unfinished: list = []
    else:
        client, bucket = storage.connection.meta.client, storage.bucket_name
        stored = sorted(
            (obj["Key"], obj["Size"])
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for obj in page.get("Contents", [])
        )
        unfinished = sorted(
            (
                upload["Key"],
                upload["UploadId"],
                tuple(
                    (part["PartNumber"], part["Size"])
                    for part in client.list_parts(
                        Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    ).get("Parts", [])
                ),
            )
            for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        )
    return {
        "testimonials": sorted(
            Testimonial.objects.values_list("pk", "status", "original_key", "original_size")
        ),
        "events": TestimonialEvent.objects.count(),
        "stored": stored,
        "unfinished": unfinished,
    }


def test_a_part_bigger_or_smaller_than_announced_is_refused_and_nothing_is_kept(
    backend, resident_client, testimonial
):
    data = os.urandom(2 * (S3_PART if backend == "s3" else LOCAL_PART) + 1000)
    started = start(resident_client, len(data))
    bigger = chunk(data, started, 1) + b"lie"
    smaller = chunk(data, started, 2)[:-1]

    statuses = [put(resident_client, started, 1, bigger), put(resident_client, started, 2, smaller)]
    put(resident_client, started, 3, chunk(data, started, 3))
    before = world()
    french = api(resident_client, "upload-complete", {"upload": started["upload"]})
    english = api(resident_client, "upload-complete", {"upload": started["upload"]}, english=True)

    if backend == "local":
        # Our endpoint checks each part's length as it arrives: the lying parts never land.
        assert statuses == [400, 400]
        assert (french.json()["code"], french.json()["parts"]) == ("missing", [1, 2])
    else:
        # A presigned S3 PUT cannot pin its length: the store takes them, completion refuses.
        assert statuses == [200, 200]
        assert french.json() == {"error": SIZE_FR, "code": "size", "parts": [1, 2]}
        assert english.json() == {"error": SIZE_EN, "code": "size", "parts": [1, 2]}
    assert (french.status_code, english.status_code) == (409, 409)
    assert world() == before
    testimonial.refresh_from_db()
    assert (testimonial.status, testimonial.original_key) == (Status.CREATED, "")
    assert not private_storage().exists(keys.testimonial_key(testimonial.pk, keys.ORIGINAL))


def test_a_declared_size_that_differs_from_the_bytes_sent_is_refused(
    backend, resident_client, testimonial
):
    data = os.urandom(2 * (S3_PART if backend == "s3" else LOCAL_PART))
    # The browser announces one byte more than it has, then sends what it has.
    started = start(resident_client, len(data) + 1)
    for number in (1, 2):
        put(resident_client, started, number, chunk(data, started, number))
    before = world()

    response = api(resident_client, "upload-complete", {"upload": started["upload"]}, english=True)

    assert response.status_code == 409
    assert response.json()["code"] == "missing"  # the announced third (1-byte) part never came
    assert response.json()["error"] == "Parts of the video are missing."
    assert world() == before
    assert Testimonial.objects.get().status == Status.CREATED


def test_a_size_beyond_the_limit_is_refused_at_start_in_both_languages(resident_client, backend):
    before = world()
    body = {"size": conf.MAX_UPLOAD_BYTES + 1, "type": "video/mp4"}

    french = api(resident_client, "upload-start", body)
    english = api(resident_client, "upload-start", body, english=True)

    assert (french.status_code, english.status_code) == (400, 400)
    assert french.json()["error"] == "Cette vidéo est trop lourde : 600 Mo au maximum."
    assert english.json()["error"] == "This video is too large: 600 MB at most."
    assert world() == before


def test_a_local_part_whose_content_length_is_smaller_than_its_body_stores_only_what_was_announced(
    local_storage, settings, resident_client, testimonial
):
    settings.AMBASSADORS_UPLOAD_PART_SIZE = 10
    started = start(resident_client, 10)
    url = api(resident_client, "upload-sign", {"upload": started["upload"], "parts": [1]})
    url = url.json()["urls"]["1"]

    # Twenty bytes behind a Content-Length of ten: only the ten announced are read.
    response = resident_client.generic("PUT", url, data=b"0123456789" * 2, CONTENT_LENGTH="10")
    done = api(resident_client, "upload-complete", {"upload": started["upload"]})

    assert (response.status_code, done.status_code) == (200, 200)
    assert private_storage().open(keys.testimonial_key(testimonial.pk, keys.ORIGINAL)).read() == (
        b"0123456789"
    )


def test_parts_out_of_order_and_sent_twice_still_give_the_exact_video(
    backend, resident_client, testimonial
):
    data = os.urandom(2 * (S3_PART if backend == "s3" else LOCAL_PART) + 1000)
    started = start(resident_client, len(data))

    for number in (3, 1, 3, 2, 1):
        assert put(resident_client, started, number, chunk(data, started, number)) == 200
    state = api(resident_client, "upload-state", {"upload": started["upload"]}).json()
    done = api(resident_client, "upload-complete", {"upload": started["upload"]})

    assert done.status_code == 200
    # A repeated part replaces itself: the size is not doubled.
    assert sum(state["parts"].values()) == len(data)
    testimonial.refresh_from_db()
    assert (testimonial.status, testimonial.original_size) == (Status.UPLOADED, len(data))
    assert private_storage().open(testimonial.original_key).read() == data
    assert testimonial.events.count() == 1


def test_a_part_resent_with_other_bytes_replaces_the_first(backend, resident_client, testimonial):
    size = S3_PART if backend == "s3" else LOCAL_PART
    first, second = os.urandom(size), os.urandom(size)
    started = start(resident_client, size)

    put(resident_client, started, 1, first)
    put(resident_client, started, 1, second)
    api(resident_client, "upload-complete", {"upload": started["upload"]})

    testimonial.refresh_from_db()
    assert private_storage().open(testimonial.original_key).read() == second


def test_another_resident_cannot_sign_read_or_complete_someone_elses_upload(
    backend, resident_client, testimonial
):
    data = os.urandom(S3_PART if backend == "s3" else LOCAL_PART)
    started = start(resident_client, len(data))
    put(resident_client, started, 1, data)
    intruder_testimonial = Testimonial.objects.create(first_name="Intrus")
    intruder = resident(intruder_testimonial)
    before = world()

    stolen = {"upload": started["upload"], "testimonial": str(testimonial.pk), "parts": [1]}
    answers = {
        name: api(intruder, name, stolen, english=(name == "upload-complete"))
        for name in ("upload-sign", "upload-state", "upload-complete")
    }
    french = api(intruder, "upload-complete", stolen)

    assert {name: r.status_code for name, r in answers.items()} == {
        "upload-sign": 400,
        "upload-state": 400,
        "upload-complete": 409,
    }
    assert all(r.json()["code"] == "foreign" for r in answers.values())
    assert "urls" not in answers["upload-sign"].json()
    assert (
        "parts" not in answers["upload-state"].json() or not answers["upload-state"].json()["parts"]
    )
    assert answers["upload-complete"].json()["error"] == FOREIGN_EN
    assert french.json()["error"] == FOREIGN_FR
    assert world() == before
    # The owner's upload is intact and still completes.
    assert api(resident_client, "upload-complete", {"upload": started["upload"]}).status_code == 200
    assert intruder_testimonial.events.count() == 0


def test_completing_with_no_journey_is_refused_without_touching_any_upload(
    backend, resident_client, testimonial
):
    started = start(resident_client, 10 if backend == "local" else S3_PART)
    before = world()

    response = Client().post(
        "/en/ambassadeurs/envoi/fin/",
        {"upload": started["upload"]},
        content_type="application/json",
    )

    assert (response.status_code, response.json()["code"]) == (403, "no_journey")
    assert response.json()["error"] == "Your session has expired. Start again from the home page."
    assert world() == before


@pytest.mark.parametrize("token", ["../../../etc/passwd", "..%2F..%2Foriginal", "../original"])
def test_dot_dot_as_the_upload_token_is_refused_in_the_residents_language(
    backend, resident_client, testimonial, token
):
    start(resident_client, 10 if backend == "local" else S3_PART)
    body = {"upload": token, "parts": [1]}
    before = world()

    answers = [api(resident_client, name, body) for name in ("upload-sign", "upload-state")]
    french = api(resident_client, "upload-complete", body)
    english = api(resident_client, "upload-complete", body, english=True)

    assert [r.status_code for r in answers] == [400, 400]
    assert (french.status_code, english.status_code) == (409, 409)
    assert {r.json()["code"] for r in [*answers, french, english]} == {"expired"}
    assert french.json()["error"] == "Cet envoi a expiré. Il va recommencer depuis le début."
    assert (
        english.json()["error"]
        == "This upload has expired. It will start again from the beginning."
    )
    assert world() == before
    assert Testimonial.objects.get().status == Status.CREATED


def test_dot_dot_as_a_part_number_is_an_invalid_request(backend, resident_client, testimonial):
    started = start(resident_client, 10 if backend == "local" else S3_PART)
    before = world()

    french = api(resident_client, "upload-sign", {"upload": started["upload"], "parts": ["../1"]})
    english = api(
        resident_client,
        "upload-sign",
        {"upload": started["upload"], "parts": ["../1"]},
        english=True,
    )

    assert french.status_code == 400
    assert french.json() == {"error": "Requête invalide.", "code": "invalid"}
    assert english.json() == {"error": "Invalid request.", "code": "invalid"}
    assert world() == before


@pytest.mark.parametrize(
    "path",
    [
        "/ambassadeurs/envoi/partie/../../../settings.py/",
        "/ambassadeurs/envoi/partie/..%2F..%2Foriginal/",
        "/ambassadeurs/envoi/partie/../",
        "/media/public/../private/testimonials/x/original",
        "/media/public/..%2Fprivate%2Fsecret",
    ],
)
def test_dot_dot_in_a_part_or_media_url_finds_nothing_and_writes_nothing(
    local_storage, resident_client, testimonial, path
):
    (local_storage / "private" / "secret").parent.mkdir(parents=True, exist_ok=True)
    (local_storage / "private" / "secret").write_bytes(b"secret")
    before = world()

    put = resident_client.generic("PUT", path, data=b"0123456789")
    get = resident_client.get(path)

    assert put.status_code in (403, 404, 405)
    assert get.status_code in (404, 405)
    assert b"secret" not in get.content
    assert world() == before


def forged(session: uploads.UploadSession, **changes) -> uploads.UploadSession:
    """A session as only someone holding SECRET_KEY could sign it (defence in depth)."""
    return dataclasses.replace(session, **changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"key": "testimonials/{id}/../{other}/original"},
        {"key": "testimonials/{other}/original"},
        {"upload_id": "../../{other}/parts/x"},
        {"upload_id": "../../../elsewhere"},
        {"testimonial_id": "../../elsewhere"},
    ],
)
def test_a_signed_session_with_dot_dot_in_a_key_writes_nothing_outside_its_prefix(
    local_storage, settings, resident_client, testimonial, changes
):
    settings.AMBASSADORS_UPLOAD_PART_SIZE = 10
    other = Testimonial.objects.create(first_name="Autre")
    started = start(resident_client, 10)
    session = uploads.session_from_token(started["upload"], testimonial_id=testimonial.pk)
    values = {
        name: value.format(id=testimonial.pk, other=other.pk) for name, value in changes.items()
    }
    bad = forged(session, **values)
    before = world()

    part_url = uploads.LocalBackend(private_storage()).part_url(bad, 1)
    put = resident_client.generic("PUT", part_url, data=b"0123456789")
    complete = api(resident_client, "upload-complete", {"upload": uploads.session_token(bad)})

    assert put.status_code in (400, 403)
    assert put.json()["code"] == "foreign"
    assert complete.status_code == 409
    assert complete.json()["code"] in ("foreign", "expired")
    assert world() == before


def test_a_signed_s3_session_with_dot_dot_in_its_key_signs_no_url(resident_client, testimonial):
    other = Testimonial.objects.create(first_name="Autre")
    started = start(resident_client, S3_PART)
    session = uploads.session_from_token(started["upload"], testimonial_id=testimonial.pk)
    bad = forged(session, key=f"testimonials/{testimonial.pk}/../{other.pk}/original")
    token = uploads.session_token(bad)
    before = world()

    answers = [
        api(resident_client, name, {"upload": token, "parts": [1]})
        for name in ("upload-sign", "upload-state", "upload-complete")
    ]

    assert [r.json()["code"] for r in answers] == ["foreign"] * 3
    assert world() == before


def test_a_part_token_signed_with_another_salt_is_refused(local_storage, resident_client):
    started = start(resident_client, 10)
    token = signing.dumps({"s": started["upload"], "n": 1, "e": 2**40}, compress=True)

    response = resident_client.generic("PUT", f"/ambassadeurs/envoi/partie/{token}/", data=b"x")

    assert (response.status_code, response.json()["code"]) == (403, "expired")


def test_a_local_part_body_shorter_than_its_content_length_is_refused_and_not_kept(
    local_storage, settings, resident_client, testimonial
):
    # What the endpoint sees when a connection drops (or a client lies) mid-part: the stream
    # ends before Content-Length. (Django's test client cannot send that, so the service that
    # the endpoint calls is given the short stream.)
    from ambassadors.services.journey import testimonial_upload_part

    settings.AMBASSADORS_UPLOAD_PART_SIZE = 10
    started = start(resident_client, 10)
    url = api(resident_client, "upload-sign", {"upload": started["upload"], "parts": [1]})
    token = url.json()["urls"]["1"].rstrip("/").rsplit("/", 1)[1]
    before = world()

    with pytest.raises(uploads.UploadRefused) as refused:
        testimonial_upload_part(token=token, stream=io.BytesIO(b"01234"), length=10)

    assert refused.value.code == "size"
    assert str(refused.value.message) == "Une partie de la vidéo est arrivée incomplète."
    assert world() == before


def test_presigned_s3_part_urls_sign_the_expected_length_of_each_part(resident_client, settings):
    # SigV4 then makes the store itself refuse a PUT of another length (SignatureDoesNotMatch).
    # moto does not check signatures, so on loopback the completion check above is what refuses.
    settings.AMBASSADORS_UPLOAD_PART_SIZE = S3_PART
    started = start(resident_client, 2 * S3_PART + 1000)
    signed = api(resident_client, "upload-sign", {"upload": started["upload"], "parts": [1, 3]})

    for number, length in (("1", S3_PART), ("3", 1000)):
        query = parse_qs(urlsplit(signed.json()["urls"][number]).query)
        assert "content-length" in query["X-Amz-SignedHeaders"][0].split(";")
        assert requests.put(signed.json()["urls"][number], data=os.urandom(length), timeout=30).ok
