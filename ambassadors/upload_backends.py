"""The two upload backends behind one interface, and the S3 bucket's upload configuration.

- S3 (production): a multipart upload; the browser PUTs each part to a presigned URL.
- Local (embedded default, FileSystemStorage): the browser PUTs each part to a signed endpoint
  of this site (`ambassadors:upload-part`), which streams it to disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

from botocore.exceptions import ClientError
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ambassadors import conf, keys
from ambassadors.upload_session import (
    COPY_CHUNK,
    LOCAL_PARTS_FOLDER,
    LOCAL_UPLOAD_ID,
    PART_SALT,
    S3_MIN_PART_SIZE,
    UploadRefused,
    UploadSession,
    session_token,
)
from onprovence.storage import (
    is_local,
    private_storage,
    storage_error_is_transient,
    web_s3_client,
)

logger = logging.getLogger(__name__)


class StoredPart(NamedTuple):
    """A part the store holds: its size, and the ETag S3 wants back to assemble it."""

    size: int
    etag: str = ""


class Backend(Protocol):
    min_part_size: int

    def start(self, *, key: str, content_type: str, replace: bool = True) -> str: ...
    def part_url(self, session: UploadSession, number: int) -> str: ...
    def stored_parts(self, session: UploadSession) -> dict[int, StoredPart]: ...
    def complete(
        self, session: UploadSession, checked: dict[int, StoredPart] | None = None
    ) -> int: ...
    def abort(self, session: UploadSession) -> None: ...


class S3Backend:
    """S3 multipart upload; the browser PUTs parts to presigned URLs.

    Its calls run while a web request waits, so they use the fail-fast clients of
    `onprovence.storage.web_s3_client`: during an outage the resident gets the 503 in about a
    second, not after boto's own retries. Presigning needs no network.
    """

    min_part_size = S3_MIN_PART_SIZE

    def __init__(self, storage) -> None:
        self.client = web_s3_client(storage)
        # Assembling a big video may take the store a while: only its connection is short.
        self.assembling_client = web_s3_client(storage, assembling=True)
        self.bucket = storage.bucket_name
        public_endpoint = conf.upload_endpoint_url()
        # The browser may reach the store by another address than the web processes do.
        self.presign_client = (
            storage.connection.meta.client
            if not public_endpoint
            else _client_for_endpoint(self.client, public_endpoint)
        )

    def start(self, *, key: str, content_type: str, replace: bool = True) -> str:
        """Start a multipart upload; with `replace`, abort any earlier unfinished one of the
        same file first (a caller that knows there is none spares the listing)."""
        uploads_configure_bucket(client=self.client)
        previous = (
            self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=key) if replace else {}
        )
        for upload in previous.get("Uploads", []):
            if upload["Key"] == key:
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload["UploadId"]
                )
        response = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=key, ContentType=content_type
        )
        return response["UploadId"]

    def part_url(self, session: UploadSession, number: int) -> str:
        return self.presign_client.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": self.bucket,
                "Key": session.key,
                "UploadId": session.upload_id,
                "PartNumber": number,
                # Signed: the store refuses a PUT of any other length (the browser sets it).
                "ContentLength": session.expected_part_size(number),
            },
            ExpiresIn=conf.upload_url_expiry_seconds(),
            HttpMethod="PUT",
        )

    def _list_parts(self, session: UploadSession) -> list[dict]:
        found, marker = [], 0
        while True:
            try:
                page = self.client.list_parts(
                    Bucket=self.bucket,
                    Key=session.key,
                    UploadId=session.upload_id,
                    PartNumberMarker=marker,
                )
            except self.client.exceptions.NoSuchUpload as exc:
                raise UploadRefused(
                    _("Cet envoi a expiré. Il va recommencer depuis le début."), code="expired"
                ) from exc
            found += page.get("Parts", [])
            if not page.get("IsTruncated"):
                return found
            marker = page["NextPartNumberMarker"]

    def stored_parts(self, session: UploadSession) -> dict[int, StoredPart]:
        return {
            part["PartNumber"]: StoredPart(part["Size"], part["ETag"])
            for part in self._list_parts(session)
        }

    def complete(self, session: UploadSession, checked: dict[int, StoredPart] | None = None) -> int:
        """Assemble the parts; `checked` (the listing the caller checked) saves listing them
        again. Its ETags pin the parts: one replaced since the check makes S3 refuse."""
        parts = checked if checked is not None else self.stored_parts(session)
        try:
            answer = self.assembling_client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=session.key,
                UploadId=session.upload_id,
                MultipartUpload={
                    "Parts": [
                        {"PartNumber": number, "ETag": parts[number].etag}
                        for number in sorted(parts)
                    ]
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "InvalidPart":
                raise
            # A part was sent again after the check: nothing assembled; the uploader asks
            # the store what it holds and completes again.
            raise UploadRefused(_("Il manque des parties de la vidéo."), code="missing") from error
        # The object's ETag says which parts the store assembled: when it is the one these
        # parts make, its size is theirs, and asking the store for it is one call too many.
        if answer.get("ETag", "").strip('"') == _multipart_etag(parts):
            return sum(part.size for part in parts.values())
        return self.client.head_object(Bucket=self.bucket, Key=session.key)["ContentLength"]

    def abort(self, session: UploadSession) -> None:
        with contextlib.suppress(self.client.exceptions.NoSuchUpload):
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=session.key, UploadId=session.upload_id
            )


def _multipart_etag(parts: dict[int, StoredPart]) -> str:
    """The ETag S3 gives the object assembled from these parts: the MD5 of their MD5s, then
    their count ("" when an ETag is not an MD5, as with some encryption: then ask the store)."""
    try:
        digests = b"".join(bytes.fromhex(parts[n].etag.strip('"')) for n in sorted(parts))
    except ValueError:
        return ""
    return f"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-{len(parts)}"


def _client_for_endpoint(client, endpoint_url: str):
    import boto3

    credentials = client._request_signer._credentials
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=client.meta.region_name,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
        config=client.meta.config,
    )


class LocalBackend:
    """FileSystemStorage: parts go to a signed endpoint of this site, streamed to disk."""

    min_part_size = 1

    def __init__(self, storage) -> None:
        self.storage = storage

    def folder(self, session: UploadSession) -> Path:
        # The upload id names a folder here: only the id `start` made, never `../`.
        if not LOCAL_UPLOAD_ID.fullmatch(session.upload_id):
            raise UploadRefused(
                _("Cet envoi ne correspond pas à votre témoignage."), code="foreign"
            )
        prefix = keys.testimonial_prefix(session.testimonial_id)
        return Path(self.storage.path(f"{prefix}/{LOCAL_PARTS_FOLDER}/{session.upload_id}"))

    def start(self, *, key: str, content_type: str, replace: bool = True) -> str:
        testimonial_prefix = key.rsplit("/", 1)[0]
        # A new start replaces any earlier, unfinished upload of the same testimonial (always:
        # removing a folder that is not there costs nothing).
        shutil.rmtree(
            self.storage.path(f"{testimonial_prefix}/{LOCAL_PARTS_FOLDER}"), ignore_errors=True
        )
        return uuid.uuid4().hex

    def part_url(self, session: UploadSession, number: int) -> str:
        token = signing.dumps(
            {
                "s": session_token(session),
                "n": number,
                "e": int(time.time()) + conf.upload_url_expiry_seconds(),
            },
            salt=PART_SALT,
            compress=True,
        )
        return reverse("ambassadors:upload-part", args=[token])

    def stored_parts(self, session: UploadSession) -> dict[int, StoredPart]:
        folder = self.folder(session)
        if not folder.is_dir():
            return {}
        return {
            int(path.name): StoredPart(path.stat().st_size)
            for path in folder.iterdir()
            if path.name.isdigit()
        }

    def write_part(self, session: UploadSession, number: int, stream: BinaryIO, length: int) -> str:
        folder = self.folder(session)
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{number}.{uuid.uuid4().hex}"
        digest = hashlib.md5(usedforsecurity=False)
        received = 0
        try:
            with open(temporary, "wb") as out:
                while received < length:
                    chunk = stream.read(min(COPY_CHUNK, length - received))
                    if not chunk:
                        break
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
            if received != length:
                raise UploadRefused(
                    _("Une partie de la vidéo est arrivée incomplète."), code="size"
                )
            # Atomic: a part is either all there or absent, even if the connection drops.
            os.replace(temporary, folder / str(number))
        finally:
            temporary.unlink(missing_ok=True)
        return digest.hexdigest()

    def complete(self, session: UploadSession, checked: dict[int, StoredPart] | None = None) -> int:
        folder = self.folder(session)
        target = Path(self.storage.path(session.key))
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        try:
            with open(temporary, "wb") as out:
                for number in range(1, session.part_count + 1):
                    with open(folder / str(number), "rb") as part:
                        shutil.copyfileobj(part, out, COPY_CHUNK)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        # Every session's parts, not only this one's: a page left open on an earlier session
        # may have sent parts after the restart, and nothing can complete them any more.
        shutil.rmtree(folder.parent, ignore_errors=True)
        return target.stat().st_size

    def abort(self, session: UploadSession) -> None:
        shutil.rmtree(self.folder(session), ignore_errors=True)


def upload_backend() -> S3Backend | LocalBackend:
    storage = private_storage()
    return LocalBackend(storage) if is_local(storage) else S3Backend(storage)


# --- Housekeeping -----------------------------------------------------------------------------

BUCKET_CONFIGURED_CACHE_KEY = "ambassadors:upload-bucket-configured"


def uploads_configure_bucket(*, force: bool = False, client=None) -> bool:
    """Set the private bucket's CORS (browser PUTs, ETag exposed) and abandoned-upload rule.

    Done by `manage.py configure_upload_bucket` at deployment (boto's default client), and
    lazily (once an hour across processes) on upload start so a fresh bucket works (with the
    start's fail-fast `client`). Returns whether it applied anything.
    """
    storage = private_storage()
    if is_local(storage):
        return False
    if not force and not cache.add(BUCKET_CONFIGURED_CACHE_KEY, 1, 3600):
        return False
    client, bucket = client or storage.connection.meta.client, storage.bucket_name
    cors = {
        "CORSRules": [
            {
                "AllowedOrigins": conf.upload_cors_origins(),
                "AllowedMethods": ["PUT"],
                "AllowedHeaders": ["Content-Type", "Content-Length"],
                "ExposeHeaders": ["ETag"],
                "MaxAgeSeconds": 3600,
            }
        ]
    }
    days = max(1, math.ceil(conf.upload_abandon_after_hours() / 24))
    lifecycle = {
        "Rules": [
            {
                "ID": "abort-abandoned-testimonial-uploads",
                "Filter": {"Prefix": "testimonials/"},
                "Status": "Enabled",
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days},
            }
        ]
    }
    try:
        for action, arguments in (
            (client.put_bucket_cors, {"CORSConfiguration": cors}),
            (client.put_bucket_lifecycle_configuration, {"LifecycleConfiguration": lifecycle}),
        ):
            try:
                action(Bucket=bucket, **arguments)
            except ClientError as error:
                if storage_error_is_transient(error):
                    raise
                # Some S3-compatible stores (MinIO) set CORS server-wide and refuse the bucket
                # call; uploads still work there, so say it and go on.
                logger.warning("bucket %s: %s refused (%s)", bucket, action.__name__, error)
    except Exception:
        # The store did not answer: the next upload start tries again, not an hour later.
        cache.delete(BUCKET_CONFIGURED_CACHE_KEY)
        raise
    return True


# Parts of a testimonial that no longer waits for its video are removed once untouched this
