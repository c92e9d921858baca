"""Public campaign pages and the tracked QR redirect."""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.views.decorators.http import etag, require_safe

from ambassadors.selectors import testimonials_published

from . import selectors, services
from .models import Campaign, Sector
from .pagecache import cached_page
from .scans import scan_record
from .theme import YEAR_SECONDS, Theme, campaign_theme_url

HOME_TESTIMONIALS = 6
SECTOR_TESTIMONIALS = 12
MAX_CODE_LENGTH = 32


def _featured_testimonials(*, sector_slug: str | None, limit: int) -> list:
    # Moderators' "à la une" first, then the newest.
    return list(
        testimonials_published(sector_slug=sector_slug).order_by("-featured", "-published_at")[
            :limit
        ]
    )


def _campaign_body(request: HttpRequest, campaign: Campaign | None) -> dict:
    context = {
        "campaign": campaign,
        "figures": list(selectors.key_figures_general()),
        "sectors": list(selectors.sectors_all()),
        "testimonials": _featured_testimonials(sector_slug=None, limit=HOME_TESTIMONIALS),
    }
    title = campaign.display_title if campaign else ""
    return {
        "title": title,
        "body": render_to_string("campaigns/_campaign_body.html", context, request=request),
        "theme_url": campaign_theme_url(campaign),
    }


def _page(request: HttpRequest, page: dict, *, status: int = 200) -> HttpResponse:
    return render(request, "campaigns/page.html", page, status=status)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The campaign home: hero, key figures with sources, sectors, testimonials, the asks."""
    page = cached_page(
        f"home:{translation.get_language()}",
        lambda: _campaign_body(request, selectors.campaign_current()),
    )
    return _page(request, page)


@require_safe
def campaign(request: HttpRequest, slug: str) -> HttpResponse:
    """One live campaign by its slug (drafts and ended campaigns are not public)."""
    found = selectors.campaign_live(slug=slug)
    if found is None:
        raise Http404("no live campaign with this slug")
    page = cached_page(
        f"campaign:{found.pk}:{translation.get_language()}",
        lambda: _campaign_body(request, found),
    )
    return _page(request, page)


@require_safe
def campaign_preview(request: HttpRequest, token: str) -> HttpResponse:
    """A campaign as it will look, for whoever holds the signed link (drafts included)."""
    campaign_id = services.campaign_preview_read(token=token)
    found = Campaign.objects.filter(pk=campaign_id).first() if campaign_id else None
    if found is None:
        raise Http404("invalid or expired preview link")
    page = {**_campaign_body(request, found), "preview": found}
    response = _page(request, page)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


def _sector_body(request: HttpRequest, sector: Sector) -> dict:
    current = selectors.campaign_current()
    context = {
        "sector": sector,
        "campaign": current,
        "figures": list(selectors.key_figures_of_sector(sector=sector)),
        "general_figures": list(selectors.key_figures_general()),
        "testimonials": _featured_testimonials(sector_slug=sector.slug, limit=SECTOR_TESTIMONIALS),
        "kit_assets": selectors.kit_assets_of_sector(sector=sector),
        "sectors": list(selectors.sectors_all()),
    }
    return {
        "title": sector.display_name,
        "body": render_to_string("campaigns/_sector_body.html", context, request=request),
        "theme_url": campaign_theme_url(current),
    }


@require_safe
def sector(request: HttpRequest, slug: str) -> HttpResponse:
    """One sector of excellence: its testimonials, its figures, its kit assets."""
    found = selectors.sector_by_slug(slug=slug)
    if found is None:
        raise Http404("no such sector")
    page = cached_page(
        f"sector:{found.pk}:{translation.get_language()}", lambda: _sector_body(request, found)
    )
    return _page(request, page)


@require_safe
def scan(request: HttpRequest, code: str) -> HttpResponse:
    """Count one scan of a printed QR code and send the phone to the placement's destination.

    Reads nothing about the person (no IP, no user agent) and sets no cookie. HEAD requests
    (link previews) are answered without being counted.
    """
    outcome, is_open = None, False
    if len(code) <= MAX_CODE_LENGTH:
        outcome, is_open = scan_record(code=code, count=request.method == "GET")
    # /q/ sits outside the language prefix: the phone's language chooses the page's.
    language = translation.get_language_from_request(request)
    if outcome is None or not is_open:
        with translation.override(language):
            response = render(
                request,
                "campaigns/scan_closed.html",
                {"unknown": outcome is None, "theme_url": outcome.theme_url if outcome else ""},
                status=404 if outcome is None else 410,
            )
    else:
        url = outcome.url
        if language == "en" and url.startswith("/") and not url.startswith("/en/"):
            url = "/en" + url
        response = HttpResponseRedirect(url)
    response["Content-Language"] = language
    # A cached redirect would skip the count on the next scan.
    response["Cache-Control"] = "no-store"
    return response


def _theme_of_url(request: HttpRequest, primary: str, accent: str) -> Theme:
    # The URL pattern lets only six lower-case hexadecimal digits through for each colour.
    return Theme(primary=f"#{primary}", accent=f"#{accent}")


@require_safe
@etag(lambda request, primary, accent: _theme_of_url(request, primary, accent).version)
def theme_stylesheet(request: HttpRequest, primary: str, accent: str) -> HttpResponse:
    """A campaign's colours as CSS custom properties (linked by its pages; CSP allows 'self')."""
    theme = _theme_of_url(request, primary, accent)
    response = HttpResponse(theme.css, content_type="text/css; charset=utf-8")
    if request.GET.get("v") == theme.version:
        # Pages link the address with the version of its content: it never changes.
        response["Cache-Control"] = f"public, max-age={YEAR_SECONDS}, immutable"
    else:
        # An old page (before a deployment changed the CSS): revalidate with the ETag.
        response["Cache-Control"] = "public, no-cache"
    return response
