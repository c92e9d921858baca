"""Emails sent to residents, in their language (French or English)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from ambassadors.links import resident_status_url, resident_withdraw_url
from ambassadors.models import Testimonial


def confirmation_email(testimonial: Testimonial) -> EmailMultiAlternatives:
    """Build the "we received your video" email with the status and withdrawal links."""
    language = "en" if testimonial.language.startswith("en") else "fr"
    with translation.override(language):
        context = {
            "first_name": testimonial.first_name,
            "status_url": resident_status_url(testimonial.pk, language),
            "withdraw_url": resident_withdraw_url(testimonial.pk, language),
            "site_url": settings.SITE_URL,
            "language": language,
        }
        subject = _("Nous avons bien reçu votre témoignage")
        text = render_to_string("ambassadors/email/confirmation.txt", context)
        html = render_to_string("ambassadors/email/confirmation.html", context)
    message = EmailMultiAlternatives(
        subject=f"{subject} · One Provence",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[testimonial.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message


def testimonial_send_confirmation(*, testimonial_id) -> bool:
    """Send the confirmation email; False when there is no one to send it to any more."""
    testimonial = Testimonial.objects.filter(pk=testimonial_id).first()
    if testimonial is None or not testimonial.email:
        return False
    confirmation_email(testimonial).send(fail_silently=False)
    return True
