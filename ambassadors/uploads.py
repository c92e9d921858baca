"""The part-upload protocol: start -> sign parts -> (browser PUTs parts) -> complete.

A video goes from the phone straight to storage in parts, so no web process ever holds it and
an upload resumes after a dropped network or a reloaded page (the browser asks which parts the
store already has and sends the others). Two backends share one interface:

- S3 (production): a multipart upload; the browser PUTs each part to a presigned URL.
- Local (embedded default, FileSystemStorage): the browser PUTs each part to a signed endpoint
  of this site (`ambassadors:upload-part`), which streams it to disk.

Nothing the browser says is trusted: the key is generated here (`keys.ORIGINAL` under the
testimonial's prefix) and carried in a signed session token; the server alone completes the
upload, after checking the part numbers, each part's size and the total against the size
declared at start and the limits of `ambassadors.conf`. Abandoned uploads are cleaned up by an
S3 lifecycle rule (`uploads_configure_bucket`) and, locally, by a periodic task
(`local_uploads_cleanup`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import posixpath
import re
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

from botocore.exceptions import ClientError
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from ambassadors import conf, keys
from onprovence.storage import (
    TransientStorageError,
    is_local,
    private_storage,
    storage_error_is_transient,
    storage_errors,
    web_s3_client,
)

logger = logging.getLogger(__name__)

SESSION_SALT = "ambassadors.upload-session"
PART_SALT = "ambassadors.upload-part"
S3_MIN_PART_SIZE = 5 * 1024 * 1024
# Container types phones and MediaRecorder produce; the pipeline probes the real content anyway.
ALLOWED_CONTENT_TYPES = frozenset(
    {
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "video/3gpp",
        "video/3gpp2",
        "video/x-matroska",
        "video/x-m4v",
    }
)
LOCAL_PARTS_FOLDER = "parts"
_LOCAL_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
_COPY_CHUNK = 1024 * 1024


def _interpolate(message, params: dict) -> str:
    return str(message) % params


# Formats a translated message when it is shown, in the language active then.
_interpolate_lazy = lazy(_interpolate, str)


class UploadRefused(Exception):
    """The upload cannot go on; `message` is for the resident, `code` for the uploader."""

    def __init__(self, message, *, code: str, parts: list[int] | None = None) -> None:
        self.message, self.code, self.parts = message, code, parts or []
        super().__init__(f"{code}: {message}")


class StorageUnavailable(TransientStorageError):
    """The store did not answer (down, unreachable, 5xx): nothing changed, try again shortly."""

    message = _(
        "Le stockage des vidéos ne répond pas pour le moment. "
        "L'envoi reprendra tout seul dans quelques instants."
    )
    code = "unavailable"


@contextlib.contextmanager
def _store_errors():
    """Turn the store's transient failures into StorageUnavailable; refusals pass through."""
    try:
        with storage_errors(StorageUnavailable):
            yield
    except StorageUnavailable as error:
        logger.warning("storage unavailable during an upload: %s", error.__cause__)
        raise


@dataclass(frozen=True)
class UploadSession:
    """One upload of one testimonial's original, as the server started it."""

    testimonial_id: str
    upload_id: str
    key: str
    size: int
    part_size: int
    content_type: str

    @property
    def part_count(self) -> int:
        return max(1, math.ceil(self.size / self.part_size))

    def expected_part_size(self, number: int) -> int:
        if number < self.part_count:
            return self.part_size
        return self.size - self.part_size * (self.part_count - 1)


def session_token(session: UploadSession) -> str:
    return signing.dumps(asdict(session), salt=SESSION_SALT, compress=True)


def session_from_token(token: str, *, testimonial_id: uuid.UUID | str) -> UploadSession:
    """Read a session token the browser sent back; it must belong to `testimonial_id`."""
    max_age = conf.upload_abandon_after_hours() * 3600
    try:
        session = UploadSession(**signing.loads(token, salt=SESSION_SALT, max_age=max_age))
    except (signing.BadSignature, TypeError) as exc:
        raise UploadRefused(
            _("Cet envoi a expiré. Il va recommencer depuis le début."), code="expired"
        ) from exc
    if session.testimonial_id != str(testimonial_id):
        raise UploadRefused(_("Cet envoi ne correspond pas à votre témoignage."), code="foreign")
    _check_key(session)
    return session


def _check_key(session: UploadSession) -> None:
    """Refuse any key outside the testimonial's own prefix (defence in depth)."""
    try:
        prefix = keys.testimonial_prefix(session.testimonial_id) + "/"
    except ValueError as exc:  # not a UUID, e.g. `../elsewhere`
        raise UploadRefused(
            _("Cet envoi ne correspond pas à votre témoignage."), code="foreign"
        ) from exc
    if posixpath.normpath(session.key) != session.key or not session.key.startswith(prefix):
        raise UploadRefused(_("Cet envoi ne correspond pas à votre témoignage."), code="foreign")


# --- Backends ---------------------------------------------------------------------------------


class Backend(Protocol):
    min_part_size: int

    def start(self, *, key: str, content_type: str) -> str: ...
    def part_url(self, session: UploadSession, number: int) -> str: ...
    def parts(self, session: UploadSession) -> dict[int, int]: ...
    def complete(self, session: UploadSession) -> int: ...
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

    def start(self, *, key: str, content_type: str) -> str:
        uploads_configure_bucket(client=self.client)
        # A new start replaces any earlier, unfinished upload of the same file.
        previous = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=key)
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

    def parts(self, session: UploadSession) -> dict[int, int]:
        return {part["PartNumber"]: part["Size"] for part in self._list_parts(session)}

    def complete(self, session: UploadSession) -> int:
        parts = sorted(self._list_parts(session), key=lambda part: part["PartNumber"])
        self.assembling_client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=session.key,
            UploadId=session.upload_id,
            MultipartUpload={
                "Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]
            },
        )
        return self.client.head_object(Bucket=self.bucket, Key=session.key)["ContentLength"]

    def abort(self, session: UploadSession) -> None:
        with contextlib.suppress(self.client.exceptions.NoSuchUpload):
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=session.key, UploadId=session.upload_id
            )


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
        if not _LOCAL_UPLOAD_ID.fullmatch(session.upload_id):
            raise UploadRefused(
                _("Cet envoi ne correspond pas à votre témoignage."), code="foreign"
            )
        prefix = keys.testimonial_prefix(session.testimonial_id)
        return Path(self.storage.path(f"{prefix}/{LOCAL_PARTS_FOLDER}/{session.upload_id}"))

    def start(self, *, key: str, content_type: str) -> str:
        testimonial_prefix = key.rsplit("/", 1)[0]
        # A new start replaces any earlier, unfinished upload of the same testimonial.
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

    def parts(self, session: UploadSession) -> dict[int, int]:
        folder = self.folder(session)
        if not folder.is_dir():
            return {}
        return {
            int(path.name): path.stat().st_size for path in folder.iterdir() if path.name.isdigit()
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
                    chunk = stream.read(min(_COPY_CHUNK, length - received))
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

    def complete(self, session: UploadSession) -> int:
        folder = self.folder(session)
        target = Path(self.storage.path(session.key))
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        try:
            with open(temporary, "wb") as out:
                for number in range(1, session.part_count + 1):
                    with open(folder / str(number), "rb") as part:
                        shutil.copyfileobj(part, out, _COPY_CHUNK)
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


# --- The protocol -----------------------------------------------------------------------------


def normalise_content_type(content_type: str) -> str:
    """`video/webm;codecs=vp8,opus` -> `video/webm`; refuse anything not in the allow-list."""
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if base not in ALLOWED_CONTENT_TYPES:
        raise UploadRefused(
            _("Ce fichier n'est pas une vidéo que nous savons lire (MP4, MOV, WebM, 3GP)."),
            code="type",
        )
    return base


def upload_start(*, testimonial_id: uuid.UUID | str, size: int, content_type: str) -> UploadSession:
    """Start the upload of a testimonial's original of `size` bytes."""
    content_type = normalise_content_type(content_type)
    if size <= 0:
        raise UploadRefused(_("Cette vidéo est vide."), code="size")
    if size > conf.MAX_UPLOAD_BYTES:
        limit = conf.MAX_UPLOAD_BYTES // (1024 * 1024)
        raise UploadRefused(
            _interpolate_lazy(
                _("Cette vidéo est trop lourde : %(limit)s Mo au maximum."), {"limit": limit}
            ),
            code="size",
        )
    backend = upload_backend()
    part_size = max(
        conf.upload_part_size(),
        backend.min_part_size,
        math.ceil(size / conf.upload_max_parts()),
    )
    key = keys.testimonial_key(testimonial_id, keys.ORIGINAL)
    with _store_errors():
        upload_id = backend.start(key=key, content_type=content_type)
    return UploadSession(
        testimonial_id=str(testimonial_id),
        upload_id=upload_id,
        key=key,
        size=size,
        part_size=part_size,
        content_type=content_type,
    )


def upload_sign_parts(*, session: UploadSession, numbers: list[int]) -> dict[int, str]:
    """Return a time-limited URL to PUT each asked part to."""
    _check_key(session)
    backend = upload_backend()
    urls = {}
    for number in numbers:
        if not 1 <= number <= session.part_count:
            raise UploadRefused(_("Cette partie n'existe pas."), code="part")
        urls[number] = backend.part_url(session, number)
    return urls


def upload_parts(*, session: UploadSession) -> dict[int, int]:
    """Return {part number: size} of the parts the store already holds (to resume)."""
    _check_key(session)
    with _store_errors():
        return upload_backend().parts(session)


def upload_check_parts(*, session: UploadSession) -> None:
    """Refuse unless the store holds exactly the expected parts with the expected sizes."""
    _check_key(session)
    parts = upload_backend().parts(session)
    extra = sorted(number for number in parts if not 1 <= number <= session.part_count)
    if extra:
        raise UploadRefused(
            _("L'envoi contient des parties en trop."), code="extra_parts", parts=extra
        )
    missing = [n for n in range(1, session.part_count + 1) if n not in parts]
    if missing:
        raise UploadRefused(_("Il manque des parties de la vidéo."), code="missing", parts=missing)
    wrong = [n for n, size in sorted(parts.items()) if size != session.expected_part_size(n)]
    if wrong or sum(parts.values()) != session.size:
        raise UploadRefused(
            _("La taille reçue ne correspond pas à la vidéo annoncée."), code="size", parts=wrong
        )


def upload_complete(*, session: UploadSession) -> int:
    """Assemble the parts into the original after checking them; return its size in bytes.

    Raises StorageUnavailable, having changed nothing, when the store does not answer.
    """
    with _store_errors():
        try:
            upload_check_parts(session=session)
        except UploadRefused as refused:
            # The store may have assembled the video while its answer was lost (connection cut,
            # worker killed): the retried completion finds no parts but the whole original.
            if refused.code in ("expired", "missing") and _original_is_whole(session):
                return session.size
            raise
        size = upload_backend().complete(session)
    if size != session.size:
        # Cannot happen with the checks above unless the store misbehaves: never keep it.
        private_storage().delete(session.key)
        raise UploadRefused(
            _("La taille reçue ne correspond pas à la vidéo annoncée."), code="size"
        )
    return size


def _original_is_whole(session: UploadSession) -> bool:
    storage = private_storage()
    return storage.exists(session.key) and storage.size(session.key) == session.size


def upload_abort(*, session: UploadSession) -> None:
    _check_key(session)
    upload_backend().abort(session)


def local_part_read_token(token: str) -> tuple[UploadSession, int]:
    """Read the token of a local part URL: (session, part number); refuse expired ones."""
    try:
        data = signing.loads(token, salt=PART_SALT)
    except signing.BadSignature as exc:
        raise UploadRefused(_("Ce lien d'envoi n'est pas valide."), code="expired") from exc
    if data["e"] < time.time():
        raise UploadRefused(_("Ce lien d'envoi a expiré."), code="expired")
    session_data = signing.loads(data["s"], salt=SESSION_SALT)
    session = UploadSession(**session_data)
    _check_key(session)
    return session, int(data["n"])


def local_part_write(*, token: str, stream: BinaryIO, length: int) -> str:
    """Stream one part to disk (local backend); return its MD5 (the ETag)."""
    session, number = local_part_read_token(token)
    if not 1 <= number <= session.part_count:
        raise UploadRefused(_("Cette partie n'existe pas."), code="part")
    if length != session.expected_part_size(number):
        raise UploadRefused(
            _("La taille reçue ne correspond pas à la vidéo annoncée."), code="size"
        )
    backend = upload_backend()
    if not isinstance(backend, LocalBackend):
        raise UploadRefused(_("Ce lien d'envoi n'est pas valide."), code="expired")
    return backend.write_part(session, number, stream, length)


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
# long (a part whose status check passed just before the completion may still be landing).
ORPHAN_PARTS_GRACE = timedelta(minutes=15)


def local_part_testimonials() -> list[str]:
    """Ids of the testimonials that have a local part folder on disk (any status)."""
    storage = private_storage()
    if not is_local(storage):
        return []
    root = Path(storage.path(keys.FOLDER))
    if not root.is_dir():
        return []
    return [
        str(testimonial_id)
        for parts in root.glob(f"*/{LOCAL_PARTS_FOLDER}")
        if (testimonial_id := keys.testimonial_id_of_folder(parts.parent.name)) is not None
    ]


def local_uploads_cleanup(*, testimonial_ids, older_than: timedelta | None = None) -> int:
    """Delete part folders of the given testimonials untouched for `older_than`; count them."""
    storage = private_storage()
    if not is_local(storage):
        return 0
    older_than = older_than or timedelta(hours=conf.upload_abandon_after_hours())
    cutoff = (timezone.now() - older_than).timestamp()
    removed = 0
    for testimonial_id in testimonial_ids:
        root = Path(storage.path(f"{keys.testimonial_prefix(testimonial_id)}/{LOCAL_PARTS_FOLDER}"))
        if not root.is_dir():
            continue
        for folder in root.iterdir():
            times = [folder.stat().st_mtime] + [p.stat().st_mtime for p in folder.iterdir()]
            if max(times) < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        if not any(root.iterdir()):
            root.rmdir()
    return removed


def s3_abort_prefix(*, prefix: str) -> int:
    """Abort every unfinished multipart upload under `prefix` (their parts are not objects)."""
    storage = private_storage()
    if is_local(storage):
        return 0
    client, bucket = storage.connection.meta.client, storage.bucket_name
    aborted = 0
    for page in client.get_paginator("list_multipart_uploads").paginate(
        Bucket=bucket, Prefix=prefix.rstrip("/") + "/"
    ):
        for upload in page.get("Uploads", []):
            client.abort_multipart_upload(
                Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
            )
            aborted += 1
    return aborted
