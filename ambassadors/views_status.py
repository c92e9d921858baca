"""The resident's pages after sending, reached by the signed link of the emails and of the
journey's last page: where the testimonial is, a new video after a refusal, the withdrawal.
"""

from collections.abc import Callable
from typing import Any

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ambassadors import access, conf
from ambassadors.forms import OTHER_SECTOR, ConsentForm
from ambassadors.links import read_resident_token
from ambassadors.models import Status, Testimonial
from ambassadors.services import journey
from ambassadors.views import NEW_VIDEO_KEY, SESSION_KEY, _journey_testimonial, _too_many
from onprovence.ratelimit import ratelimit_request

STATUS_WORDS = {
    Status.CREATED: ("waiting", gettext_noop("En attente de votre vidéo")),
    Status.UPLOADED: ("received", gettext_noop("Vidéo reçue, en préparation")),
    Status.PROCESSING: ("received", gettext_noop("Vidéo reçue, en préparation")),
    Status.IN_REVIEW: ("review", gettext_noop("En cours de relecture par notre équipe")),
    Status.APPROVED: ("approved", gettext_noop("Acceptée, bientôt publiée")),
    Status.PUBLISHED: ("published", gettext_noop("Publiée")),
    Status.REJECTED: ("rejected", gettext_noop("Non retenue")),
    Status.WITHDRAWN: ("withdrawn", gettext_noop("Retirée : effacement en cours")),
    Status.ERASED: ("withdrawn", gettext_noop("Retirée et effacée")),
}
# Statuses that still change without the resident doing anything: the page keeps asking.
STATUS_MOVING = {Status.UPLOADED, Status.PROCESSING, Status.WITHDRAWN}


def _testimonial_from_token(token: str) -> Testimonial:
    try:
        testimonial_id = read_resident_token(token)
    except (signing.BadSignature, ValueError) as exc:
        raise Http404 from exc
    testimonial = journey.testimonial_for_resident(testimonial_id)
    if testimonial is None:
        raise Http404
    return testimonial


# Unpublished by the moderators (approved again, no date): not "bientôt publiée".
OFFLINE_WORDS = ("approved", gettext_noop("Retirée du site par notre équipe pour le moment"))


def _status_payload(testimonial: Testimonial) -> dict[str, Any]:
    stage, label = STATUS_WORDS[Status(testimonial.status)]
    if (
        testimonial.status == Status.APPROVED
        and testimonial.first_published_at
        and testimonial.publish_at is None
    ):
        stage, label = OFFLINE_WORDS
    return {
        "status": testimonial.status,
        "stage": stage,
        "label": _(label),
        "moving": testimonial.status in STATUS_MOVING,
    }


@never_cache
@require_http_methods(["GET", "HEAD"])
def status(request: HttpRequest, token: str) -> HttpResponse:
    """Where the resident's testimonial is; the page asks again by itself while it moves."""
    testimonial = _testimonial_from_token(token)
    payload = _status_payload(testimonial)
    if request.GET.get("format") == "json":
        return JsonResponse(payload)
    stages = [
        ("received", _("Vidéo reçue")),
        ("review", _("Relecture par notre équipe")),
        ("approved", _("Acceptée")),
        ("published", _("Publiée")),
    ]
    order = [stage for stage, _label in stages]
    current = order.index(payload["stage"]) if payload["stage"] in order else -1
    # Review is the one stage that lasts: while it is current it is not ticked as done.
    done_upto = current - 1 if payload["stage"] == "review" else current
    return render(
        request,
        "ambassadors/status.html",
        {
            "testimonial": testimonial,
            "payload": payload,
            "stages": [
                {"label": label, "done": index <= done_upto, "current": index == current}
                for index, (_stage, label) in enumerate(stages)
            ],
            "just_sent": request.GET.get("envoye") == "1",
            "withdraw_url": reverse("ambassadors:withdraw", args=[token]),
            "json_url": reverse("ambassadors:status", args=[token]) + "?format=json",
            "rejected": testimonial.status == Status.REJECTED,
            "new_video_url": reverse("ambassadors:new-video", args=[token]),
            "withdrawn": testimonial.status in (Status.WITHDRAWN, Status.ERASED),
            "public_url": (
                testimonial.get_absolute_url() if testimonial.status == Status.PUBLISHED else ""
            ),
            "access": access.status_page_access(testimonial=testimonial, token=token),
            "step": 5,
        },
    )


class NewVideoForm(ConsentForm):
    """The "about you" part of the journey's form, pre-filled from the refused testimonial:
    the consent it rests on was given already (`journey.new_video_consent`)."""

    CONSENT_FIELDS = ("age_group", "parental_consent", "parent_email", "release", "journey")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.CONSENT_FIELDS:
            del self.fields[name]


def _new_video_initial(testimonial: Testimonial) -> dict[str, str]:
    return {
        "first_name": testimonial.first_name,
        "last_name": testimonial.last_name,
        "email": testimonial.email,
        "commune": testimonial.commune,
        "sector": testimonial.sector.slug if testimonial.sector else OTHER_SECTOR,
        "job_title": testimonial.job_title,
    }


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def new_video(request: HttpRequest, token: str) -> HttpResponse:
    """After a refusal: send a new video in the same consent session (the link of the refusal
    email and of the status page). The form comes pre-filled; the consent is not asked again
    while it holds, else the resident starts from the consent page."""
    testimonial = _testimonial_from_token(token)
    status_url = reverse("ambassadors:status", args=[token])
    if testimonial.status != Status.REJECTED:
        return redirect(status_url)
    # Back from the record page: the new testimonial this session started is still waiting.
    current = _journey_testimonial(request)
    if (
        current is not None
        and current.status == Status.CREATED
        and request.session.get(NEW_VIDEO_KEY) == str(testimonial.pk)
        and request.method != "POST"
    ):
        return redirect("ambassadors:record")
    consent = journey.new_video_consent(testimonial)
    if request.method == "POST" and consent is not None:
        form = NewVideoForm(request.POST)
        # The consent form's limit: each start creates a testimonial.
        if not ratelimit_request(request, scope="consent", rate=conf.consent_rate()):
            return _too_many(request)
        if form.is_valid():
            try:
                started = journey.testimonial_start_again(
                    refused_id=testimonial.pk, about=form.about_you()
                )
            except journey.JourneyError:
                return redirect(request.path)
            request.session.cycle_key()
            request.session[SESSION_KEY] = str(started.pk)
            request.session[NEW_VIDEO_KEY] = str(testimonial.pk)
            return redirect("ambassadors:record")
    else:
        form = NewVideoForm(initial=_new_video_initial(testimonial))
    return render(
        request,
        "ambassadors/new_video.html",
        {
            "form": form,
            "consent": consent,
            "consent_url": reverse("ambassadors:consent"),
            "status_url": status_url,
            "step": 2,
        },
        status=400 if form.is_bound else 200,
    )


def withdrawal_confirmed(
    request: HttpRequest, *, already: bool, withdraw: Callable[[], object]
) -> bool:
    """The withdrawal pages ask once: a POST withdraws unless it is already done. True once
    the testimonial is withdrawn, now or before."""
    if request.method == "POST" and not already:
        withdraw()
        return True
    return already


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    """Ask once for confirmation, then withdraw; the purge task erases files and data."""
    testimonial = _testimonial_from_token(token)
    done = withdrawal_confirmed(
        request,
        already=testimonial.status in (Status.WITHDRAWN, Status.ERASED),
        withdraw=lambda: journey.testimonial_withdraw(testimonial_id=testimonial.pk),
    )
    return render(
        request,
        "ambassadors/withdraw.html",
        {
            "done": done,
            "status_url": reverse("ambassadors:status", args=[token]),
        },
    )
