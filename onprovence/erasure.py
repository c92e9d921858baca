"""What every app needs to erase a person's data at the platform's edges (DESIGN §4).

The apps own their rows and files; these helpers reach the shared places where copies of
their data end up: the mail folder of the file email backend, the admin's history
(django_admin_log) and the cache.
"""

import email
import email.policy
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db.models import Model

logger = logging.getLogger(__name__)


# --- Mail files -----------------------------------------------------------------------------


def _mail_text(raw: bytes) -> str:
    """The email as people read it (decoded headers and text parts) after its raw form."""
    parts = [raw.decode("utf-8", errors="replace")]
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts += [f"{name}: {value}" for name, value in message.items()]
        for part in message.walk():
            if part.get_content_maintype() == "text":
                parts.append(part.get_content())
    except Exception as error:  # not an email: its raw text is all there is
        logger.debug("mail file not parsed: %s", type(error).__name__)
    return "\n".join(parts).casefold()


def mail_file_mentions(path: Path, needles: Iterable[str]) -> bool:
    """Whether a mail file mentions one of `needles` (case-insensitive, headers decoded)."""
    wanted = [needle.casefold() for needle in needles if needle]
    if not wanted:
        return False
    text = _mail_text(path.read_bytes())
    return any(needle in text for needle in wanted)


def mail_files_erase(*, needles: Iterable[str], folder: str | Path | None = None) -> int:
    """Delete the files of the mail folder (EMAIL_FILE_PATH) that mention one of `needles`.

    Whatever the backend in use now: the folder may hold emails of an earlier configuration.
    Returns how many files went.
    """
    needles = [needle for needle in needles if needle]
    root = Path(folder or settings.EMAIL_FILE_PATH)
    if not needles or not root.is_dir():
        return 0
    deleted = 0
    for path in sorted(root.iterdir()):
        if path.is_file() and mail_file_mentions(path, needles):
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


# --- The admin's history ----------------------------------------------------------------------


def _fields_only(change_message: str) -> str:
    """Django's structured change message with only the names of the changed fields.

    Anything else (an added inline object's name, a free-text message) is dropped.
    """
    try:
        entries = json.loads(change_message or "[]")
    except ValueError:
        return ""
    if not isinstance(entries, list):
        return ""
    kept = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        for action, details in entry.items():
            fields = details.get("fields", []) if isinstance(details, dict) else []
            fields = [str(field) for field in fields if isinstance(field, str)]
            kept.append({action: {"fields": fields}} if fields else {action: {}})
    return json.dumps(kept) if kept else ""


def admin_log_anonymise(*, model: type[Model], object_ids: Iterable[Any], label: str) -> int:
    """Replace what the admin's history says of these objects by `label`.

    The rows stay (who changed which fields, when) but their `object_repr` becomes `label`
    and their change message keeps only field names. Returns how many rows changed.
    """
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    entries = LogEntry.objects.filter(
        content_type=content_type, object_id__in=[str(pk) for pk in object_ids]
    )
    changed = 0
    for entry in entries:
        message = _fields_only(entry.change_message)
        if entry.object_repr != label or entry.change_message != message:
            entry.object_repr, entry.change_message = label, message
            entry.save(update_fields=["object_repr", "change_message"])
            changed += 1
    return changed


# --- The cache ----------------------------------------------------------------------------------


def cache_forget(*, patterns: Iterable[str]) -> int:
    """Delete the cache entries whose key matches one of the glob `patterns`.

    On Redis the keys are listed (SCAN) and deleted; a cache that cannot list its keys (the
    embedded file cache) is cleared instead: rare (an erasure), and only counters and
    rendered pages live there. Returns how many keys went (-1 when cleared).
    """
    client = _redis_client()
    if client is None:
        cache.clear()
        return -1
    deleted = 0
    for pattern in patterns:
        batch = []
        for key in client.scan_iter(match=cache.make_key(pattern), count=500):
            batch.append(key)
            if len(batch) >= 500:
                deleted += client.delete(*batch)
                batch = []
        if batch:
            deleted += client.delete(*batch)
    return deleted


def _redis_client():
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(None, write=True)
