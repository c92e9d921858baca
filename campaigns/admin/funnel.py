"""The funnel: a campaign's dashboard (counts, conversions, reach, a chart) and its CSV export,
and the counts themselves, to look at only."""

from datetime import date, timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from .. import selectors, services
from ..charts import bars_svg
from ..models import Campaign, FunnelCount
from ..scans import scan_counts_flush
from .qr import qr_links

MAX_DASHBOARD_DAYS = 366

# The funnel's steps as the dashboard names them, and each one's conversion "of the step before".
FUNNEL_LABELS = [
    ("scan", _("Scans"), ""),
    ("landing", _("Visites"), _("des scans")),
    ("recording_started", _("Enregistrements commencés"), _("des visites")),
    ("upload_completed", _("Envois terminés"), _("des enregistrements commencés")),
    ("published", _("Publiés"), _("des envois terminés")),
]


def _percent(share: float) -> str:
    """A share as the admin writes it: "34,5 %" (one decimal, narrow no-break space)."""
    return f"{number_format(round(100 * share, 1), 1)}\u202f%"


def _funnel_cells(row: selectors.FunnelRow) -> list[tuple[int, str]]:
    """Each step's count and its conversion from the step before ("" for the first step, "—"
    when the step before counted nothing)."""
    conversions = dict(row.conversions())
    cells = []
    for step in selectors.FUNNEL_STEPS:
        if step not in conversions:
            cells.append((row.counts[step], ""))
            continue
        share = conversions[step]
        cells.append((row.counts[step], _percent(share) if share is not None else "—"))
    return cells


class FunnelDashboardMixin:
    """The campaign's dashboard and CSV views (`CampaignAdmin` routes them)."""

    def _period(self, request: HttpRequest, campaign: Campaign) -> tuple[date, date, str]:
        """The period to show and, when it is not the one asked for, a sentence saying which
        one is shown and why (a period asked for is never changed silently)."""
        today = timezone.localdate()
        last = min(today, campaign.ends_on) if campaign.ends_on else today
        first = campaign.starts_on if campaign.starts_on <= last else last - timedelta(days=29)
        start, end = first, last
        asked = bool(request.GET.get("du") or request.GET.get("au"))
        try:
            start = date.fromisoformat(request.GET.get("du") or first.isoformat())
            end = date.fromisoformat(request.GET.get("au") or last.isoformat())
        except ValueError:
            messages.error(request, _("Dates invalides : utilisez le format AAAA-MM-JJ."))
            start, end, asked = first, last, False
        if end < start:
            start, end = end, start
        asked_start, asked_end = start, end
        reasons = []
        # Nothing is counted before the campaign's first count (or start) nor after today.
        earliest = selectors.campaign_first_count_day(campaign=campaign) or campaign.starts_on
        floor = min(earliest, campaign.starts_on)
        if start < floor:
            start = min(floor, end)
            reasons.append(
                _("rien n'est compté avant le %s") % date_format(floor, "SHORT_DATE_FORMAT")
            )
        if end > today:
            end = max(today, start)
            reasons.append(_("ni après aujourd'hui"))
        if (end - start).days + 1 > MAX_DASHBOARD_DAYS:
            start = end - timedelta(days=MAX_DASHBOARD_DAYS - 1)
            reasons.append(_("le tableau montre %s jours au plus") % MAX_DASHBOARD_DAYS)
        notice = ""
        if asked and (start, end) != (asked_start, asked_end):
            notice = _(
                "Période demandée : du %(asked_start)s au %(asked_end)s. Période affichée : du "
                "%(start)s au %(end)s (%(reasons)s)."
            ) % {
                "asked_start": date_format(asked_start, "SHORT_DATE_FORMAT"),
                "asked_end": date_format(asked_end, "SHORT_DATE_FORMAT"),
                "start": date_format(start, "SHORT_DATE_FORMAT"),
                "end": date_format(end, "SHORT_DATE_FORMAT"),
                "reasons": ", ".join(str(reason) for reason in reasons),
            }
        return start, end, notice

    def _funnel(self, request: HttpRequest, pk: int) -> tuple[selectors.CampaignFunnel, str]:
        campaign = get_object_or_404(Campaign, pk=pk)
        try:
            scan_counts_flush()  # show the scans of the last minute too
        except Exception as error:
            messages.warning(request, _("Compteurs en attente indisponibles : %s") % error)
        start, end, notice = self._period(request, campaign)
        return selectors.campaign_funnel(campaign=campaign, start=start, end=end), notice

    def funnel_view(self, request: HttpRequest, pk: int) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        funnel, period_notice = self._funnel(request, pk)
        series = [(day, funnel.by_day[day].counts["scan"]) for day in funnel.days]
        chart = bars_svg(
            series,
            title=str(_("Scans par jour")),
            description=str(_("%(n)s scans du %(start)s au %(end)s"))
            % {"n": funnel.total.counts["scan"], "start": funnel.start, "end": funnel.end},
        )
        rows = [
            (p, _funnel_cells(funnel.by_placement[p.pk]), funnel.by_placement[p.pk], qr_links(p))
            for p in funnel.placements
        ]
        day_rows = [
            (day, _funnel_cells(funnel.by_day[day]))
            for day in reversed(funnel.days)
            if not funnel.by_day[day].is_empty
        ]
        target = funnel.campaign.reach_target
        reach_labels = {
            "declared": _("Audience déclarée des emplacements"),
            "scan": _("Scans mesurés"),
            "landing": _("Visites mesurées de la page ambassadeurs"),
        }
        reach = [
            (
                name,
                reach_labels[name],
                n,
                _percent(share) if share is not None else "—",
                min(100.0, 100 * (share or 0)),
            )
            for name, n, share in funnel.reach()
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Tableau de bord — %s") % funnel.campaign.name,
            "opts": self.model._meta,
            "original": funnel.campaign,
            "funnel": funnel,
            "chart": chart,
            "rows": rows,
            "day_rows": day_rows,
            "steps": FUNNEL_LABELS,
            "cards": list(zip(FUNNEL_LABELS, _funnel_cells(funnel.total), strict=True)),
            "total_cells": _funnel_cells(funnel.total),
            "period_notice": period_notice,
            "reach": reach,
            "reach_target": target,
            "reach_percent": round(100 * (funnel.reach_share or 0)),
            "reach_bar": min(100, round(100 * (funnel.reach_share or 0))),
        }
        return TemplateResponse(request, "admin/campaigns/campaign/funnel.html", context)

    def funnel_csv_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        funnel, _notice = self._funnel(request, pk)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        name = f"parcours-{slugify(funnel.campaign.name)}-{funnel.start}-{funnel.end}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        rows = [
            [
                "jour",
                "emplacement",
                "canal",
                "code",
                "scans",
                "visites",
                "enregistrements commencés",
                "envois terminés",
                "publiés",
            ]
        ]
        for day in funnel.days:
            for placement in funnel.placements:
                row = funnel.by_placement_day.get((placement.pk, day))
                if row is None:
                    continue
                rows.append(
                    [
                        day.isoformat(),
                        placement.place_name,
                        placement.get_channel_display(),
                        placement.code,
                        *(row.counts[step] for step in selectors.FUNNEL_STEPS),
                    ]
                )
        response.write(services.spreadsheet_csv(rows))
        return response


@admin.register(FunnelCount)
class FunnelCountAdmin(admin.ModelAdmin):
    """The funnel's counts, to look at only: they are the campaign's history, written by the
    scan flush and the journey (campaigns.services.funnel_record), never by hand."""

    list_display = ["day", "placement", "step", "count"]
    list_filter = ["step", "placement__campaign"]
    list_select_related = ["placement"]
    date_hierarchy = "day"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
