"""A placement's QR downloads as the admin links them, and a campaign's codes as one ZIP."""

from django.contrib import admin
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from .. import printing
from ..models import Campaign, Placement


def qr_links(placement: Placement) -> str:
    """Links to the placement's code: SVG, PNG in two sizes, the PDF poster."""
    if not placement.pk:
        return "—"
    links = [
        ("svg", {}, "SVG"),
        ("png", {"size": 512}, "PNG 512"),
        ("png", {"size": 2048}, "PNG 2048"),
        ("pdf", {}, _("Affiche PDF")),
    ]
    return format_html_join(
        " · ",
        '<a href="{}?{}" download>{}</a>',
        (
            (
                reverse("admin:campaigns_placement_qr", args=[placement.pk, fmt]),
                "&".join(f"{k}={v}" for k, v in params.items()),
                label,
            )
            for fmt, params, label in links
        ),
    )


def qr_zip_response(campaign: Campaign) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        printing.campaign_qr_zip(campaign), content_type="application/zip"
    )
    name = f"qr-codes-{slugify(campaign.name)}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class QrDownloadsMixin:
    """The "QR code" column of a placement: on the campaign's page and in the placements' list."""

    @admin.display(description=_("QR code"))
    def qr_downloads(self, obj: Placement) -> str:
        return qr_links(obj)
