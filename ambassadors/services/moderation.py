"""Moderation and publication of testimonials (DESIGN §2, §4).

Every status move goes through `testimonial_transition` (audited there); the other moderator
actions (schedule, feature, edit, captions) write their own audit event with the status
unchanged. Work for other teams is queued by task name once the transaction commits.
Public reads are made stale by `ambassadors.receivers` when a testimonial enters or leaves
`published`, and here when a published one is edited.
"""

import contextlib
import dataclasses
import datetime
import itertools
import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any
from uuid import UUID

from celery import current_app
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from ambassadors import conf, keys, links
from ambassadors.models import (
    RejectionReason,
    Status,
    Testimonial,
    TestimonialEvent,
)
from ambassadors.selectors import PUBLISHED_VERSION_KEY, publication_free_slots
from ambassadors.services.processing import TransientStorageError, storage_errors
from ambassadors.services.status import InvalidTransition, testimonial_transition
from onprovence.storage import (
    delete_prefix,
    is_local,
    list_folders,
    private_storage,
    public_storage,
    storage_error_is_transient,
)

RENDER_SOCIAL_TASK = "ambassadors.render_social_renditions"
PUBLISH_TASK = "ambassadors.publish_testimonial"
PURGE_TASK = "ambassadors.purge_testimonial"
EMAIL_TASK = "ambassadors.email_moderation_decision"
TAKE_DOWN_TASK = "ambassadors.take_down_public_files"
PUBLIC_SWEEP_TASK = "ambassadors.reconcile_public_store"

logger = logging.getLogger(__name__)

# What a publication copies to the public store (captions only when there are some).
PUBLISHED_FILES = (keys.WEB, keys.POSTER_JPEG, keys.POSTER_WEBP)
# Fields a moderator may edit on the change page.
EDITABLE_FIELDS = ("display_name", "quote", "sector", "tags")
MAX_CAPTIONS_BYTES = 100 * 1024

CONTENT_TYPES = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".webp": "image/webp"}
CONTENT_TYPES[".vtt"] = "text/vtt; charset=utf-8"


class ModerationError(Exception):
    """A moderator's action cannot be done; the message says why, in French."""


def _audit(testimonial: Testimonial, *, actor: AbstractBaseUser | None, note: str) -> None:
    """Record an action that leaves the status as it is, in the same history as status moves."""
    TestimonialEvent.objects.create(
        testimonial=testimonial,
        from_status=testimonial.status,
        to_status=testimonial.status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label="" if actor is not None else "system",
        note=note,
    )


def _note(message: str, *, when: datetime.datetime | None = None, **params: Any) -> str:
    """An audit note, always in the admin's language (French), whatever language is active."""
    with translation.override(settings.LANGUAGE_CODE):
        if when is not None:
            params["when"] = formats.date_format(timezone.localtime(when), "DATETIME_FORMAT")
        return message % {name: str(value) for name, value in params.items()}


def _french(text: Any) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def testimonials_published_changed() -> None:
    """Make every cached public read (feeds, pages, embeds) stale at once."""
    cache.delete(PUBLISHED_VERSION_KEY)


# After the commit, a broker that is down must not turn a recorded decision into an error page:
# `robust` logs the failure instead (an erase can be asked again to requeue its purge).


def _on_commit_send_task(name: str, testimonial_id: Any) -> None:
    transaction.on_commit(
        lambda: current_app.send_task(name, args=[str(testimonial_id)]), robust=True
    )


def _on_commit_email(testimonial_id: Any, decision: str) -> None:
    transaction.on_commit(
        lambda: current_app.send_task(EMAIL_TASK, args=[str(testimonial_id), decision]),
        robust=True,
    )


# --- Decisions ---------------------------------------------------------------------------------


def testimonial_approve(
    *,
    testimonial_id: Any,
    actor: AbstractBaseUser | None,
    publish_at: datetime.datetime | None = None,
    note: str = "",
) -> Testimonial:
    """Approve a testimonial in review and give it a publication time.

    Without `publish_at` it takes the next free slot of the publishing rhythm. The resident is
    emailed the date, and the social renditions are queued.
    """
    publish_at = publish_at or _next_free_slot()
    testimonial = testimonial_transition(
        testimonial_id=testimonial_id,
        to=Status.APPROVED,
        actor=actor,
        note=note or _note("Publication prévue le %(when)s", when=publish_at),
        expected_from=[Status.IN_REVIEW],
        changes={"publish_at": publish_at, "rejection_reason": ""},
    )
    _on_commit_send_task(RENDER_SOCIAL_TASK, testimonial.pk)
    _on_commit_email(testimonial.pk, "approved")
    return testimonial


def _next_free_slot() -> datetime.datetime:
    slots = publication_free_slots(count=1)
    if not slots:
        raise ModerationError(
            _("Le rythme de publication n'offre aucun créneau : choisissez une date.")
        )
    return slots[0]


def rejection_message(*, reason: RejectionReason | None, details: str, language: str) -> str:
    """The text a resident reads: the template's text in their language, then the details."""
    parts = [reason.text_for(language) if reason else "", details.strip()]
    return "\n\n".join(part for part in parts if part)


def testimonial_reject(
    *,
    testimonial_id: Any,
    actor: AbstractBaseUser | None,
    reason: RejectionReason | None = None,
    details: str = "",
) -> Testimonial:
    """Refuse a testimonial in review (or approved, not yet out) and email the resident why."""
    if reason is None and not details.strip():
        raise ModerationError(_("Choisissez un motif ou écrivez-le."))
    language = Testimonial.objects.values_list("language", flat=True).get(pk=testimonial_id)
    message = rejection_message(reason=reason, details=details, language=language)
    testimonial = testimonial_transition(
        testimonial_id=testimonial_id,
        to=Status.REJECTED,
        actor=actor,
        note=(reason.label + " — " if reason else "") + details.strip(),
        expected_from=[Status.IN_REVIEW, Status.APPROVED],
        changes={"rejection_reason": message, "publish_at": None},
    )
    _on_commit_email(testimonial.pk, "rejected")
    return testimonial


def testimonial_reopen(
    *, testimonial_id: Any, actor: AbstractBaseUser | None, note: str = ""
) -> Testimonial:
    """Put a testimonial a moderator refused back in the review queue (a wrong click).

    Refused when the pipeline made the refusal (the file could not be used) or when the
    moderation renditions are gone: there would be nothing to review. The refusal reason is
    cleared. The resident is not emailed now: they hear of the next decision as usual (an
    approval supersedes the refusal they may have read; a refusal email still waiting for the
    mail server is dropped, since the testimonial is no longer refused).
    """
    testimonial = Testimonial.objects.get(pk=testimonial_id)
    if testimonial.status != Status.REJECTED:
        raise ModerationError(
            _("Seul un témoignage refusé peut revenir en modération (statut : %(status)s).")
            % {"status": testimonial.get_status_display()}
        )
    refusal = testimonial.events.filter(to_status=Status.REJECTED).order_by("-created_at", "-pk")
    if refusal.values_list("from_status", flat=True).first() == Status.PROCESSING:
        raise ModerationError(
            _(
                "Ce témoignage a été refusé par le traitement automatique de la vidéo "
                "(fichier inutilisable) : il ne peut pas revenir en modération."
            )
        )
    if not _review_media_present(testimonial.pk):
        raise ModerationError(
            _(
                "La vidéo de modération de ce témoignage n'existe plus : "
                "il ne peut pas revenir en modération."
            )
        )
    return testimonial_transition(
        testimonial_id=testimonial.pk,
        to=Status.IN_REVIEW,
        actor=actor,
        note=note or _note("Remis en modération"),
        expected_from=[Status.REJECTED],
        changes={"rejection_reason": "", "publish_at": None},
    )


def _review_media_present(testimonial_id: Any) -> bool:
    """Whether the private store still holds what the review page plays (video and poster)."""
    storage = private_storage()
    try:
        return all(
            storage.exists(keys.testimonial_key(testimonial_id, name))
            for name in (keys.WEB, keys.POSTER_JPEG)
        )
    except Exception as error:
        if storage_error_is_transient(error):
            raise ModerationError(
                _("Le stockage des vidéos ne répond pas : réessayez dans un moment.")
            ) from error
        raise


def testimonial_schedule(
    *, testimonial_id: Any, actor: AbstractBaseUser | None, publish_at: datetime.datetime
) -> Testimonial:
    """Set when an approved testimonial goes out (the periodic publisher does the rest).

    The resident was emailed the date at approval: a different date is emailed again.
    """
    testimonial, moved = _set_publish_at(
        testimonial_id=testimonial_id,
        actor=actor,
        publish_at=publish_at,
        note=_note("Publication programmée le %(when)s", when=publish_at),
    )
    if moved:
        _on_commit_email(testimonial.pk, "rescheduled")
    return testimonial


def testimonial_publish_now(*, testimonial_id: Any, actor: AbstractBaseUser | None) -> Testimonial:
    """Bring an approved testimonial's publication to now and queue its publication.

    The publication itself is the scheduled one (`testimonial_publish`, run by the worker): the
    same lock, public copies, cache invalidation and first-publication email. The minute
    publisher may queue it as well meanwhile; the lock makes the second run a no-op. No
    "new date" email: the resident hears "it is online" seconds later.
    """
    if not _review_media_present(testimonial_id):
        raise ModerationError(_("La vidéo web de ce témoignage est introuvable."))
    testimonial, _moved = _set_publish_at(
        testimonial_id=testimonial_id,
        actor=actor,
        publish_at=timezone.now(),
        note=_note("Publication immédiate demandée"),
    )
    _on_commit_send_task(PUBLISH_TASK, testimonial.pk)
    return testimonial


def _set_publish_at(
    *,
    testimonial_id: Any,
    actor: AbstractBaseUser | None,
    publish_at: datetime.datetime,
    note: str,
) -> tuple[Testimonial, bool]:
    """Set an approved testimonial's publication time (audited); say whether it moved."""
    with transaction.atomic():
        testimonial = Testimonial.objects.select_for_update().get(pk=testimonial_id)
        if testimonial.status != Status.APPROVED:
            raise ModerationError(
                _("Seul un témoignage approuvé peut être programmé (statut : %(status)s).")
                % {"status": testimonial.get_status_display()}
            )
        moved = testimonial.publish_at is not None and testimonial.publish_at != publish_at
        testimonial.publish_at = publish_at
        testimonial.save(update_fields=["publish_at", "updated_at"])
        _audit(testimonial, actor=actor, note=note)
    return testimonial, moved


def testimonial_feature(
    *, testimonial_id: Any, actor: AbstractBaseUser | None, featured: bool = True
) -> Testimonial:
    """Put a testimonial at the top of the gallery (or take it off)."""
    with transaction.atomic():
        testimonial = Testimonial.objects.select_for_update().get(pk=testimonial_id)
        if testimonial.featured == featured:
            return testimonial
        testimonial.featured = featured
        testimonial.save(update_fields=["featured", "updated_at"])
        _audit(
            testimonial,
            actor=actor,
            note=_note("Mis à la une" if featured else "Retiré de la une"),
        )
    if testimonial.status == Status.PUBLISHED:
        transaction.on_commit(testimonials_published_changed, robust=True)
    return testimonial


def testimonial_edit(
    *, testimonial_id: Any, actor: AbstractBaseUser | None, changes: dict[str, Any]
) -> Testimonial:
    """Apply a moderator's edits of what the public sees (name, quote, sector, tags)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable by moderators: {sorted(unknown)}")
    with transaction.atomic():
        testimonial = Testimonial.objects.select_for_update().get(pk=testimonial_id)
        changed = [name for name, value in changes.items() if getattr(testimonial, name) != value]
        if not changed:
            return testimonial
        for name in changed:
            setattr(testimonial, name, changes[name])
        testimonial.save(update_fields=[*changed, "updated_at"])
        labels = [Testimonial._meta.get_field(name).verbose_name for name in changed]
        _audit(
            testimonial,
            actor=actor,
            note=_note("Modifié : %(fields)s", fields=", ".join(map(_french, labels))),
        )
    if testimonial.status == Status.PUBLISHED:
        transaction.on_commit(testimonials_published_changed, robust=True)
    return testimonial


# --- Captions ------------------------------------------------------------------------------------

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


def _put(storage, key: str, content: bytes) -> None:
    if storage.exists(key):
        storage.delete(key)
    storage.save(key, ContentFile(content))


def testimonial_captions_set(
    *, testimonial_id: Any, actor: AbstractBaseUser | None, text: str
) -> Testimonial:
    """Store validated WebVTT captions (an empty text removes them), in both stores if live."""
    key = keys.testimonial_key(testimonial_id, keys.CAPTIONS)
    with transaction.atomic():
        testimonial = Testimonial.objects.select_for_update().get(pk=testimonial_id)
        stores = [private_storage()]
        if testimonial.status == Status.PUBLISHED:
            stores.append(public_storage())
        if text.strip():
            content = captions_validate(text).encode()
            for storage in stores:
                _put(storage, key, content)
            note = _note("Sous-titres mis à jour")
        else:
            for storage in stores:
                storage.delete(key)
            note = _note("Sous-titres supprimés")
        testimonial.has_captions = bool(text.strip())
        testimonial.save(update_fields=["has_captions", "updated_at"])
        _audit(testimonial, actor=actor, note=note)
    if testimonial.status == Status.PUBLISHED:
        transaction.on_commit(testimonials_published_changed, robust=True)
    return testimonial


def testimonial_captions_text(*, testimonial_id: Any) -> str:
    key = keys.testimonial_key(testimonial_id, keys.CAPTIONS)
    storage = private_storage()
    if not storage.exists(key):
        return ""
    with storage.open(key, "rb") as handle:
        return handle.read().decode("utf-8")


# --- Publication -------------------------------------------------------------------------------


def _copy_to_public(key: str) -> None:
    source, target = private_storage(), public_storage()
    content_type = CONTENT_TYPES.get(key[key.rfind(".") :], "application/octet-stream")
    if not is_local(source) and not is_local(target):
        # A server-side copy: the video never goes through this process.
        target.bucket.meta.client.copy_object(
            Bucket=target.bucket.name,
            Key=key,
            CopySource={"Bucket": source.bucket.name, "Key": key},
            ContentType=content_type,
            CacheControl="public, max-age=31536000, immutable",
            MetadataDirective="REPLACE",
        )
        return
    with source.open(key, "rb") as handle:
        _put(target, key, handle.read())


def testimonial_publish(*, testimonial_id: Any, actor: AbstractBaseUser | None = None) -> bool:
    """Copy an approved testimonial's web files to the public store and mark it published.

    Returns False when there is nothing to do (already published, or no longer approved), so a
    rerun of the publisher is harmless.
    """
    with _publication_lock(testimonial_id):
        return _publish(testimonial_id, actor=actor)


def _publish(testimonial_id: Any, *, actor: AbstractBaseUser | None) -> bool:
    testimonial = Testimonial.objects.get(pk=testimonial_id)
    if testimonial.status != Status.APPROVED:
        return False
    private = private_storage()
    names = [*PUBLISHED_FILES, *([keys.CAPTIONS] if testimonial.has_captions else [])]
    present = [
        keys.testimonial_key(testimonial.pk, name)
        for name in names
        if private.exists(keys.testimonial_key(testimonial.pk, name))
    ]
    if keys.testimonial_key(testimonial.pk, keys.WEB) not in present:
        raise ModerationError(_("La vidéo web de ce témoignage est introuvable."))
    for key in present:
        _copy_to_public(key)
    # Feeds announce the video's length in bytes (RSS enclosures, JSON Feed attachments).
    web_size = private.size(keys.testimonial_key(testimonial.pk, keys.WEB))
    now = timezone.now()
    try:
        testimonial_transition(
            testimonial_id=testimonial.pk,
            to=Status.PUBLISHED,
            actor=actor,
            actor_label="" if actor is not None else "system",
            expected_from=[Status.APPROVED],
            # The consent period runs from the first publication: a republication keeps it.
            changes={
                "published_at": now,
                "first_published_at": testimonial.first_published_at or now,
                "web_size": web_size,
            },
        )
    except InvalidTransition:
        # Withdrawn or rejected while the files were copied: take the copies back down.
        delete_prefix(public_storage(), keys.testimonial_prefix(testimonial.pk))
        raise
    # Only the first time it goes online: after an unpublish, the resident already has the link
    # (the same page) and a second "it is online" would read as news it is not.
    if testimonial.events.filter(to_status=Status.PUBLISHED).count() == 1:
        _on_commit_email(testimonial.pk, "published")
    return True


# Publishing and taking down hold this lock (PostgreSQL advisory, released at commit), so a
# take-down queued by an earlier unpublish cannot delete the copies of a publication that went
# out meanwhile, and two publishers of one testimonial (the minute sweep queues it again while
# a slow copy runs) do not race: the second sees `published` and does nothing.
_PUBLICATION_LOCK_SPACE = 0x50554231  # "PUB1": the two-key space, apart from processing_lock's


@contextlib.contextmanager
def _publication_lock(testimonial_id: Any) -> Iterator[None]:
    """A transaction holding this testimonial's publication lock (waited for) until it ends."""
    if connection.vendor != "postgresql":
        # The embedded default runs one worker, and a SQLite transaction held over the copies
        # would make the site's own writes fail meanwhile.
        yield
        return
    value = UUID(str(testimonial_id)).int & 0xFFFFFFFF
    key = value - (1 << 32) if value >= (1 << 31) else value
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_PUBLICATION_LOCK_SPACE, key])
        yield


def _take_down_public_files(testimonial_id: Any) -> None:
    # A task, so a store that fails neither shows the moderator an error page nor leaves the
    # copies up: the worker retries until the store answers.
    _on_commit_send_task(TAKE_DOWN_TASK, testimonial_id)


def testimonial_take_down(*, testimonial_id: Any) -> int | None:
    """Delete the public copies of a testimonial that is not published; return how many went.

    Returns None, deleting nothing, when it is published again by the time this runs (a
    moderator rescheduled it after unpublishing). A store that is away or busy raises
    TransientStorageError (the task retries); a rerun is harmless.
    """
    with _publication_lock(testimonial_id):
        status = (
            Testimonial.objects.filter(pk=testimonial_id).values_list("status", flat=True).first()
        )
        if status == Status.PUBLISHED:
            return None
        with storage_errors():
            return delete_prefix(public_storage(), keys.testimonial_prefix(testimonial_id))


# --- The public-store sweep ----------------------------------------------------------------------
# The take-down task is queued on commit: a broker down at that moment loses it, and a store
# down for longer than its 20 tries leaves the copies up. This sweep compares the public store
# with the statuses and takes down what should not be there.


@dataclasses.dataclass
class PublicStoreReport:
    """What one sweep of the public store found and did."""

    checked: int = 0  # folders found under keys.FOLDER
    # Testimonial id -> its status ("" when no row has that id) of the folders taken down (in
    # a dry run, of those that would be).
    taken_down: dict[str, str] = dataclasses.field(default_factory=dict)
    deleted: int = 0  # objects deleted
    in_grace: list[str] = dataclasses.field(default_factory=list)
    not_testimonials: list[str] = dataclasses.field(default_factory=list)  # left alone
    failed: list[str] = dataclasses.field(default_factory=list)
    stopped_at_max: bool = False  # more to take down: the next run goes on
    dry_run: bool = False

    def summary(self) -> str:
        done = "to take down" if self.dry_run else f"taken down ({self.deleted} objects)"
        return (
            f"{self.checked} folders checked, {len(self.taken_down)} {done}, "
            f"{len(self.in_grace)} in the publication grace, "
            f"{len(self.not_testimonials)} not a testimonial's (left alone), "
            f"{len(self.failed)} failed"
            + (", stopped at the maximum" if self.stopped_at_max else "")
        )


def public_store_reconcile(
    *,
    dry_run: bool = False,
    max_take_downs: int | None = None,
    page_size: int = 1000,
    now: datetime.datetime | None = None,
) -> PublicStoreReport:
    """Take down the public copies of every testimonial that is not published.

    Lists the testimonial folders of the public store page by page and, for each one whose
    testimonial is not `published` (or has no row: erased, unknown id), calls
    `testimonial_take_down`, which decides again under the publication lock. Folders not named
    after a testimonial id are left alone and logged. An approved testimonial whose publish_at
    is within the grace of `now` is left for a later run: its publication may be copying files
    right now, and without PostgreSQL there is no lock to wait for it. At most `max_take_downs`
    (in a dry run: listed, nothing deleted); the store being away raises TransientStorageError.
    """
    if max_take_downs is None:
        max_take_downs = conf.public_sweep_max_take_downs()
    grace = datetime.timedelta(seconds=conf.public_sweep_grace_seconds())
    now = now or timezone.now()
    report = PublicStoreReport(dry_run=dry_run)
    try:
        with storage_errors():
            folders = list_folders(public_storage(), keys.FOLDER, page_size=page_size)
            while batch := list(itertools.islice(folders, page_size)):
                if not _reconcile_batch(batch, report, dry_run, max_take_downs, now, grace):
                    break
    finally:
        logger.info("public store sweep: %s", report.summary())
    return report


def _reconcile_batch(
    folders: list[str],
    report: PublicStoreReport,
    dry_run: bool,
    max_take_downs: int,
    now: datetime.datetime,
    grace: datetime.timedelta,
) -> bool:
    """Check one page of folders against the statuses; False once the maximum is reached."""
    ids = {name: keys.testimonial_id_of_folder(name) for name in folders}
    rows = {
        pk: (status, publish_at)
        for pk, status, publish_at in Testimonial.objects.filter(
            pk__in=[testimonial_id for testimonial_id in ids.values() if testimonial_id]
        ).values_list("pk", "status", "publish_at")
    }
    for name, testimonial_id in ids.items():
        status, publish_at = rows.get(testimonial_id, ("", None))
        in_grace = status == Status.APPROVED and publish_at and abs(publish_at - now) <= grace
        keep = testimonial_id is None or status == Status.PUBLISHED or in_grace
        if not keep and len(report.taken_down) + len(report.failed) >= max_take_downs:
            report.stopped_at_max = True
            return False
        report.checked += 1
        if testimonial_id is None:
            logger.warning(
                "public store: %s/%s/ is not a testimonial's, left alone", keys.FOLDER, name
            )
            report.not_testimonials.append(name)
            continue
        if in_grace:
            report.in_grace.append(str(testimonial_id))
        if keep:
            continue
        if dry_run:
            report.taken_down[str(testimonial_id)] = status
            continue
        try:
            deleted = testimonial_take_down(testimonial_id=testimonial_id)
        except TransientStorageError:
            raise
        except Exception:
            logger.exception("public store: taking down %s failed", testimonial_id)
            report.failed.append(str(testimonial_id))
            continue
        if deleted is None:  # published by the time it held the lock
            continue
        logger.info(
            "public store: %s (%s) taken down, %s objects",
            testimonial_id,
            status or "no row",
            deleted,
        )
        report.taken_down[str(testimonial_id)] = status
        report.deleted += deleted
    return True


def testimonial_unpublish(
    *, testimonial_id: Any, actor: AbstractBaseUser | None, note: str = ""
) -> Testimonial:
    """Take a published testimonial off every page, feed and embed; it stays approved, undated.

    Its public copies are deleted by a task queued on commit (`testimonial_take_down`).
    """
    testimonial = testimonial_transition(
        testimonial_id=testimonial_id,
        to=Status.APPROVED,
        actor=actor,
        note=note or _note("Dépublié"),
        expected_from=[Status.PUBLISHED],
        changes={"publish_at": None, "published_at": None},
    )
    _take_down_public_files(testimonial.pk)
    return testimonial


def testimonial_erase(
    *, testimonial_id: Any, actor: AbstractBaseUser | None, note: str = ""
) -> Testimonial:
    """Staff erasure: withdraw the testimonial now and queue the purge of its files and data.

    The public copies are taken down by their own task queued on commit; the purge task
    (resident journey) deletes everything else and moves it to `erased`. On an already
    withdrawn testimonial it only queues both again.
    """
    testimonial = Testimonial.objects.get(pk=testimonial_id)
    if testimonial.status == Status.ERASED:
        raise ModerationError(_("Ce témoignage est déjà effacé."))
    if testimonial.status != Status.WITHDRAWN:
        testimonial = testimonial_transition(
            testimonial_id=testimonial_id,
            to=Status.WITHDRAWN,
            actor=actor,
            note=note or _note("Effacement demandé par la modération"),
            changes={"publish_at": None},
        )
    _take_down_public_files(testimonial.pk)
    _on_commit_send_task(PURGE_TASK, testimonial.pk)
    return testimonial


# --- Resident emails ---------------------------------------------------------------------------


def testimonial_email_decision(*, testimonial_id: Any, decision: str) -> bool:
    """Email the resident the moderators' decision, in their language; False when moot.

    `published` is the news that it is online, with the link to its public page. Nothing is
    sent when the testimonial has moved on since (withdrawn, unpublished, or the decision
    changed) or has no address.
    """
    wanted = {
        "approved": (Status.APPROVED, Status.PUBLISHED),
        "rescheduled": (Status.APPROVED,),
        "rejected": (Status.REJECTED,),
        "published": (Status.PUBLISHED,),
    }[decision]
    testimonial = Testimonial.objects.filter(pk=testimonial_id).first()
    if testimonial is None or testimonial.status not in wanted or not testimonial.email:
        return False
    if decision == "rescheduled" and testimonial.publish_at is None:
        return False
    language = "en" if testimonial.language.startswith("en") else "fr"
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        context = {
            "testimonial": testimonial,
            "language": language,
            "first_name": testimonial.first_name,
            "publish_at": timezone.localtime(testimonial.publish_at)
            if testimonial.publish_at
            else None,
            "reason": testimonial.rejection_reason,
            "display_name": testimonial.display_name,
            # Reversed with the resident's language active: /en/temoignages/... in English.
            "public_url": settings.SITE_URL + testimonial.get_absolute_url(),
            "status_url": links.resident_status_url(testimonial.pk, language),
            "withdraw_url": links.resident_withdraw_url(testimonial.pk, language),
            "site_url": links.site_home_url(language),
        }
        template = f"ambassadors/emails/moderation-{decision}"
        subject = render_to_string(f"{template}-subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(f"{template}.txt", context),
            to=[testimonial.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()
    return True


# --- Social pack -------------------------------------------------------------------------------


# The suggested post comes in both languages of the campaign; the resident's own words (quote,
# name, job) stay as they wrote them.
SOCIAL_POST_LANGUAGES = ("fr", "en")


def social_post_text(testimonial: Testimonial, language: str = "fr") -> str:
    """A suggested post for the social team in `language`, with the page link and hashtags."""
    with translation.override(language):
        sector = testimonial.sector.display_name.lower() if testimonial.sector else ""
        return render_to_string(
            "ambassadors/admin/social-post.txt",
            {
                "testimonial": testimonial,
                "sector": sector,
                "url": settings.SITE_URL + testimonial.get_absolute_url(),
                "hashtags": _hashtags(testimonial),
            },
        ).strip()


def social_post_texts(testimonial: Testimonial) -> dict[str, str]:
    """The suggested post in each language of the campaign (French first)."""
    return {language: social_post_text(testimonial, language) for language in SOCIAL_POST_LANGUAGES}


def _hashtags(testimonial: Testimonial) -> list[str]:
    """The campaign's tags, then the sector (in the active language) and the testimonial's."""
    words = ["TousAmbassadeurs", "OneProvence", "AixMarseilleProvence"]
    if testimonial.sector:
        words.append(re.sub(r"[^\w]", "", testimonial.sector.display_name.title()))
    words += [re.sub(r"[^\w]", "", tag.title()) for tag in testimonial.tag_list]
    return ["#" + word for word in dict.fromkeys(words) if word]


def testimonial_social_pack_files(*, testimonial: Testimonial) -> list[tuple[str, str]]:
    """(key, name in the archive) of the pack's files that exist in the private store."""
    storage = private_storage()
    wanted = [(keys.SOCIAL[ratio], f"video-{ratio}.mp4") for ratio in ("9x16", "1x1", "16x9")]
    wanted += [(keys.POSTER_JPEG, "affiche.jpg"), (keys.CAPTIONS, "sous-titres.vtt")]
    found = []
    for name, arcname in wanted:
        key = keys.testimonial_key(testimonial.pk, name)
        if storage.exists(key):
            found.append((key, arcname))
    return found


def _read_in_chunks(key: str, size: int = 1024 * 1024) -> Iterator[bytes]:
    with private_storage().open(key, "rb") as handle:
        while chunk := handle.read(size):
            yield chunk


def testimonial_social_pack(*, testimonial: Testimonial) -> Iterable[bytes]:
    """Stream a ZIP of the social renditions, poster, captions and the suggested post (fr, en)."""
    import zipstream

    files = testimonial_social_pack_files(testimonial=testimonial)
    if not any(arcname.startswith("video-") for _, arcname in files):
        raise ModerationError(
            _("Les formats réseaux sociaux ne sont pas encore prêts : réessayez dans un moment.")
        )
    archive = zipstream.ZipStream(compress_type=zipstream.ZIP_STORED)
    for key, arcname in files:
        archive.add(_read_in_chunks(key), arcname)
    for language, text in social_post_texts(testimonial).items():
        archive.add(text.encode() + b"\n", f"publication-{language}.txt")
    return archive
