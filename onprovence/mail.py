"""Email: the one builder of the project's emails, and the embedded default's file backend.

Every email the platform sends (residents, parents, recruiters) is built by `email_build`:
the sender, the "Auto-Submitted" header of automatic mail (RFC 3834), the subject with the
site's name, the text and HTML bodies rendered from `<app>/email/<name>.txt|.html` in the
reader's language.
"""

import datetime
import os
import uuid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.filebased import EmailBackend as DjangoFileEmailBackend
from django.template.loader import render_to_string
from django.utils import translation

SITE_SUFFIX = " · One Provence"


def email_build(
    *,
    to: list[str],
    subject: Any,
    template: str,
    context: dict[str, Any],
    language: str,
    html: bool = True,
    site_suffix: bool = True,
) -> EmailMultiAlternatives:
    """An automatic email to `to`, rendered in `language`.

    `subject` may be a lazy translation: it is read in `language`, then " · One Provence" is
    added when `site_suffix`. `template` names `<template>.txt` (the body) and, when `html`,
    `<template>.html` (its alternative).
    """
    with translation.override(language):
        subject = str(subject) + (SITE_SUFFIX if site_suffix else "")
        body = render_to_string(f"{template}.txt", context)
        alternative = render_to_string(f"{template}.html", context) if html else None
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers={"Auto-Submitted": "auto-generated"},
    )
    if alternative is not None:
        message.attach_alternative(alternative, "text/html")
    return message


class FileEmailBackend(DjangoFileEmailBackend):
    """Write each email to its own file (`<time>-<random>.eml` in EMAIL_FILE_PATH).

    Django's file backend appends every email of a connection (and of backends that reuse a
    memory address within the same second) to one file; one file per email lets an erasure
    delete one resident's emails and nobody else's.
    """

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages or []:
            self._fname = None
            self.close()
            sent += super().send_messages([message]) or 0
        return sent

    def write_message(self, message) -> None:
        self.stream.write(message.message().as_bytes())

    def _get_filename(self) -> str:
        if self._fname is None:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            self._fname = os.path.join(self.file_path, f"{stamp}-{uuid.uuid4().hex}.eml")
        return self._fname
