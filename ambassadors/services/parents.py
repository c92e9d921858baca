"""A minor's parent confirms the consent, or withdraws the testimonial (issue 12, DESIGN §4).

For a resident aged 15 to 17 the consent holds once a parent confirms it. After the upload the
parent is emailed a signed link of their own (ambassadors.links.parent_url) to a page that
shows the text their child accepted and the video's status. Until they confirm, the testimonial
cannot be approved or published (`services.status.testimonial_transition` refuses); they are
reminded `conf.parent_reminder_days()` after the upload, and without a confirmation after
`conf.parent_confirmation_days()` the testimonial is withdrawn, which queues its erasure.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from ambassadors import conf
from ambassadors.emails import parent_reminder_email
from ambassadors.models import ConsentRecord, Status, Testimonial, TestimonialEvent
from ambassadors.services import journey
from ambassadors.services.consent import consent_text_shown

logger = logging.getLogger(__name__)

# Audit notes: in French (the admin's language), with no personal data.
NOTE_CONFIRMED = "Accord parental confirmé"
NOTE_EXPIRED = "accord parental non reçu"
# Nothing left to confirm, or to withdraw.
CLOSED = frozenset({Status.WITHDRAWN, Status.ERASED})


class ParentLinkError(Exception):
    """The parent's link cannot be used (expired, or the testimonial is gone)."""


class ParentLinkExpired(ParentLinkError):
    """The parent's link is older than the consent it confirms."""


@dataclass(frozen=True)
class ParentView:
    """What the parent's page shows."""

    testimonial: Testimonial
    consent: ConsentRecord
    consent_title: str
    consent_paragraphs: list[str]


def _consent_months(consent: ConsentRecord) -> int:
    months = consent.choices.get("duration_months") if consent.choices else None
    return int(months or consent.consent_text.duration_months)


def parent_link_expires_at(
    *, consent: ConsentRecord, issued_at: datetime.datetime
) -> datetime.datetime:
    """A parent's link lasts as long as the consent it confirms (the right to withdraw does).

    Months count 31 days: the link never closes before the consent does.
    """
    return issued_at + datetime.timedelta(days=31 * _consent_months(consent))


def consent_text_for(consent: ConsentRecord, language: str) -> tuple[str, list[str]]:
    """The title and paragraphs the child was shown: the record's own copy (title, a blank
    line, one paragraph a line), or for a record older than that copy, the version's text."""
    if consent.text_shown:
        title, *rest = consent.text_shown.split("\n")
        return title, [line for line in rest if line.strip()]
    shown = consent_text_shown(consent_text=consent.consent_text, language=language)
    return shown.title, list(shown.paragraphs)


def parent_view(
    *,
    testimonial_id: UUID | str,
    issued_at: datetime.datetime,
    now: datetime.datetime | None = None,
) -> ParentView:
    """Load what a parent's link points at; raise ParentLinkError when it cannot be used
    (ParentLinkExpired when it is too old)."""
    now = now or timezone.now()
    consent = (
        ConsentRecord.objects.select_related("consent_text", "testimonial")
        .filter(testimonial_id=testimonial_id, is_minor=True)
        .first()
    )
    if consent is None or consent.testimonial is None:
        raise ParentLinkError("no minor's testimonial behind this link")
    if now > parent_link_expires_at(consent=consent, issued_at=issued_at):
        raise ParentLinkExpired("expired")
    title, paragraphs = consent_text_for(consent, consent.testimonial.language)
    return ParentView(
        testimonial=consent.testimonial,
        consent=consent,
        consent_title=title,
        consent_paragraphs=paragraphs,
    )


def parent_confirm(
    *, testimonial_id: UUID | str, now: datetime.datetime | None = None
) -> ConsentRecord:
    """Record the parent's confirmation (once) and write it to the testimonial's history.

    Confirming again changes nothing. A withdrawn or erased testimonial has nothing left to
    confirm: ParentLinkError.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # The consent row is locked: two clicks record one confirmation and one event.
        consent = (
            ConsentRecord.objects.select_for_update()
            .select_related("testimonial")
            .get(testimonial_id=testimonial_id, is_minor=True)
        )
        if consent.parent_confirmed_at is not None:
            return consent
        testimonial = consent.testimonial
        if testimonial is None or testimonial.status in CLOSED:
            raise ParentLinkError("the testimonial is withdrawn")
        consent.parent_confirmed_at = now
        consent.save(update_fields=["parent_confirmed_at"])
        TestimonialEvent.objects.create(
            testimonial=testimonial,
            from_status=testimonial.status,
            to_status=testimonial.status,
            actor_label="parent",
            note=NOTE_CONFIRMED,
        )
    return consent


def parent_withdraw(*, testimonial_id: UUID | str) -> Testimonial:
    """Withdraw a minor's testimonial at the parent's request; its erasure is queued."""
    if not ConsentRecord.objects.filter(testimonial_id=testimonial_id, is_minor=True).exists():
        raise ParentLinkError("no minor's testimonial behind this link")
    return journey.testimonial_withdraw(testimonial_id=testimonial_id, actor_label="parent")


# --- Reminders and expiry (the hourly beat task) -------------------------------------------------


def _awaiting_parent() -> QuerySet[ConsentRecord]:
    """Minors' consents not yet confirmed, of testimonials uploaded and still in the flow,
    each with `uploaded_at` (its first move to `uploaded`, from the audit history)."""
    return (
        ConsentRecord.objects.filter(
            is_minor=True, parent_confirmed_at=None, testimonial__isnull=False
        )
        .exclude(testimonial__status__in=[Status.CREATED, *CLOSED])
        .annotate(
            uploaded_at=Min(
                "testimonial__events__created_at",
                filter=Q(testimonial__events__to_status=Status.UPLOADED),
            )
        )
        .filter(uploaded_at__isnull=False)
    )


def _reminder_due(consent: Any, now: datetime.datetime) -> bool:
    days = conf.parent_reminder_days()
    sent = consent.parent_reminders_sent
    if not consent.parent_email or sent >= len(days):
        return False
    if now < consent.uploaded_at + datetime.timedelta(days=days[sent]):
        return False
    # After a pause of the beat, two due reminders go out a day apart, not an hour.
    last = consent.parent_last_reminded_at
    return last is None or now - last >= datetime.timedelta(days=1)


def _expired(consent: Any, now: datetime.datetime) -> bool:
    deadline = consent.uploaded_at + datetime.timedelta(days=conf.parent_confirmation_days())
    # A parent with an address hears every reminder before the testimonial goes.
    reminded = not consent.parent_email or consent.parent_reminders_sent >= len(
        conf.parent_reminder_days()
    )
    return now >= deadline and reminded


def parent_remind(*, consent_id: int, now: datetime.datetime | None = None) -> bool:
    """Send the parent their next reminder if one is due; say whether one was sent.

    The row is locked while the email goes, so two runs send it once; a failed send changes
    nothing (the next run tries again).
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Locked plainly (PostgreSQL locks no aggregate), then read with its upload time.
        ConsentRecord.objects.select_for_update().filter(pk=consent_id).first()
        consent = _awaiting_parent().filter(pk=consent_id).first()
        if consent is None or not _reminder_due(consent, now):
            return False
        consent.parent_reminders_sent += 1
        consent.parent_last_reminded_at = now
        consent.save(update_fields=["parent_reminders_sent", "parent_last_reminded_at"])
        # _awaiting_parent() keeps only consents that have a testimonial.
        assert consent.testimonial is not None
        parent_reminder_email(consent.testimonial, consent.parent_email).send(fail_silently=False)
    return True


def parent_expire(*, consent_id: int, now: datetime.datetime | None = None) -> bool:
    """Withdraw a minor's testimonial whose parent did not confirm in time (erasure follows)."""
    now = now or timezone.now()
    consent = _awaiting_parent().filter(pk=consent_id).first()
    if consent is None or not _expired(consent, now):
        return False
    # _awaiting_parent() keeps only consents that have a testimonial.
    assert consent.testimonial_id is not None
    journey.testimonial_withdraw(
        testimonial_id=consent.testimonial_id, actor_label="system", note=NOTE_EXPIRED
    )
    return True


@dataclass
class ParentSweep:
    reminded: int = 0
    withdrawn: int = 0
    failed: int = 0


def parents_sweep(*, now: datetime.datetime | None = None) -> ParentSweep:
    """Remind the parents who are due a reminder; withdraw what waited too long."""
    now = now or timezone.now()
    report = ParentSweep()
    for consent in _awaiting_parent().order_by("pk"):
        try:
            if _expired(consent, now):
                report.withdrawn += parent_expire(consent_id=consent.pk, now=now)
            elif _reminder_due(consent, now):
                report.reminded += parent_remind(consent_id=consent.pk, now=now)
        except (smtplib.SMTPException, OSError):
            # One unreachable mail server must not hold up the other parents; next run retries.
            logger.exception("parent reminder for consent %s failed", consent.pk)
            report.failed += 1
    return report
