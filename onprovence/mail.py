"""The embedded default's email backend: each email a file in EMAIL_FILE_PATH (var/mail)."""

import datetime
import os
import uuid

from django.core.mail.backends.filebased import EmailBackend as DjangoFileEmailBackend


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
