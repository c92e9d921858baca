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

import logging
import math
import shutil
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from django.core import signing
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ambassadors import conf, keys
from ambassadors.upload_backends import (
    BUCKET_CONFIGURED_CACHE_KEY,
    LocalBackend,
    StoredPart,
    upload_backend,
    uploads_configure_bucket,
)
from ambassadors.upload_session import (
    ALLOWED_CONTENT_TYPES,
    LOCAL_PARTS_FOLDER,
    PART_SALT,
    S3_MIN_PART_SIZE,
    SESSION_SALT,
    StorageUnavailable,
    UploadRefused,
    UploadSession,
    interpolate_lazy,
    session_from_token,
    session_key_check,
    session_token,
    store_errors,
)
from onprovence.storage import is_local, private_storage

logger = logging.getLogger(__name__)

# The protocol's interface for views, commands and tasks (its parts live in upload_session and
# upload_backends): the session and its errors, the backends, and the steps below.
__all__ = [
    "ALLOWED_CONTENT_TYPES",
    "BUCKET_CONFIGURED_CACHE_KEY",
    "LOCAL_PARTS_FOLDER",
    "ORPHAN_PARTS_GRACE",
    "S3_MIN_PART_SIZE",
    "SESSION_SALT",
    "LocalBackend",
    "StorageUnavailable",
    "UploadRefused",
    "UploadSession",
    "local_part_read_token",
    "local_part_testimonials",
    "local_part_write",
    "local_uploads_cleanup",
    "normalise_content_type",
    "s3_abort_prefix",
    "session_from_token",
    "session_token",
    "upload_abort",
    "upload_backend",
    "upload_check_parts",
    "upload_complete",
    "upload_parts",
    "upload_sign_parts",
    "upload_start",
    "uploads_configure_bucket",
]


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
            interpolate_lazy(
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
    # A testimonial's first start has no earlier upload to replace: asking the store would be
    # an S3 call that, in a campaign peak, waits behind the other residents' parts. Should the
    # cache lose the mark, an earlier upload is left to the bucket's lifecycle rule.
    first = cache.add(UPLOAD_STARTED_CACHE_KEY.format(testimonial_id), 1, _started_mark_seconds())
    with store_errors():
        upload_id = backend.start(key=key, content_type=content_type, replace=not first)
    return UploadSession(
        testimonial_id=str(testimonial_id),
        upload_id=upload_id,
        key=key,
        size=size,
        part_size=part_size,
        content_type=content_type,
    )


UPLOAD_STARTED_CACHE_KEY = "ambassadors:upload-started:{}"


def _started_mark_seconds() -> int:
    """Longer than an unfinished upload can live (the lifecycle rule aborts it after days)."""
    return (math.ceil(conf.upload_abandon_after_hours() / 24) + 1) * 24 * 3600


def upload_sign_parts(*, session: UploadSession, numbers: list[int]) -> dict[int, str]:
    """Return a time-limited URL to PUT each asked part to."""
    session_key_check(session)
    backend = upload_backend()
    urls = {}
    for number in numbers:
        if not 1 <= number <= session.part_count:
            raise UploadRefused(_("Cette partie n'existe pas."), code="part")
        urls[number] = backend.part_url(session, number)
    return urls


def upload_parts(*, session: UploadSession) -> dict[int, int]:
    """Return {part number: size} of the parts the store already holds (to resume)."""
    session_key_check(session)
    with store_errors():
        return _sizes(upload_backend().stored_parts(session))


def _sizes(stored: dict[int, StoredPart]) -> dict[int, int]:
    return {number: part.size for number, part in stored.items()}


def upload_check_parts(*, session: UploadSession) -> dict[int, StoredPart]:
    """Refuse unless the store holds exactly the expected parts with the expected sizes;
    return them (their ETags assemble exactly what was checked)."""
    session_key_check(session)
    stored = upload_backend().stored_parts(session)
    parts = _sizes(stored)
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
    return stored


def upload_complete(*, session: UploadSession) -> int:
    """Assemble the parts into the original after checking them; return its size in bytes.

    Raises StorageUnavailable, having changed nothing, when the store does not answer.
    """
    with store_errors():
        try:
            checked = upload_check_parts(session=session)
        except UploadRefused as refused:
            # The store may have assembled the video while its answer was lost (connection cut,
            # worker killed): the retried completion finds no parts but the whole original.
            if refused.code in ("expired", "missing") and _original_is_whole(session):
                return session.size
            raise
        # One listing per completion: each S3 call of `envoi/fin/` holds a sync web worker,
        # and slowly while the store is busy taking other residents' parts.
        size = upload_backend().complete(session, checked)
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
    session_key_check(session)
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
    session_key_check(session)
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
