"""The resident's part-upload API: start, sign parts, state, complete, and the local part PUT.

JSON in and out; the session (set by the consent view) and Django's CSRF header protect every
call but the local part PUT, whose signed URL is the credential. Views only parse input and
call services (ambassadors.services.journey, ambassadors.uploads, media_budget).
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ambassadors import conf, uploads
from ambassadors.models import Status, Testimonial
from ambassadors.services import journey, media_budget
from ambassadors.views import _journey_testimonial, _status_url
from onprovence.ratelimit import client_ip, ratelimit_request

SIGN_BATCH_MAX = 50
# The start answers with the URLs of the first parts (the uploader's first batch), sparing
# every upload one request while all the residents of a campaign peak start together.
FIRST_URLS = 10


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    return data if isinstance(data, dict) else {}


def _refused(error: uploads.UploadRefused, status: int = 400) -> JsonResponse:
    return JsonResponse(
        {"error": str(error.message), "code": error.code, "parts": error.parts}, status=status
    )


def _unavailable(error: uploads.StorageUnavailable) -> JsonResponse:
    """The store is away: a 503 the uploader retries by itself, with a message it can show."""
    response = JsonResponse({"error": str(error.message), "code": error.code}, status=503)
    response["Retry-After"] = "5"
    return response


def _session_from(testimonial: Testimonial, data: dict) -> uploads.UploadSession:
    return uploads.session_from_token(str(data.get("upload", "")), testimonial_id=testimonial.pk)


def _no_journey() -> JsonResponse:
    return JsonResponse(
        {
            "error": _("Votre session a expiré. Recommencez depuis la page d'accueil."),
            "code": "no_journey",
        },
        status=403,
    )


def journey_api(
    view: Callable[[HttpRequest, Testimonial], JsonResponse],
) -> Callable[[HttpRequest], JsonResponse]:
    """A POST of the resident's journey: the view gets the session's testimonial, or the
    caller is told the session has expired."""

    @require_POST
    @wraps(view)
    def api(request: HttpRequest) -> JsonResponse:
        testimonial = _journey_testimonial(request)
        if testimonial is None:
            return _no_journey()
        return view(request, testimonial)

    return api


@journey_api
def upload_start(request: HttpRequest, testimonial: Testimonial) -> JsonResponse:
    if not ratelimit_request(request, scope="upload-start", rate=conf.upload_start_rate()):
        return JsonResponse(
            {
                "error": _("Trop d'essais depuis votre connexion. Réessayez dans une heure."),
                "code": "rate_limited",
            },
            status=429,
        )
    if media_budget.media_budget_exhausted(client_ip=client_ip(request)):
        return JsonResponse(
            {
                "error": _(
                    "Beaucoup de vidéos ont déjà été envoyées aujourd'hui depuis votre "
                    "connexion. Réessayez demain, ou depuis un autre réseau (par exemple les "
                    "données mobiles de votre téléphone)."
                ),
                "code": "media_budget",
            },
            status=429,
        )
    data = _json_body(request)
    try:
        size = int(data.get("size", 0))
        duration = float(data.get("duration") or 0)
    except (TypeError, ValueError, OverflowError):  # JSON allows Infinity
        return JsonResponse({"error": _("Requête invalide."), "code": "invalid"}, status=400)
    if duration > conf.MAX_DURATION_SECONDS + 1:
        return JsonResponse(
            {
                "error": _("Cette vidéo dure plus de %(max)s secondes.")
                % {"max": int(conf.MAX_DURATION_SECONDS)},
                "code": "duration",
            },
            status=400,
        )
    try:
        session = journey.testimonial_upload_start(
            testimonial_id=testimonial.pk, size=size, content_type=str(data.get("type", ""))
        )
    except uploads.UploadRefused as error:
        return _refused(error)
    except uploads.StorageUnavailable as error:
        return _unavailable(error)
    except journey.JourneyError as error:
        return JsonResponse(
            {"error": str(error.message), "code": "done", "redirect": _status_url(testimonial)},
            status=409,
        )
    first = range(1, min(session.part_count, FIRST_URLS) + 1)
    urls = uploads.upload_sign_parts(session=session, numbers=list(first))
    return JsonResponse(
        {
            "upload": uploads.session_token(session),
            "partSize": session.part_size,
            "partCount": session.part_count,
            "urls": {str(number): url for number, url in urls.items()},
        }
    )


@journey_api
def upload_sign(request: HttpRequest, testimonial: Testimonial) -> JsonResponse:
    if testimonial.status != Status.CREATED:
        return JsonResponse(
            {"error": "", "code": "done", "redirect": _status_url(testimonial)}, status=409
        )
    data = _json_body(request)
    try:
        session = _session_from(testimonial, data)
        numbers = [int(number) for number in data.get("parts", [])][:SIGN_BATCH_MAX]
        urls = uploads.upload_sign_parts(session=session, numbers=numbers)
    except uploads.UploadRefused as error:
        return _refused(error)
    except (TypeError, ValueError, OverflowError):
        return JsonResponse({"error": _("Requête invalide."), "code": "invalid"}, status=400)
    return JsonResponse({"urls": {str(number): url for number, url in urls.items()}})


@journey_api
def upload_state(request: HttpRequest, testimonial: Testimonial) -> JsonResponse:
    if testimonial.status != Status.CREATED:
        return JsonResponse({"done": True, "redirect": _status_url(testimonial, envoye="1")})
    try:
        session = _session_from(testimonial, _json_body(request))
        parts = uploads.upload_parts(session=session)
    except uploads.UploadRefused as error:
        return _refused(error)
    except uploads.StorageUnavailable as error:
        return _unavailable(error)
    return JsonResponse(
        {
            "parts": {str(number): size for number, size in parts.items()},
            "partSize": session.part_size,
            "partCount": session.part_count,
            "size": session.size,
        }
    )


@journey_api
def upload_complete(request: HttpRequest, testimonial: Testimonial) -> JsonResponse:
    try:
        session = _session_from(testimonial, _json_body(request))
        # Before the completion queues the processing: the worker charges this client.
        media_budget.media_budget_remember(
            testimonial_id=testimonial.pk, client_ip=client_ip(request)
        )
        # No rate limit here: the emails that follow a legitimate consent are always sent (the
        # consent and the upload start, which create work, are the limited requests).
        testimonial = journey.testimonial_upload_complete(
            testimonial_id=testimonial.pk, session=session
        )
    except uploads.UploadRefused as error:
        return _refused(error, status=409)
    except uploads.StorageUnavailable as error:
        return _unavailable(error)
    except journey.JourneyError as error:
        return JsonResponse({"error": str(error.message), "code": "done"}, status=409)
    return JsonResponse({"done": True, "redirect": _status_url(testimonial, envoye="1")})


@csrf_exempt  # the signed URL is the credential, as a presigned S3 URL is
@require_http_methods(["PUT"])
def upload_part(request: HttpRequest, token: str) -> HttpResponse:
    """Local backend: stream one part of a video to disk, never holding it in memory."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or -1)
    except ValueError:
        length = -1
    if length < 0:
        return JsonResponse({"error": _("Requête invalide."), "code": "invalid"}, status=411)
    try:
        etag = journey.testimonial_upload_part(token=token, stream=request, length=length)
    except uploads.UploadRefused as error:
        return _refused(error, status=403 if error.code == "expired" else 400)
    response = HttpResponse(status=200)
    response["ETag"] = f'"{etag}"'
    return response
