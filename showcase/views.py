"""The public pages: a campaign with its figures, sectors and testimonials; a sector with its
testimonials, figures and kit assets. Each body is rendered once and kept in the campaign
page cache (campaigns.pagecache) until something it shows changes.

The whole page (the layout around the body) is kept as well, per page, language and static
files' build, and answered as it is to the plain request: no query string (the language link
repeats it) and no flash message to show. A page is kept only if it carries no CSP nonce (a
nonce must be fresh per response: these pages have no inline script, and a page that
used one would be rendered per request rather than cached). The response goes through the
same middleware as any other, so its security headers, Content-Language and Vary are the
same, and it sets no cookie.
"""

import hashlib
from collections.abc import Callable
from functools import lru_cache

from django.contrib.messages import get_messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import translation
from django.views.decorators.http import require_safe

from ambassadors.selectors import testimonials_published
from campaigns import selectors
from campaigns.models import Campaign, Sector
from campaigns.pagecache import cached_page
from campaigns.services import campaign_preview_read
from campaigns.theme import campaign_theme_url
from employer_kit.selectors import kit_assets_available

HOME_TESTIMONIALS = 6
SECTOR_TESTIMONIALS = 12
SECTOR_KIT_ASSETS = 12


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
        "body": render_to_string("showcase/_campaign_body.html", context, request=request),
        "theme_url": campaign_theme_url(campaign),
    }


def _page(request: HttpRequest, page: dict, *, status: int = 200) -> HttpResponse:
    return render(request, "showcase/page.html", page, status=status)


@lru_cache(maxsize=1)
def _layout_build() -> str:
    """What the layout links to that changes with a deployment: the static files' hashed
    names (a page kept from the previous build would link to stylesheets that are gone)."""
    urls = "\n".join(static(name) for name in ("css/site.css", "img/favicon.svg"))
    return hashlib.sha256(urls.encode()).hexdigest()[:12]


def _plain(request: HttpRequest) -> bool:
    """The request gets the page everyone gets: no query string, no flash message (read from
    the messages cookie only: a request without one touches no session)."""
    return not request.META.get("QUERY_STRING") and not len(get_messages(request))


def _cached_response(
    request: HttpRequest, name: str, build_body: Callable[[], dict]
) -> HttpResponse:
    """The page `name` in the current language: the whole page from the cache for a plain
    request, else the layout rendered around the cached body."""
    name = f"{name}:{translation.get_language()}"
    if not _plain(request):
        return _page(request, cached_page(name, build_body))

    def build_page() -> dict:
        html = render_to_string(
            "showcase/page.html", cached_page(name, build_body), request=request
        )
        # django-csp generates the nonce only when a template reads it.
        return {"html": html, "nonce": getattr(request, "_csp_nonce", None) is not None}

    page = cached_page(
        f"{name}:html:{_layout_build()}", build_page, keep=lambda page: not page["nonce"]
    )
    return HttpResponse(page["html"])


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The campaign home: hero, key figures with sources, sectors, testimonials, the asks."""
    return _cached_response(
        request, "home", lambda: _campaign_body(request, selectors.campaign_current())
    )


@require_safe
def campaign(request: HttpRequest, slug: str) -> HttpResponse:
    """One live campaign by its slug (drafts and ended campaigns are not public)."""
    found = selectors.campaign_live(slug=slug)
    if found is None:
        raise Http404("no live campaign with this slug")
    return _cached_response(request, f"campaign:{found.pk}", lambda: _campaign_body(request, found))


@require_safe
def campaign_preview(request: HttpRequest, token: str) -> HttpResponse:
    """A campaign as it will look, for whoever holds the signed link (drafts included)."""
    campaign_id = campaign_preview_read(token=token)
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
        # What the public kit offers for the sector today (the kit's own rules decide).
        "kit_assets": list(kit_assets_available(sector_slug=sector.slug)[:SECTOR_KIT_ASSETS]),
        "sectors": list(selectors.sectors_all()),
    }
    return {
        "title": sector.display_name,
        "body": render_to_string("showcase/_sector_body.html", context, request=request),
        "theme_url": campaign_theme_url(current),
    }


@require_safe
def sector(request: HttpRequest, slug: str) -> HttpResponse:
    """One sector of excellence: its testimonials, its figures, its kit assets."""
    found = selectors.sector_by_slug(slug=slug)
    if found is None:
        raise Http404("no such sector")
    return _cached_response(request, f"sector:{found.pk}", lambda: _sector_body(request, found))
