"""The Campagnes admin: campaign pages, key figures, placements, QR printing and the funnel."""

from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, Sum
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from . import printing, selectors, services
from .charts import bars_svg
from .models import Campaign, FunnelCount, KeyFigure, Placement, Sector, validate_destination
from .scans import scan_counts_flush

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


def _qr_links(placement: Placement) -> str:
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


def _qr_zip_response(campaign: Campaign) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        printing.campaign_qr_zip(campaign), content_type="application/zip"
    )
    name = f"qr-codes-{slugify(campaign.name)}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class ArchivedFilter(admin.SimpleListFilter):
    title = _("archivage")
    parameter_name = "archive"

    def lookups(self, request, model_admin):
        return [("non", _("en service")), ("oui", _("archivés"))]

    def queryset(self, request, queryset):
        if self.value() == "oui":
            return queryset.filter(archived_at__isnull=False)
        if self.value() == "non":
            return queryset.filter(archived_at__isnull=True)
        return queryset


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    """Sectors are archived, never deleted: a deletion emptied the sector of the kit's talking
    points, which then showed on every sector's one-pager (`on_delete=SET_NULL`)."""

    list_display = ["name", "slug", "order", "archived"]
    list_editable = ["order"]
    list_filter = [ArchivedFilter]
    prepopulated_fields = {"slug": ["name"]}
    exclude = ["image_renditions"]
    readonly_fields = ["archive_link"]
    actions = ["restore"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("archivé"), boolean=True, ordering="archived_at")
    def archived(self, obj: Sector) -> bool:
        return obj.archived_at is not None

    @admin.display(description=_("archivage"))
    def archive_link(self, obj: Sector) -> str:
        if not obj.pk:
            return "—"
        if obj.archived_at:
            return _("Archivé le %s : ni les pages ni les formulaires ne le proposent.") % (
                timezone.localtime(obj.archived_at).strftime("%d/%m/%Y")
            )
        return format_html(
            '<a class="deletelink" href="{}">{}</a>',
            reverse("admin:campaigns_sector_archive", args=[obj.pk]),
            _("Archiver ce secteur…"),
        )

    @admin.action(description=_("Remettre en service les secteurs archivés"))
    def restore(self, request, queryset):
        for sector in queryset:
            services.sector_restore(sector_id=sector.pk)
        self.message_user(request, _("Secteurs remis en service."), messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "<int:pk>/archiver/",
                self.admin_site.admin_view(self.archive_view),
                name="campaigns_sector_archive",
            ),
            *super().get_urls(),
        ]

    def archive_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Confirm, then archive: the page lists what refers to the sector and keeps it."""
        sector = get_object_or_404(Sector, pk=pk)
        if not self.has_change_permission(request, sector):
            raise PermissionDenied
        if request.method == "POST":
            services.sector_archive(sector_id=sector.pk)
            self.message_user(
                request,
                _("Le secteur « %s » est archivé ; ce qui s'y rapporte le garde.") % sector.name,
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:campaigns_sector_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Archiver le secteur « %s » ?") % sector.name,
            "opts": self.model._meta,
            "original": sector,
            "dependents": selectors.sector_dependents(sector=sector),
        }
        return TemplateResponse(request, "admin/campaigns/sector/archive.html", context)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if "image" in form.changed_data:
            services.sector_images_render(sector_id=obj.pk)


class PlacementInlineFormSet(BaseInlineFormSet):
    """A placement with counts cannot be deleted from the campaign's page: it is ended."""

    def clean(self) -> None:
        super().clean()
        for form in self.deleted_forms:
            placement = form.instance
            if placement.pk and services.placement_has_counts(placement_id=placement.pk):
                raise ValidationError(
                    _(
                        "« %(place)s » a des scans : il ne peut pas être supprimé, seulement "
                        "terminé (donnez-lui une date de fin ; son QR code affichera « cette "
                        "affiche est terminée »)."
                    ),
                    params={"place": placement.place_name},
                    code="placement_has_counts",
                )


class PlacementInline(admin.TabularInline):
    model = Placement
    formset = PlacementInlineFormSet
    extra = 3
    fields = [
        "place_name",
        "channel",
        "declared_audience",
        "starts_on",
        "ends_on",
        "destination",
        "code",
        "qr_downloads",
    ]
    readonly_fields = ["code", "qr_downloads"]

    @admin.display(description=_("QR code"))
    def qr_downloads(self, obj: Placement) -> str:
        return _qr_links(obj)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "starts_on", "ends_on", "reach", "tools"]
    list_filter = ["status"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["tools", "preview_link"]
    inlines = [PlacementInline]
    colour_fields = ("primary_color", "accent_color")
    fieldsets = [
        (None, {"fields": ["name", "slug", "status", "starts_on", "ends_on", "reach_target"]}),
        (
            _("Page de campagne"),
            {
                "fields": [
                    "hero_title",
                    "hero_title_en",
                    "hero_text",
                    "hero_text_en",
                    "hero_image",
                    "hero_image_alt",
                    "hero_image_alt_en",
                    "cta_label",
                    "cta_label_en",
                ]
            },
        ),
        (_("Direction artistique"), {"fields": ["primary_color", "accent_color", "logo"]}),
        (_("Outils"), {"fields": ["preview_link", "tools"]}),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.colour_fields:
            # The browser's colour picker: it always submits #rrggbb.
            kwargs["widget"] = forms.TextInput(attrs={"type": "color"})
        if db_field.name == "reach_target":
            # The admin's integer box is 5em wide: "2200000" did not show in full.
            kwargs["widget"] = forms.NumberInput(attrs={"class": "vBigIntegerField", "min": 0})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_formset(self, request, form, formset, change) -> None:
        previous = {
            inline.instance.pk: inline.initial.get("destination", "")
            for inline in formset.forms
            if inline.instance.pk and "destination" in inline.changed_data
        }
        super().save_formset(request, form, formset, change)
        for placement in formset.new_objects + [obj for obj, _fields in formset.changed_objects]:
            if placement.pk in previous:
                services.placement_destination_recorded(
                    placement=placement,
                    from_destination=previous[placement.pk],
                    by_id=request.user.pk,
                )

    @admin.display(description=_("objectif d'audience (personnes)"), ordering="reach_target")
    def reach(self, obj: Campaign) -> str:
        return number_format(obj.reach_target, force_grouping=True)

    @admin.display(description=_("Suivi et impression"))
    def tools(self, obj: Campaign) -> str:
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:campaigns_campaign_funnel", args=[obj.pk]),
            _("Tableau de bord"),
            reverse("admin:campaigns_campaign_qr_zip", args=[obj.pk]),
            _("Tous les QR codes (ZIP)"),
            reverse("admin:campaigns_campaign_funnel_csv", args=[obj.pk]),
            _("Export CSV"),
        )

    @admin.display(description=_("Lien d'aperçu"))
    def preview_link(self, obj: Campaign) -> str:
        if not obj.pk:
            return _("Enregistrez la campagne pour obtenir un lien d'aperçu.")
        url = reverse(
            "campaigns:preview", args=[services.campaign_preview_token(campaign_id=obj.pk)]
        )
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a><br><small>{}</small>',
            url,
            _("Voir la page telle qu'elle sera publiée"),
            _("Valable 14 jours ; à partager avec les personnes qui relisent."),
        )

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if "hero_image" in form.changed_data:
            services.campaign_images_render(campaign_id=obj.pk)
        if "logo" in form.changed_data:
            services.campaign_logo_render(campaign_id=obj.pk)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/tableau-de-bord/",
                view(self.funnel_view),
                name="campaigns_campaign_funnel",
            ),
            path(
                "<int:pk>/tableau-de-bord.csv",
                view(self.funnel_csv_view),
                name="campaigns_campaign_funnel_csv",
            ),
            path("<int:pk>/qr-codes.zip", view(self.qr_zip_view), name="campaigns_campaign_qr_zip"),
            *super().get_urls(),
        ]

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
            (p, _funnel_cells(funnel.by_placement[p.pk]), funnel.by_placement[p.pk], _qr_links(p))
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

    def qr_zip_view(self, request: HttpRequest, pk: int) -> StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return _qr_zip_response(get_object_or_404(Campaign, pk=pk))


@admin.register(KeyFigure)
class KeyFigureAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "value",
        "unit",
        "sector",
        "source_name",
        "year",
        "order",
        "is_active",
    ]
    list_editable = ["order", "is_active"]
    list_filter = ["sector", "is_active"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "sector":
            # Archived sectors are not offered (a figure that has one keeps it: Django keeps
            # the current value valid only if it is in the choices, so it stays listed).
            object_id = request.resolver_match.kwargs.get("object_id")
            current = (
                KeyFigure.objects.filter(pk=object_id).values("sector_id") if object_id else []
            )
            kwargs["queryset"] = Sector.objects.filter(
                Q(archived_at__isnull=True) | Q(pk__in=current)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PlacementForm(forms.ModelForm):
    """The placement, and a change of destination to schedule for a later date."""

    scheduled_destination = forms.CharField(
        label=_("destination programmée"),
        required=False,
        max_length=500,
        validators=[validate_destination],
        help_text=_(
            "Avec une date : la destination des scans à partir de ce jour-là, à 0 h (vide : "
            "la page d'accueil des ambassadeurs)."
        ),
    )
    scheduled_on = forms.DateField(
        label=_("à partir du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Placement
        fields = [
            "campaign",
            "channel",
            "place_name",
            "starts_on",
            "ends_on",
            "declared_audience",
            "destination",
        ]

    def clean_scheduled_on(self):
        day = self.cleaned_data.get("scheduled_on")
        if day is not None and day <= timezone.localdate():
            raise ValidationError(
                _(
                    "Choisissez une date à venir ; pour un changement immédiat, modifiez la "
                    "destination ci-dessus."
                ),
                code="scheduled_past",
            )
        return day

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scheduled_destination") and not cleaned.get("scheduled_on"):
            self.add_error("scheduled_on", _("Indiquez la date du changement."))
        return cleaned


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):
    form = PlacementForm
    list_display = [
        "place_name",
        "channel",
        "campaign",
        "code",
        "declared_audience",
        "scans",
        "qr_downloads",
    ]
    list_filter = ["campaign", "channel"]
    search_fields = ["place_name", "code"]
    readonly_fields = ["code", "scan_url", "qr_preview", "created_at", "destination_history"]
    fields = [
        "campaign",
        "channel",
        "place_name",
        "starts_on",
        "ends_on",
        "declared_audience",
        "destination",
        "scheduled_destination",
        "scheduled_on",
        "destination_history",
        "code",
        "scan_url",
        "qr_preview",
        "created_at",
    ]
    actions = ["download_zip", "end_placements"]

    @admin.display(description=_("historique des destinations"))
    def destination_history(self, obj: Placement) -> str:
        if not obj.pk:
            return "—"
        return render_to_string(
            "admin/campaigns/placement/destination_history.html",
            {
                "changes": selectors.placement_destination_history(placement=obj),
                "today": timezone.localdate(),
            },
        )

    def save_model(self, request, obj, form, change) -> None:
        previous = form.initial.get("destination", "") if change else obj.destination
        super().save_model(request, obj, form, change)
        services.placement_destination_recorded(
            placement=obj, from_destination=previous or "", by_id=request.user.pk
        )
        if form.cleaned_data.get("scheduled_on"):
            services.placement_destination_change(
                placement=obj,
                to_destination=form.cleaned_data.get("scheduled_destination") or "",
                by_id=request.user.pk,
                effective_on=form.cleaned_data["scheduled_on"],
            )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and services.placement_has_counts(placement_id=obj.pk):
            return False  # its counts are the campaign's history: end it instead
        return super().has_delete_permission(request, obj)

    def delete_view(self, request: HttpRequest, object_id, extra_context=None):
        placement = self.get_object(request, object_id)
        if placement is not None and services.placement_has_counts(placement_id=placement.pk):
            context = {
                **self.admin_site.each_context(request),
                "title": _("Impossible de supprimer « %s »") % placement.place_name,
                "opts": self.model._meta,
                "original": placement,
                "scans": selectors.placements_scan_totals(placement_ids=[placement.pk]).get(
                    placement.pk, 0
                ),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(
                request,
                "admin/campaigns/placement/delete_refused.html",
                context,
                status=403 if request.method == "POST" else 200,
            )
        return super().delete_view(request, object_id, extra_context)

    @admin.action(
        description=_("Terminer ces emplacements (leur QR code affiche « affiche terminée »)"),
        permissions=["change"],
    )
    def end_placements(self, request, queryset):
        for placement in queryset:
            services.placement_end(placement_id=placement.pk)
        self.message_user(
            request,
            _(
                "%d emplacement(s) terminé(s) : leurs QR codes affichent « cette affiche est "
                "terminée » et ne comptent plus."
            )
            % queryset.count(),
            messages.SUCCESS,
        )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("campaign")
            .annotate(scans_total=Sum("funnel_counts__count", filter=Q(funnel_counts__step="scan")))
        )

    @admin.display(description=_("scans"), ordering="scans_total")
    def scans(self, obj: Placement) -> int:
        return obj.scans_total or 0

    @admin.display(description=_("QR code"))
    def qr_downloads(self, obj: Placement) -> str:
        return _qr_links(obj)

    @admin.display(description=_("adresse imprimée"))
    def scan_url(self, obj: Placement) -> str:
        return printing.placement_scan_url(obj) if obj.pk else "—"

    @admin.display(description=_("aperçu et téléchargements"))
    def qr_preview(self, obj: Placement) -> str:
        if not obj.pk:
            return _("Enregistrez l'emplacement pour obtenir son QR code.")

        def poster_link(fmt) -> str:
            args = [obj.pk, fmt.slug, fmt.extension]
            url = reverse("admin:campaigns_placement_poster", args=args)
            link = format_html('<a href="{}" download>{}</a>', url, fmt.label)
            if not fmt.is_print:
                return link
            # Some print shops place their own marks: the same poster, bleed only.
            return format_html(
                '{} (<a href="{}?traits=0" download>{}</a>)', link, url, _("sans traits de coupe")
            )

        posters = format_html_join(
            "", "<li>{}</li>", ((poster_link(fmt),) for fmt in printing.POSTER_FORMATS.values())
        )
        return format_html(
            '<img class="qr-preview" src="{}" width="200" height="200" alt="{}"><p>{}</p>'
            "<p>{}</p><ul>{}</ul>",
            reverse("admin:campaigns_placement_qr", args=[obj.pk, "svg"]),
            _("QR code de %s") % obj.place_name,
            _qr_links(obj),
            _("Affiches prêtes à imprimer (fonds perdus, traits de coupe) et écran :"),
            posters,
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/qr.<str:fmt>",
                self.admin_site.admin_view(self.qr_view),
                name="campaigns_placement_qr",
            ),
            path(
                "<int:pk>/affiche-<slug:poster>.<str:fmt>",
                self.admin_site.admin_view(self.qr_view),
                name="campaigns_placement_poster",
            ),
            *super().get_urls(),
        ]

    def qr_view(
        self, request: HttpRequest, pk: int, fmt: str, poster: str | None = None
    ) -> HttpResponse:
        """The placement's code (`qr.<fmt>`) or one of its posters (`affiche-<poster>.<fmt>`)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        placement = get_object_or_404(Placement.objects.select_related("campaign"), pk=pk)
        if poster is not None:
            poster_format = printing.POSTER_FORMATS.get(poster)
            if poster_format is None or poster_format.extension != fmt:
                return HttpResponse(_("Format inconnu."), status=404)
            try:
                content, content_type, name = printing.placement_poster_file(
                    placement,
                    poster=poster,
                    with_logo=request.GET.get("logo") != "0",
                    with_marks=request.GET.get("traits") != "0",
                )
            except printing.PosterFontMissing as error:
                return HttpResponse(str(error), status=503, content_type="text/plain")
            response = HttpResponse(content, content_type=content_type)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        if fmt not in printing.FORMATS:
            return HttpResponse(_("Format inconnu."), status=404)
        size_text = request.GET.get("size", str(printing.DEFAULT_PNG_SIZE)).strip()
        size = int(size_text) if size_text.isascii() and size_text.isdigit() else 0
        if not printing.PNG_SIZE_MIN <= size <= printing.PNG_SIZE_MAX:
            message = _(
                "La taille d'un QR code PNG est un nombre entier de pixels entre %(min)s et "
                "%(max)s (par exemple ?size=1024)."
            ) % {"min": printing.PNG_SIZE_MIN, "max": printing.PNG_SIZE_MAX}
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        content, content_type, name = printing.placement_qr_file(
            placement, fmt=fmt, size=size, with_logo=request.GET.get("logo") != "0"
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response

    @admin.action(description=_("Télécharger les QR codes de la campagne (ZIP)"))
    def download_zip(self, request, queryset):
        campaign_ids = set(queryset.values_list("campaign_id", flat=True))
        if len(campaign_ids) != 1:
            self.message_user(
                request, _("Choisissez des emplacements d'une seule campagne."), messages.ERROR
            )
            return None
        return _qr_zip_response(Campaign.objects.get(pk=campaign_ids.pop()))


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
