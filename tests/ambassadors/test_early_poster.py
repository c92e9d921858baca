"""The early poster (issue 18): moderators see an admitted upload's poster while the review
pass still runs; a refused or hostile file gets none, and a failed grab delays nothing."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from ambassadors import keys
from ambassadors.media.validation import reject_damaged
from ambassadors.models import Status, Testimonial
from ambassadors.services import media_budget, processing
from ambassadors.services.processing import testimonial_process
from onprovence.storage import private_storage
from tests.ambassadors.media.corpus import Corpus

from .moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    return Corpus(tmp_path_factory.mktemp("early-poster-corpus"))


def upload(path: Path) -> Testimonial:
    testimonial = Testimonial.objects.create(status=Status.UPLOADED)
    key = keys.testimonial_key(testimonial.pk, keys.ORIGINAL)
    client = private_storage().connection.meta.client
    client.upload_file(str(path), settings.S3_PRIVATE_BUCKET, key)
    Testimonial.objects.filter(pk=testimonial.pk).update(original_key=key)
    testimonial.refresh_from_db()
    return testimonial


def poster_key(testimonial: Testimonial) -> str:
    return keys.testimonial_key(testimonial.pk, keys.POSTER_JPEG)


@pytest.fixture
def before_the_pass(monkeypatch):
    """What the store and the row hold when the review pass is about to start: the pass is
    run as usual, but looked at right after the admission (where the early poster goes up) of
    the testimonial whose id the test puts in `seen["pk"]`."""
    seen: dict = {}
    real = processing.video_review_local

    def watched(source, workdir, *, admit):
        def admit_and_look(facts):
            refusal = admit(facts)
            row = Testimonial.objects.get(pk=seen["pk"])
            seen["status"], seen["probe"] = row.status, dict(row.probe or {})
            key = keys.testimonial_key(row.pk, keys.POSTER_JPEG)
            if private_storage().exists(key):
                with private_storage().open(key) as handle:
                    seen["poster"] = handle.read()
            return refusal

        return real(source, workdir, admit=admit_and_look)

    monkeypatch.setattr(processing, "video_review_local", watched)
    return seen


def test_a_phone_clip_s_poster_is_up_upright_while_still_processing(corpus, before_the_pass):
    testimonial = upload(corpus["portrait_rotated"])
    before_the_pass["pk"] = testimonial.pk

    assert testimonial_process(testimonial_id=testimonial.pk) == "in_review"

    assert before_the_pass["status"] == Status.PROCESSING
    assert before_the_pass["probe"] == {"poster_early": True}
    with Image.open(io.BytesIO(before_the_pass["poster"])) as poster:
        assert poster.format == "JPEG"
        assert poster.size == (180, 320)  # upright, the size of the pass's poster
        red, green, blue = poster.convert("RGB").getpixel((90, 10))
    assert red > 200 and green < 60 and blue < 60  # the red band on top
    testimonial.refresh_from_db()
    assert testimonial.probe["poster_early"] is True
    assert testimonial.probe["timings"]["poster"] > 0
    # The pass's chosen poster replaced it at the same key.
    with private_storage().open(poster_key(testimonial)) as handle:
        assert handle.read() != before_the_pass["poster"]


@pytest.mark.parametrize("name", ["text_file", "huge_declared", "header_lies_mp4", "zero_bytes"])
def test_a_hostile_file_gets_no_early_poster(corpus, name):
    testimonial = upload(corpus[name])

    assert testimonial_process(testimonial_id=testimonial.pk) == "rejected"

    testimonial.refresh_from_db()
    assert "poster_early" not in testimonial.probe
    assert "poster" not in testimonial.probe["timings"]
    assert not private_storage().exists(poster_key(testimonial))


def test_a_file_over_the_day_s_budget_gets_no_early_poster(corpus, settings):
    settings.AMBASSADORS_MEDIA_SECONDS_PER_CLIENT_PER_DAY = 1
    testimonial = upload(corpus["landscape"])
    media_budget.media_budget_remember(testimonial_id=testimonial.pk, client_ip="203.0.113.9")

    assert testimonial_process(testimonial_id=testimonial.pk) == "rejected"

    testimonial.refresh_from_db()
    assert testimonial.probe["verdict"]["code"] == "daily_budget"
    assert "poster_early" not in testimonial.probe
    assert not private_storage().exists(poster_key(testimonial))


def test_a_failed_grab_is_logged_and_the_pipeline_goes_on(corpus, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise OSError("ffmpeg vanished")

    monkeypatch.setattr(processing, "early_poster_command", broken)
    testimonial = upload(corpus["landscape"])

    assert testimonial_process(testimonial_id=testimonial.pk) == "in_review"

    testimonial.refresh_from_db()
    assert "poster_early" not in testimonial.probe
    assert "poster" not in testimonial.probe["timings"]
    assert private_storage().exists(poster_key(testimonial))  # the pass's own poster
    assert "no early poster" in caplog.text


def test_withdrawn_while_a_failing_pass_ran_leaves_no_early_poster_behind(corpus, monkeypatch):
    testimonial = upload(corpus["landscape"])
    real = processing.video_review_local

    def withdrawn_then_damaged(source, workdir, *, admit):
        result = real(source, workdir, admit=admit)
        assert private_storage().exists(poster_key(testimonial))
        Testimonial.objects.filter(pk=testimonial.pk).update(status=Status.WITHDRAWN)
        result.verdict = reject_damaged("ffmpeg exit 1: test")
        return result

    monkeypatch.setattr(processing, "video_review_local", withdrawn_then_damaged)

    assert testimonial_process(testimonial_id=testimonial.pk) == "skipped"

    assert not private_storage().exists(poster_key(testimonial))


LIST = "/admin/ambassadors/testimonial/?status__exact=processing"


def test_the_list_shows_the_early_poster_of_a_processing_testimonial_and_none_without(
    moderator_client, make_testimonial
):
    make_testimonial(Status.PROCESSING, display_name="Arriving", probe={"poster_early": True})
    make_testimonial(Status.PROCESSING, display_name="Not yet", media=False, probe={})

    html = moderator_client.get(LIST).content.decode()

    assert "Arriving" in html and "Not yet" in html
    assert html.count('class="moderation-thumb"') == 1
    assert "X-Amz-Signature=" in html


def test_the_review_page_of_a_processing_testimonial_shows_its_early_poster(
    moderator_client, make_testimonial
):
    testimonial = make_testimonial(Status.PROCESSING, probe={"poster_early": True})

    html = moderator_client.get(
        f"/admin/ambassadors/testimonial/{testimonial.pk}/change/"
    ).content.decode()

    assert "Pas encore de vidéo à regarder" in html
    assert '<img class="moderation-player" src="' in html
    assert "aucune image vidéo trouvée" not in html
