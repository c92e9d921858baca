"""Campaigns: the page's words, images and colours, its placements, preview link and tools."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import Campaign
from .funnel import FunnelDashboardMixin
from .placement import PlacementInline
from .qr import qr_zip_response


@admin.register(Campaign)
class CampaignAdmin(FunnelDashboardMixin, admin.ModelAdmin):
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

    def qr_zip_view(self, request: HttpRequest, pk: int) -> StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return qr_zip_response(get_object_or_404(Campaign, pk=pk))
