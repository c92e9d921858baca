"""Erase a withdrawn testimonial everywhere it left a trace (DESIGN §4, issue 12 finding 6).

What goes: every file in both stores (and unfinished uploads), the personal fields, the notes
of its history (a refusal keeps only its reason's label), what the admin's history says of it,
what other apps made from it (told by the `testimonial_erasing` signal: the employer kit's
asset title, credits and download log), the cached public pages and feeds, and the emails
the file backend wrote to or about the resident. What stays: the anonymous proof of consent
(text version, date, choices; the parent's address is emptied) and the bare status history.

`testimonial_purge` is the one erasure: a resident's withdrawal, a parent's, staff's and
retention all end in it (the purge task). Running it again is harmless; the task retries it
until it completes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from uuid import UUID

from django.db import transaction

from ambassadors import keys, task_names, uploads
from ambassadors.models import (
    ConsentRecord,
    RejectionReason,
    Status,
    Testimonial,
    TestimonialEvent,
)
from ambassadors.services import media_budget
from ambassadors.services.journey import PERSONAL_FIELDS, JourneyError
from ambassadors.services.publication import testimonials_published_changed
from ambassadors.services.queue import task_queue_on_commit
from ambassadors.services.speech import speech_drafts_erase
from ambassadors.services.status import testimonial_refused_by_pipeline, testimonial_transition
from ambassadors.signals import testimonial_erasing
from campaigns.pagecache import pages_forget
from onprovence.erasure import admin_log_anonymise, cache_forget, mail_files_erase
from onprovence.storage import delete_prefix, private_storage, public_storage

logger = logging.getLogger(__name__)

# What the admin's history and the audit trail say of an erased testimonial (French: staff).
ERASED_LABEL = "Témoignage effacé"
ERASED_NOTE = (
    "Effacé : fichiers, données personnelles, notes, historique de l'admin, kit employeur, "
    "caches et e-mails"
)
NOTE_ERASED = "Note effacée avec les données du témoignage"
DETAILS_ERASED = "(détails effacés)"
# Cached public reads that are not campaign pages (ambassadors.feeds._cached).
FEED_CACHE_PATTERN = "ambassadors:feed:*"


def testimonial_erasure_queue(*, testimonial_id: UUID | str) -> None:
    """Queue the erasure of a testimonial just withdrawn (staff, retention) on commit.

    Two tasks: the take-down empties the public store at once, even while the purge waits for
    a retry; the purge (`testimonial_purge`) deletes everything else. A broker down after the
    commit is logged, not raised: asking again queues both again.
    """
    task_queue_on_commit(task_names.TAKE_DOWN, testimonial_id, robust=True)
    task_queue_on_commit(task_names.PURGE, testimonial_id, robust=True)


def testimonial_purge(*, testimonial_id: UUID | str) -> Testimonial:
    """Erase a withdrawn testimonial's files and data everywhere; keep the anonymous proof.

    Files and mail files go first: if a store fails, the task retries while the row still
    says where to look. Caches are emptied once the erasure is committed.
    """
    testimonial = Testimonial.objects.get(pk=testimonial_id)
    if testimonial.status not in (Status.WITHDRAWN, Status.ERASED):
        raise JourneyError("only a withdrawn testimonial is erased")
    needles = _mail_needles(testimonial)

    prefix = keys.testimonial_prefix(testimonial.pk)
    uploads.s3_abort_prefix(prefix=prefix)
    delete_prefix(private_storage(), prefix)
    delete_prefix(public_storage(), prefix)
    mail_files_erase(needles=needles)
    media_budget.media_budget_forget(testimonial_id=testimonial.pk)

    with transaction.atomic():
        testimonial = Testimonial.objects.select_for_update().get(pk=testimonial.pk)
        events_anonymise(testimonial_id=testimonial.pk)
        speech_drafts_erase(testimonial_id=testimonial.pk)  # transcripts, drafts (issue 19)
        if testimonial.status == Status.WITHDRAWN:
            testimonial = testimonial_transition(
                testimonial_id=testimonial.pk,
                to=Status.ERASED,
                actor_label="system",
                note=ERASED_NOTE,
                changes={**PERSONAL_FIELDS, "tags": "", "flags": []},
            )
        ConsentRecord.objects.filter(testimonial_ref=testimonial.pk).exclude(
            parent_email="", anonymised_at__isnull=False
        ).update(parent_email="", anonymised_at=testimonial.status_changed_at)
        admin_log_anonymise(model=Testimonial, object_ids=[testimonial.pk], label=ERASED_LABEL)
        testimonial_erasing.send(sender=Testimonial, testimonial_id=testimonial.pk)
        # An email written while this ran (a decision racing the withdrawal) goes too.
        transaction.on_commit(lambda: mail_files_erase(needles=needles), robust=True)
        transaction.on_commit(public_reads_forget, robust=True)
    logger.info("testimonial %s erased", testimonial.pk)
    return testimonial


def _mail_needles(testimonial: Testimonial) -> list[str]:
    """What identifies the resident's emails: their address, their parent's, the id."""
    parent_emails = ConsentRecord.objects.filter(testimonial_ref=testimonial.pk).values_list(
        "parent_email", flat=True
    )
    return [str(testimonial.pk), testimonial.email, *parent_emails]


def events_anonymise(*, testimonial_id: UUID | str) -> int:
    """Replace the notes of a testimonial's history by generic ones; returns how many changed.

    Notes are free text typed by moderators (a refusal's details, an approval's remark) and
    may name the resident. A refusal keeps its reason's label (a staff-written template).
    """
    labels = refusal_labels(testimonial_id)
    changed = 0
    events = TestimonialEvent.objects.filter(testimonial_id=testimonial_id).exclude(note="")
    for event in events.exclude(note__in=[ERASED_NOTE, NOTE_ERASED]):
        label = refusal_label(event.note, labels) if event.to_status == Status.REJECTED else ""
        note = f"{label} {DETAILS_ERASED}" if label else NOTE_ERASED
        if note != event.note:
            event.note = note
            event.save(update_fields=["note"])
            changed += 1
    return changed


def refusal_labels(testimonial_id: UUID | str) -> list[str]:
    """The labels a refusal of this testimonial may keep: the refusal templates' (none when the
    pipeline refused it: its note names no template)."""
    if testimonial_refused_by_pipeline(testimonial_id):
        return []
    return list(RejectionReason.objects.values_list("label", flat=True))


def refusal_label(note: str, labels: Iterable[str]) -> str:
    """Only the refusal's label: what a moderator's refusal keeps once its details go (the
    retention of refused testimonials, the erasure). It is the template label the note starts
    with (`decisions.testimonial_reject` writes "<label> — <details>"; the details are free
    text and may name the resident), or "" when it names none. A note already reduced to its
    label (by retention, by an earlier erasure) keeps it."""
    for label in labels:
        if note in (label, f"{label} {DETAILS_ERASED}") or note.startswith(f"{label} — "):
            return label
    return ""


def public_reads_forget() -> None:
    """Make every cached public page and feed stale and delete the cached copies."""
    testimonials_published_changed()
    pages_forget()
    cache_forget(patterns=[FEED_CACHE_PATTERN])
