"""Emails sent to residents and parents, in the resident's language (French or English).

Each is built by `onprovence.mail.email_build` from `ambassadors/email/<name>.txt|.html`.
"""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy, gettext_noop

from ambassadors import conf, links
from ambassadors.models import ConsentRecord, Status, Testimonial
from ambassadors.services.status import testimonial_refused_by_pipeline
from onprovence.mail import email_build

TEMPLATES = "ambassadors/email"

# The subject of each moderation decision's email (the template is moderation-<decision>).
DECISION_SUBJECTS = {
    "approved": gettext_noop("Votre témoignage est accepté"),
    "published": gettext_noop("Votre témoignage est en ligne"),
    "rejected": gettext_noop("Votre témoignage ne sera pas publié"),
    "rescheduled": gettext_noop("Nouvelle date de publication de votre témoignage"),
    "unpublished": gettext_noop("Votre témoignage n'est plus en ligne"),
}
# The statuses in which a decision's email still makes sense when the worker sends it.
DECISION_STATUSES = {
    "approved": (Status.APPROVED, Status.PUBLISHED),
    "rescheduled": (Status.APPROVED,),
    "rejected": (Status.REJECTED,),
    "published": (Status.PUBLISHED,),
    "unpublished": (Status.APPROVED,),
}


def resident_language(testimonial: Testimonial) -> str:
    return "en" if testimonial.language.startswith("en") else "fr"


def _email(
    testimonial: Testimonial, *, template: str, subject: str, to: str, for_parent: bool = False
) -> EmailMultiAlternatives:
    language = resident_language(testimonial)
    with translation.override(language):
        context: dict[str, Any] = {
            "first_name": testimonial.first_name,
            "site_url": links.site_home_url(language),
            "language": language,
        }
        # A parent gets their own link, never the resident's (which would act as the child).
        if for_parent:
            context["parent_url"] = links.parent_url(testimonial.pk, language)
            context["days"] = conf.parent_confirmation_days()
        else:
            context["status_url"] = links.resident_status_url(testimonial.pk, language)
            context["withdraw_url"] = links.resident_withdraw_url(testimonial.pk, language)
    return email_build(
        to=[to],
        subject=gettext_lazy(subject),
        template=f"{TEMPLATES}/{template}",
        context=context,
        language=language,
    )


def confirmation_email(testimonial: Testimonial) -> EmailMultiAlternatives:
    """The "we received your video" email with the status and withdrawal links."""
    return _email(
        testimonial,
        template="confirmation",
        subject=gettext_noop("Nous avons bien reçu votre témoignage"),
        to=testimonial.email,
    )


# The emails to the parent of a 15-17 year old (each with the parent's own link): template ->
# subject.
PARENT_SUBJECTS = {
    "parent_notice": gettext_noop("Votre enfant a envoyé un témoignage"),
    "parent_reminder": gettext_noop("Rappel : votre accord est attendu"),
}


def _parent_email(testimonial: Testimonial, to: str, template: str) -> EmailMultiAlternatives:
    return _email(
        testimonial, template=template, subject=PARENT_SUBJECTS[template], to=to, for_parent=True
    )


def parent_notice_email(testimonial: Testimonial, parent_email: str) -> EmailMultiAlternatives:
    """Ask the parent of a 15-17 year old to confirm (or withdraw) through their own link."""
    return _parent_email(testimonial, parent_email, "parent_notice")


def parent_reminder_email(testimonial: Testimonial, parent_email: str) -> EmailMultiAlternatives:
    """Remind the parent that their confirmation is awaited, with a fresh link."""
    return _parent_email(testimonial, parent_email, "parent_reminder")


def new_video_url(testimonial: Testimonial, language: str) -> str:
    """The resident's link to send a new video after a refusal (same signed token as the
    status page's), in their language."""
    with translation.override(language):
        path = reverse("ambassadors:new-video", args=[links.resident_token(testimonial.pk)])
    return settings.SITE_URL + path


def decision_email(testimonial: Testimonial, decision: str) -> EmailMultiAlternatives:
    """The moderators' decision: approved (with its date), a new date, refused (with the
    reason, by the moderators or by the pipeline, and the link to send a new video), at its
    first publication online (with the link to its public page), or unpublished."""
    language = resident_language(testimonial)
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
        if decision == "rejected":
            context["automatic"] = testimonial_refused_by_pipeline(testimonial.pk)
            context["new_video_url"] = new_video_url(testimonial, language)
        return email_build(
            to=[testimonial.email],
            subject=gettext_lazy(DECISION_SUBJECTS[decision]),
            template=f"{TEMPLATES}/moderation-{decision}",
            context=context,
            language=language,
        )


def testimonial_send_confirmation(*, testimonial_id) -> bool:
    """Send the resident the confirmation; False if there is no one to tell.

    The parent's notice is its own task (`testimonial_send_parent_notice`): a retry after one
    of the two emails failed never sends the other one twice.
    """
    testimonial = Testimonial.objects.filter(pk=testimonial_id).first()
    if testimonial is None or not testimonial.email:
        return False
    confirmation_email(testimonial).send(fail_silently=False)
    return True


def testimonial_send_parent_notice(*, testimonial_id) -> bool:
    """Send the parent of a 15-17 year old the notice; False if there is no parent to tell."""
    testimonial = Testimonial.objects.filter(pk=testimonial_id).first()
    if testimonial is None:
        return False
    consent = ConsentRecord.objects.filter(testimonial=testimonial).first()
    if consent is None or not consent.is_minor or not consent.parent_email:
        return False
    parent_notice_email(testimonial, consent.parent_email).send(fail_silently=False)
    return True


def testimonial_email_decision(*, testimonial_id: Any, decision: str) -> bool:
    """Email the resident the moderators' decision, in their language; False when moot.

    Nothing is sent when the testimonial has moved on since (withdrawn, unpublished, or the
    decision changed) or has no address.
    """
    wanted = DECISION_STATUSES[decision]
    testimonial = Testimonial.objects.filter(pk=testimonial_id).first()
    if testimonial is None or testimonial.status not in wanted or not testimonial.email:
        return False
    if decision == "rescheduled" and testimonial.publish_at is None:
        return False
    decision_email(testimonial, decision).send()
    return True
