"""The moderator's desk through the admin's views (issue 15, "The moderator"): the queue's flags,
the review page in plain French, the history in words, approve / refuse / next from the review
page, a quote required before approval. Each test names what the desk did before."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from ambassadors.models import RejectionReason, Status, Testimonial, TestimonialEvent

from .moderation_support import *  # noqa: F403
from .moderation_support import desk_form

pytestmark = pytest.mark.django_db

QUEUE = "/admin/ambassadors/testimonial/?status__exact=in_review"
NEXT = "/admin/ambassadors/testimonial/queue/next/"

# What the pipeline stores for a 6.5 s landscape 720p clip (services.pipeline.probe_record).
PROBE = {
    "demuxer": "mov",
    "timings": {"probe": 0.057, "packets": 0.057, "transcode": 2.255, "transcode_cpu": 2.362},
    "format_name": "mov,mp4,m4a,3gp,3g2,mj2",
    "duration": 6.5,
    "size": 6117090,
    "bit_rate": 7528726,
    "video": {
        "codec": "h264",
        "width": 1280,
        "height": 720,
        "rotation": 0,
        "frame_rate": 30.0,
        "variable_frame_rate": False,
        "pix_fmt": "yuv420p",
        "profile": "Constrained Baseline",
        "display_width": 1280,
        "display_height": 720,
    },
    "audio": {"codec": "aac", "channels": 1, "sample_rate": 44100},
    "video_streams": 1,
    "audio_streams": 1,
    "other_streams": 0,
    "refused_sizes": [],
    "header_duration": 6.5,
    "video_frames": 195,
    "checks": {
        "silences": [[0.0, 2.6]],
        "blacks": [],
        "freezes": [],
        "loudness": {"input_i": -21.82, "input_tp": -17.68},
    },
}
FLAGS = [
    {"code": "short", "label": "Vidéo très courte", "detail": "6.5 s"},
    {
        "code": "silence",
        "label": "Silence ou quasi-silence",
        "detail": "40% de la durée : 0.0–2.6 s",
    },
]


def _change(testimonial) -> str:
    return f"/admin/ambassadors/testimonial/{testimonial.pk}/change/"


def _queue_of(make_testimonial, count: int, **fields) -> list[Testimonial]:
    """`count` testimonials in review, oldest first."""
    made = [make_testimonial(**fields) for _ in range(count)]
    now = timezone.now()
    for index, testimonial in enumerate(made):
        Testimonial.objects.filter(pk=testimonial.pk).update(
            status_changed_at=now - datetime.timedelta(hours=count - index)
        )
        testimonial.refresh_from_db()
    return made


def test_duplicate_flags_are_short_badges_linking_to_the_other_testimonial(
    moderator_client, make_testimonial
):
    """Before: "Doublon d'un envoi précédent (même fichier que <uuid>)" in one span, the id
    breaking one word per line, no link."""
    earlier = make_testimonial(display_name="Première")
    later = make_testimonial(
        display_name="Seconde",
        flags=[
            {
                "code": "duplicate",
                "label": "Doublon d'un envoi précédent",
                "detail": f"même fichier que {earlier.pk}",
            },
            {
                "code": "near_duplicate",
                "label": "Quasi-doublon d'un envoi précédent",
                "detail": f"même image que {earlier.pk} (écart 0,2 %)",
            },
        ],
    )

    html = moderator_client.get(QUEUE).content.decode()
    row = next(part for part in html.split("<tr") if f'value="{later.pk}"' in part)
    cell = re.search(r'<td class="field-flags_display">(.*?)</td>', row, re.S).group(1)

    links = re.findall(r'<a class="moderation-flag moderation-flag--link" href="([^"]+)"', cell)
    assert links == [_change(earlier), _change(earlier)]
    text = re.sub(r"<[^>]+>", "", cell)
    assert "doublon n°\xa0" + str(earlier.pk)[:8] in text
    assert "quasi-doublon n°\xa0" in text
    assert str(earlier.pk) not in text  # the whole id only in the link
    assert "envoi précédent" not in text


def test_the_queue_puts_the_flags_beside_the_name_and_origin_in_one_column(
    moderator_client, make_testimonial
):
    """Before: ten columns, commune, sector and placement each its own, the flags last."""
    make_testimonial(flags=["silence"])

    html = moderator_client.get(QUEUE).content.decode()
    columns = re.findall(r'<th scope="col" class="(?:sortable )?column-(\w+)', html)

    assert columns.index("flags_display") == columns.index("name") + 1
    assert "commune" not in columns and "placement_name" not in columns
    assert "Marignane · Aéronautique" in html


# --- 2. The review page in plain French -----------------------------------------------------


def test_the_review_page_sums_the_video_up_in_plain_french_and_folds_the_raw_facts(
    moderator_client, make_testimonial
):
    """Before: ~45 raw keys (`timings.probe`, `video.variable_frame_rate False`,
    `refused_sizes`) as the only description, "6.5 s" beside "0,2 %"."""
    testimonial = make_testimonial(probe=PROBE, flags=FLAGS, duration=6.5, original_size=6117090)

    html = moderator_client.get(_change(testimonial)).content.decode()
    summary = re.search(r'<dl class="moderation-summary">(.*?)</dl>', html, re.S).group(1)
    said = dict(
        (re.sub(r"<[^>]+>", "", dt), re.sub(r"<[^>]+>", "", dd))
        for dt, dd in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", summary, re.S)
    )

    assert said["Durée"] == "6,5 s"
    assert said["Orientation"].startswith("paysage")
    assert said["Qualité d&#x27;image"].startswith("bonne (HD, 720p), 30 images par seconde")
    assert said["Son"].startswith("mono, volume correct (-21,8\xa0LUFS)")
    assert "silence ou quasi-silence : 40% de la durée : 0,0–2,6 s" in said["Son"]
    assert said["Fichier envoyé"] == "6,1 Mo"
    assert said["Signalements"].startswith("Vidéo très courte : 6,5 s; Silence")
    # The raw facts are still there for the technical team, folded away.
    raw = html.index('<details class="moderation-raw">')
    assert html.index("<dt>timings.probe</dt>") > raw
    assert "<dt>video.variable_frame_rate</dt>" in html[raw:]
    before = html[:raw]
    assert "timings" not in before and "variable_frame_rate" not in before
    assert "6.5 s" not in html


def test_a_portrait_silent_low_resolution_video_is_said_so(moderator_client, make_testimonial):
    probe = {
        **PROBE,
        "video": {**PROBE["video"], "display_width": 360, "display_height": 640},
        "audio": None,
    }
    testimonial = make_testimonial(
        probe=probe, flags=[{"code": "no_audio", "label": "Pas de son", "detail": "no audio"}]
    )

    html = moderator_client.get(_change(testimonial)).content.decode()

    assert "portrait, tenue verticalement (360\xa0×\xa0640)" in html
    assert "faible (360p)" in html
    assert "aucun son : la vidéo est muette" in html
    assert "no audio" not in html.split('<details class="moderation-raw">')[0]


def test_the_history_names_who_and_the_statuses_in_french(
    moderator_client, make_testimonial, moderator
):
    """Before: "created → uploaded", "resident", "worker", the worker's flag codes."""
    testimonial = make_testimonial()
    moderator.first_name, moderator.last_name = "Camille", "Roux"
    moderator.save()
    for from_status, to_status, label, actor, note in [
        (Status.CREATED, Status.UPLOADED, "resident", None, ""),
        (Status.UPLOADED, Status.PROCESSING, "worker", None, ""),
        (Status.PROCESSING, Status.IN_REVIEW, "worker", None, "short, silence"),
        (Status.IN_REVIEW, Status.APPROVED, "", moderator, "Publication prévue le 7/12"),
    ]:
        TestimonialEvent.objects.create(
            testimonial=testimonial,
            from_status=from_status,
            to_status=to_status,
            actor_label=label,
            actor=actor,
            note=note,
        )

    html = moderator_client.get(_change(testimonial)).content.decode()
    history = html[html.index('class="module moderation-history"') :]
    history = re.sub(r"<[^>]+>", " ", history[: history.index("</table>")])
    history = re.sub(r"\s+", " ", history)

    assert "créé → envoyé" in history
    assert "en traitement → à modérer" in history
    assert "le résident" in history and "le traitement automatique" in history
    assert "Camille Roux" in history
    assert "signalements : trop court, silence" in history
    for raw in ("created", "uploaded", "resident", "worker", "short, silence"):
        assert raw not in history, raw


# --- 3. Deciding from the review page -------------------------------------------------------


def test_the_review_page_offers_approve_refuse_next_and_lists_the_keys(
    moderator_client, make_testimonial
):
    """Before: only links to confirmation pages, no next, no keyboard."""
    first, _second = _queue_of(make_testimonial, 2)

    html = moderator_client.get(_change(first)).content.decode()
    desk = re.search(r'<section class="moderation-desk".*?</section>', html, re.S).group(0)

    assert "témoignage 1 sur 2 dans la file" in desk
    for key in ("a", "r", "n"):
        assert f'data-desk-key="{key}" aria-keyshortcuts="{key}"' in desk
        assert f"<kbd>{key}</kbd>" in desk
    assert "ambassadors/admin/desk.js" in html
    assert 'class="moderation-player"' in html
    assert 'name="captions_text"' in html and 'name="captions_file"' in html


def test_approve_from_the_review_page_opens_the_next_testimonial(
    moderator_client, make_testimonial, broker, django_capture_on_commit_callbacks
):
    first, second, _third = _queue_of(make_testimonial, 3)
    form = desk_form(moderator_client.get(_change(first)).content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(form["action"], {"ids": form["ids"], "next": form["next"]})
    opened = moderator_client.get(response["Location"])

    first.refresh_from_db()
    assert first.status == Status.APPROVED and first.publish_at is not None
    assert opened["Location"] == _change(second)
    # Through the decision service: the resident's email and the social cuts are queued.
    assert [name for name, _args in broker.tasks()] == [
        "ambassadors.email_moderation_decision",
        "ambassadors.render_social_renditions",
    ]
    page = moderator_client.get(opened["Location"]).content.decode()
    assert "Approuver : 1 témoignage(s)." in page
    assert "témoignage 1 sur 2 dans la file" in page


def test_refuse_from_the_review_page_asks_the_reason_then_opens_the_next(
    moderator_client, make_testimonial, broker, django_capture_on_commit_callbacks
):
    first, second = _queue_of(make_testimonial, 2)
    html = moderator_client.get(_change(first)).content.decode()
    reject_url = re.search(r'href="([^"]+)" data-desk-key="r"', html).group(1).replace("&amp;", "&")
    page = moderator_client.get(reject_url).content.decode()
    assert 'name="reason"' in page
    # "Annuler" returns to the testimonial being reviewed, not to the next one.
    assert f'class="closelink" href="{_change(first)}"' in page
    reason = RejectionReason.objects.get(label="Son ou image inexploitable")
    next_url = re.search(r'name="next" value="([^"]+)"', page).group(1).replace("&amp;", "&")

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(
            reject_url, {"ids": str(first.pk), "reason": reason.pk, "next": next_url}
        )

    first.refresh_from_db()
    assert first.status == Status.REJECTED
    assert moderator_client.get(response["Location"])["Location"] == _change(second)
    assert [name for name, _args in broker.tasks()] == ["ambassadors.email_moderation_decision"]


def test_next_follows_the_queue_order_wraps_and_ends_on_the_empty_queue(
    moderator_client, make_testimonial
):
    first, second, third = _queue_of(make_testimonial, 3)

    def after(testimonial) -> str:
        html = moderator_client.get(_change(testimonial)).content.decode()
        link = re.search(r'href="([^"]+)" data-desk-key="n"', html).group(1)
        return moderator_client.get(link.replace("&amp;", "&"))["Location"]

    assert after(first) == _change(second)
    assert after(second) == _change(third)
    assert after(third) == _change(first)  # wraps to the oldest
    assert moderator_client.get(NEXT)["Location"] == _change(first)  # the queue's "n"
    Testimonial.objects.filter(pk__in=[first.pk, second.pk, third.pk]).update(
        status=Status.APPROVED
    )
    empty = moderator_client.get(NEXT, follow=True)
    assert empty.redirect_chain[-1][0] == QUEUE
    assert "La file de modération est vide" in empty.content.decode()


def test_approval_without_a_quote_is_refused_and_nothing_changes(
    moderator_client, make_testimonial, broker
):
    """Before: approved with an empty quote, and the public card showed empty quotes."""
    first, second = _queue_of(make_testimonial, 2, quote="")
    html = moderator_client.get(_change(first)).content.decode()
    assert "Citation manquante" in html
    form = desk_form(html)

    response = moderator_client.post(form["action"], {"ids": form["ids"], "next": form["next"]})

    first.refresh_from_db()
    assert first.status == Status.IN_REVIEW and first.publish_at is None
    assert not first.events.exists()
    assert broker.tasks() == []
    # The moderator stays on this testimonial to write the quote.
    assert response["Location"] == _change(first)
    page = moderator_client.get(response["Location"]).content.decode()
    assert "citation manquante : écrivez la citation" in page
    # The bulk approval of the change list says the same and leaves it in review.
    moderator_client.post(
        f"/admin/ambassadors/testimonial/moderate/approve/?ids={first.pk},{second.pk}",
        {"ids": f"{first.pk},{second.pk}"},
    )
    assert set(
        Testimonial.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == {Status.IN_REVIEW}


def test_a_viewer_without_the_moderation_right_gets_next_only(
    client, make_testimonial, django_user_model
):
    viewer = django_user_model.objects.create_user("lecteur", password="x", is_staff=True)
    viewer.groups.add(Group.objects.get(name="Campagnes"))
    viewer.user_permissions.add(
        *__import__(
            "django.contrib.auth.models", fromlist=["Permission"]
        ).Permission.objects.filter(codename="view_testimonial")
    )
    testimonial = make_testimonial()
    client.force_login(viewer)

    html = client.get(_change(testimonial)).content.decode()

    assert 'data-desk-key="n"' in html
    assert 'data-desk-key="a"' not in html and 'data-desk-key="r"' not in html
