"""Retention as code (DESIGN §4, docs/PRIVACY.md): what is erased by time, and when.

Three rules, each run by its own periodic task (`ambassadors.tasks.retention`):

- abandoned: consent given, no video sent (`created`) for AMBASSADORS_RETENTION_ABANDONED_DAYS;
- refused: `rejected` for AMBASSADORS_RETENTION_REJECTED_DAYS (the reason is kept as the label
  of the refusal template used, never the moderator's free text);
- consent ended: the consent's duration ("36 mois à compter de la publication") has run from
  the FIRST publication, whether the testimonial is online or unpublished.

Each erasure is the withdrawal path: a move to `withdrawn` (audited, actor "system", a note
without personal data) whose purge task deletes the files and personal data. Leaving
`published` that way also takes the testimonial out of the employer kit with notices to the
recruiters who downloaded it (`employer_kit.receivers`). Every service takes `now` so time can
be moved in tests; each rule checks its condition again under the row lock.
"""

import calendar
import dataclasses
import datetime
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from ambassadors import conf
from ambassadors.models import ConsentRecord, ConsentText, Status, Testimonial
from ambassadors.services.erasure import refusal_label, refusal_labels, testimonial_erasure_queue
from ambassadors.services.status import (
    InvalidTransition,
    testimonial_refused_by_pipeline,
    testimonial_transition,
)

logger = logging.getLogger(__name__)

# Statuses in which a testimonial has been online and its consent period runs.
CONSENT_RUNNING = (Status.PUBLISHED, Status.APPROVED)


# --- Consent terms (read by the employer kit too) ------------------------------------------------


def add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day and time `months` later (the 31st becomes the month's last day)."""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    shifted = local.replace(year=year, month=month, day=day, tzinfo=None)
    if timezone.is_aware(moment):
        return timezone.make_aware(shifted, timezone.get_current_timezone())
    return shifted


def consent_of(testimonial: Testimonial) -> ConsentRecord | None:
    return getattr(testimonial, "consent", None)


def consent_duration_months(consent: ConsentRecord | None) -> int:
    """The duration the resident accepted (copied into the record), else the text's."""
    if consent is not None:
        value = consent.choices.get("duration_months")
        if isinstance(value, int) and value > 0:
            return value
        return consent.consent_text.duration_months
    return ConsentText._meta.get_field("duration_months").default


def consent_channels(consent: ConsentRecord | None) -> list[str]:
    """The channels the resident accepted ("site web, réseaux sociaux, …"), as a list."""
    if consent is None:
        return []
    raw = consent.choices.get("channels") or consent.consent_text.channels
    return [channel.strip() for channel in str(raw).split(",") if channel.strip()]


def testimonial_first_published_at(testimonial: Testimonial) -> datetime.datetime | None:
    return testimonial.first_published_at or testimonial.published_at


def testimonial_consent_ends_at(testimonial: Testimonial) -> datetime.datetime | None:
    """When the consent period ends: first publication + the accepted duration (None before
    any publication: the period has not started)."""
    first = testimonial_first_published_at(testimonial)
    if first is None:
        return None
    return add_months(first, consent_duration_months(consent_of(testimonial)))


def testimonial_erasure_due_at(testimonial: Testimonial) -> datetime.datetime | None:
    """When retention will erase this testimonial as it stands (None: no period runs now).

    The status page can show it to the resident; the sweeps erase what is due.
    """
    if testimonial.status == Status.CREATED:
        return testimonial.created_at + datetime.timedelta(days=conf.retention_abandoned_days())
    if testimonial.status == Status.REJECTED:
        days = conf.retention_rejected_days()
        return testimonial.status_changed_at + datetime.timedelta(days=days)
    if testimonial.status in CONSENT_RUNNING:
        return testimonial_consent_ends_at(testimonial)
    return None


# --- The sweeps -----------------------------------------------------------------------------------


@dataclasses.dataclass
class RetentionReport:
    """Ids of the testimonials one run moved to `withdrawn` (their purge queued)."""

    erased: list[str] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)


def _french(message: Any, **params: Any) -> str:
    """An audit note in the admin's language (French), whatever language is active."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % params


def _erase_each(
    candidates: Iterable[Any],
    *,
    now: datetime.datetime,
    expected_from: tuple[str, ...],
    note: Callable[[Testimonial], str],
    before: Callable[[Testimonial], None] | None = None,
) -> RetentionReport:
    """Withdraw each candidate still due (checked again under its row lock: it may have moved
    since it was listed) and queue its purge, and the take-down of its public copies."""
    report = RetentionReport()
    for testimonial_id in candidates:
        try:
            with transaction.atomic():
                testimonial = Testimonial.objects.select_for_update().get(pk=testimonial_id)
                due_at = testimonial_erasure_due_at(testimonial)
                if testimonial.status not in expected_from or due_at is None or due_at > now:
                    continue
                if before is not None:
                    before(testimonial)
                testimonial_transition(
                    testimonial_id=testimonial.pk,
                    to=Status.WITHDRAWN,
                    actor_label="system",
                    note=note(testimonial),
                    expected_from=expected_from,
                    changes={"publish_at": None},
                )
                # The same erasure as a staff one: take-down at once, then the purge.
                testimonial_erasure_queue(testimonial_id=testimonial.pk)
        except (Testimonial.DoesNotExist, InvalidTransition):
            continue
        except Exception:
            logger.exception("retention: erasing %s failed", testimonial_id)
            report.failed.append(str(testimonial_id))
            continue
        logger.info("retention: %s withdrawn, purge queued", testimonial_id)
        report.erased.append(str(testimonial_id))
    return report


def testimonials_abandoned_erase(*, now: datetime.datetime | None = None) -> RetentionReport:
    """Erase testimonials whose consent was given but whose video never came, after N days."""
    now = now or timezone.now()
    days = conf.retention_abandoned_days()
    candidates = Testimonial.objects.filter(
        status=Status.CREATED, created_at__lte=now - datetime.timedelta(days=days)
    ).values_list("pk", flat=True)
    return _erase_each(
        list(candidates),
        now=now,
        expected_from=(Status.CREATED,),
        note=lambda testimonial: _french(
            _("Durée de conservation écoulée (aucune vidéo reçue depuis %(days)s jours)"),
            days=days,
        ),
    )


def _refusal_label(testimonial: Testimonial) -> str:
    """What is kept of the last refusal: its template's label (`erasure.refusal_label`, the
    erasure's rule), or a generic mention of who refused."""
    refusals = testimonial.events.filter(to_status=Status.REJECTED)
    note = refusals.order_by("-created_at", "-pk").values_list("note", flat=True).first()
    if note is None:
        return ""
    if testimonial_refused_by_pipeline(testimonial.pk):
        return _french(_("refus automatique : fichier inutilisable"))
    return refusal_label(note, refusal_labels(testimonial.pk)) or _french(
        _("motif rédigé par la modération")
    )


def _refusal_scrub(testimonial: Testimonial) -> None:
    """Keep only the label in the refusal events' notes: the free text may name the resident."""
    label = _refusal_label(testimonial)
    testimonial.events.filter(to_status=Status.REJECTED).exclude(
        from_status=Status.PROCESSING
    ).exclude(note=label).update(note=label)


def testimonials_rejected_erase(*, now: datetime.datetime | None = None) -> RetentionReport:
    """Erase refused testimonials N days after their refusal; keep the reason's label only."""
    now = now or timezone.now()
    days = conf.retention_rejected_days()
    candidates = Testimonial.objects.filter(
        status=Status.REJECTED, status_changed_at__lte=now - datetime.timedelta(days=days)
    ).values_list("pk", flat=True)

    def note(testimonial: Testimonial) -> str:
        label = _refusal_label(testimonial)
        text = _french(_("Durée de conservation écoulée (refusé depuis %(days)s jours)"), days=days)
        if label:
            text += _french(_(" ; motif : « %(label)s »"), label=label)
        return text

    return _erase_each(
        list(candidates),
        now=now,
        expected_from=(Status.REJECTED,),
        note=note,
        before=_refusal_scrub,
    )


def testimonials_consent_ended_erase(*, now: datetime.datetime | None = None) -> RetentionReport:
    """Unpublish and erase testimonials whose consent period (from the first publication) is
    over, online or unpublished; recruiters who downloaded one from the kit are told."""
    now = now or timezone.now()
    # No one accepts less than a month: younger publications are not even read.
    month_ago = now - datetime.timedelta(days=28)
    candidates = [
        testimonial.pk
        for testimonial in Testimonial.objects.filter(status__in=CONSENT_RUNNING)
        .filter(
            Q(first_published_at__lte=month_ago)
            | Q(first_published_at__isnull=True, published_at__lte=month_ago)
        )
        .select_related("consent__consent_text")
        .iterator()
        if (ends := testimonial_consent_ends_at(testimonial)) is not None and ends <= now
    ]

    def note(testimonial: Testimonial) -> str:
        return _french(
            _("Fin de la durée du consentement (%(months)s mois à compter de la publication)"),
            months=consent_duration_months(consent_of(testimonial)),
        )

    return _erase_each(candidates, now=now, expected_from=CONSENT_RUNNING, note=note)
