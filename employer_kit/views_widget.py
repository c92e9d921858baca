"""The widget a company embeds on its careers page, and its oEmbed answer."""

from urllib.parse import parse_qs, urlencode, urlparse

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import get_language
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from ambassadors import keys
from campaigns.selectors import sectors_all
from onprovence.encoders import MarkupSafeJSONEncoder
from onprovence.storage import public_storage

from . import selectors

# The widget's width and the height it starts at; the embed script (`static/js/kit-embed.js`)
# then sizes the frame to the widget's content (the widget posts its height).
WIDGET_SIZE = (640, 480)


def widget_url(sector_slug: str | None, language: str) -> str:
    """The widget's address in `language`, for one sector or all."""
    path = reverse("employer_kit:widget")
    if language.startswith("en"):
        path = "/en" + path if not path.startswith("/en/") else path
    query = f"?{urlencode({'secteur': sector_slug})}" if sector_slug else ""
    return f"{settings.SITE_URL}{path}{query}"


def oembed_url(page: str) -> str:
    """The oEmbed endpoint's address for a widget page."""
    return f"{settings.SITE_URL}{reverse('employer_kit:oembed')}?{urlencode({'url': page})}"


def _iframe_snippet(
    url: str, title: str, width: int = WIDGET_SIZE[0], height: int = WIDGET_SIZE[1]
) -> str:
    return format_html(
        '<iframe src="{}" width="{}" height="{}" title="{}" loading="lazy" '
        'style="border:0;max-width:100%" data-onprovence-widget></iframe>',
        url,
        width,
        height,
        title,
    )


def embed_snippet(url: str, title: str) -> str:
    """What a company pastes: the frame, and the script that sizes it to its content."""
    script = settings.SITE_URL + static("js/kit-embed.js")
    return _iframe_snippet(url, title) + format_html('\n<script src="{}" async></script>', script)


def _widget_sector(value: str | None):
    return next((s for s in sectors_all() if s.slug == value), None) if value else None


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@require_safe
def widget(request: HttpRequest) -> HttpResponse:
    """Published testimonials for a company's careers page: the one page allowed in a frame.

    It reads no session and sets no cookie; public renditions come straight from the store.
    """
    sector = _widget_sector(request.GET.get("secteur"))
    testimonials = selectors.widget_testimonials(sector_slug=sector.slug if sector else None)
    # A sector with no testimonial yet shows those of all sectors, and says so.
    fallback = sector is not None and not testimonials
    if fallback:
        testimonials = selectors.widget_testimonials(sector_slug=None)
    storage = public_storage()
    cards = [
        {
            "testimonial": testimonial,
            "video_url": storage.url(keys.testimonial_key(testimonial.pk, keys.WEB)),
            "poster_url": storage.url(keys.testimonial_key(testimonial.pk, keys.POSTER_JPEG)),
        }
        for testimonial in testimonials
    ]
    response = render(
        request,
        "employer_kit/widget.html",
        {
            "cards": cards,
            "sector": sector,
            "fallback": fallback,
            "campaign_url": settings.SITE_URL
            + ("/en/" if get_language().startswith("en") else "/"),
            "oembed_url": oembed_url(request.build_absolute_uri()),
        },
    )
    # Short: an unpublished testimonial leaves embedding pages within a minute.
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_safe
def oembed(request: HttpRequest) -> HttpResponse:
    """oEmbed (https://oembed.com/) for widget URLs: type "rich", an <iframe> to paste."""
    if request.GET.get("format", "json") != "json":
        return HttpResponse(status=501)
    url = request.GET.get("url", "")
    parsed = urlparse(url)
    site = urlparse(settings.SITE_URL)
    widget_paths = {reverse("employer_kit:widget"), "/en" + reverse("employer_kit:widget")}
    if parsed.netloc not in {site.netloc, request.get_host()} or parsed.path not in widget_paths:
        raise Http404
    language = "en" if parsed.path.startswith("/en/") else "fr"
    sector = _widget_sector((parse_qs(parsed.query).get("secteur") or [None])[0])
    width, height = WIDGET_SIZE
    try:
        width = min(width, int(request.GET.get("maxwidth", width)))
        height = min(height, int(request.GET.get("maxheight", height)))
    except ValueError:
        pass
    with translation.override(language):
        title = "One Provence — Tous Ambassadeurs" + (f" · {sector.display_name}" if sector else "")
    src = widget_url(sector.slug if sector else None, language)
    html = _iframe_snippet(src, title, width, height)
    response = JsonResponse(
        {
            "version": "1.0",
            "type": "rich",
            "provider_name": "One Provence",
            "provider_url": settings.SITE_URL + "/",
            "title": title,
            "html": html,
            "width": width,
            "height": height,
            "cache_age": 3600,
        },
        # The title holds a staff-typed sector name: no raw markup in the answer.
        encoder=MarkupSafeJSONEncoder,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response
