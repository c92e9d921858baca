"""The part-upload protocol on both backends: S3 on loopback (moto) and local files."""

import dataclasses
import os
import time
from datetime import timedelta

import pytest
import requests
from django.test import override_settings
from django.utils import translation

from ambassadors import keys, uploads
from ambassadors.uploads import UploadRefused
from onprovence.storage import list_prefix, private_storage

from .upload_support import LOCAL_PART, S3_PART

pytestmark = pytest.mark.django_db


def payload_for(backend: str) -> bytes:
    part = S3_PART if backend == "s3" else LOCAL_PART
    return os.urandom(2 * part + 1000)  # three parts, the last one short


def put_part(client, session, number: int, data: bytes) -> int:
    """PUT one part where the browser would: the presigned S3 URL or the local endpoint."""
    url = uploads.upload_sign_parts(session=session, numbers=[number])[number]
    if url.startswith("http"):
        return requests.put(url, data=data, timeout=30).status_code
    return client.generic(
        "PUT", url, data=data, content_type="application/octet-stream"
    ).status_code


def part_bytes(session, data: bytes, number: int) -> bytes:
    start = (number - 1) * session.part_size
    return data[start : start + session.expected_part_size(number)]


def read_original(session) -> bytes:
    with private_storage().open(session.key, "rb") as handle:
        return handle.read()


def test_start_sign_upload_and_complete_store_the_original_under_a_server_key(
    backend, testimonial, client
):
    data = payload_for(backend)

    session = uploads.upload_start(
        testimonial_id=testimonial.pk, size=len(data), content_type="video/webm;codecs=vp8,opus"
    )
    for number in range(1, session.part_count + 1):
        assert put_part(client, session, number, part_bytes(session, data, number)) == 200
    size = uploads.upload_complete(session=session)

    assert session.key == f"testimonials/{testimonial.pk}/original"
    assert session.content_type == "video/webm"
    assert session.part_count == 3
    assert size == len(data)
    assert read_original(session) == data
    # Nothing left behind but the original: no parts, no unfinished upload.
    assert list_prefix(private_storage(), keys.testimonial_prefix(testimonial.pk)) == [session.key]
    assert uploads.s3_abort_prefix(prefix=keys.testimonial_prefix(testimonial.pk)) == 0


def test_an_upload_resumes_by_sending_only_the_parts_the_store_lacks(backend, testimonial, client):
    data = payload_for(backend)
    session = uploads.upload_start(
        testimonial_id=testimonial.pk, size=len(data), content_type="video/mp4"
    )
    put_part(client, session, 1, part_bytes(session, data, 1))
    put_part(client, session, 3, part_bytes(session, data, 3))

    # What a reloaded page sends back: the token it kept.
    resumed = uploads.session_from_token(
        uploads.session_token(session), testimonial_id=testimonial.pk
    )
    held = uploads.upload_parts(session=resumed)
    with pytest.raises(UploadRefused) as refused:
        uploads.upload_complete(session=resumed)
    put_part(client, resumed, 2, part_bytes(session, data, 2))
    uploads.upload_complete(session=resumed)

    assert held == {1: session.part_size, 3: 1000}
    assert (refused.value.code, refused.value.parts) == ("missing", [2])
    assert read_original(session) == data


def test_completion_is_refused_when_the_size_differs_from_the_declared_one(
    backend, testimonial, client
):
    data = payload_for(backend)
    session = uploads.upload_start(
        testimonial_id=testimonial.pk, size=len(data), content_type="video/mp4"
    )
    for number in range(1, 4):
        put_part(client, session, number, part_bytes(session, data, number))
    # The store holds what was sent; the declared size says otherwise.
    declared_bigger = dataclasses.replace(session, size=len(data) + 10)

    with pytest.raises(UploadRefused) as refused:
        uploads.upload_complete(session=declared_bigger)

    assert refused.value.code == "size"
    assert str(refused.value.message) == "La taille reçue ne correspond pas à la vidéo annoncée."
    assert not private_storage().exists(session.key)


def test_completion_is_refused_when_the_store_holds_an_extra_part(backend, testimonial, client):
    data = payload_for(backend)
    session = uploads.upload_start(
        testimonial_id=testimonial.pk, size=len(data), content_type="video/mp4"
    )
    for number in range(1, 4):
        put_part(client, session, number, part_bytes(session, data, number))
    # A session that expects two parts finds three in the store.
    two_parts = dataclasses.replace(session, size=2 * session.part_size)

    with pytest.raises(UploadRefused) as refused:
        uploads.upload_complete(session=two_parts)

    assert (refused.value.code, refused.value.parts) == ("extra_parts", [3])
    assert not private_storage().exists(session.key)


def test_a_part_beyond_the_declared_count_cannot_be_signed(backend, testimonial):
    session = uploads.upload_start(testimonial_id=testimonial.pk, size=10, content_type="video/mp4")

    with pytest.raises(UploadRefused) as refused:
        uploads.upload_sign_parts(session=session, numbers=[2])

    assert refused.value.code == "part"


def test_an_extra_part_put_straight_into_s3_blocks_completion(testimonial, s3_client):
    data = os.urandom(1000)
    session = uploads.upload_start(
        testimonial_id=testimonial.pk, size=len(data), content_type="video/mp4"
    )
    requests.put(uploads.upload_sign_parts(session=session, numbers=[1])[1], data=data, timeout=9)
    s3_client.upload_part(
        Bucket=private_storage().bucket_name,
        Key=session.key,
        UploadId=session.upload_id,
        PartNumber=2,
        Body=b"smuggled",
    )

    with pytest.raises(UploadRefused) as refused:
        uploads.upload_complete(session=session)

    assert (refused.value.code, refused.value.parts) == ("extra_parts", [2])


@pytest.mark.parametrize(
    "key",
    [
        "testimonials/00000000-0000-0000-0000-000000000001/original",
        "testimonials/{id}/../00000000-0000-0000-0000-000000000001/original",
        "elsewhere/original",
    ],
)
def test_a_key_outside_the_testimonials_prefix_is_refused(backend, testimonial, key):
    session = uploads.upload_start(testimonial_id=testimonial.pk, size=10, content_type="video/mp4")
    foreign = dataclasses.replace(session, key=key.format(id=testimonial.pk))

    for action in (
        lambda: uploads.upload_sign_parts(session=foreign, numbers=[1]),
        lambda: uploads.upload_parts(session=foreign),
        lambda: uploads.upload_complete(session=foreign),
        lambda: uploads.session_from_token(
            uploads.session_token(foreign), testimonial_id=testimonial.pk
        ),
    ):
        with pytest.raises(UploadRefused) as refused:
            action()
        assert refused.value.code == "foreign"


def test_a_session_token_of_another_testimonial_or_forged_is_refused(testimonial):
    session = uploads.upload_start(testimonial_id=testimonial.pk, size=10, content_type="video/mp4")
    token = uploads.session_token(session)

    with pytest.raises(UploadRefused) as other:
        uploads.session_from_token(token, testimonial_id="00000000-0000-0000-0000-000000000001")
    with pytest.raises(UploadRefused) as forged:
        uploads.session_from_token(token[:-2] + "xx", testimonial_id=testimonial.pk)

    assert (other.value.code, forged.value.code) == ("foreign", "expired")


@pytest.mark.parametrize(
    ("size", "content_type", "code", "french", "english"),
    [
        (
            10,
            "text/html",
            "type",
            "Ce fichier n'est pas une vidéo que nous savons lire (MP4, MOV, WebM, 3GP).",
            "This file is not a video we can read (MP4, MOV, WebM, 3GP).",
        ),
        (0, "video/mp4", "size", "Cette vidéo est vide.", "This video is empty."),
        (
            10**12,
            "video/mp4",
            "size",
            "Cette vidéo est trop lourde : 600 Mo au maximum.",
            "This video is too large: 600 MB at most.",
        ),
    ],
)
def test_start_refuses_wrong_types_and_sizes_with_a_clear_message(
    testimonial, size, content_type, code, french, english
):
    with pytest.raises(UploadRefused) as refused:
        uploads.upload_start(testimonial_id=testimonial.pk, size=size, content_type=content_type)

    assert refused.value.code == code
    with translation.override("fr"):
        assert str(refused.value.message) == french
    with translation.override("en"):
        assert str(refused.value.message) == english


def test_s3_parts_are_at_least_5_mib_and_never_more_than_the_part_limit(testimonial, settings):
    settings.AMBASSADORS_UPLOAD_PART_SIZE = 1024
    settings.AMBASSADORS_UPLOAD_MAX_PARTS = 10
    small = uploads.upload_start(testimonial_id=testimonial.pk, size=100, content_type="video/mp4")
    big = uploads.upload_start(
        testimonial_id=testimonial.pk, size=100 * S3_PART, content_type="video/mp4"
    )

    assert small.part_size == S3_PART
    assert big.part_count == 10


def test_the_local_part_endpoint_streams_a_part_bigger_than_djangos_memory_limit(
    local_storage, settings, testimonial, client
):
    settings.AMBASSADORS_UPLOAD_PART_SIZE = 3 * 1024 * 1024  # > DATA_UPLOAD_MAX_MEMORY_SIZE
    data = os.urandom(3 * 1024 * 1024 + 10)
    session = uploads.upload_start(
        testimonial_id=testimonial.pk, size=len(data), content_type="video/mp4"
    )

    statuses = [put_part(client, session, n, part_bytes(session, data, n)) for n in (1, 2)]
    uploads.upload_complete(session=session)

    assert statuses == [200, 200]
    assert read_original(session) == data


def test_the_local_part_endpoint_refuses_a_wrong_length_and_an_expired_link(
    local_storage, settings, testimonial, client
):
    session = uploads.upload_start(testimonial_id=testimonial.pk, size=10, content_type="video/mp4")
    url = uploads.upload_sign_parts(session=session, numbers=[1])[1]

    too_long = client.generic("PUT", url, data=b"x" * 11, content_type="application/octet-stream")
    settings.AMBASSADORS_UPLOAD_URL_EXPIRY_SECONDS = -1
    expired_url = uploads.upload_sign_parts(session=session, numbers=[1])[1]
    expired = client.generic("PUT", expired_url, data=b"x" * 10)
    forged = client.generic("PUT", url[:-3] + "xx/", data=b"x" * 10)

    assert (too_long.status_code, too_long.json()["code"]) == (400, "size")
    assert (expired.status_code, expired.json()["code"]) == (403, "expired")
    assert forged.status_code == 403
    assert uploads.upload_parts(session=session) == {}


def test_a_new_start_replaces_an_unfinished_upload(backend, testimonial, client):
    first = uploads.upload_start(testimonial_id=testimonial.pk, size=10, content_type="video/mp4")
    put_part(client, first, 1, b"0123456789")

    second = uploads.upload_start(testimonial_id=testimonial.pk, size=5, content_type="video/mp4")

    assert second.upload_id != first.upload_id
    with pytest.raises(UploadRefused) if backend == "s3" else _nothing():
        assert uploads.upload_parts(session=first) == {}


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_abandoned_local_uploads_are_cleaned_and_fresh_ones_kept(
    local_storage, settings, testimonial, client
):
    from ambassadors.tasks.journey import cleanup_local_uploads

    session = uploads.upload_start(testimonial_id=testimonial.pk, size=10, content_type="video/mp4")
    put_part(client, session, 1, b"0123456789")
    folder = uploads.upload_backend().folder(session)

    kept = cleanup_local_uploads()
    old = time.time() - 25 * 3600
    for path in (folder / "1", folder):
        os.utime(path, (old, old))
    removed = cleanup_local_uploads()

    assert kept == 0
    assert removed == 1
    assert not folder.exists()


def test_the_bucket_gets_cors_for_browser_puts_and_a_rule_aborting_abandoned_uploads(s3_client):
    bucket = private_storage().bucket_name
    with override_settings(AMBASSADORS_UPLOAD_CORS_ORIGINS=["https://ambassadeurs.example"]):
        assert uploads.uploads_configure_bucket(force=True) is True

    cors = s3_client.get_bucket_cors(Bucket=bucket)["CORSRules"][0]
    rule = s3_client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert cors["AllowedOrigins"] == ["https://ambassadeurs.example"]
    assert cors["AllowedMethods"] == ["PUT"]
    assert cors["ExposeHeaders"] == ["ETag"]
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert rule["Status"] == "Enabled"
    # The S3 endpoint answers a browser's preflight for a part PUT from the site.
    preflight = requests.options(
        f"{os.environ['AWS_S3_ENDPOINT_URL']}/{bucket}/testimonials/x/original",
        headers={
            "Origin": "https://ambassadeurs.example",
            "Access-Control-Request-Method": "PUT",
        },
        timeout=5,
    )
    assert preflight.headers.get("Access-Control-Allow-Origin") == "https://ambassadeurs.example"
    assert "ETag" in preflight.headers.get("Access-Control-Expose-Headers", "")


def test_abandoned_s3_uploads_under_a_prefix_are_aborted(testimonial, s3_client):
    uploads.upload_start(testimonial_id=testimonial.pk, size=10, content_type="video/mp4")

    aborted = uploads.s3_abort_prefix(prefix=keys.testimonial_prefix(testimonial.pk))

    listed = s3_client.list_multipart_uploads(
        Bucket=private_storage().bucket_name, Prefix=keys.testimonial_prefix(testimonial.pk)
    )
    assert aborted == 1
    assert listed.get("Uploads", []) == []


def test_the_management_command_configures_the_bucket(s3_client):
    from django.core.management import call_command

    s3_client.delete_bucket_cors(Bucket=private_storage().bucket_name)
    call_command("configure_upload_bucket")

    assert s3_client.get_bucket_cors(Bucket=private_storage().bucket_name)["CORSRules"]


def test_cleanup_uses_the_abandon_delay_setting(local_storage, settings, testimonial, client):
    settings.AMBASSADORS_UPLOAD_ABANDON_AFTER_HOURS = 1
    session = uploads.upload_start(testimonial_id=testimonial.pk, size=10, content_type="video/mp4")
    put_part(client, session, 1, b"0123456789")

    removed = uploads.local_uploads_cleanup(
        testimonial_ids=[testimonial.pk], older_than=timedelta(seconds=-1)
    )

    assert removed == 1


def test_celery_beat_runs_the_local_cleanup_every_hour():
    import subprocess
    import sys

    script = (
        "import django; django.setup()\n"
        "from onprovence.celery import app\n"
        "app.loader.import_default_modules()\n"
        "entry = app.conf.beat_schedule['ambassadors.cleanup_local_uploads']\n"
        "print(entry['task'], entry['schedule'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout.strip() == "ambassadors.cleanup_local_uploads 3600.0"


def test_the_local_backend_streams_parts_and_assembles_without_holding_the_video_in_memory(
    local_storage, settings, testimonial, tmp_path
):
    import tracemalloc

    part_size = 16 * 1024 * 1024
    settings.AMBASSADORS_UPLOAD_PART_SIZE = part_size
    source = tmp_path / "video.bin"
    with open(source, "wb") as out:
        for _ in range(33):
            out.write(os.urandom(1024 * 1024))
    size = source.stat().st_size
    session = uploads.upload_start(
        testimonial_id=testimonial.pk, size=size, content_type="video/mp4"
    )
    backend = uploads.upload_backend()

    tracemalloc.start()
    with open(source, "rb") as stream:
        for number in range(1, session.part_count + 1):
            backend.write_part(session, number, stream, session.expected_part_size(number))
    uploads.upload_complete(session=session)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert session.part_count == 3
    assert private_storage().size(session.key) == size
    # A 33 MiB video went through with about one 1 MiB buffer at a time.
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes"
