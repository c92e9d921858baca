"""Takedowns: a testimonial's asset leaves the kit at once, and every recruiter who downloaded it
gets one notice by email."""

from uuid import UUID

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from onprovence.mail import email_build

from .. import selectors, task_names
from ..models import KitAsset, TakedownNotice
from .recruiters import localized_path


def kit_asset_takedown(*, testimonial_id: UUID | str, reason: str) -> list[int]:
    """Take a testimonial's asset out of the kit at once and queue the takedown notices.

    Returns the ids of the notices created (one per recruiter who downloaded it, once).
    """
    with transaction.atomic():
        asset = (
            KitAsset.objects.select_for_update()
            .filter(testimonial_id=testimonial_id, withdrawn_at__isnull=True)
            .first()
        )
        if asset is None:
            return []
        asset.withdrawn_at = timezone.now()
        asset.withdrawn_reason = reason[:200]
        asset.save(update_fields=["withdrawn_at", "withdrawn_reason", "updated_at"])
        recruiters = list(selectors.recruiters_who_downloaded(asset_id=asset.pk))
        TakedownNotice.objects.bulk_create(
            [TakedownNotice(asset=asset, recruiter=recruiter) for recruiter in recruiters],
            ignore_conflicts=True,
        )
        notice_ids = list(
            TakedownNotice.objects.filter(asset=asset, sent_at__isnull=True).values_list(
                "pk", flat=True
            )
        )
        for notice_id in notice_ids:
            _notice_send_on_commit(notice_id)
    return notice_ids


def _notice_send_on_commit(notice_id: int) -> None:
    transaction.on_commit(
        lambda: current_app.send_task(task_names.SEND_TAKEDOWN_NOTICE, args=[notice_id])
    )


def takedown_notice_send(*, notice_id: int) -> bool:
    """Email one takedown notice; a rerun after success sends nothing."""
    with transaction.atomic():
        notice = (
            TakedownNotice.objects.select_for_update()
            .select_related("asset", "recruiter")
            .filter(pk=notice_id, sent_at__isnull=True)
            .first()
        )
        if notice is None:
            return False
        recruiter = notice.recruiter
        with translation.override(recruiter.language):
            subject = _("Avis de retrait : « %(title)s » ne doit plus être utilisé") % {
                "title": notice.asset.title
            }
        email_build(
            to=[recruiter.email],
            subject=subject,
            template="employer_kit/email/takedown",
            context={
                "recruiter": recruiter,
                "asset": notice.asset,
                "kit_url": settings.SITE_URL
                + localized_path(reverse("employer_kit:home"), recruiter.language),
            },
            language=recruiter.language,
            html=False,
            site_suffix=False,
        ).send()
        notice.sent_at = timezone.now()
        notice.save(update_fields=["sent_at"])
    return True
