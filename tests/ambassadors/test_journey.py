"""The resident journey through its pages and upload API (no browser)."""

import os
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from ambassadors import conf, uploads
from ambassadors.forms import journey_token
from ambassadors.links import read_resident_token, resident_status_url, resident_token
from ambassadors.models import ConsentRecord, ConsentText, Status, Testimonial
from ambassadors.views import SESSION_KEY
from campaigns.models import Campaign, FunnelCount, Placement
from onprovence.storage import private_storage
from tests.ambassadors.conftest import queued_tasks

pytestmark = pytest.mark.django_db
ORIGIN = "http://testserver"


@pytest.fixture
def placement(db) -> Placement:
    campaign = Campaign.objects.create(
        name="Marque employeur", slug="marque", starts_on="2026-09-30", hero_title="Ici"
    )
    return Placement.objects.create(
        campaign=campaign, channel=Placement.Channel.STATION, place_name="Gare Saint-Charles"
    )


def funnel(placement, step: str) -> int:
    row = FunnelCount.objects.filter(placement=placement, step=step).first()
    return row.count if row else 0


def consent_data(placement_code: str = "", **changes) -> dict:
    data = {
        "first_name": "Nadia",
        "last_name": "Benali",
        "email": "nadia@example.org",
        "commune": "Marseille",
        "sector": "aeronautique",
        "job_title": "Ingénieure",
        "age_group": "adult",
        "release": "on",
        "journey": journey_token(placement_code),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_landing_page_counts_the_placement_sets_no_cookie_and_keeps_the_placement(
    client, placement
):
    response = client.get(f"/ambassadeurs/?p={placement.code}")

    assert response.status_code == 200
    assert response.cookies == {}
    assert f'href="/ambassadeurs/vous/?p={placement.code}"' in response.content.decode()
    assert funnel(placement, "landing") == 1
    assert "Pourquoi avez-vous choisi de vivre ici ?" in response.content.decode()


def test_the_landing_page_in_english(client):
    response = client.get("/en/ambassadeurs/")

    assert "Why did you choose to live here?" in response.content.decode()
    assert FunnelCount.objects.get(placement=None, step="landing").count == 1


def test_the_consent_form_sets_no_cookie_until_it_is_submitted(client, placement):
    response = client.get(f"/ambassadeurs/vous/?p={placement.code}")

    assert response.status_code == 200
    assert response.cookies == {}
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert escape(ConsentText.objects.get(is_current=True).title) in response.content.decode()


def test_consent_creates_the_testimonial_and_a_proof_with_version_time_choices_placement(
    client, placement
):
    response = client.post("/ambassadeurs/vous/", consent_data(placement.code), HTTP_ORIGIN=ORIGIN)

    assert response.status_code == 302
    assert response["Location"] == "/ambassadeurs/video/"
    testimonial = Testimonial.objects.get()
    record = ConsentRecord.objects.get()
    text = ConsentText.objects.get(is_current=True)
    assert (testimonial.status, testimonial.first_name, testimonial.sector.slug) == (
        Status.CREATED,
        "Nadia",
        "aeronautique",
    )
    assert testimonial.placement == placement
    assert testimonial.language == "fr"
    assert (record.testimonial, record.testimonial_ref, record.placement) == (
        testimonial,
        testimonial.pk,
        placement,
    )
    assert (record.consent_text, record.text_version) == (text, text.version)
    assert record.accepted_at is not None
    assert record.choices["release"] is True
    assert record.choices["age_group"] == "adult"
    assert record.choices["duration_months"] == text.duration_months
    assert client.session[SESSION_KEY] == str(testimonial.pk)


def test_consent_posted_from_another_site_is_refused(client):
    response = client.post(
        "/ambassadeurs/vous/", consent_data(), HTTP_ORIGIN="https://evil.example"
    )
    no_origin = client.post("/ambassadeurs/vous/", consent_data())

    assert (response.status_code, no_origin.status_code) == (403, 403)
    assert not Testimonial.objects.exists()


def test_a_forged_placement_token_is_refused(client):
    response = client.post(
        "/ambassadeurs/vous/", consent_data(journey="abc:def:ghi"), HTTP_ORIGIN=ORIGIN
    )

    assert response.status_code == 400
    assert "Ce formulaire a expiré." in response.content.decode()
    assert not Testimonial.objects.exists()


def test_another_sector_is_accepted_without_a_sector_row(client):
    client.post("/ambassadeurs/vous/", consent_data(sector="autre"), HTTP_ORIGIN=ORIGIN)

    assert Testimonial.objects.get().sector is None


def test_under_15s_are_refused_kindly_and_nothing_is_kept(client):
    response = client.post(
        "/ambassadeurs/vous/", consent_data(age_group="under-15"), HTTP_ORIGIN=ORIGIN
    )

    assert response.status_code == 400
    assert "ce projet est ouvert à partir de 15 ans" in response.content.decode()
    assert not Testimonial.objects.exists()
    assert not ConsentRecord.objects.exists()


def test_15_to_17_need_a_parents_consent_and_email(client):
    missing = client.post(
        "/ambassadeurs/vous/", consent_data(age_group="15-17"), HTTP_ORIGIN=ORIGIN
    )
    given = client.post(
        "/ambassadeurs/vous/",
        consent_data(age_group="15-17", parental_consent="on", parent_email="mere@example.org"),
        HTTP_ORIGIN=ORIGIN,
    )

    assert missing.status_code == 400
    page = missing.content.decode()
    assert "Entre 15 et 17 ans, l&#x27;accord d&#x27;un parent est nécessaire." in page
    assert "Indiquez l&#x27;adresse e-mail de ce parent." in page
    assert given.status_code == 302
    record = ConsentRecord.objects.get()
    assert (record.is_minor, record.parent_email) == (True, "mere@example.org")
    assert record.choices["parental_consent"] is True


def test_the_release_shows_its_own_title_in_each_language(client):
    text = ConsentText.objects.get(is_current=True)
    assert text.title_en == "Permission to broadcast your video (image rights)"  # seeded
    text.title, text.title_en = "Autorisation v2 (droit à l'image)", "Release v2 (image rights)"
    text.save()

    french = client.get("/ambassadeurs/vous/").content.decode()
    english = client.get("/en/ambassadeurs/vous/").content.decode()

    assert '<h2 id="consent-title">Autorisation v2 (droit à l&#x27;image)</h2>' in french
    assert '<h2 id="consent-title">Release v2 (image rights)</h2>' in english


def test_a_release_without_an_english_title_gets_a_plain_english_heading(client):
    ConsentText.objects.filter(is_current=True).update(title_en="")

    english = client.get("/en/ambassadeurs/vous/").content.decode()

    heading = '<h2 id="consent-title">Permission to broadcast your video (image rights)</h2>'
    assert heading in english


def test_missing_answers_are_explained_in_english_on_english_pages(client):
    response = client.post(
        "/en/ambassadeurs/vous/", consent_data(release=None, email="nope"), HTTP_ORIGIN=ORIGIN
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Tick this box to be able to send your video." in page
    assert "Enter a valid email address." in page
    assert not Testimonial.objects.exists()


def test_consent_submissions_are_rate_limited_per_ip(client, settings):
    settings.AMBASSADORS_CONSENT_RATE = (2, 3600)
    statuses = [
        client.post("/ambassadeurs/vous/", consent_data(), HTTP_ORIGIN=ORIGIN).status_code
        for _ in range(3)
    ]

    assert statuses == [302, 302, 429]
    assert Testimonial.objects.count() == 2


def test_the_record_and_send_steps_need_a_journey(client):
    assert client.get("/ambassadeurs/video/")["Location"] == "/ambassadeurs/"
    assert client.get("/ambassadeurs/envoi/")["Location"] == "/ambassadeurs/"
    assert client.post("/ambassadeurs/envoi/debut/", {}).status_code == 403


def test_the_record_page_tells_the_recorder_its_limits(resident_client):
    response = resident_client.get("/ambassadeurs/video/")

    config = response.context["config"]
    assert config["limits"]["recordSeconds"] == 90
    assert "video/webm" in config["limits"]["types"]
    assert 'id="journey-config"' in response.content.decode()


def api(client, name: str, body: dict):
    return client.post(reverse(f"ambassadors:{name}"), body, content_type="application/json")


def test_the_upload_api_sends_a_video_and_queues_processing_and_the_email(
    resident_client,
    testimonial,
    placement,
    local_storage,
    settings,
    broker,
    django_capture_on_commit_callbacks,
):
    settings.AMBASSADORS_UPLOAD_PART_SIZE = 1000
    testimonial.placement = placement
    testimonial.save(update_fields=["placement"])
    data = os.urandom(2500)

    started = api(resident_client, "upload-start", {"size": 2500, "type": "video/mp4"}).json()
    api(resident_client, "upload-start", {"size": 2500, "type": "video/mp4"})  # a restart
    started = api(resident_client, "upload-start", {"size": 2500, "type": "video/mp4"}).json()
    urls = api(resident_client, "upload-sign", {"upload": started["upload"], "parts": [1, 2, 3]})
    for number, url in urls.json()["urls"].items():
        start = (int(number) - 1) * 1000
        resident_client.generic("PUT", url, data=data[start : start + 1000])
    state = api(resident_client, "upload-state", {"upload": started["upload"]}).json()
    with django_capture_on_commit_callbacks(execute=True):
        done = api(resident_client, "upload-complete", {"upload": started["upload"]})
    again = api(resident_client, "upload-complete", {"upload": started["upload"]})

    assert (started["partSize"], started["partCount"]) == (1000, 3)
    assert state["parts"] == {"1": 1000, "2": 1000, "3": 500}
    assert done.status_code == 200
    redirect = done.json()["redirect"]
    assert redirect.startswith("/ambassadeurs/suivi/") and redirect.endswith("/?envoye=1")
    assert read_resident_token(redirect.split("/")[3]) == testimonial.pk
    assert again.status_code == 200  # a browser that lost the answer asks again: same result
    testimonial.refresh_from_db()
    assert testimonial.status == Status.UPLOADED
    assert testimonial.original_key == f"testimonials/{testimonial.pk}/original"
    assert testimonial.original_size == 2500
    assert private_storage().open(testimonial.original_key).read() == data
    event = testimonial.events.get()
    assert (event.from_status, event.to_status, event.actor_label) == (
        "created",
        "uploaded",
        "resident",
    )
    assert queued_tasks(broker, "media") == [
        ("ambassadors.process_testimonial", [str(testimonial.pk)])
    ]
    assert queued_tasks(broker, "default") == [
        ("ambassadors.send_confirmation_email", [str(testimonial.pk)])
    ]
    assert funnel(placement, "recording_started") == 1
    assert funnel(placement, "upload_completed") == 1


def test_the_upload_api_refuses_bad_input_with_the_residents_language(resident_client):
    wrong_type = api(resident_client, "upload-start", {"size": 10, "type": "image/png"})
    too_long = api(
        resident_client, "upload-start", {"size": 10, "type": "video/mp4", "duration": 600}
    )
    forged = api(resident_client, "upload-sign", {"upload": "nope", "parts": [1]})
    english = resident_client.post(
        "/en/ambassadeurs/envoi/debut/",
        {"size": 10, "type": "image/png"},
        content_type="application/json",
    )

    assert (wrong_type.status_code, wrong_type.json()["code"]) == (400, "type")
    assert wrong_type.json()["error"].startswith("Ce fichier n'est pas une vidéo")
    assert too_long.json() == {
        "error": f"Cette vidéo dure plus de {round(conf.MAX_DURATION_SECONDS)} secondes.",
        "code": "duration",
    }
    assert forged.json()["code"] == "expired"
    assert english.json()["error"].startswith("This file is not a video")


def test_upload_starts_are_rate_limited_per_ip(resident_client, settings):
    settings.AMBASSADORS_UPLOAD_START_RATE = (2, 3600)
    statuses = [
        api(resident_client, "upload-start", {"size": 10, "type": "video/mp4"}).status_code
        for _ in range(3)
    ]

    assert statuses == [200, 200, 429]


def test_the_upload_api_needs_the_csrf_token(resident_client, testimonial):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.cookies = resident_client.cookies

    response = strict.post(
        "/ambassadeurs/envoi/debut/", {"size": 10}, content_type="application/json"
    )

    assert response.status_code == 403


def test_the_confirmation_email_is_in_the_residents_language_with_both_links(testimonial):
    from ambassadors.tasks.journey import send_confirmation_email

    testimonial.language = "en"
    testimonial.save(update_fields=["language"])

    assert send_confirmation_email(str(testimonial.pk)) is True

    message = mail.outbox[0]
    html = message.alternatives[0][0]
    assert message.to == ["nadia@example.org"]
    assert message.subject == "We have received your testimonial · One Provence"
    assert "Hello Nadia," in message.body
    # The signed tokens carry the second they were made: compare what they say, not the text.
    status_prefix = resident_status_url(testimonial.pk, "en").rsplit("/", 2)[0] + "/"
    for text in (message.body, html):
        tokens = re.findall(re.escape(status_prefix) + r"([^/\s\"]+)/", text)
        assert tokens and all(read_resident_token(token) == testimonial.pk for token in tokens)
    assert "/en/ambassadeurs/retrait/" in message.body
    assert 'lang="en"' in html
    # Signed with the English home page, not the French one.
    assert message.body.rstrip().endswith("\nhttp://localhost:8000/en/")
    assert '<a href="http://localhost:8000/en/"' in html


def test_the_status_page_shows_the_status_and_answers_json_while_it_moves(client, testimonial):
    testimonial.status = Status.PROCESSING  # tests may create rows in a given status
    testimonial.save(update_fields=["status"])
    url = reverse("ambassadors:status", args=[resident_token(testimonial.pk)])

    page = client.get(url + "?envoye=1")
    as_json = client.get(url + "?format=json").json()

    assert "Merci ! Votre vidéo est bien arrivée." in page.content.decode()
    assert "Nadia" not in page.content.decode()  # no personal data on the page
    assert as_json == {
        "status": "processing",
        "stage": "received",
        "label": "Vidéo reçue, en préparation",
        "moving": True,
    }
    assert client.get("/ambassadeurs/suivi/forged/").status_code == 404


@pytest.mark.parametrize(
    ("status", "steps"),
    [
        # While the team reviews, the review step is the current one, not ticked as done.
        (
            Status.IN_REVIEW,
            ['class="is-done"', 'class=" is-current" aria-current="step"', 'class=""'],
        ),
        (
            Status.APPROVED,
            [
                'class="is-done"',
                'class="is-done"',
                'class="is-done is-current" aria-current="step"',
            ],
        ),
    ],
)
def test_the_status_page_ticks_only_the_steps_that_are_over(client, testimonial, status, steps):
    testimonial.status = status
    testimonial.save(update_fields=["status"])

    html = client.get(reverse("ambassadors:status", args=[resident_token(testimonial.pk)]))

    items = re.findall(r"<li (class=\"[^\"]*\"(?: aria-current=\"step\")?)>", html.content.decode())
    assert items[:3] == steps


@pytest.mark.parametrize(
    ("status", "language", "said", "not_said"),
    [
        (Status.PROCESSING, "fr", "Cette page se met à jour toute seule.", "Vous recevrez"),
        (Status.PROCESSING, "en", "This page updates by itself.", "You will receive"),
        # In review the page stops asking: it must not claim to update itself.
        (
            Status.IN_REVIEW,
            "fr",
            "Vous recevrez un e-mail dès que nous aurons décidé.",
            "toute seule",
        ),
        (
            Status.IN_REVIEW,
            "en",
            "You will receive an email as soon as we have decided.",
            "by itself",
        ),
        (Status.APPROVED, "fr", "un lien vers votre témoignage en ligne apparaîtra", "toute seule"),
        (Status.APPROVED, "en", "a link to your testimonial online will appear", "by itself"),
    ],
)
def test_the_status_page_says_it_updates_itself_only_while_it_does(
    client, testimonial, status, language, said, not_said
):
    testimonial.status = status
    testimonial.save(update_fields=["status"])
    prefix = "/en" if language == "en" else ""

    html = client.get(f"{prefix}/ambassadeurs/suivi/{resident_token(testimonial.pk)}/").content
    html = html.decode()

    moving = 'data-moving="1"' in html
    assert moving == (status == Status.PROCESSING)
    assert escape(said) in html
    assert not_said not in html


@pytest.mark.parametrize("language", ["fr", "en"])
def test_once_published_the_status_page_links_to_the_public_page(client, testimonial, language):
    testimonial.status = Status.PUBLISHED
    testimonial.save(update_fields=["status"])
    prefix = "/en" if language == "en" else ""

    page = client.get(f"{prefix}/ambassadeurs/suivi/{resident_token(testimonial.pk)}/")

    html = page.content.decode()
    link = "See my testimonial online" if language == "en" else "Voir mon témoignage en ligne"
    assert f'<a class="button" href="{prefix}/temoignages/{testimonial.pk}/">{link}</a>' in html
    # No more "our team watches every video before publishing it".
    assert "quelques jours" not in html and "a few days" not in html


def test_uploads_cannot_start_again_once_the_video_is_sent(resident_client, testimonial):
    testimonial.status = Status.UPLOADED
    testimonial.save(update_fields=["status"])

    response = api(resident_client, "upload-start", {"size": 10, "type": "video/mp4"})

    assert response.status_code == 409
    assert resident_client.get("/ambassadeurs/video/").status_code == 302


def test_a_session_token_for_another_testimonial_is_refused_by_the_api(
    resident_client, testimonial
):
    other = Testimonial.objects.create(first_name="Autre")
    session = uploads.upload_start(testimonial_id=other.pk, size=10, content_type="video/mp4")

    response = api(resident_client, "upload-complete", {"upload": uploads.session_token(session)})

    assert (response.status_code, response.json()["code"]) == (409, "foreign")


def test_a_part_arriving_after_withdrawal_is_refused_and_not_stored(
    resident_client, testimonial, local_storage
):
    from ambassadors.services.journey import testimonial_withdraw

    started = api(resident_client, "upload-start", {"size": 10, "type": "video/mp4"}).json()
    url = api(resident_client, "upload-sign", {"upload": started["upload"], "parts": [1]})
    testimonial_withdraw(testimonial_id=testimonial.pk)

    late = resident_client.generic("PUT", url.json()["urls"]["1"], data=b"0123456789")
    sign_again = api(resident_client, "upload-sign", {"upload": started["upload"], "parts": [1]})

    assert (late.status_code, late.json()["code"]) == (400, "done")
    assert sign_again.status_code == 409
    session = uploads.session_from_token(started["upload"], testimonial_id=testimonial.pk)
    assert uploads.upload_parts(session=session) == {}


def test_the_parent_of_a_15_to_17_year_old_is_told_with_their_own_link_to_confirm_or_withdraw(
    testimonial,
):
    from django.utils import timezone

    from ambassadors.emails import testimonial_send_confirmation, testimonial_send_parent_notice

    ConsentRecord.objects.create(
        testimonial=testimonial,
        testimonial_ref=testimonial.pk,
        consent_text=ConsentText.objects.get(is_current=True),
        text_version="2026.1",
        accepted_at=timezone.now(),
        is_minor=True,
        parent_email="mere@example.org",
    )

    # Each email is its own task: a retry of one never sends the other twice.
    testimonial_send_confirmation(testimonial_id=testimonial.pk)
    testimonial_send_parent_notice(testimonial_id=testimonial.pk)

    assert [message.to for message in mail.outbox] == [
        ["nadia@example.org"],
        ["mere@example.org"],
    ]
    notice = mail.outbox[1]
    assert notice.subject == "Votre enfant a envoyé un témoignage · One Provence"
    assert "Nadia vient d'envoyer une vidéo" in notice.body
    # The parent's own link (confirm or withdraw), never the resident's (issue 12).
    assert "/ambassadeurs/parent/" in notice.body
    assert "/ambassadeurs/retrait/" not in notice.body
