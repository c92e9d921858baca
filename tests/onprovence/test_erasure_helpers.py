"""The shared erasure helpers: mail files, the admin's history, the cache (onprovence.erasure)."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.cache import cache
from django.core.mail import EmailMessage

from onprovence.erasure import (
    admin_log_anonymise,
    cache_forget,
    mail_file_mentions,
    mail_files_erase,
)
from onprovence.mail import FileEmailBackend


def _send(folder, **fields) -> None:
    FileEmailBackend(file_path=str(folder)).send_messages([EmailMessage(**fields)])


def test_a_name_in_an_encoded_subject_or_a_quoted_printable_body_is_found(tmp_path):
    # Non-ASCII subjects are RFC 2047-encoded and long lines quoted-printable: the raw bytes
    # do not show the name, the decoded email does.
    _send(tmp_path, subject="Avis de retrait : « Témoignage — Zoé Zyxw »", to=["rh@x.org"])
    _send(tmp_path, subject="Bonjour", body="é" * 600 + " Zyxwbody " + "é" * 600, to=["b@x.org"])
    subject, body = sorted(tmp_path.iterdir(), key=lambda p: b"Bonjour" in p.read_bytes())

    assert "Zoé Zyxw".encode() not in subject.read_bytes()
    assert mail_file_mentions(subject, ["Témoignage — Zoé Zyxw"])
    assert b"=C3=A9" in body.read_bytes()  # quoted-printable
    assert mail_file_mentions(body, ["zyxwbody"])
    assert not mail_file_mentions(body, ["someone else"])


def test_mail_files_erase_deletes_only_the_files_that_mention_a_needle(tmp_path):
    _send(tmp_path, subject="A", body="pour vous", to=["zoe@example.org"])
    _send(tmp_path, subject="B", body="pour un autre", to=["max@example.org"])

    assert mail_files_erase(needles=["ZOE@example.org", ""], folder=tmp_path) == 1
    (kept,) = tmp_path.iterdir()
    assert b"max@example.org" in kept.read_bytes()
    assert mail_files_erase(needles=[""], folder=tmp_path) == 0
    assert mail_files_erase(needles=["x"], folder=tmp_path / "absent") == 0


@pytest.mark.django_db
def test_admin_log_rows_keep_who_and_which_fields_but_not_what_they_said(admin_user):
    from campaigns.models import Sector

    sector = Sector.objects.first()
    other = Sector.objects.exclude(pk=sector.pk).first()
    for row in (sector, other):
        LogEntry.objects.log_actions(
            user_id=admin_user.pk,
            queryset=[row],
            action_flag=CHANGE,
            change_message="Zyxw a écrit ceci",
            single_object=True,
        )

    assert admin_log_anonymise(model=Sector, object_ids=[sector.pk], label="Effacé") == 1

    entry = LogEntry.objects.get(object_id=str(sector.pk))
    assert (entry.object_repr, entry.change_message, entry.user) == ("Effacé", "", admin_user)
    untouched = LogEntry.objects.get(object_id=str(other.pk))
    assert untouched.change_message == "Zyxw a écrit ceci"


def test_on_redis_only_the_matching_keys_go():
    cache.set("campaigns:page:home:fr:3", {"body": "Zyxw"})
    cache.set("ambassadors:feed:json:fr:abc", b"Zyxw")
    cache.set("ratelimit:consent:1.2.3.4", 3)

    assert cache_forget(patterns=["campaigns:page:*", "ambassadors:feed:*"]) == 2

    assert cache.get("campaigns:page:home:fr:3") is None
    assert cache.get("ambassadors:feed:json:fr:abc") is None
    assert cache.get("ratelimit:consent:1.2.3.4") == 3


def test_a_cache_that_cannot_list_its_keys_is_cleared(settings, tmp_path):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    from django.core.cache import caches

    caches["default"].set("campaigns:page:home:fr:3", {"body": "Zyxw"})

    assert cache_forget(patterns=["campaigns:page:*"]) == -1
    assert caches["default"].get("campaigns:page:home:fr:3") is None
