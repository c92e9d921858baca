"""Moderators' decisions on a testimonial (DESIGN §2): approve, reject, reopen, schedule,
feature, edit, and withdraw by staff (which queues the erasure).

Every status move goes through `testimonial_transition` (audited there); the other actions
write their own audit event with the status unchanged. Work for other teams is queued by task
name once the transaction commits.
"""

import datetime
from typing import Any
from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ambassadors import task_names
from ambassadors.models import RejectionReason, Status, Testimonial
from ambassadors.selectors import publication_free_slots
from ambassadors.services import erasure
from ambassadors.services.audit import (
    ModerationError,
    audit_note,
    field_verbose_name,
    in_french,
    moderation_audit,
)
from ambassadors.services.publication import (
    decision_email_queue,
    publish_at_set,
    review_media_present,
    testimonials_published_changed,
)
from ambassadors.services.queue import task_queue_on_commit
from ambassadors.services.status import testimonial_refused_by_pipeline, testimonial_transition

# Fields a moderator may edit on the change page.
EDITABLE_FIELDS = ("display_name", "quote", "sector", "tags")


# Public pages show the quote on the testimonial's card: a testimonial approved (scheduled or
# not) or published always has one (`testimonial_quote_missing`).
QUOTE_REQUIRED = frozenset({Status.APPROVED, Status.PUBLISHED})
QUOTE_MISSING = (
    "citation manquante : écrivez la citation (champ « Citation ») et enregistrez avant "
    "d'approuver. Rien n'a changé."
)
QUOTE_EMPTIED = (
    "La citation ne peut pas être vide : un témoignage approuvé, programmé ou publié la montre "
    "sur sa carte. Écrivez-en une autre. Rien n'a changé."
)


def testimonial_quote_missing(*, status: str, quote: str | None) -> bool:
    """Whether a testimonial in `status` with this quote (None: none given) would lack the
    quote its public card shows: the one rule of approval and of a moderator's edit."""
    return status in QUOTE_REQUIRED and quote is not None and not quote.strip()


def testimonial_approve(
    *,
    testimonial_id: UUID | str,
    actor: AbstractBaseUser | None,
    publish_at: datetime.datetime | None = None,
    note: str = "",
) -> Testimonial:
    """Approve a testimonial in review and give it a publication time.

    Without `publish_at` it takes the next free slot of the publishing rhythm. The resident is
    emailed the date, and the social renditions are queued. Public pages show the quote on the
    testimonial's card: one without a quote is never approved (ModerationError, nothing changes).
    """
    quote = Testimonial.objects.filter(pk=testimonial_id).values_list("quote", flat=True).first()
    if testimonial_quote_missing(status=Status.APPROVED, quote=quote):
        raise ModerationError(_(QUOTE_MISSING))
    publish_at = publish_at or _next_free_slot()
    testimonial = testimonial_transition(
        testimonial_id=testimonial_id,
        to=Status.APPROVED,
        actor=actor,
        note=note or audit_note("Publication prévue le %(when)s", when=publish_at),
        expected_from=[Status.IN_REVIEW],
        changes={"publish_at": publish_at, "rejection_reason": ""},
    )
    task_queue_on_commit(task_names.RENDER_SOCIAL, testimonial.pk, robust=True)
    decision_email_queue(testimonial.pk, "approved")
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
    testimonial_id: UUID | str,
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
    # The resident's email is queued by the move itself (`status.resident_notice`).
    return testimonial


def testimonial_reopen(
    *, testimonial_id: UUID | str, actor: AbstractBaseUser | None, note: str = ""
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
    if testimonial_refused_by_pipeline(testimonial.pk):
        raise ModerationError(
            _(
                "Ce témoignage a été refusé par le traitement automatique de la vidéo "
                "(fichier inutilisable) : il ne peut pas revenir en modération."
            )
        )
    if not review_media_present(testimonial.pk):
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
        note=note or audit_note("Remis en modération"),
        expected_from=[Status.REJECTED],
        changes={"rejection_reason": "", "publish_at": None},
    )


def testimonial_schedule(
    *, testimonial_id: UUID | str, actor: AbstractBaseUser | None, publish_at: datetime.datetime
) -> Testimonial:
    """Set when an approved testimonial goes out (the periodic publisher does the rest).

    The resident was emailed the date at approval: a different date is emailed again.
    """
    testimonial, moved = publish_at_set(
        testimonial_id=testimonial_id,
        actor=actor,
        publish_at=publish_at,
        note=audit_note("Publication programmée le %(when)s", when=publish_at),
    )
    if moved:
        decision_email_queue(testimonial.pk, "rescheduled")
    return testimonial


def testimonial_feature(
    *, testimonial_id: UUID | str, actor: AbstractBaseUser | None, featured: bool = True
) -> Testimonial:
    """Put a testimonial at the top of the gallery (or take it off)."""
    with transaction.atomic():
        testimonial = Testimonial.objects.select_for_update().get(pk=testimonial_id)
        if testimonial.featured == featured:
            return testimonial
        testimonial.featured = featured
        testimonial.save(update_fields=["featured", "updated_at"])
        moderation_audit(
            testimonial,
            actor=actor,
            note=audit_note("Mis à la une" if featured else "Retiré de la une"),
        )
    if testimonial.status == Status.PUBLISHED:
        transaction.on_commit(testimonials_published_changed, robust=True)
    return testimonial


def testimonial_edit(
    *, testimonial_id: UUID | str, actor: AbstractBaseUser | None, changes: dict[str, Any]
) -> Testimonial:
    """Apply a moderator's edits of what the public sees (name, quote, sector, tags).

    The quote of an approved, scheduled or published testimonial is never emptied
    (ModerationError, nothing changes): its public card shows it.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable by moderators: {sorted(unknown)}")
    with transaction.atomic():
        testimonial = Testimonial.objects.select_for_update().get(pk=testimonial_id)
        changed = [name for name, value in changes.items() if getattr(testimonial, name) != value]
        if not changed:
            return testimonial
        if "quote" in changed and testimonial_quote_missing(
            status=testimonial.status, quote=changes["quote"]
        ):
            raise ModerationError(_(QUOTE_EMPTIED))
        for name in changed:
            setattr(testimonial, name, changes[name])
        testimonial.save(update_fields=[*changed, "updated_at"])
        labels = [field_verbose_name(Testimonial, name) for name in changed]
        moderation_audit(
            testimonial,
            actor=actor,
            note=audit_note("Modifié : %(fields)s", fields=", ".join(map(in_french, labels))),
        )
    if testimonial.status == Status.PUBLISHED:
        transaction.on_commit(testimonials_published_changed, robust=True)
    return testimonial


def testimonial_withdraw_by_staff(
    *, testimonial_id: UUID | str, actor: AbstractBaseUser | None, note: str = ""
) -> Testimonial:
    """Staff erasure: withdraw the testimonial now and queue its erasure.

    The erasure (`erasure.testimonial_erasure_queue`) takes the public copies down at once and
    purges everything else (`erasure.testimonial_purge`, which moves it to `erased`). On an
    already withdrawn testimonial it only queues both again.
    """
    testimonial = Testimonial.objects.get(pk=testimonial_id)
    if testimonial.status == Status.ERASED:
        raise ModerationError(_("Ce témoignage est déjà effacé."))
    if testimonial.status != Status.WITHDRAWN:
        testimonial = testimonial_transition(
            testimonial_id=testimonial_id,
            to=Status.WITHDRAWN,
            actor=actor,
            note=note or audit_note("Effacement demandé par la modération"),
            changes={"publish_at": None},
        )
    erasure.testimonial_erasure_queue(testimonial_id=testimonial.pk)
    return testimonial
