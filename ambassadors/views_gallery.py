"""Public gallery of published testimonials: the list, one page each, the embeddable player.

Every read goes through `ambassadors.selectors` (only `published` ever appears), so an
unpublished or erased testimonial is gone from these pages on the next request.
"""

import uuid
from urllib.parse import quote, urlencode

from csp.decorators import csp_replace
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from campaigns.selectors import sectors_all
from onprovence.storage import public_storage

from . import keys, selectors
from .models import Testimonial
from .services.transcript import testimonial_transcript

PER_PAGE = 24


def _published_or_404(testimonial_id: uuid.UUID) -> Testimonial:
    testimonial = selectors.testimonial_published_get(testimonial_id=testimonial_id)
    if testimonial is None:
        raise Http404
    return testimonial


@require_safe
def gallery(request: HttpRequest) -> HttpResponse:
    """All published testimonials, featured first, filterable by sector and commune."""
    sectors = list(sectors_all())
    sector_slug = request.GET.get("secteur", "")
    if sector_slug not in {sector.slug for sector in sectors}:
        sector_slug = ""
    communes = selectors.testimonials_published_communes(sector_slug=sector_slug or None)
    commune = request.GET.get("commune", "")
    if commune not in communes:
        commune = ""
    testimonials = selectors.testimonials_published(
        sector_slug=sector_slug or None, commune=commune or None
    ).order_by("-featured", "-published_at")
    page = Paginator(testimonials, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "ambassadors/gallery/index.html",
        {
            "page": page,
            "sectors": sectors,
            "communes": communes,
            "sector_slug": sector_slug,
            "commune": commune,
            "filtered": bool(sector_slug or commune),
        },
    )


def share_links(testimonial: Testimonial) -> list[tuple[str, str]]:
    """(network, URL) of each plain share link: a link to the network's own share page, no
    script or frame of theirs on ours (nothing loads from them until the visitor clicks)."""
    url = settings.SITE_URL + testimonial.get_absolute_url()
    name = testimonial.display_name or testimonial.first_name or _("Un habitant")
    text = _("Le témoignage de %(name)s · Tous Ambassadeurs") % {"name": name}
    return [
        ("LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})),
        ("Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
        ("X", "https://x.com/intent/tweet?" + urlencode({"text": text, "url": url})),
        ("WhatsApp", "https://wa.me/?" + urlencode({"text": f"{text} {url}"})),
        (
            _("E-mail"),
            "mailto:?" + urlencode({"subject": text, "body": f"{text}\n{url}"}, quote_via=quote),
        ),
    ]


@require_safe
def detail(request: HttpRequest, testimonial_id: uuid.UUID) -> HttpResponse:
    """One testimonial: the web video with its poster and captions, its transcript, sharing
    tags and links, and an invitation to testify in turn."""
    testimonial = _published_or_404(testimonial_id)
    return render(
        request,
        "ambassadors/gallery/detail.html",
        {
            "testimonial": testimonial,
            "site_url": settings.SITE_URL,
            "transcript": testimonial_transcript(testimonial),
            "share_links": share_links(testimonial),
            "journey_url": reverse("ambassadors:landing"),
        },
    )


@require_safe
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def player(request: HttpRequest, testimonial_id: uuid.UUID) -> HttpResponse:
    """The bare video player that social networks frame (twitter:player) and pages embed."""
    testimonial = _published_or_404(testimonial_id)
    return render(request, "ambassadors/gallery/player.html", {"testimonial": testimonial})


@require_safe
def captions(request: HttpRequest, testimonial_id: uuid.UUID) -> HttpResponse:
    """The published captions, from our own origin (a <track> needs no CORS then)."""
    testimonial = _published_or_404(testimonial_id)
    key = keys.testimonial_key(testimonial.pk, keys.CAPTIONS)
    storage = public_storage()
    if not testimonial.has_captions or not storage.exists(key):
        raise Http404
    with storage.open(key, "rb") as handle:
        response = HttpResponse(handle.read(), content_type="text/vtt; charset=utf-8")
    # Revalidated on each use: captions of an unpublished testimonial must not linger.
    response["Cache-Control"] = "no-cache"
    return response
