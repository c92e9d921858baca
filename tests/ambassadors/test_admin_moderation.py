"""The moderation admin through its own views, logged in as a moderator."""

import datetime
import io
import re
import zipfile

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ambassadors import keys
from ambassadors.models import RejectionReason, Status, Testimonial
from ambassadors.tasks.moderation import publish_testimonial
from onprovence.storage import private_storage, public_storage

from .moderation_support import *  # noqa: F403
from .moderation_support import change_form_data, stored_keys

pytestmark = pytest.mark.django_db

QUEUE = "/admin/ambassadors/testimonial/?status__exact=in_review"


def _age(testimonial: Testimonial, **delta) -> None:
    Testimonial.objects.filter(pk=testimonial.pk).update(
        status_changed_at=timezone.now() - datetime.timedelta(**delta)
    )


def test_the_queue_lists_oldest_first_with_a_signed_poster_flags_and_age(
    moderator_client, make_testimonial
):
    newer = make_testimonial(display_name="Newer")
    older = make_testimonial(display_name="Older", flags=["silence", {"code": "duplicate"}])
    make_testimonial(Status.APPROVED, display_name="Approved one")
    _age(older, days=3)
    _age(newer, hours=2)

    html = moderator_client.get(QUEUE).content.decode()

    assert html.index("Older") < html.index("Newer")
    assert "Approved one" not in html
    posters = re.findall(r'<img class="moderation-thumb" src="([^"]+)"', html)
    assert len(posters) == 2
    assert all("X-Amz-Signature=" in url and "onprovence-private" in url for url in posters)
    assert "onprovence-public" not in html
    assert '<span class="moderation-flag">silence</span>' in html
    assert '<span class="moderation-flag">doublon</span>' in html
    assert "3\xa0jours" in html
    assert "Marignane" in html and "Aéronautique" in html and "Gare Saint-Charles" in html
    assert "0:02" in html


def test_filters_by_flag_duration_and_age(moderator_client, make_testimonial):
    make_testimonial(display_name="Quiet", flags=["silence"], duration=75)
    make_testimonial(display_name="Clean", flags=[], duration=20)

    by_flag = moderator_client.get(QUEUE + "&flag=silence").content.decode()
    no_flag = moderator_client.get(QUEUE + "&flag=none").content.decode()
    long_ones = moderator_client.get(QUEUE + "&duration=60to90").content.decode()

    assert "Quiet" in by_flag and "Clean" not in by_flag
    assert "Clean" in no_flag and "Quiet" not in no_flag
    assert "Quiet" in long_ones and "Clean" not in long_ones


def test_search_finds_a_resident_by_email(moderator_client, make_testimonial):
    make_testimonial(display_name="Found", email="nadia@example.org")
    make_testimonial(display_name="Other")

    html = moderator_client.get("/admin/ambassadors/testimonial/?q=nadia@example").content.decode()

    assert "Found" in html and "Other" not in html


def test_the_admin_index_shows_how_many_wait(moderator_client, make_testimonial):
    make_testimonial()
    make_testimonial()
    make_testimonial(Status.APPROVED)

    html = moderator_client.get("/admin/").content.decode()

    assert "2 témoignages attendent une modération" in html
    assert 'href="/admin/ambassadors/testimonial/?status__exact=in_review"' in html


def test_the_change_list_runs_a_fixed_number_of_queries(
    moderator_client, make_testimonial, django_assert_num_queries
):
    for _ in range(2):
        make_testimonial(flags=["silence"])
    with CaptureQueriesContext(connection) as few:
        assert moderator_client.get(QUEUE).status_code == 200
    for _ in range(10):
        make_testimonial(media=False)

    with django_assert_num_queries(len(few.captured_queries)):
        response = moderator_client.get(QUEUE)

    assert response.content.decode().count('class="moderation-thumb"') == 12


def test_the_review_page_plays_the_private_rendition_and_shows_facts_consent_and_history(
    moderator_client, make_testimonial, moderator
):
    testimonial = make_testimonial(language="en", flags=["frozen"])
    Testimonial.objects.filter(pk=testimonial.pk).update(has_captions=True)

    html = moderator_client.get(f"/admin/ambassadors/testimonial/{testimonial.pk}/change/")
    html = html.content.decode()

    video = re.search(r'<video class="moderation-player"[^>]*src="([^"]+)"', html)
    assert video is not None
    assert "X-Amz-Signature=" in video.group(1)
    assert f"testimonials/{testimonial.pk}/web.mp4" in video.group(1)
    assert "X-Amz-Expires=900" in video.group(1)
    assert "onprovence-public" not in html
    assert f'src="/admin/ambassadors/testimonial/{testimonial.pk}/captions.vtt"' in html
    assert "image figée" in html
    assert "<dt>video.codec</dt><dd>h264</dd>" in html
    assert "Autorisation de diffusion (droit à l&#x27;image) (v2026.1)" in html
    assert "diffusion : oui" in html
    assert "anglais" in html
    assert "historique complet" in html.lower()
    # Every decision is one click away, as a link to its confirmation page.
    for action in ("approve", "reject", "feature", "erase"):
        assert f"/admin/ambassadors/testimonial/moderate/{action}/?ids={testimonial.pk}" in html
    assert "moderate/unpublish/" not in html


def test_approve_from_the_review_page_proposes_the_next_slot_then_approves(
    moderator_client, make_testimonial, moderator, broker, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial()
    url = f"/admin/ambassadors/testimonial/moderate/approve/?ids={testimonial.pk}"

    page = moderator_client.get(url).content.decode()
    assert "prochain créneau libre" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(url, {"ids": str(testimonial.pk)})

    assert response.status_code == 302
    assert response["Location"] == f"/admin/ambassadors/testimonial/{testimonial.pk}/change/"
    testimonial.refresh_from_db()
    assert testimonial.status == Status.APPROVED
    assert testimonial.publish_at > timezone.now()
    assert testimonial.publish_at.astimezone(timezone.get_current_timezone()).weekday() < 5
    event = testimonial.events.get()
    assert (event.to_status, event.actor) == (Status.APPROVED, moderator)
    assert [name for name, _args in broker.tasks()] == [
        "ambassadors.email_moderation_decision",
        "ambassadors.render_social_renditions",
    ]


def test_bulk_approve_gives_consecutive_slots(moderator_client, make_testimonial):
    chosen = [make_testimonial() for _ in range(3)]
    ids = [str(t.pk) for t in chosen]

    response = moderator_client.post(
        "/admin/ambassadors/testimonial/",
        {"action": "approve_selected", "_selected_action": ids},
    )
    assert response.status_code == 302
    page = moderator_client.get(response["Location"])
    assert page.content.decode().count("prochain créneau libre") == 3
    moderator_client.post(response["Location"], {"ids": ",".join(ids)})

    days = sorted(
        Testimonial.objects.get(pk=pk).publish_at.astimezone(timezone.get_current_timezone())
        for pk in ids
    )
    assert len({day.date() for day in days}) == 3
    assert all(day.weekday() < 5 and (day.hour, day.minute) == (10, 0) for day in days)


def test_reject_with_a_template_and_details(
    moderator_client, make_testimonial, broker, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial()
    reason = RejectionReason.objects.get(label="Son ou image inexploitable")
    url = f"/admin/ambassadors/testimonial/moderate/reject/?ids={testimonial.pk}"

    empty = moderator_client.post(url, {"ids": str(testimonial.pk)})
    assert "Choisissez un motif ou écrivez-le." in empty.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(
            url, {"ids": str(testimonial.pk), "reason": reason.pk, "details": "Le son coupe."}
        )

    testimonial.refresh_from_db()
    assert testimonial.status == Status.REJECTED
    assert testimonial.rejection_reason == (
        "Le son ou l'image de votre vidéo ne permet pas de la diffuser dans de bonnes conditions."
        "\n\nLe son coupe."
    )
    assert broker.tasks() == [
        ("ambassadors.email_moderation_decision", [str(testimonial.pk), "rejected"])
    ]


def test_an_action_on_the_wrong_status_changes_nothing_and_says_so(
    moderator_client, make_testimonial
):
    testimonial = make_testimonial(Status.PROCESSING)

    response = moderator_client.post(
        "/admin/ambassadors/testimonial/moderate/approve/",
        {"ids": str(testimonial.pk)},
        follow=True,
    )

    assert "ne s&#x27;applique à aucun des témoignages choisis" in response.content.decode()
    testimonial.refresh_from_db()
    assert testimonial.status == Status.PROCESSING


def test_the_review_page_refuses_to_empty_the_quote_of_a_published_testimonial(
    moderator_client, make_testimonial
):
    """The change form says why, in French, and saves nothing (`testimonial_edit`'s rule).
    Failed before (docs/status.md, "Moderation"): the quote was emptied."""
    testimonial = make_testimonial(Status.PUBLISHED, quote="La mer, enfin.")
    url = f"/admin/ambassadors/testimonial/{testimonial.pk}/change/"

    response = moderator_client.post(
        url, change_form_data(testimonial, quote="  ", display_name="Léa M.")
    )

    assert response.status_code == 200
    assert (
        "La citation ne peut pas être vide : un témoignage approuvé, programmé ou publié la "
        "montre sur sa carte. Écrivez-en une autre. Rien n&#x27;a changé."
    ) in response.content.decode()
    testimonial.refresh_from_db()
    assert (testimonial.quote, testimonial.display_name) == ("La mer, enfin.", "Léa, ingénieure")


def test_moderators_edit_the_public_fields_and_upload_captions(
    moderator_client, make_testimonial, moderator
):
    testimonial = make_testimonial()
    url = f"/admin/ambassadors/testimonial/{testimonial.pk}/change/"
    vtt = b"WEBVTT\n\n00:00:00.000 --> 00:00:01.800\nJe suis Lea.\n"

    response = moderator_client.post(
        url,
        change_form_data(
            testimonial,
            display_name="Léa M.",
            tags="hélicoptères, mer",
            captions_file=SimpleUploadedFile("lea.vtt", vtt, content_type="text/vtt"),
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    testimonial.refresh_from_db()
    assert (testimonial.display_name, testimonial.tag_list, testimonial.has_captions) == (
        "Léa M.",
        ["hélicoptères", "mer"],
        True,
    )
    with private_storage().open(keys.testimonial_key(testimonial.pk, keys.CAPTIONS)) as handle:
        assert handle.read() == vtt
    assert list(testimonial.events.values_list("note", flat=True)) == [
        "Modifié : nom affiché, mots-clés",
        "Sous-titres mis à jour",
    ]
    assert testimonial.status == Status.IN_REVIEW
    captions = moderator_client.get(f"/admin/ambassadors/testimonial/{testimonial.pk}/captions.vtt")
    assert captions.content == vtt


def test_bad_captions_are_refused_on_the_change_page_and_nothing_changes(
    moderator_client, make_testimonial
):
    testimonial = make_testimonial()
    url = f"/admin/ambassadors/testimonial/{testimonial.pk}/change/"

    response = moderator_client.post(
        url,
        change_form_data(
            testimonial, display_name="Changed", captions_text="00:00:01.000 --> 00:00:02.000\nHi"
        ),
    )

    assert response.status_code == 200
    assert "Un fichier WebVTT commence par la ligne « WEBVTT »." in response.content.decode()
    testimonial.refresh_from_db()
    assert testimonial.display_name == "Léa, ingénieure"
    assert not testimonial.has_captions
    assert not testimonial.events.exists()


def test_schedule_feature_and_the_calendar(moderator_client, make_testimonial):
    testimonial = make_testimonial(Status.APPROVED, display_name="Calendar Léa")
    target = timezone.localdate() + datetime.timedelta(days=9)

    moderator_client.post(
        f"/admin/ambassadors/testimonial/moderate/schedule/?ids={testimonial.pk}",
        {"ids": str(testimonial.pk), "publish_at_0": target.isoformat(), "publish_at_1": "17:45"},
    )
    moderator_client.post(
        "/admin/ambassadors/testimonial/moderate/feature/", {"ids": str(testimonial.pk)}
    )

    testimonial.refresh_from_db()
    assert timezone.localtime(testimonial.publish_at).date() == target
    assert timezone.localtime(testimonial.publish_at).strftime("%H:%M") == "17:45"
    assert testimonial.featured
    calendar = moderator_client.get("/admin/ambassadors/testimonial/calendar/").content.decode()
    assert "17:45 Calendar Léa" in calendar
    assert "Rythme : 1 par jour de publication, à 10:00." in calendar
    assert "créneau libre" in calendar


def test_erase_from_the_admin_needs_confirmation_then_queues_the_purge(
    moderator_client, make_testimonial, broker, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial(Status.REJECTED)
    url = f"/admin/ambassadors/testimonial/moderate/erase/?ids={testimonial.pk}"

    unconfirmed = moderator_client.post(url, {"ids": str(testimonial.pk)})
    assert unconfirmed.status_code == 200
    testimonial.refresh_from_db()
    assert testimonial.status == Status.REJECTED

    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(url, {"ids": str(testimonial.pk), "confirm": "on", "note": "RGPD"})

    testimonial.refresh_from_db()
    assert testimonial.status == Status.WITHDRAWN
    assert broker.tasks() == [
        ("ambassadors.take_down_public_files", [str(testimonial.pk)]),
        ("ambassadors.purge_testimonial", [str(testimonial.pk)]),
    ]


def test_erase_leaves_nothing_in_storage_once_the_purge_has_run(
    moderator_client, make_testimonial, moderator, django_capture_on_commit_callbacks
):
    """Published, captioned, with social formats: after the admin's erase and the journey's
    purge task (run here by its name), neither store holds a single file of it."""
    from ambassadors.services.captions import testimonial_captions_set
    from ambassadors.services.publication import testimonial_publish
    from ambassadors.tasks.journey import purge_testimonial

    testimonial = make_testimonial(Status.APPROVED, social=True, publish_at=timezone.now())
    testimonial_captions_set(
        testimonial_id=testimonial.pk,
        actor=moderator,
        text="WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nSalut\n",
    )
    with django_capture_on_commit_callbacks(execute=True):
        testimonial_publish(testimonial_id=testimonial.pk)
    # Private: web, two posters, three social formats, captions; public: their four copies.
    assert len(stored_keys(testimonial.pk)) == 11

    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(
            f"/admin/ambassadors/testimonial/moderate/erase/?ids={testimonial.pk}",
            {"ids": str(testimonial.pk), "confirm": "on"},
        )
    assert purge_testimonial.name == "ambassadors.purge_testimonial"
    purge_testimonial.apply(args=[str(testimonial.pk)]).get()

    assert stored_keys(testimonial.pk) == []
    testimonial.refresh_from_db()
    assert testimonial.status == Status.ERASED
    assert (testimonial.first_name, testimonial.email) == ("", "")
    assert moderator_client.get(f"/temoignages/{testimonial.pk}/").status_code == 404


def test_social_pack_zip_has_three_formats_poster_captions_and_a_post(
    moderator_client, make_testimonial, moderator, tiny_media
):
    from ambassadors.services.captions import captions_version, testimonial_captions_set

    testimonial = make_testimonial(Status.APPROVED, social=True, tags="drones")
    testimonial_captions_set(
        testimonial_id=testimonial.pk,
        actor=moderator,
        text="WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nSalut\n",
    )
    # The stand-in cuts burned these captions (as a render records it).
    Testimonial.objects.filter(pk=testimonial.pk).update(
        probe={
            "social": {
                "captions_version": captions_version(
                    b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nSalut\n"
                )
            }
        }
    )

    response = moderator_client.get(f"/admin/ambassadors/testimonial/{testimonial.pk}/social-pack/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == [
        "affiche.jpg",
        "publication-en.txt",
        "publication-fr.txt",
        "sous-titres.vtt",
        "video-16x9.mp4",
        "video-1x1.mp4",
        "video-9x16.mp4",
    ]
    assert archive.read("video-9x16.mp4") == tiny_media[keys.WEB]
    post = archive.read("publication-fr.txt").decode()
    assert "« Ici, je travaille sur des hélicoptères et je vais à la plage le soir. »" in post
    assert "— Léa, ingénieure, Ingénieure avionique, Marignane" in post
    assert "dans la filière aéronautique. Découvrez son témoignage en vidéo :" in post
    assert f"http://localhost:8000/temoignages/{testimonial.pk}/" in post
    assert "#TousAmbassadeurs #OneProvence #AixMarseilleProvence #Aéronautique #Drones" in post
    # The English post: English sentences, page and sector hashtag; the resident's own words.
    english = archive.read("publication-en.txt").decode()
    assert "“Ici, je travaille sur des hélicoptères et je vais à la plage le soir.”" in english
    assert "— Léa, ingénieure, Ingénieure avionique, Marignane" in english
    assert "Living and working in the Aix-Marseille-Provence metropolis, in the " in english
    assert (
        f"Watch the video testimonial: http://localhost:8000/en/temoignages/{testimonial.pk}/"
        in (english)
    )
    assert "#TousAmbassadeurs #OneProvence #AixMarseilleProvence #Aeronautics #Drones" in english
    assert "Découvrez" not in english and "filière" not in english


def test_social_pack_before_the_renditions_exist_explains_and_redirects(
    moderator_client, make_testimonial
):
    testimonial = make_testimonial(Status.APPROVED)

    response = moderator_client.get(
        f"/admin/ambassadors/testimonial/{testimonial.pk}/social-pack/", follow=True
    )

    assert "Les formats réseaux sociaux ne sont pas encore prêts" in response.content.decode()


def test_approving_without_a_date_when_the_rhythm_has_no_slot_asks_for_a_date(
    moderator_client, make_testimonial
):
    from ambassadors.models import PublicationRhythm

    PublicationRhythm.objects.update(per_day=0)
    testimonial = make_testimonial()
    url = f"/admin/ambassadors/testimonial/moderate/approve/?ids={testimonial.pk}"

    response = moderator_client.post(url, {"ids": str(testimonial.pk)}, follow=True)

    assert (
        "Le rythme de publication n&#x27;offre aucun créneau : choisissez une date."
        in response.content.decode()
    )
    testimonial.refresh_from_db()
    assert testimonial.status == Status.IN_REVIEW


def test_a_wrongly_refused_testimonial_goes_back_to_review_from_its_page(
    moderator_client, make_testimonial, moderator, broker, django_capture_on_commit_callbacks
):
    from ambassadors.services.decisions import testimonial_reject

    testimonial = make_testimonial(display_name="Mauvais clic")
    testimonial_reject(testimonial_id=testimonial.pk, actor=moderator, details="Flou.")
    broker.clear()
    change = f"/admin/ambassadors/testimonial/{testimonial.pk}/change/"
    url = f"/admin/ambassadors/testimonial/moderate/reopen/?ids={testimonial.pk}"

    assert url in moderator_client.get(change).content.decode()
    page = moderator_client.get(url).content.decode()
    assert "Remettre en modération" in page
    assert "Le résident n&#x27;est pas prévenu maintenant" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(url, {"ids": str(testimonial.pk)}, follow=True)

    assert "Remettre en modération : 1 témoignage(s)." in response.content.decode()
    testimonial.refresh_from_db()
    assert (testimonial.status, testimonial.rejection_reason) == (Status.IN_REVIEW, "")
    event = testimonial.events.order_by("created_at", "pk").last()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        Status.REJECTED,
        Status.IN_REVIEW,
        moderator,
        "Remis en modération",
    )
    assert broker.tasks() == []
    assert "Mauvais clic" in moderator_client.get(QUEUE).content.decode()


def test_back_to_review_of_a_video_the_pipeline_refused_says_why_and_changes_nothing(
    moderator_client, make_testimonial
):
    from ambassadors.services.status import testimonial_transition

    testimonial = make_testimonial(Status.PROCESSING, media=False)
    testimonial_transition(
        testimonial_id=testimonial.pk,
        to=Status.REJECTED,
        actor_label="worker",
        expected_from=[Status.PROCESSING],
        changes={"rejection_reason": "Votre fichier n'est pas une vidéo lisible."},
    )

    response = moderator_client.post(
        f"/admin/ambassadors/testimonial/moderate/reopen/?ids={testimonial.pk}",
        {"ids": str(testimonial.pk)},
        follow=True,
    )

    assert (
        "refusé par le traitement automatique de la vidéo (fichier inutilisable) : "
        "il ne peut pas revenir en modération." in response.content.decode().replace("&#x27;", "'")
    )
    testimonial.refresh_from_db()
    assert testimonial.status == Status.REJECTED


def test_bulk_back_to_review_skips_what_is_not_refused(
    moderator_client, make_testimonial, moderator
):
    from ambassadors.services.decisions import testimonial_reject

    refused = make_testimonial()
    testimonial_reject(testimonial_id=refused.pk, actor=moderator, details="Flou.")
    approved = make_testimonial(Status.APPROVED)

    response = moderator_client.post(
        "/admin/ambassadors/testimonial/",
        {"action": "reopen_selected", "_selected_action": [str(refused.pk), str(approved.pk)]},
    )
    page = moderator_client.get(response["Location"]).content.decode()
    assert "1 témoignage choisi n'est pas concerné" in page
    moderator_client.post(response["Location"], {"ids": str(refused.pk)})

    refused.refresh_from_db()
    approved.refresh_from_db()
    assert (refused.status, approved.status) == (Status.IN_REVIEW, Status.APPROVED)


def test_the_review_page_shows_the_suggested_post_in_french_and_english(
    moderator_client, make_testimonial
):
    approved = make_testimonial(Status.APPROVED)
    in_review = make_testimonial()

    html = moderator_client.get(f"/admin/ambassadors/testimonial/{approved.pk}/change/")
    html = html.content.decode()
    waiting = moderator_client.get(f"/admin/ambassadors/testimonial/{in_review.pk}/change/")

    posts = re.findall(
        r'<textarea readonly rows="9" cols="70" lang="(\w+)">([^<]+)</textarea>', html
    )
    assert [language for language, _text in posts] == ["fr", "en"]
    assert "Découvrez son témoignage en vidéo : http://localhost:8000/temoignages/" in posts[0][1]
    assert "Watch the video testimonial: http://localhost:8000/en/temoignages/" in posts[1][1]
    assert "Proposée une fois le témoignage approuvé." in waiting.content.decode()


def test_publish_now_queues_the_publication_which_the_worker_does_as_a_scheduled_one(
    moderator_client, make_testimonial, moderator, broker, django_capture_on_commit_callbacks
):
    slot = timezone.now() + datetime.timedelta(days=3)
    testimonial = make_testimonial(Status.APPROVED, publish_at=slot)
    change_url = f"/admin/ambassadors/testimonial/{testimonial.pk}/change/"
    url = f"/admin/ambassadors/testimonial/moderate/publish_now/?ids={testimonial.pk}"
    assert url in moderator_client.get(change_url).content.decode()
    assert "Publier maintenant" in moderator_client.get(url).content.decode()

    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(url, {"ids": str(testimonial.pk)}, follow=True)

    assert "Publication en cours… (1 témoignage(s))" in response.content.decode()
    testimonial.refresh_from_db()
    assert testimonial.status == Status.APPROVED
    assert before <= testimonial.publish_at <= timezone.now()
    # Queued for the worker, and no "new date" email to the resident.
    assert broker.tasks() == [("ambassadors.publish_testimonial", [str(testimonial.pk)])]
    asked = testimonial.events.get()
    assert (asked.actor, asked.note) == (moderator, "Publication immédiate demandée")

    broker.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_testimonial.apply(args=[str(testimonial.pk)]).get() is True

    testimonial.refresh_from_db()
    assert testimonial.status == Status.PUBLISHED
    assert public_storage().exists(keys.testimonial_key(testimonial.pk, keys.WEB))
    assert broker.tasks() == [
        ("ambassadors.email_moderation_decision", [str(testimonial.pk), "published"])
    ]
    page = moderator_client.get(change_url).content.decode()
    assert "Publication immédiate demandée" in page
    assert "moderate/publish_now/" not in page
    assert "moderate/unpublish/" in page


def test_publish_now_is_not_offered_for_a_testimonial_that_is_not_approved(
    moderator_client, make_testimonial, broker
):
    for status in (Status.IN_REVIEW, Status.PUBLISHED, Status.REJECTED):
        testimonial = make_testimonial(status)
        page = moderator_client.get(f"/admin/ambassadors/testimonial/{testimonial.pk}/change/")
        assert "moderate/publish_now/" not in page.content.decode()

        response = moderator_client.post(
            "/admin/ambassadors/testimonial/moderate/publish_now/",
            {"ids": str(testimonial.pk)},
            follow=True,
        )

        assert "ne s&#x27;applique à aucun des témoignages choisis" in response.content.decode()
        testimonial.refresh_from_db()
        assert testimonial.status == status
        assert not testimonial.events.exists()
    assert broker.tasks() == []


def test_publish_now_without_the_moderation_permission_is_refused(
    client, django_user_model, make_testimonial, broker
):
    testimonial = make_testimonial(Status.APPROVED)
    user = django_user_model.objects.create_user("observer", password="x", is_staff=True)
    group = Group.objects.get(name="Modération")
    user.user_permissions.add(*group.permissions.exclude(codename="moderate_testimonial"))
    client.force_login(user)
    page = client.get(f"/admin/ambassadors/testimonial/{testimonial.pk}/change/")
    assert page.status_code == 200
    assert "moderate/publish_now/" not in page.content.decode()

    response = client.post(
        "/admin/ambassadors/testimonial/moderate/publish_now/", {"ids": str(testimonial.pk)}
    )

    assert response.status_code == 403
    testimonial.refresh_from_db()
    assert (testimonial.status, testimonial.publish_at) == (Status.APPROVED, None)
    assert broker.tasks() == []


def test_publish_now_of_a_testimonial_without_its_video_says_so_and_queues_nothing(
    moderator_client, make_testimonial, broker
):
    testimonial = make_testimonial(Status.APPROVED, media=False)

    response = moderator_client.post(
        "/admin/ambassadors/testimonial/moderate/publish_now/",
        {"ids": str(testimonial.pk)},
        follow=True,
    )

    assert "La vidéo web de ce témoignage est introuvable." in response.content.decode()
    testimonial.refresh_from_db()
    assert (testimonial.status, testimonial.publish_at) == (Status.APPROVED, None)
    assert broker.tasks() == []
