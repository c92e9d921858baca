"""Transactional emails are never dropped: no rate limit on them, retried on SMTP failure."""

import os
import socket
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy

import pytest
from celery import current_app
from django.core import mail
from django.test import Client
from django.urls import reverse

import ambassadors.tasks  # noqa: F401  (registers the tasks run below)
from ambassadors.forms import journey_token
from ambassadors.models import ConsentRecord, Status, Testimonial
from ambassadors.tasks import journey as journey_tasks
from tests.ambassadors.conftest import queued_tasks

pytestmark = pytest.mark.django_db
ORIGIN = "http://testserver"
SCHOOL_WIFI = "203.0.113.7"  # one public address for a whole school (or a carrier's NAT)


def api(client, name: str, body: dict):
    return client.post(reverse(f"ambassadors:{name}"), body, content_type="application/json")


def resident_sends_a_video(number: int, *, minor: bool = False) -> None:
    """One resident, behind the shared address: consent, then the video, through the views."""
    client = Client(REMOTE_ADDR=SCHOOL_WIFI)
    form = {
        "first_name": f"Élève{number}",
        "last_name": "Durand",
        "email": f"eleve{number}@example.org",
        "commune": "La Ciotat",
        "sector": "maritime",
        "job_title": "Apprenti",
        "age_group": "15-17" if minor else "adult",
        "release": "on",
        "journey": journey_token(""),
    }
    if minor:
        form.update(parental_consent="on", parent_email="parent@example.org")
    assert client.post("/ambassadeurs/vous/", form, HTTP_ORIGIN=ORIGIN).status_code == 302
    data = os.urandom(1500)
    started = api(client, "upload-start", {"size": len(data), "type": "video/mp4"})
    assert started.status_code == 200, started.content
    upload = started.json()["upload"]
    urls = api(client, "upload-sign", {"upload": upload, "parts": [1, 2]}).json()["urls"]
    for part, url in urls.items():
        start = (int(part) - 1) * 1000
        assert client.generic("PUT", url, data=data[start : start + 1000]).status_code == 200
    done = api(client, "upload-complete", {"upload": upload})
    assert done.status_code == 200, done.content


def test_eleven_residents_behind_one_address_and_a_parent_all_get_their_email(
    local_storage, settings, broker, django_capture_on_commit_callbacks
):
    """Finding 4, reproduced: 11 residents behind one school Wi-Fi send a video, the 11th a
    15-17 year old. Before the fix, over 10 emails an hour from one address the confirmation
    was never queued: the 11th got no withdrawal link and their parent no notice."""
    settings.AMBASSADORS_UPLOAD_PART_SIZE = 1000

    with django_capture_on_commit_callbacks(execute=True):
        for number in range(1, 11):
            resident_sends_a_video(number)
        resident_sends_a_video(11, minor=True)

    assert Testimonial.objects.filter(status=Status.UPLOADED).count() == 11
    # Run what the web processes queued on the default queue, as a worker would.
    for name, args in queued_tasks(broker, "default"):
        assert current_app.tasks[name].apply(args=args).successful()
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted(
        [f"eleve{number}@example.org" for number in range(1, 12)] + ["parent@example.org"]
    )
    parent = next(message for message in mail.outbox if message.to == ["parent@example.org"])
    assert parent.subject == "Votre enfant a envoyé un témoignage · One Provence"
    # The parent gets their own link to confirm or withdraw (never the resident's).
    assert "/ambassadeurs/parent/" in parent.body


def test_the_requests_that_create_work_are_still_limited_per_address(settings):
    settings.AMBASSADORS_CONSENT_RATE = (2, 3600)
    client = Client(REMOTE_ADDR=SCHOOL_WIFI)
    form = {
        "first_name": "Lou",
        "email": "lou@example.org",
        "commune": "Cassis",
        "sector": "maritime",
        "age_group": "adult",
        "release": "on",
        "journey": journey_token(""),
    }

    statuses = [
        client.post("/ambassadeurs/vous/", form, HTTP_ORIGIN=ORIGIN).status_code for _ in range(3)
    ]

    assert statuses == [302, 302, 429]


# --- SMTP failures: a real smtplib against loopback ---------------------------------------------


class SMTPSink(socketserver.ThreadingTCPServer):
    """A tiny SMTP server on loopback that keeps each message it accepts: (recipients, data)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        super().__init__(("127.0.0.1", 0), SMTPSession)


class SMTPSession(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 sink ESMTP")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip()
            verb = command.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.server.messages.append((recipients, data))
                self.reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


@pytest.fixture
def smtp_sink() -> Iterator[SMTPSink]:
    server = SMTPSink()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once closed


def smtp_to(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2


@pytest.fixture
def minor(testimonial):
    from django.utils import timezone

    from ambassadors.models import ConsentText

    ConsentRecord.objects.create(
        testimonial=testimonial,
        testimonial_ref=testimonial.pk,
        consent_text=ConsentText.objects.get(is_current=True),
        text_version="2026.1",
        accepted_at=timezone.now(),
        is_minor=True,
        parent_email="mere@example.org",
    )
    return testimonial


@pytest.mark.parametrize("name", ["send_confirmation_email", "send_parent_notice_email"])
def test_an_unreachable_mail_server_makes_each_email_task_retry(name, minor, settings, caplog):
    task = getattr(journey_tasks, name)
    smtp_to(settings, closed_port())

    # Run in this process, each retry follows at once instead of after its delay.
    result = task.apply(args=[str(minor.pk)])

    retries = [r.getMessage() for r in caplog.records if "retry: Retry in" in r.getMessage()]
    assert len(retries) == task.max_retries == 8
    assert all("ConnectionRefusedError" in message for message in retries)
    assert result.state == "FAILURE"


def test_a_retry_after_the_parents_email_failed_does_not_send_the_residents_again(
    minor, settings, smtp_sink
):
    from ambassadors.tasks.journey import send_confirmation_email, send_parent_notice_email

    smtp_to(settings, smtp_sink.server_address[1])
    assert send_confirmation_email.apply(args=[str(minor.pk)]).successful()
    smtp_to(settings, closed_port())  # the server goes away before the parent's email
    assert send_parent_notice_email.apply(args=[str(minor.pk)]).state == "FAILURE"

    smtp_to(settings, smtp_sink.server_address[1])  # back: the parent's task is retried
    assert send_parent_notice_email.apply(args=[str(minor.pk)]).successful()

    assert [recipients for recipients, _data in smtp_sink.messages] == [
        ["nadia@example.org"],
        ["mere@example.org"],
    ]
    subjects = [
        message_from_bytes(data, policy=policy.default)["Subject"].strip()
        for _recipients, data in smtp_sink.messages
    ]
    assert subjects == [
        "Nous avons bien reçu votre témoignage · One Provence",
        "Votre enfant a envoyé un témoignage · One Provence",
    ]
