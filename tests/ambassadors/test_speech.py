"""The speech stage (issue 19) on the real services: PostgreSQL, the S3 endpoint, Redis, ffmpeg
and whisper.cpp (pywhispercpp) running a tiny model the tests generate (speech_model.py).

The generated model's words are meaningless: the tests check the plumbing (the stage, its
states and messages, the WebVTT and transcript shapes, the limits, recovery, erasure), never
what was said. Accuracy and speed need a real model: docs/speech.md, bench/speech.py.
"""

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Template

from ambassadors import keys
from ambassadors.media import speech as media_speech
from ambassadors.models import SpeechDraft, SpeechState, Status, Testimonial, TestimonialEvent
from ambassadors.services import locks, speech, speech_desk
from ambassadors.services.captions import captions_validate
from ambassadors.services.processing import testimonial_process
from ambassadors.services.sweeper import testimonials_requeue_stuck
from onprovence.storage import private_storage
from tests import processes
from tests.ambassadors.media.corpus import ffmpeg
from tests.ambassadors.speech_model import *  # noqa: F403
from tests.ambassadors.speech_model import write_truncated

from .moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db

CLIP_SECONDS = 12.0
TRANSCRIBE = "ambassadors.transcribe_testimonial"


@pytest.fixture(scope="module")
def spoken_clip(tmp_path_factory) -> Path:
    """A 12 s video whose sound has voice-like bursts and pauses (no speech synthesiser here)."""
    path = tmp_path_factory.mktemp("speech") / "clip.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={CLIP_SECONDS}",
        "-f", "lavfi", "-i",
        f"aevalsrc='0.4*sin(2*PI*(180+40*sin(2*PI*3*t))*t)*gt(sin(2*PI*0.4*t),-0.3)'"
        f":s=44100:d={CLIP_SECONDS}",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(path),
    )  # fmt: skip
    return path


@pytest.fixture
def speech_queue():
    """The broker's `speech` queue (Redis), emptied around the test."""
    connection = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    connection.delete("speech")
    yield connection
    connection.delete("speech")


def queued_tasks(connection) -> list[tuple[str, list]]:
    messages = [json.loads(raw) for raw in connection.lrange("speech", 0, -1)]
    return [(m["headers"]["task"], json.loads(_body(m))[0][0]) for m in messages]


def _body(message: dict) -> str:
    import base64

    return base64.b64decode(message["body"]).decode()


def in_review(path: Path, **fields) -> Testimonial:
    """An uploaded testimonial taken through the real pipeline up to `in_review`."""
    testimonial = Testimonial.objects.create(status=Status.UPLOADED, **fields)
    key = keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
    private_storage().connection.meta.client.upload_file(str(path), settings.S3_PRIVATE_BUCKET, key)
    Testimonial.objects.filter(pk=testimonial.pk).update(original_key=key)
    assert testimonial_process(testimonial_id=testimonial.pk) == "in_review"
    testimonial.refresh_from_db()
    return testimonial


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def draft_of(testimonial: Testimonial) -> SpeechDraft:
    return SpeechDraft.objects.get(pk=testimonial.pk)


def cue_blocks(vtt: str) -> list[tuple[float, float, list[str]]]:
    cues = []
    for block in vtt.strip().split("\n\n")[1:]:
        lines = block.split("\n")
        timing = [line for line in lines if "-->" in line]
        if not timing:
            continue
        start, end = (media_speech_seconds(part.strip()) for part in timing[0].split("-->"))
        cues.append((start, end, lines[lines.index(timing[0]) + 1 :]))
    return cues


def media_speech_seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


# --- The stage with the generated model -------------------------------------------------------


def test_the_model_made_by_the_tests_passes_the_file_check_and_whisper_cpp_loads_it(
    speech_model, tmp_path
):
    """Reproduction: the generated model is in the layout whisper.cpp 1.8.5 loads and runs."""
    info = media_speech.model_file_check(str(speech_model))
    assert info.multilingual and info.n_audio_layer == 1 and info.tensors == 50
    wav = tmp_path / "tone.wav"
    ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=300:duration=3", "-ar", "16000", "-ac", "1", str(wav)
    )
    run = subprocess.run(
        [sys.executable, "-I", str(speech.CHILD_SCRIPT), str(speech_model), str(wav), "fr", "1"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    output = json.loads(run.stdout)
    assert output["language"] == "fr" and output["detected"] is False
    assert all(len(segment) == 3 for segment in output["segments"])


def test_the_stage_drafts_well_formed_webvtt_and_a_transcript_within_the_clip(
    speech_model, spoken_clip, settings, speech_queue, django_capture_on_commit_callbacks
):
    settings.SPEECH_MODEL_PATH = str(speech_model)
    with django_capture_on_commit_callbacks(execute=True):
        testimonial = in_review(spoken_clip, language="fr")
    assert draft_of(testimonial).state == SpeechState.PENDING
    assert queued_tasks(speech_queue) == [
        ("ambassadors.transcribe_testimonial", str(testimonial.pk))
    ]

    assert speech.testimonial_transcribe(testimonial_id=testimonial.pk) == "draft"

    draft = draft_of(testimonial)
    assert draft.state == SpeechState.DRAFT and draft.message == ""
    assert draft.language == "fr" and not draft.language_detected
    assert draft.attempts == 1
    assert {"extract", "transcribe", "audio"} <= set(draft.timings)
    assert draft.transcript.strip(), "the random model said nothing at all"
    assert captions_validate(draft.captions_vtt) == draft.captions_vtt
    assert "NOTE Brouillon automatique" in draft.captions_vtt
    cues = cue_blocks(draft.captions_vtt)
    assert cues
    for start, end, lines in cues:
        assert 0 <= start < end <= testimonial.duration + 0.001
        assert end - start <= media_speech.CUE_MAX_SECONDS + 0.001
        assert 1 <= len(lines) <= 2 and all(len(line) <= 42 for line in lines)
    assert [s for s, _, _ in cues] == sorted(s for s, _, _ in cues)
    assert len(draft.quotes) <= 3
    # A draft, not captions: nothing was stored for the player, the desk says "brouillon".
    assert not private_storage().exists(keys.testimonial_key(testimonial.pk, keys.CAPTIONS))
    testimonial.refresh_from_db()
    assert not testimonial.has_captions and testimonial.status == Status.IN_REVIEW
    desk = speech_desk.speech_draft_for_desk(testimonial_id=testimonial.pk)
    assert desk.automatic_draft and desk.state_label == "brouillon automatique"
    assert speech_desk.speech_draft_unreviewed(testimonial_id=testimonial.pk)


def test_the_language_is_detected_when_the_resident_chose_none(
    speech_model, spoken_clip, settings, speech_queue
):
    settings.SPEECH_MODEL_PATH = str(speech_model)
    testimonial = in_review(spoken_clip, language="")

    assert speech.testimonial_transcribe(testimonial_id=testimonial.pk) == "draft"

    draft = draft_of(testimonial)
    assert draft.language_detected and re.fullmatch(r"[a-z]{2,3}", draft.language)


def test_a_second_delivery_does_nothing_and_a_reviewed_draft_is_never_replaced(
    speech_model, spoken_clip, settings, speech_queue, moderator
):
    settings.SPEECH_MODEL_PATH = str(speech_model)
    testimonial = in_review(spoken_clip)
    speech.testimonial_transcribe(testimonial_id=testimonial.pk)
    first = draft_of(testimonial)

    assert speech.testimonial_transcribe(testimonial_id=testimonial.pk) == "nothing"
    assert draft_of(testimonial).updated_at == first.updated_at

    speech_desk.speech_draft_accept(testimonial_id=testimonial.pk, actor=moderator)
    speech.speech_stage_queue(testimonial_id=testimonial.pk)
    assert draft_of(testimonial).state == SpeechState.REVIEWED


def test_a_transcription_running_elsewhere_is_left_to_it(speech_model, spoken_clip, settings):
    settings.SPEECH_MODEL_PATH = str(speech_model)
    testimonial = in_review(spoken_clip)
    import psycopg

    db = settings.DATABASES["default"]
    other = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"],
        dbname=db["NAME"], autocommit=True,
    )  # fmt: skip
    try:
        key = locks.advisory_key(locks.SPEECH, testimonial.pk)
        other.execute("SELECT pg_advisory_lock(%s)", [key])
        assert speech.testimonial_transcribe(testimonial_id=testimonial.pk) == "busy"
        assert draft_of(testimonial).state == SpeechState.PENDING
    finally:
        other.close()


# --- Without a model, with a bad one, past the limits -----------------------------------------


def test_without_a_model_the_stage_is_skipped_and_the_desk_says_so(
    spoken_clip, settings, speech_queue, django_capture_on_commit_callbacks
):
    settings.SPEECH_MODEL_PATH = ""
    with django_capture_on_commit_callbacks(execute=True):
        testimonial = in_review(spoken_clip)

    draft = draft_of(testimonial)
    assert draft.state == SpeechState.SKIPPED
    assert "aucun modèle de transcription" in draft.message
    assert queued_tasks(speech_queue) == []
    desk = speech_desk.speech_draft_for_desk(testimonial_id=testimonial.pk)
    assert desk.state_label == "ignoré" and not desk.automatic_draft
    assert not speech_desk.speech_draft_unreviewed(testimonial_id=testimonial.pk)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        ("missing", "introuvable"),
        ("truncated", "incomplet ou endommagé"),
        ("gguf", "format GGUF"),
        ("noise", "n'est pas un modèle whisper.cpp"),
        ("foreign_tensor", "incompatible ou endommagé"),
    ],
)
def test_a_missing_corrupt_or_incompatible_model_fails_with_a_message_for_staff(
    make, words, speech_model, spoken_clip, settings, speech_queue, tmp_path, caplog
):
    """Reproduction: a download cut short is run by whisper.cpp as an 'empty model for testing'
    (no error); a file it refuses crashes pywhispercpp. Both must give staff a message."""
    path = tmp_path / "ggml-model.bin"
    if make == "truncated":
        write_truncated(speech_model, path)
    elif make == "gguf":
        path.write_bytes(b"GGUF" + os.urandom(4096))
    elif make == "noise":
        path.write_bytes(os.urandom(4096))
    elif make == "foreign_tensor":
        # Headers all well-formed, but a tensor whisper.cpp does not know: its loader refuses.
        data = speech_model.read_bytes().replace(b"decoder.ln.bias", b"decoder.ln.biaz")
        path.write_bytes(data)
    settings.SPEECH_MODEL_PATH = str(path)
    testimonial = in_review(spoken_clip)

    with caplog.at_level(logging.ERROR, logger="ambassadors.services.speech"):
        assert speech.testimonial_transcribe(testimonial_id=testimonial.pk) == "failed"

    draft = draft_of(testimonial)
    assert draft.state == SpeechState.FAILED
    assert words in draft.message and "Modèle de transcription" in draft.message
    assert draft.message in caplog.text
    assert not draft.captions_vtt and not draft.transcript
    testimonial.refresh_from_db()
    assert testimonial.status == Status.IN_REVIEW
    # Never stuck: the sweeper leaves a failed draft alone.
    assert speech.speech_drafts_requeue_stuck(older_than=timedelta(0)) == []


def test_a_transcription_past_its_time_budget_is_stopped_and_reported(
    speech_model, spoken_clip, settings
):
    settings.SPEECH_MODEL_PATH = str(speech_model)
    settings.SPEECH_TIMEOUT_BASE_SECONDS = 0.05
    settings.SPEECH_TIMEOUT_PER_SECOND = 0.0
    testimonial = in_review(spoken_clip)

    assert speech.testimonial_transcribe(testimonial_id=testimonial.pk) == "failed"

    draft = draft_of(testimonial)
    assert draft.state == SpeechState.FAILED and "dépassé son temps" in draft.message


def test_a_transcription_past_its_memory_budget_fails_without_hurting_the_worker(
    speech_model, spoken_clip, settings
):
    settings.SPEECH_MODEL_PATH = str(speech_model)
    settings.SPEECH_MEMORY_BYTES = 120 * 1024**2
    testimonial = in_review(spoken_clip)

    assert speech.testimonial_transcribe(testimonial_id=testimonial.pk) == "failed"

    assert draft_of(testimonial).state == SpeechState.FAILED


def test_a_worker_killed_mid_transcription_is_recovered_by_the_sweeper(
    speech_model, spoken_clip, settings, speech_queue, transactional_db
):
    """Reproduction: SIGKILL of the worker (and its whisper.cpp child) while the child runs
    leaves the draft `pending`; the sweeper queues it again and the next run drafts it."""
    settings.SPEECH_MODEL_PATH = str(speech_model)
    testimonial = in_review(spoken_clip)
    speech_queue.delete("speech")
    worker = subprocess.Popen(
        [sys.executable, "-c",
         "import django; django.setup(); from ambassadors.services import speech; "
         f"speech.testimonial_transcribe(testimonial_id='{testimonial.pk}')"],
        cwd=processes.ROOT, env=processes.worker_env(SPEECH_MODEL_PATH=str(speech_model)),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        child = None
        while child is None and time.monotonic() < deadline and worker.poll() is None:
            for pid in processes.descendants(worker.pid):
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"speech_child.py" in cmdline:
                    child = pid
            time.sleep(0.01)
        assert child is not None, "the transcription child never started"
        # Caught running: about 0.2 s of CPU goes to Python's start and imports, the rest (0.4 to
        # 2 s for this clip: a random model decodes for a variable time) to whisper.cpp.
        spent = 0.0
        while spent < 0.2 and time.monotonic() < deadline and Path(f"/proc/{child}").exists():
            spent = cpu_seconds(child)
            time.sleep(0.005)
        assert spent >= 0.2, "the child ended before it was caught transcribing"
        for pid in [worker.pid, *processes.descendants(worker.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    draft = draft_of(testimonial)
    assert draft.state == SpeechState.PENDING and draft.attempts == 1
    time.sleep(0.5)  # the database notices its client is gone and releases the lock
    for _ in range(50):
        if not speech.speech_lock_held(testimonial.pk):
            break
        time.sleep(0.1)

    testimonials_requeue_stuck(older_than=timedelta(0))

    assert queued_tasks(speech_queue) == [
        ("ambassadors.transcribe_testimonial", str(testimonial.pk))
    ]
    assert speech.testimonial_transcribe(testimonial_id=testimonial.pk) == "draft"
    draft = draft_of(testimonial)
    assert draft.state == SpeechState.DRAFT and draft.attempts == 2


def test_a_file_that_keeps_killing_workers_ends_failed_not_pending(
    speech_model, spoken_clip, settings
):
    settings.SPEECH_MODEL_PATH = str(speech_model)
    testimonial = in_review(spoken_clip)
    SpeechDraft.objects.filter(pk=testimonial.pk).update(attempts=3)

    assert speech.testimonial_transcribe(testimonial_id=testimonial.pk) == "failed"

    draft = draft_of(testimonial)
    assert draft.state == SpeechState.FAILED and "abandon" in draft.message


# --- The desk: acceptance, escaping, nothing public ------------------------------------------

HOSTILE = '<script>alert("x")</script> & --> <b>gras</b> Zqxmarker.'


def hostile_draft(testimonial: Testimonial) -> SpeechDraft:
    segments = media_speech.segments_clip(
        [media_speech.Segment(0.0, 2.5, HOSTILE), media_speech.Segment(3.0, 5.0, "Fin du test.")],
        testimonial.duration or 5.0,
    )
    transcript = media_speech.transcript_from_segments(segments)
    return SpeechDraft.objects.create(
        testimonial=testimonial,
        state=SpeechState.DRAFT,
        captions_vtt=media_speech.captions_from_segments(segments),
        transcript=HOSTILE + " " + transcript,
        quotes=[HOSTILE],
    )


def test_model_text_never_becomes_markup_in_captions_or_in_desk_templates(make_testimonial):
    testimonial = make_testimonial(Status.IN_REVIEW)
    draft = hostile_draft(testimonial)

    # In the WebVTT: no tag, no entity, no early cue timing from the model's text.
    captions_validate(draft.captions_vtt)
    body = "\n".join(line for line in draft.captions_vtt.splitlines() if "-->" not in line)
    assert "<" not in body and "&" not in body and "-->" not in body
    assert "Zqxmarker" in body
    # In a template (the desk's are Django templates: autoescaped).
    desk = speech_desk.speech_draft_for_desk(testimonial_id=testimonial.pk)
    html = Template(
        "{{ d.transcript }}|{% for q in d.quotes %}{{ q }}{% endfor %}|{{ d.captions_vtt }}"
    ).render(Context({"d": desk}))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html


def test_public_pages_never_show_an_unreviewed_draft(
    client, make_testimonial, moderator, django_capture_on_commit_callbacks
):
    """The public pages read only the captions a moderator set: a draft stays off them."""
    from django.utils import timezone

    from ambassadors.services import publication

    testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now())
    hostile_draft(testimonial)
    with django_capture_on_commit_callbacks(execute=True):
        publication.testimonial_publish(testimonial_id=testimonial.pk)

    pages = [
        "/temoignages/",
        f"/temoignages/{testimonial.pk}/",
        f"/temoignages/{testimonial.pk}/lecteur/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Zqxmarker" not in response.content.decode(), url
    captions = client.get(f"/temoignages/{testimonial.pk}/sous-titres.vtt")
    assert captions.status_code == 404
    assert not private_storage().exists(keys.testimonial_key(testimonial.pk, keys.CAPTIONS))


def test_accepting_the_draft_makes_it_the_captions_and_marks_it_reviewed(
    make_testimonial, moderator
):
    testimonial = make_testimonial(Status.IN_REVIEW)
    draft = hostile_draft(testimonial)

    speech_desk.speech_draft_accept(
        testimonial_id=testimonial.pk, actor=moderator, quote="  Une phrase   choisie.  "
    )

    testimonial.refresh_from_db()
    assert testimonial.has_captions and testimonial.quote == "Une phrase choisie."
    stored = private_storage().open(keys.testimonial_key(testimonial.pk, keys.CAPTIONS)).read()
    assert stored.decode() == draft.captions_vtt
    draft.refresh_from_db()
    assert draft.state == SpeechState.REVIEWED and draft.reviewed_by == moderator
    desk = speech_desk.speech_draft_for_desk(testimonial_id=testimonial.pk)
    assert not desk.automatic_draft and desk.reviewed_by == moderator.get_username()
    assert not speech_desk.speech_draft_unreviewed(testimonial_id=testimonial.pk)
    assert TestimonialEvent.objects.filter(
        testimonial=testimonial, note__contains="Brouillon automatique"
    ).exists()


def test_accepting_edited_captions_validates_them(make_testimonial, moderator):
    testimonial = make_testimonial(Status.IN_REVIEW)
    hostile_draft(testimonial)

    with pytest.raises(ValidationError):
        speech_desk.speech_draft_accept(
            testimonial_id=testimonial.pk, actor=moderator, captions_text="pas du WebVTT"
        )
    assert draft_of(testimonial).state == SpeechState.DRAFT

    edited = "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nCorrigé par une personne\n"
    speech_desk.speech_draft_accept(
        testimonial_id=testimonial.pk, actor=moderator, captions_text=edited
    )
    stored = private_storage().open(keys.testimonial_key(testimonial.pk, keys.CAPTIONS)).read()
    assert stored.decode() == edited


def test_nothing_to_accept_without_a_draft(make_testimonial, moderator):
    testimonial = make_testimonial(Status.IN_REVIEW)
    with pytest.raises(speech_desk.SpeechDraftError):
        speech_desk.speech_draft_accept(testimonial_id=testimonial.pk, actor=moderator)
    assert (
        speech_desk.speech_draft_for_desk(testimonial_id=testimonial.pk).state == SpeechState.NONE
    )


def test_transcripts_and_drafts_are_erased_with_the_testimonial(
    make_testimonial, django_capture_on_commit_callbacks
):
    from ambassadors.services.erasure import testimonial_purge
    from ambassadors.services.journey import testimonial_withdraw

    testimonial = make_testimonial(Status.IN_REVIEW)
    hostile_draft(testimonial)
    with django_capture_on_commit_callbacks(execute=True):
        testimonial_withdraw(testimonial_id=testimonial.pk)
    with django_capture_on_commit_callbacks(execute=True):
        testimonial_purge(testimonial_id=testimonial.pk)

    assert not SpeechDraft.objects.filter(pk=testimonial.pk).exists()
    assert speech_desk.speech_draft_for_desk(testimonial_id=testimonial.pk).transcript == ""


# --- The settings -------------------------------------------------------------------------------


def test_the_transcription_task_has_its_own_queue():
    import ambassadors.tasks.speech  # noqa: F401  (what the worker's autodiscovery imports)
    from onprovence.celery import app

    assert settings.CELERY_TASK_ROUTES["ambassadors.transcribe_testimonial"] == {"queue": "speech"}
    assert "ambassadors.transcribe_testimonial" in app.tasks


def test_a_speech_worker_drafts_what_the_pipeline_queued(
    speech_model, spoken_clip, settings, speech_queue, transactional_db, tmp_path
):
    """End to end: the pipeline queues the task on `speech`; a Celery worker listening on that
    queue only (as deployed) runs the real stage and leaves a draft."""
    settings.SPEECH_MODEL_PATH = str(speech_model)
    testimonial = in_review(spoken_clip)
    assert queued_tasks(speech_queue) == [(TRANSCRIBE, str(testimonial.pk))]
    worker = processes.start_worker(
        env=processes.worker_env(SPEECH_MODEL_PATH=str(speech_model)),
        queues="speech",
        hostname="speech-test",
        log_path=tmp_path / "speech-worker.log",
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and draft_of(testimonial).state == SpeechState.PENDING:
            time.sleep(0.2)
    finally:
        processes.stop_tree(worker)
    draft = draft_of(testimonial)
    log = (tmp_path / "speech-worker.log").read_text(errors="replace")
    assert draft.state == SpeechState.DRAFT, log[-3000:]
    assert captions_validate(draft.captions_vtt) and draft.transcript
