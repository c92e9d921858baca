"""The resident's right of access, from their status link: their data and their video.

Both answer only to the signed status token (`ambassadors.links`); nothing is given once the
testimonial is withdrawn (its erasure is under way) or erased.
"""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ambassadors import access
from ambassadors.models import Testimonial
from ambassadors.views_status import _testimonial_from_token
from onprovence.storage import private_url

# A presigned link to the original: long enough to start the download, not to be passed on.
VIDEO_LINK_SECONDS = 300
# ffprobe's format names, most specific first ("mov,mp4,m4a,…" is MP4 or QuickTime: .mp4).
VIDEO_EXTENSIONS = {"webm": ".webm", "matroska": ".mkv", "mp4": ".mp4", "mov": ".mov"}


def _held(token: str) -> Testimonial:
    testimonial = _testimonial_from_token(token)
    if testimonial.status in access.GONE:
        raise Http404("withdrawn or erased: nothing held")
    return testimonial


def video_download_name(testimonial: Testimonial) -> str:
    formats = str((testimonial.probe or {}).get("format_name", "")).split(",")
    extension = next((ext for name, ext in VIDEO_EXTENSIONS.items() if name in formats), "")
    return f"ma-video-one-provence{extension}"


@never_cache
@require_safe
def access_data(request: HttpRequest, token: str) -> HttpResponse:
    """Everything held about the resident, as a JSON file to keep."""
    testimonial = _held(token)
    video_url = ""
    if testimonial.original_key:
        video_url = request.build_absolute_uri(reverse("ambassadors:access-video", args=[token]))
    data = access.testimonial_access_data(testimonial=testimonial, video_url=video_url)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = 'attachment; filename="mes-donnees-one-provence.json"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_safe
def access_video(request: HttpRequest, token: str) -> HttpResponse:
    """The original video as sent, through a link to the private store that expires soon."""
    testimonial = _held(token)
    if not testimonial.original_key:
        raise Http404("no original video held")
    url = private_url(
        testimonial.original_key,
        expires=VIDEO_LINK_SECONDS,
        download_name=video_download_name(testimonial),
    )
    response = HttpResponseRedirect(url)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
