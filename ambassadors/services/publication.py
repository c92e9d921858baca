"""Publication of approved testimonials (DESIGN §2, §4): publish, publish now, unpublish, take
the public copies down, and the sweep that reconciles the public store with the statuses.

Public reads are made stale by `ambassadors.receivers` when a testimonial enters or leaves
`published`, and by `testimonials_published_changed` when a published one is edited.
"""

import dataclasses
import datetime
import itertools
import logging
from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ambassadors import conf, keys, task_names
from ambassadors.media.renditions import web_rendition_pending
from ambassadors.models import Status, Testimonial
from ambassadors.selectors import PUBLISHED_VERSION
from ambassadors.services.audit import ModerationError, audit_note, moderation_audit
from ambassadors.services.locks import publication_lock
from ambassadors.services.queue import task_queue_on_commit
from ambassadors.services.status import InvalidTransition, testimonial_transition
from onprovence.storage import (
    TransientStorageError,
    delete_prefix,
    list_folders,
    private_storage,
    public_storage,
    storage_copy,
    storage_error_is_transient,
    storage_errors,
)

logger = logging.getLogger(__name__)

# What a publication copies to the public store (captions only when there are some).
PUBLISHED_FILES = (keys.WEB, keys.POSTER_JPEG, keys.POSTER_WEBP)


def testimonials_published_changed() -> None:
    """Make every cached public read (feeds, pages, embeds) stale at once."""
    PUBLISHED_VERSION.bump()


def decision_email_queue(testimonial_id: UUID | str, decision: str) -> None:
    """Email the resident a decision once it is committed (`ambassadors.emails`)."""
    task_queue_on_commit(task_names.DECISION_EMAIL, testimonial_id, decision, robust=True)


def review_media_present(testimonial_id: UUID | str) -> bool:
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


def testimonial_publish_now(
    *, testimonial_id: UUID | str, actor: AbstractBaseUser | None
) -> Testimonial:
    """Bring an approved testimonial's publication to now and queue its publication.

    The publication itself is the scheduled one (`testimonial_publish`, run by the worker): the
    same lock, public copies, cache invalidation and first-publication email. The minute
    publisher may queue it as well meanwhile; the lock makes the second run a no-op. No
    "new date" email: the resident hears "it is online" seconds later.
    """
    if not review_media_present(testimonial_id):
        raise ModerationError(_("La vidéo web de ce témoignage est introuvable."))
    testimonial, _moved = publish_at_set(
        testimonial_id=testimonial_id,
        actor=actor,
        publish_at=timezone.now(),
        note=audit_note("Publication immédiate demandée"),
    )
    task_queue_on_commit(task_names.PUBLISH, testimonial.pk, robust=True)
    return testimonial


def publish_at_set(
    *,
    testimonial_id: UUID | str,
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
        moderation_audit(testimonial, actor=actor, note=note)
    return testimonial, moved


def testimonial_publish(
    *, testimonial_id: UUID | str, actor: AbstractBaseUser | None = None
) -> bool:
    """Copy an approved testimonial's web files to the public store and mark it published.

    Returns False when there is nothing to do (already published, or no longer approved), so a
    rerun of the publisher is harmless.
    """
    with publication_lock(testimonial_id):
        return _publish(testimonial_id, actor=actor)


def _publish(testimonial_id: UUID | str, *, actor: AbstractBaseUser | None) -> bool:
    testimonial = Testimonial.objects.get(pk=testimonial_id)
    if testimonial.status != Status.APPROVED:
        return False
    if web_rendition_pending(testimonial.probe):
        # Review first: web.mp4 is still the review file. The slot waits for the public
        # rendition (the approval's task, or the sweeper's requeue); the calendar shows it.
        logger.info("testimonial %s: publication waits for its web rendition", testimonial.pk)
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
    public = public_storage()
    for key in present:
        storage_copy(private, public, key)
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
        decision_email_queue(testimonial.pk, "published")
    return True


def public_files_take_down_queue(testimonial_id: UUID | str) -> None:
    """Queue the take-down of the public copies once the transaction commits.

    A task, so a store that fails neither shows the moderator an error page nor leaves the
    copies up: the worker retries until the store answers.
    """
    task_queue_on_commit(task_names.TAKE_DOWN, testimonial_id, robust=True)


def testimonial_take_down(*, testimonial_id: UUID | str) -> int | None:
    """Delete the public copies of a testimonial that is not published; return how many went.

    Returns None, deleting nothing, when it is published again by the time this runs (a
    moderator rescheduled it after unpublishing). A store that is away or busy raises
    TransientStorageError (the task retries); a rerun is harmless.
    """
    with publication_lock(testimonial_id):
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
    # Keyed by UUID | None so that a folder that names no testimonial finds no row.
    rows: dict[UUID | None, tuple[str, datetime.datetime | None]] = {
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
    *, testimonial_id: UUID | str, actor: AbstractBaseUser | None, note: str = ""
) -> Testimonial:
    """Take a published testimonial off every page, feed and embed; it stays approved, undated.

    Its public copies are deleted by a task queued on commit (`testimonial_take_down`).
    """
    testimonial = testimonial_transition(
        testimonial_id=testimonial_id,
        to=Status.APPROVED,
        actor=actor,
        note=note or audit_note("Dépublié"),
        expected_from=[Status.PUBLISHED],
        changes={"publish_at": None, "published_at": None},
    )
    public_files_take_down_queue(testimonial.pk)
    return testimonial
