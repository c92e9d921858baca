"""Erasure leaves nothing personal at the platform's edges (issue 12, finding 6).

Each test reproduces one place where the name stayed after a withdrawal and its purge (the
purge task's service, `ambassadors.services.erasure.testimonial_purge`): the notes of the
history, the admin's history, the cached public pages and feeds, the mail files. Before the
fix each one kept the resident's text there.
"""

import json

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.cache import caches
from django.utils import timezone

from ambassadors.models import ConsentRecord, RejectionReason, Status, TestimonialEvent
from ambassadors.services import decisions
from ambassadors.services.erasure import NOTE_ERASED, testimonial_purge
from ambassadors.services.journey import testimonial_withdraw
from ambassadors.tasks.journey import purge_testimonial
from onprovence.mail import FileEmailBackend

from .moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db

MARK = "Zyxwerasemark"


def _withdraw_and_erase(testimonial, capture) -> None:
    with capture(execute=True):
        testimonial_withdraw(testimonial_id=testimonial.pk)
    with capture(execute=True):
        testimonial_purge(testimonial_id=testimonial.pk)


def test_event_notes_lose_the_refusal_details_and_keep_the_reason_label(
    make_testimonial, moderator, django_capture_on_commit_callbacks
):
    """Reproduction: refuse with "Hors sujet" and details naming the resident, reopen with a
    note, withdraw and purge; the TestimonialEvent notes still held the details."""
    testimonial = make_testimonial()
    reason = RejectionReason.objects.get(label="Hors sujet")
    decisions.testimonial_reject(
        testimonial_id=testimonial.pk, actor=moderator, reason=reason, details=f"{MARK} parle…"
    )
    decisions.testimonial_reopen(
        testimonial_id=testimonial.pk, actor=moderator, note=f"Erreur, {MARK} a raison"
    )

    _withdraw_and_erase(testimonial, django_capture_on_commit_callbacks)

    notes = list(TestimonialEvent.objects.filter(testimonial=testimonial).values_list("note"))
    assert MARK not in json.dumps(notes)
    refusal = TestimonialEvent.objects.get(testimonial=testimonial, to_status=Status.REJECTED)
    assert refusal.note == "Hors sujet (détails effacés)"
    reopened = TestimonialEvent.objects.get(
        testimonial=testimonial, from_status=Status.REJECTED, to_status=Status.IN_REVIEW
    )
    assert reopened.note == NOTE_ERASED
    # A second purge changes nothing (the task is retried until it completes).
    testimonial_purge(testimonial_id=testimonial.pk)
    assert refusal.note == TestimonialEvent.objects.get(pk=refusal.pk).note


def test_admin_log_entries_of_the_testimonial_are_anonymised(
    make_testimonial, moderator, django_capture_on_commit_callbacks
):
    """Reproduction: a moderator edits the name in the admin (LogEntry.object_repr is the
    displayed name); after the purge django_admin_log still showed it."""
    testimonial = make_testimonial(display_name=f"{MARK}, pilote")
    LogEntry.objects.log_actions(
        user_id=moderator.pk,
        queryset=[testimonial],
        action_flag=CHANGE,
        change_message=[
            {"changed": {"fields": ["Nom affiché", "Citation"]}},
            {"added": {"name": "note", "object": f"{MARK} note"}},
        ],
        single_object=True,
    )

    _withdraw_and_erase(testimonial, django_capture_on_commit_callbacks)

    entry = LogEntry.objects.get(object_id=str(testimonial.pk))
    assert entry.object_repr == "Témoignage effacé"
    assert MARK not in entry.change_message
    assert json.loads(entry.change_message) == [
        {"changed": {"fields": ["Nom affiché", "Citation"]}},
        {"added": {}},
    ]
    assert entry.user_id == moderator.pk  # who changed what, when: still there


def _cache_dump() -> bytes:
    client = caches["default"]._cache.get_client(None)
    keys = client.scan_iter(match=caches["default"].make_key("*"), count=500)
    return b"\n".join((client.get(key) or b"") for key in keys)


def test_cached_pages_and_feeds_showing_the_name_are_deleted(
    make_testimonial, client, django_capture_on_commit_callbacks
):
    """Reproduction: a published testimonial on the home page, its sector page and the JSON
    feed (cached for up to an hour); after withdrawal and purge Redis still held the pages
    with the name and the quote."""
    testimonial = make_testimonial(
        Status.PUBLISHED,
        published_at=timezone.now(),
        display_name=f"{MARK}name",
        quote=f"{MARK}quote",
    )
    assert client.get("/").status_code == 200
    assert client.get(f"/secteurs/{testimonial.sector.slug}/").status_code == 200
    assert client.get("/temoignages/flux.json").status_code == 200
    assert f"{MARK}quote".encode() in _cache_dump()  # the test can see what it looks for

    _withdraw_and_erase(testimonial, django_capture_on_commit_callbacks)

    assert MARK.encode() not in _cache_dump()
    assert MARK not in client.get("/").content.decode()


def test_mail_files_of_the_resident_and_their_parent_are_deleted(
    make_testimonial, settings, tmp_path, django_capture_on_commit_callbacks
):
    """Reproduction: with the embedded default's mail (then printed in var/log/worker.log by
    the console backend) the confirmation and decision emails with the name and the links
    stayed after the purge."""
    settings.EMAIL_BACKEND = "onprovence.mail.FileEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    testimonial = make_testimonial(email=f"{MARK.lower()}@example.org", first_name=MARK)
    ConsentRecord.objects.filter(testimonial=testimonial).update(
        is_minor=True, parent_email="parent-of-zyxw@example.org"
    )
    from ambassadors.emails import testimonial_send_confirmation, testimonial_send_parent_notice

    assert testimonial_send_confirmation(testimonial_id=testimonial.pk)
    assert testimonial_send_parent_notice(testimonial_id=testimonial.pk)
    from django.core.mail import send_mail

    send_mail("Autre", "Un autre résident", None, ["someone@example.org"])
    files = sorted((tmp_path / "mail").iterdir())
    assert len(files) == 3  # one file per email: the resident's, the parent's, someone else's

    _withdraw_and_erase(testimonial, django_capture_on_commit_callbacks)

    (kept,) = (tmp_path / "mail").iterdir()
    assert b"someone@example.org" in kept.read_bytes()


def test_the_file_backend_writes_one_file_per_email_even_on_one_connection(settings, tmp_path):
    settings.EMAIL_FILE_PATH = str(tmp_path)
    from django.core.mail import EmailMessage

    backend = FileEmailBackend()
    sent = backend.send_messages(
        [EmailMessage("A", "un", to=["a@example.org"]), EmailMessage("B", "deux", to=["b@x.org"])]
    )

    assert sent == 2
    files = sorted(tmp_path.iterdir())
    assert [path.suffix for path in files] == [".eml", ".eml"]
    assert sorted(b"a@example.org" in path.read_bytes() for path in files) == [False, True]


def test_the_purge_task_runs_the_complete_erasure(make_testimonial, moderator):
    """The purge task (queued by a withdrawal) is the complete erasure, not the files alone."""
    testimonial = make_testimonial()
    decisions.testimonial_approve(testimonial_id=testimonial.pk, actor=moderator, note=MARK)
    testimonial_withdraw(testimonial_id=testimonial.pk)

    assert purge_testimonial.apply(args=[str(testimonial.pk)]).get() == Status.ERASED
    assert not TestimonialEvent.objects.filter(note__contains=MARK).exists()


def test_erasure_drops_the_link_between_the_testimonial_and_its_client(make_testimonial):
    """Reproduction: the media budget's cache entry (an HMAC of the sender's IP against the
    testimonial id) outlived the testimonial's erasure."""
    from django.core.cache import cache

    from ambassadors.services import media_budget

    testimonial = make_testimonial()
    media_budget.media_budget_remember(testimonial_id=testimonial.pk, client_ip="203.0.113.9")
    assert cache.get(f"ambassadors:media-budget:client:{testimonial.pk}")
    testimonial_withdraw(testimonial_id=testimonial.pk)

    purge_testimonial.apply(args=[str(testimonial.pk)]).get()

    assert cache.get(f"ambassadors:media-budget:client:{testimonial.pk}") is None
