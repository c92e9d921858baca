"""The resident's journey: landing, about you and consent, record or choose, send (the pages
after it, reached by the signed link: `views_status`).

Views only parse input and call services (ambassadors.services.journey, ambassadors.uploads).
Anonymous visitors get no cookie before they submit the consent form: the landing page has no
form, and the consent form is protected by an Origin check and a signed, timestamped token
instead of Django's CSRF cookie. Every later step uses the session and Django's CSRF check.
"""

from typing import Any
from urllib.parse import urlencode

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ambassadors import conf, uploads
from ambassadors.forms import (
    CHILD_REFUSAL,
    AgeGroup,
    ConsentForm,
    consent_form_after_refusal,
    journey_token,
)
from ambassadors.links import resident_token
from ambassadors.models import Status, Testimonial
from ambassadors.services import journey
from ambassadors.services.consent import consent_text_shown
from campaigns.selectors import placement_by_code
from onprovence.ratelimit import ratelimit_request
from onprovence.security import same_origin

SESSION_KEY = "ambassadors_testimonial"
# The refused testimonial a new video in this session follows (`new_video`).
NEW_VIDEO_KEY = "ambassadors_new_video_after"
# Shown on the landing page and kept in view while recording.
PROMPTS = [
    gettext_noop("Pourquoi avez-vous choisi de vivre ici ?"),
    gettext_noop("Qu'est-ce que vous aimez dans votre métier, ici ?"),
    gettext_noop("Que diriez-vous à quelqu'un qui hésite à venir ?"),
]


def _prompts() -> list[str]:
    return [_(prompt) for prompt in PROMPTS]


def _journey_testimonial(request: HttpRequest) -> Testimonial | None:
    testimonial_id = request.session.get(SESSION_KEY)
    return journey.testimonial_for_resident(testimonial_id) if testimonial_id else None


def _status_url(testimonial: Testimonial, **query: str) -> str:
    url = reverse("ambassadors:status", args=[resident_token(testimonial.pk)])
    return f"{url}?{urlencode(query)}" if query else url


def _limits() -> dict[str, Any]:
    """The limits every journey page says and the recorder applies: one place (conf.py)."""
    return {
        "maxBytes": conf.MAX_UPLOAD_BYTES,
        "maxSeconds": round(conf.MAX_DURATION_SECONDS),
        "minSeconds": round(conf.MIN_DURATION_SECONDS),
        "recordSeconds": conf.RECORDING_LIMIT_SECONDS,
        "videoBitsPerSecond": conf.RECORDING_VIDEO_BITS_PER_SECOND,
        "audioBitsPerSecond": conf.RECORDING_AUDIO_BITS_PER_SECOND,
        "bitrateCodecs": list(conf.RECORDING_BITRATE_CODECS),
        "types": sorted(uploads.ALLOWED_CONTENT_TYPES),
    }


def _js_messages() -> dict[str, str]:
    """Texts the recorder and the uploader show, in the page's language."""
    return {
        "cameraError": _(
            "Impossible d'utiliser la caméra. Vous pouvez choisir une vidéo ci-dessous."
        ),
        "noCamera": _("Filmer ou choisir une vidéo"),
        "notVideo": _("Ce fichier n'est pas une vidéo. Choisissez une vidéo MP4, MOV ou WebM."),
        "unreadable": _(
            "Ce fichier ne peut pas être lu comme une vidéo : il est peut-être abîmé ou "
            "incomplet. Choisissez une autre vidéo."
        ),
        "tooBig": _("Cette vidéo est trop lourde : %(max)s au maximum."),
        "tooLong": _("Cette vidéo dure %(seconds)s secondes : %(max)s secondes au maximum."),
        "tooShort": _("Cette vidéo est trop courte : %(min)s secondes au minimum."),
        "countdown": _("L'enregistrement commence dans %(n)s"),
        "cameraSwitched": _("Caméra changée"),
        "recording": _("Enregistrement en cours"),
        "stopped": _("Enregistrement terminé. Regardez votre vidéo avant de l'envoyer."),
        "limitReached": _("Durée maximale atteinte : l'enregistrement s'est arrêté."),
        "videoInfo": _("Durée : %(seconds)s s · Taille : %(size)s"),
        "keepError": _("Impossible de garder la vidéo dans ce navigateur. Réessayez."),
        "preparing": _("Préparation de l'envoi…"),
        "sending": _("Envoi en cours…"),
        "offline": _("Connexion perdue : l'envoi reprendra tout seul dès son retour."),
        "retrying": _("La connexion est instable : nouvel essai…"),
        "finishing": _("Vérification de la vidéo reçue…"),
        "done": _("Vidéo envoyée !"),
        "noVideo": _("Aucune vidéo à envoyer ici. Revenez à l'étape précédente."),
        "failed": _("L'envoi n'a pas abouti. Vérifiez votre connexion puis réessayez."),
        "percentSent": _("%(percent)s envoyés"),
        "megabytes": _("Mo"),
        "recordingEmpty": _(
            "Ce navigateur n'a rien enregistré. Filmez avec l'appareil photo du téléphone ou "
            "choisissez une vidéo ci-dessous."
        ),
        "keptInMemory": _(
            "Ce navigateur n'a pas pu garder la vidéo : elle part depuis cette page. Gardez-la "
            "ouverte ; si vous la rechargez, il faudra choisir la vidéo à nouveau."
        ),
    }


# --- Pages ------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def landing(request: HttpRequest) -> HttpResponse:
    """What we ask, why, how long, what happens to the video; counts the funnel's landing."""
    code = request.GET.get("p", "")[:16]
    placement = placement_by_code(code) if code else None
    if request.method == "GET":
        journey.journey_count(placement_id=placement.pk if placement else None, step="landing")
    start_url = reverse("ambassadors:consent")
    if placement:
        start_url += "?" + urlencode({"p": placement.code})
    return render(
        request,
        "ambassadors/landing.html",
        {
            "start_url": start_url,
            "prompts": _prompts(),
            "limits": _limits(),
            "step": 1,
        },
    )


@csrf_exempt  # no cookie before consent: Origin check + signed timestamped token instead
@require_http_methods(["GET", "HEAD", "POST"])
def consent(request: HttpRequest) -> HttpResponse:
    """About you and the image-rights release; creates the testimonial and the consent proof."""
    consent_text = journey.consent_text_current()
    if consent_text is None:
        raise Http404("no consent text in force")
    language = "en" if (get_language() or "fr").startswith("en") else "fr"
    child_refused = False
    if request.method == "POST":
        if not same_origin(request):
            return HttpResponseForbidden(_("Ce formulaire doit être envoyé depuis notre site."))
        form = ConsentForm(request.POST)
        if not ratelimit_request(request, scope="consent", rate=conf.consent_rate()):
            return _too_many(request)
        valid = form.is_valid()
        blank = consent_form_after_refusal(form)
        if blank is not None:  # under 15: refused, and nothing typed is kept or shown again
            form, child_refused = blank, True
        # Consent only to the version the page showed: if another came into force meanwhile,
        # show it and ask again (the proof stores the text of the version accepted).
        if valid and request.POST.get("consent_version", consent_text.version) != (
            consent_text.version
        ):
            form.add_error("release", _("Le texte d'autorisation a changé : lisez-le ci-dessous."))
            valid = False
        if valid:
            data = form.cleaned_data
            placement = placement_by_code(data["journey"]) if data["journey"] else None
            is_minor = data["age_group"] == AgeGroup.MINOR
            testimonial = journey.testimonial_start(
                **form.about_you(),
                language=language,
                placement=placement,
                consent_text=consent_text,
                choices={
                    "release": True,
                    "age_group": data["age_group"],
                    "parental_consent": bool(is_minor and data["parental_consent"]),
                },
                is_minor=is_minor,
                parent_email=data["parent_email"] if is_minor else "",
            )
            request.session.cycle_key()
            request.session[SESSION_KEY] = str(testimonial.pk)
            return redirect("ambassadors:record")
    else:
        form = ConsentForm(initial={"journey": journey_token(request.GET.get("p", "")[:16])})
    # What the page shows is what the proof stores and hashes (ambassadors.services.consent).
    shown = consent_text_shown(consent_text=consent_text, language=language)
    return render(
        request,
        "ambassadors/consent.html",
        {
            "form": form,
            "consent_text": consent_text,
            "consent_title": shown.title,
            "consent_paragraphs": shown.paragraphs,
            "child_refused": child_refused,
            "child_refusal": CHILD_REFUSAL,
            "step": 2,
        },
        status=400 if form.is_bound or child_refused else 200,
    )


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "ambassadors/too_many.html", status=429)


def _journey_page(request: HttpRequest, template: str, step: int) -> HttpResponse:
    testimonial = _journey_testimonial(request)
    if testimonial is None:
        return redirect("ambassadors:landing")
    if testimonial.status != Status.CREATED:
        return HttpResponseRedirect(_status_url(testimonial))
    config = {
        "testimonial": str(testimonial.pk),
        "limits": _limits(),
        "urls": {
            "record": reverse("ambassadors:record"),
            "send": reverse("ambassadors:send"),
            "start": reverse("ambassadors:upload-start"),
            "sign": reverse("ambassadors:upload-sign"),
            "state": reverse("ambassadors:upload-state"),
            "complete": reverse("ambassadors:upload-complete"),
        },
    }
    return render(
        request,
        template,
        {
            "config": config,
            "js_messages": _js_messages(),
            "prompts": _prompts(),
            "step": step,
            "limits": _limits(),
            "max_megabytes": conf.MAX_UPLOAD_BYTES // (1024 * 1024),
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD"])
def record(request: HttpRequest) -> HttpResponse:
    """Record with the camera, or choose a video already on the phone."""
    return _journey_page(request, "ambassadors/record.html", 3)


@never_cache
@require_http_methods(["GET", "HEAD"])
def send(request: HttpRequest) -> HttpResponse:
    """Send the chosen video in parts, with progress; resumes after a drop or a reload."""
    return _journey_page(request, "ambassadors/send.html", 4)
