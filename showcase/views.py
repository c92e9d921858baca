"""The public pages: a campaign with its figures, sectors and testimonials; a sector with its
testimonials, figures and kit assets. Each body is rendered once and kept in the campaign
page cache (campaigns.pagecache) until something it shows changes."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
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
    page = cached_page(
        f"sector:{found.pk}:{translation.get_language()}", lambda: _sector_body(request, found)
    )
    return _page(request, page)
