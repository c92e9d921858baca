"""Emails sent to residents, in their language (French or English)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ambassadors import conf
from ambassadors.links import (
    parent_url,
    resident_status_url,
    resident_withdraw_url,
    site_home_url,
)
from ambassadors.models import ConsentRecord, Testimonial


def _email(
    testimonial: Testimonial, *, template: str, subject: str, to: str, for_parent: bool = False
) -> EmailMultiAlternatives:
    language = "en" if testimonial.language.startswith("en") else "fr"
    with translation.override(language):
        context = {
            "first_name": testimonial.first_name,
            "site_url": site_home_url(language),
            "language": language,
        }
        # A parent gets their own link, never the resident's (which would act as the child).
        if for_parent:
            context["parent_url"] = parent_url(testimonial.pk, language)
            context["days"] = conf.parent_confirmation_days()
        else:
            context["status_url"] = resident_status_url(testimonial.pk, language)
            context["withdraw_url"] = resident_withdraw_url(testimonial.pk, language)
        subject = _(subject)
        text = render_to_string(f"ambassadors/email/{template}.txt", context)
        html = render_to_string(f"ambassadors/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=f"{subject} · One Provence",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message


def confirmation_email(testimonial: Testimonial) -> EmailMultiAlternatives:
    """The "we received your video" email with the status and withdrawal links."""
    return _email(
        testimonial,
        template="confirmation",
        subject=gettext_noop("Nous avons bien reçu votre témoignage"),
        to=testimonial.email,
    )


def parent_notice_email(testimonial: Testimonial, parent_email: str) -> EmailMultiAlternatives:
    """Ask the parent of a 15-17 year old to confirm (or withdraw) through their own link."""
    return _email(
        testimonial,
        template="parent_notice",
        subject=gettext_noop("Votre enfant a envoyé un témoignage"),
        to=parent_email,
        for_parent=True,
    )


def parent_reminder_email(testimonial: Testimonial, parent_email: str) -> EmailMultiAlternatives:
    """Remind the parent that their confirmation is awaited, with a fresh link."""
    return _email(
        testimonial,
        template="parent_reminder",
        subject=gettext_noop("Rappel : votre accord est attendu"),
        to=parent_email,
        for_parent=True,
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
