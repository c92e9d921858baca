"""An upload session: what the server started, carried by the browser in a signed token.

Nothing the browser says is trusted: the key is generated here (`keys.ORIGINAL` under the
testimonial's prefix) and carried in a signed session token, checked on every use.
"""

from __future__ import annotations

import contextlib
import logging
import math
import posixpath
import re
import uuid
from dataclasses import asdict, dataclass

from django.core import signing
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from ambassadors import conf, keys
from onprovence.storage import TransientStorageError, storage_errors

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
LOCAL_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
COPY_CHUNK = 1024 * 1024


def _interpolate(message, params: dict) -> str:
    return str(message) % params


# Formats a translated message when it is shown, in the language active then.
interpolate_lazy = lazy(_interpolate, str)


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
def store_errors():
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
    session_key_check(session)
    return session


def session_key_check(session: UploadSession) -> None:
    """Refuse any key outside the testimonial's own prefix (defence in depth)."""
    try:
        prefix = keys.testimonial_prefix(session.testimonial_id) + "/"
    except ValueError as exc:  # not a UUID, e.g. `../elsewhere`
        raise UploadRefused(
            _("Cet envoi ne correspond pas à votre témoignage."), code="foreign"
        ) from exc
    if posixpath.normpath(session.key) != session.key or not session.key.startswith(prefix):
        raise UploadRefused(_("Cet envoi ne correspond pas à votre témoignage."), code="foreign")
