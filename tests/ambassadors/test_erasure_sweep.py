"""The erasure sweep (issue 12): after a withdrawal, no trace of the resident anywhere.

A resident whose every field carries a unique marker goes through the whole life of a
testimonial on the real services: consent and upload through the views (parts PUT to the S3
endpoint), the pipeline (real ffmpeg), a refusal with a note, reopening, an admin edit of the
name, quote and tags, approval, publication, cached public pages and feeds, the employer kit
(the admin action) and a recruiter's download, emails written by the file backend, then
withdrawal and the purge. The tasks the steps queue are taken from the Redis broker and run
in this process, in order.

Then a full `pg_dump` of the database, every object of both buckets (listed and read), every
file of the var folder the test used (mail, media work), every key of the Redis database
(cache, broker) and the log records are searched for the markers: zero hits. Before the fix
the dump still held the refusal note (TestimonialEvent.note), the name in django_admin_log,
KitAsset.title/credits and KitDownload.asset_title; the mail folder and the cache held the
emails and pages.
"""

import base64
import email
import email.policy
import json
import os
import secrets
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import redis
import requests
from celery import current_app
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

import ambassadors.tasks  # noqa: F401  (registers the tasks this test runs)
import employer_kit.tasks  # noqa: F401
from ambassadors.forms import journey_token
from ambassadors.links import parent_token, resident_token
from ambassadors.models import ConsentRecord, Status, Testimonial
from campaigns.models import Sector
from employer_kit.models import KitAsset, KitDownload, Recruiter
from onprovence.storage import private_storage, public_storage
from tests.employer_kit.conftest import log_in

from .moderation_support import public_bucket_readable  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TAG = secrets.token_hex(3)
FIELDS = (
    "first", "last", "mail", "commune", "job", "quote", "shown", "tags", "refusal", "reopen",
    "parent",
)  # fmt: skip
MARKERS = {name: f"zq{name}{TAG}" for name in FIELDS}


# --- Running what the steps queued ---------------------------------------------------------------


def drain(broker: redis.Redis) -> list[str]:
    """Run every task waiting in the broker's queues, oldest first, until none is left."""
    ran = []
    while True:
        raw = broker.rpop("default") or broker.rpop("media")
        if raw is None:
            return ran
        message = json.loads(raw)
        body = message["body"]
        if message.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args, kwargs, _embed = json.loads(body)
        name = message["headers"]["task"]
        result = current_app.tasks[name].apply(args=args, kwargs=kwargs)
        assert result.successful(), f"{name}{args}: {result.result!r}\n{result.traceback}"
        ran.append(name)


# --- Where the markers are searched ------------------------------------------------------------


def _mail_text(raw: bytes) -> bytes:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [f"{name}: {value}" for name, value in message.items()]
    parts += [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
    return raw + "\n".join(parts).encode()


def pg_dump() -> bytes:
    name = connection.settings_dict["NAME"]
    db = connection.settings_dict
    run = subprocess.run(
        ["pg_dump", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432),
         "-U", db["USER"], name],
        env={**os.environ, "PGPASSWORD": db["PASSWORD"]},
        capture_output=True,
        check=True,
        timeout=120,
    )  # fmt: skip
    return run.stdout


def bucket_objects() -> dict[str, bytes]:
    found = {}
    for storage in (private_storage(), public_storage()):
        client, bucket = storage.connection.meta.client, storage.bucket_name
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                found[f"s3://{bucket}/{item['Key']}"] = item["Key"].encode() + b"\n" + body
    return found


def var_files(var: Path) -> dict[str, bytes]:
    found = {}
    for path in sorted(var.rglob("*")):
        if path.is_file():
            raw = path.read_bytes()
            found[str(path.relative_to(var))] = _mail_text(raw) if path.suffix == ".eml" else raw
    return found


def redis_entries(client: redis.Redis) -> dict[str, bytes]:
    found = {}
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == b"string":
            values = [client.get(key) or b""]
        elif kind == b"list":
            values = client.lrange(key, 0, -1)
        elif kind == b"hash":
            values = [k + b"=" + v for k, v in client.hgetall(key).items()]
        elif kind == b"set":
            values = list(client.smembers(key))
        elif kind == b"zset":
            values = client.zrange(key, 0, -1)
        else:
            values = []
        found[key.decode(errors="replace")] = key + b"\n" + b"\n".join(values)
    return found


def sweep(var: Path, log_text: str, redis_client: redis.Redis) -> tuple[dict, dict]:
    """{place: number of items searched}, {place: {marker: [where]}}."""
    places = {
        "pg_dump": {"database": pg_dump()},
        "buckets": bucket_objects(),
        "var files": var_files(var),
        "redis": redis_entries(redis_client),
        "logs": {"log records": log_text.encode()},
    }
    searched = {place: len(items) for place, items in places.items()}
    searched["pg_dump bytes"] = len(places["pg_dump"]["database"])
    hits: dict[str, dict[str, list[str]]] = {}
    for place, items in places.items():
        for where, content in items.items():
            lowered = content.lower()
            for name, marker in MARKERS.items():
                if marker.encode() in lowered:
                    hits.setdefault(place, {}).setdefault(name, []).append(where)
    return searched, hits


def _count(hits: dict) -> dict[str, int]:
    return dict(Counter({place: sum(map(len, found.values())) for place, found in hits.items()}))


def _hit_lines(dump: bytes) -> list[str]:
    return [
        line.decode(errors="replace")[:200]
        for line in dump.splitlines()
        if any(marker.encode() in line.lower() for marker in MARKERS.values())
    ]


# --- The life of the testimonial -----------------------------------------------------------------


def _consent_and_upload(client, video: bytes) -> Testimonial:
    answer = client.post(
        reverse("ambassadors:consent"),
        {
            "first_name": MARKERS["first"],
            "last_name": MARKERS["last"],
            "email": f"{MARKERS['mail']}@example.org",
            "commune": MARKERS["commune"],
            "sector": "energie",
            "job_title": MARKERS["job"],
            "age_group": "15-17",
            "parental_consent": "on",
            "parent_email": f"{MARKERS['parent']}@example.org",
            "release": "on",
            "journey": journey_token(""),
        },
        headers={"Origin": "http://testserver"},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    testimonial = Testimonial.objects.get(first_name=MARKERS["first"])

    def post(name: str, data: dict) -> dict:
        response = client.post(
            reverse(f"ambassadors:{name}"), json.dumps(data), content_type="application/json"
        )
        assert response.status_code == 200, response.content
        return response.json()

    started = post("upload-start", {"size": len(video), "duration": 4, "type": "video/mp4"})
    numbers = list(range(1, started["partCount"] + 1))
    urls = post("upload-sign", {"upload": started["upload"], "parts": numbers})["urls"]
    for number in numbers:
        part = video[(number - 1) * started["partSize"] : number * started["partSize"]]
        assert requests.put(urls[str(number)], data=part, timeout=60).status_code == 200
    post("upload-complete", {"upload": started["upload"]})
    return testimonial


def _moderate(client, action: str, testimonial: Testimonial, **data) -> None:
    url = reverse("admin:ambassadors_testimonial_moderate", args=[action])
    response = client.post(url, {"ids": str(testimonial.pk), **data})
    assert response.status_code == 302, response.content.decode()[:2000]


def _status(testimonial: Testimonial) -> str:
    return Testimonial.objects.values_list("status", flat=True).get(pk=testimonial.pk)


@pytest.mark.usefixtures("public_bucket_readable")
def test_after_withdrawal_no_marker_is_left_in_the_database_stores_files_cache_or_logs(
    client, admin_user, settings, tmp_path, caplog
):
    var = tmp_path / "var"
    settings.EMAIL_BACKEND = "onprovence.mail.FileEmailBackend"
    settings.EMAIL_FILE_PATH = str(var / "mail")
    settings.MEDIA_WORK_DIR = var / "work"
    settings.MEDIA_WORK_DIR.mkdir(parents=True)
    caplog.set_level("INFO")
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("default", "media")
    video = _phone_video(tmp_path / "phone.mp4")

    # The resident: consent and upload through the views, then the pipeline and the emails.
    testimonial = _consent_and_upload(client, video)
    ran = drain(broker)
    assert "ambassadors.process_testimonial" in ran
    assert _status(testimonial) == Status.IN_REVIEW

    # Moderation in the admin: a refusal with a note, reopened, the public texts edited.
    staff = client.__class__()
    staff.force_login(admin_user)
    _moderate(staff, "reject", testimonial, reason="", details=f"Refus {MARKERS['refusal']}")
    drain(broker)
    _moderate(staff, "reopen", testimonial, note=f"Rouvert {MARKERS['reopen']}")
    assert _status(testimonial) == Status.IN_REVIEW
    change = reverse("admin:ambassadors_testimonial_change", args=[testimonial.pk])
    edited = staff.post(
        change,
        {
            "display_name": MARKERS["shown"],
            "quote": f"J'aime {MARKERS['quote']}",
            "sector": Sector.objects.get(slug="energie").pk,
            "tags": f"{MARKERS['tags']}, port",
            "captions_text": "",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "1000",
        },
    )
    assert edited.status_code == 302, edited.content.decode()[:3000]
    # A minor's testimonial is approved only once the parent confirmed through their own link.
    parent_page = reverse("ambassadors:parent", args=[parent_token(testimonial.pk)])
    assert client.post(parent_page).status_code == 302
    now = timezone.localtime()
    _moderate(
        staff,
        "approve",
        testimonial,
        publish_at_0=now.date().isoformat(),
        publish_at_1=now.strftime("%H:%M"),
    )
    drain(broker)
    _moderate(staff, "publish_now", testimonial)
    drain(broker)
    assert _status(testimonial) == Status.PUBLISHED

    # Public pages and feeds, rendered and cached.
    sector = Sector.objects.get(slug="energie")
    for url in ("/", "/en/", f"/secteurs/{sector.slug}/", "/temoignages/flux.json"):
        assert client.get(url).status_code == 200, url
    assert MARKERS["shown"] in client.get(f"/temoignages/{testimonial.pk}/").content.decode()

    # The employer kit: the admin action, then a recruiter's download.
    staff.post(
        reverse("admin:ambassadors_testimonial_changelist"),
        {"action": "add_to_kit_selected", "_selected_action": [str(testimonial.pk)]},
    )
    asset = KitAsset.objects.get(testimonial=testimonial)
    assert MARKERS["shown"] in asset.title
    recruiter = Recruiter.objects.create(
        email="rh@airbus-test.fr", company="Airbus Helicopters", confirmed_at=timezone.now()
    )
    kit_client = client.__class__()
    log_in(kit_client, recruiter)
    assert kit_client.get(reverse("employer_kit:download", args=[asset.pk])).status_code == 302
    assert KitDownload.objects.filter(asset=asset).count() == 1

    # Before the withdrawal the sweep finds every marker: it can see what it looks for.
    searched_before, before = sweep(var, caplog.text, broker)
    found = {name for place in before.values() for name in place}
    assert found == set(MARKERS), sorted(set(MARKERS) - found)
    assert "shown" in before["redis"] and "mail" in before["var files"]

    # Withdrawal from the resident's link; the purge and the kit's notices run.
    token = resident_token(testimonial.pk)
    assert client.post(reverse("ambassadors:withdraw", args=[token])).status_code == 200
    ran = drain(broker)
    assert ran[-1] == "ambassadors.purge_testimonial", ran
    assert _status(testimonial) == Status.ERASED

    searched, hits = sweep(var, caplog.text, broker)
    record = ConsentRecord.objects.get(testimonial_ref=testimonial.pk)
    print(
        f"\nerasure sweep (markers {TAG}: {len(MARKERS)} fields): searched "
        f"pg_dump {searched['pg_dump bytes']} bytes, {searched['buckets']} objects in both "
        f"buckets ({searched_before['buckets']} before), {searched['var files']} files under "
        f"var/ (mail, work; {searched_before['var files']} before), "
        f"{searched['redis']} Redis keys, the log records; after the withdrawal's tasks "
        f"({', '.join(ran)}): hits {_count(hits) or 0} (before the withdrawal: {_count(before)})"
    )
    if "pg_dump" in hits:
        print("\n".join(_hit_lines(pg_dump())))
    assert hits == {}
    # What stays: the anonymous proof of consent.
    assert (record.text_version, record.is_minor, record.parent_email) == (
        record.consent_text.version,
        True,
        "",
    )
    assert record.choices["age_group"] == "15-17"


def _phone_video(path: Path) -> bytes:
    """A 4-second portrait clip with a tone, as a phone would send."""
    subprocess.run(
        [
            settings.FFMPEG_BINARY, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=240x426:rate=15:duration=4",
            "-f", "lavfi", "-i", "sine=frequency=300:duration=4",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "48k", "-shortest", str(path),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    return path.read_bytes()
