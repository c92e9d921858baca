"""Placements: their QR codes and posters, destinations kept and scheduled, ended not deleted."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .. import printing, selectors, services
from ..models import Campaign, Placement
from ..posters.fonts import PosterFontMissing
from ..posters.formats import POSTER_FORMATS
from .forms import PlacementForm, PlacementInlineFormSet
from .qr import QrDownloadsMixin, qr_links, qr_zip_response


class PlacementInline(QrDownloadsMixin, admin.TabularInline):
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


@admin.register(Placement)
class PlacementAdmin(QrDownloadsMixin, admin.ModelAdmin):
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
        *PlacementForm.Meta.fields,
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
            "", "<li>{}</li>", ((poster_link(fmt),) for fmt in POSTER_FORMATS.values())
        )
        return format_html(
            '<img class="qr-preview" src="{}" width="200" height="200" alt="{}"><p>{}</p>'
            "<p>{}</p><ul>{}</ul>",
            reverse("admin:campaigns_placement_qr", args=[obj.pk, "svg"]),
            _("QR code de %s") % obj.place_name,
            qr_links(obj),
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
            poster_format = POSTER_FORMATS.get(poster)
            if poster_format is None or poster_format.extension != fmt:
                return HttpResponse(_("Format inconnu."), status=404)
            try:
                content, content_type, name = printing.placement_poster_file(
                    placement,
                    poster=poster,
                    with_logo=request.GET.get("logo") != "0",
                    with_marks=request.GET.get("traits") != "0",
                )
            except PosterFontMissing as error:
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
        return qr_zip_response(Campaign.objects.get(pk=campaign_ids.pop()))
