"""The one email builder (onprovence.mail.email_build) used by residents' and recruiters' emails."""

from django.conf import settings
from django.utils.translation import gettext_lazy

from onprovence.mail import email_build


def test_an_email_is_automatic_from_the_site_with_its_name_in_the_subject_and_both_bodies():
    message = email_build(
        to=["lea@example.org"],
        subject=gettext_lazy("Nous avons bien reçu votre témoignage"),
        template="ambassadors/email/confirmation",
        context={"first_name": "Léa", "site_url": "https://example.org/en/", "language": "en"},
        language="en",
    )

    assert message.subject == "We have received your testimonial · One Provence"
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.to == ["lea@example.org"]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "Léa" in message.body
    assert [mimetype for _, mimetype in message.alternatives] == ["text/html"]


def test_a_text_only_email_keeps_its_own_subject():
    message = email_build(
        to=["rh@example.org"],
        subject="Avis de retrait",
        template="employer_kit/email/magic_link",
        context={"link": "https://example.org/kit/x", "minutes": 30},
        language="fr",
        html=False,
        site_suffix=False,
    )

    assert message.subject == "Avis de retrait"
    assert "https://example.org/kit/x" in message.body
    assert message.alternatives == []
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
