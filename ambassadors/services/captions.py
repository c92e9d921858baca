"""Captions of a testimonial: WebVTT validated, stored privately (and publicly when live).

The social cuts burn the captions in: a change after approval queues them again, and each
render records the captions version it burned (`captions_version`), which the social pack
checks so it never ships old cuts with new captions.
"""

import hashlib
import re
from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ambassadors import keys, task_names
from ambassadors.models import Status, Testimonial
from ambassadors.services.audit import audit_note, moderation_audit
from ambassadors.services.publication import testimonials_published_changed
from ambassadors.services.queue import task_queue_on_commit
from onprovence.storage import private_storage, public_storage, storage_put, storage_read

MAX_CAPTIONS_BYTES = 100 * 1024

_TIMING = re.compile(
    r"^(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3} --> (?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}(?: .*)?$"
)


def _seconds(stamp: str) -> float:
    parts = [float(part) for part in stamp.split(":")]
    return sum(value * 60**power for power, value in enumerate(reversed(parts)))


def captions_validate(data: bytes | str) -> str:
    """Return the WebVTT text normalised (UTF-8, LF endings), or raise ValidationError."""
    if isinstance(data, bytes):
        if len(data) > MAX_CAPTIONS_BYTES:
            raise ValidationError(_("Le fichier de sous-titres dépasse 100 Ko."))
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(_("Les sous-titres doivent être encodés en UTF-8.")) from exc
    text = data.replace("\r\n", "\n").replace("\r", "\n").strip() + "\n"
    if not re.match(r"^WEBVTT(?:[ \t].*)?$", text.split("\n", 1)[0]):
        raise ValidationError(_("Un fichier WebVTT commence par la ligne « WEBVTT »."))
    cues = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if "-->" not in line:
            continue
        if not _TIMING.match(line):
            raise ValidationError(
                _("Ligne %(number)s : horaire illisible (attendu : 00:00:01.000 --> 00:00:04.000).")
                % {"number": number}
            )
        start, end = (part.split(" ")[0] for part in line.split(" --> "))
        if _seconds(end) <= _seconds(start):
            raise ValidationError(
                _("Ligne %(number)s : la fin d'un sous-titre doit suivre son début.")
                % {"number": number}
            )
        cues += 1
    if not cues:
        raise ValidationError(_("Le fichier ne contient aucun sous-titre horodaté."))
    return text


def captions_version(content: bytes | None) -> str:
    """A short fingerprint of the captions burned into the social cuts ("" for none)."""
    if not content:
        return ""
    return hashlib.sha256(content).hexdigest()[:16]


# The statuses whose social cuts exist (rendered after approval).
SOCIAL_STATUSES = (Status.APPROVED, Status.PUBLISHED)
# Why a render is queued besides approval: the captions changed. Such a render is skipped when
# the cuts already burn the captions stored now, so repeated requests cost one render.
RENDER_FOR_CAPTIONS = "captions"


def testimonial_captions_set(
    *, testimonial_id: UUID | str, actor: AbstractBaseUser | None, text: str
) -> Testimonial:
    """Store validated WebVTT captions (an empty text removes them), in both stores if live.

    After approval, a change queues the social cuts again (they burn the captions in); the
    same text stored twice queues nothing.
    """
    key = keys.testimonial_key(testimonial_id, keys.CAPTIONS)
    with transaction.atomic():
        testimonial = Testimonial.objects.select_for_update().get(pk=testimonial_id)
        stores = [private_storage()]
        if testimonial.status == Status.PUBLISHED:
            stores.append(public_storage())
        content = captions_validate(text).encode() if text.strip() else b""
        changed = captions_version(content) != captions_version(
            testimonial_captions_text(testimonial_id=testimonial.pk).encode()
        )
        if content:
            for storage in stores:
                storage_put(storage, key, content)
            note = audit_note("Sous-titres mis à jour")
        else:
            for storage in stores:
                storage.delete(key)
            note = audit_note("Sous-titres supprimés")
        testimonial.has_captions = bool(text.strip())
        testimonial.save(update_fields=["has_captions", "updated_at"])
        moderation_audit(testimonial, actor=actor, note=note)
        if changed and testimonial.status in SOCIAL_STATUSES:
            task_queue_on_commit(
                task_names.RENDER_SOCIAL, testimonial.pk, RENDER_FOR_CAPTIONS, robust=True
            )
    if testimonial.status == Status.PUBLISHED:
        transaction.on_commit(testimonials_published_changed, robust=True)
    return testimonial


def testimonial_captions_text(*, testimonial_id: UUID | str) -> str:
    key = keys.testimonial_key(testimonial_id, keys.CAPTIONS)
    storage = private_storage()
    if not storage.exists(key):
        return ""
    return storage_read(storage, key).decode("utf-8")
