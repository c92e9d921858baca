"""Admin of the employer kit, for the "Kit employeur" group.

It also gives the testimonial admin its "Ajouter au kit employeur" action (the ambassadors'
action registry): the kit is the one place that makes a testimonial a kit asset.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ambassadors.admin.actions import ActionStep, TestimonialAction, register_action
from ambassadors.models import Status
from ambassadors.selectors import testimonials_published
from onprovence.storage import private_url

from . import selectors, services
from .models import (
    KitAsset,
    KitAssetVersion,
    KitDownload,
    OnePager,
    Recruiter,
    TakedownNotice,
    TalkingPoint,
)
from .tasks import analyse_kit_asset


def added_to_kit(asset: KitAsset) -> str:
    return gettext("« %(title)s » ajouté au kit.") % {"title": asset.title}


def testimonial_add_to_kit(step: ActionStep) -> str:
    """A published testimonial becomes a video asset; the kit refuses, saying why, one that is
    not published or whose consent leaves the kit out."""
    return added_to_kit(services.kit_asset_from_testimonial(testimonial_id=step.testimonial.pk))


register_action(
    TestimonialAction(
        name="add_to_kit",
        title=_("Ajouter au kit employeur"),
        form=None,
        permission="employer_kit.add_kitasset",
        statuses=frozenset(Status),
        apply=testimonial_add_to_kit,
        refusals=(services.TestimonialNotUsable,),
        refusal_level=messages.WARNING,
        refusal_message="%(error)s",
        done_message=None,
    )
)


class TestimonialChoiceForm(forms.Form):
    testimonial = forms.ModelChoiceField(
        label=_("Témoignage publié"),
        queryset=testimonials_published().filter(kit_asset__isnull=True),
    )


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class KitAssetVersionInline(ReadOnlyInline):
    model = KitAssetVersion
    fields = ["version", "file_format", "size_bytes", "width", "height", "replaced_at", "download"]
    readonly_fields = fields

    @admin.display(description=_("fichier"))
    def download(self, version: KitAssetVersion) -> str:
        # Signed for five minutes each time the page is shown: staff only, never public.
        url = private_url(
            version.file_key, expires=300, download_name=version.file_key.rsplit("/", 1)[-1]
        )
        return format_html('<a href="{}">{}</a>', url, _("télécharger"))


@admin.register(KitAsset)
class KitAssetAdmin(admin.ModelAdmin):
    list_display = [
        "title", "kind", "sector", "language", "version", "available_until", "withdrawn_at",
        "download_count",
    ]  # fmt: skip
    list_filter = ["kind", "sector", "language", "audience", "withdrawn_at"]
    search_fields = ["title", "credits"]
    readonly_fields = [
        "version", "file_format", "size_bytes", "width", "height", "duration", "page_count",
        "preview_key", "analysed_at", "testimonial", "withdrawn_at", "withdrawn_reason",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["title", "kind", "sector", "audience", "language", "file"]}),
        (
            _("Crédits et droits"),
            {
                "fields": [
                    "credits", "usage_rights", "usage_rights_en", "available_from",
                    "available_until",
                ],
                "description": _(
                    "Pour un témoignage, les droits d'usage et la date de fin découlent du "
                    "consentement de son auteur : la date peut être avancée, jamais repoussée."
                ),
            },
        ),
        (
            _("Lu dans le fichier"),
            {
                "fields": [
                    "version", "file_format", "size_bytes", "width", "height", "duration",
                    "page_count", "preview_key", "analysed_at",
                ]
            },
        ),
        (
            _("Témoignage et retrait"),
            {"fields": ["testimonial", "withdrawn_at", "withdrawn_reason"]},
        ),
    ]  # fmt: skip
    inlines = [KitAssetVersionInline]
    actions = ["analyse_again"]
    change_list_template = "admin/employer_kit/kitasset/change_list.html"

    def get_urls(self):
        urls = [
            path(
                "depuis-un-temoignage/",
                self.admin_site.admin_view(self.add_from_testimonial),
                name="employer_kit_kitasset_from_testimonial",
            ),
            path(
                "<int:asset_id>/statistiques/",
                self.admin_site.admin_view(self.usage),
                name="employer_kit_kitasset_usage",
            ),
        ]
        return urls + super().get_urls()

    def add_from_testimonial(self, request):
        """Pick a published testimonial; it becomes a video asset within its consent."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TestimonialChoiceForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                asset = services.kit_asset_from_testimonial(
                    testimonial_id=form.cleaned_data["testimonial"].pk
                )
            except services.TestimonialNotUsable as exc:
                form.add_error("testimonial", str(exc))
            else:
                self.message_user(request, added_to_kit(asset))
                return redirect("admin:employer_kit_kitasset_change", asset.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("Ajouter un témoignage publié au kit"),
        }
        return TemplateResponse(
            request, "admin/employer_kit/kitasset/from_testimonial.html", context
        )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("sector")
            .annotate(_downloads=Count("downloads"))
        )

    @admin.display(description=_("téléchargements"), ordering="_downloads")
    def download_count(self, asset: KitAsset) -> str:
        url = reverse("admin:employer_kit_kitasset_usage", args=[asset.pk])
        return format_html(
            '<a href="{}" title="{}">{}</a>', url, gettext("Statistiques d'usage"), asset._downloads
        )

    def usage(self, request, asset_id: int):
        """One asset's downloads by week, by company size and sector, by channel (staff)."""
        asset = KitAsset.objects.filter(pk=asset_id).first()
        if asset is None or not self.has_view_permission(request, asset):
            raise PermissionDenied
        usage = selectors.kit_asset_usage(asset_id=asset.pk)
        peak = max([n for _, n in usage.by_week] + [1])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "asset": asset,
            "usage": usage,
            "weeks": [(monday, n, round(100 * n / peak)) for monday, n in usage.by_week],
            "title": gettext("Statistiques d'usage : %(title)s") % {"title": asset.title},
        }
        return TemplateResponse(request, "admin/employer_kit/kitasset/usage.html", context)

    def save_model(self, request, obj, form, change) -> None:
        services.kit_asset_save(asset=obj, file_changed="file" in form.changed_data)

    @admin.action(description=_("Relire format et dimensions, refaire l'aperçu"))
    def analyse_again(self, request, queryset) -> None:
        ids = list(queryset.filter(testimonial__isnull=True).values_list("pk", flat=True))
        for asset_id in ids:
            analyse_kit_asset.apply_async(args=[asset_id], queue="media")
        self.message_user(
            request, _("%(n)s ressource(s) en cours d'analyse.") % {"n": len(ids)}, messages.SUCCESS
        )


class HttpsURLField(forms.URLField):
    """A typed address without a scheme is read as https (Django 6's default, said now)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)


class TalkingPointForm(forms.ModelForm):
    """Checks the source against the key figures chosen in this same form, not the stored ones."""

    class Meta:
        model = TalkingPoint
        fields = [
            "headline", "body", "audience", "sector", "language", "headline_en", "body_en",
            "key_figures", "source_name", "source_year", "source_url", "version", "reviewed_on",
            "is_active", "order",
        ]  # fmt: skip
        field_classes = {"source_url": HttpsURLField}

    def clean(self):
        cleaned = super().clean()
        self.instance.key_figures_to_save = list(cleaned.get("key_figures") or [])
        return cleaned


@admin.register(TalkingPoint)
class TalkingPointAdmin(admin.ModelAdmin):
    form = TalkingPointForm

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")  # Django 6's default, said now
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    list_display = [
        "headline",
        "audience",
        "sector",
        "language",
        "version",
        "reviewed_on",
        "is_active",
    ]
    list_filter = ["audience", "sector", "language", "is_active"]
    search_fields = ["headline", "body"]
    filter_horizontal = ["key_figures"]
    list_editable = ["is_active"]
    fieldsets = [
        (None, {"fields": ["headline", "body", "audience", "sector", "language"]}),
        (
            _("En anglais"),
            {
                "fields": ["headline_en", "body_en"],
                "description": _(
                    "Le même élément pour le kit anglais. Vide : le kit anglais le montre en "
                    "français, en le disant."
                ),
            },
        ),
        (
            _("Source"),
            {
                "fields": ["key_figures", "source_name", "source_year", "source_url"],
                "description": _(
                    "Publié seulement avec une source : un chiffre clé sourcé qu'il cite, ou sa "
                    "propre source (nom, année, lien quand elle est publique)."
                ),
            },
        ),
        (None, {"fields": ["version", "reviewed_on", "is_active", "order"]}),
    ]


class KitDownloadInline(ReadOnlyInline):
    model = KitDownload
    fields = ["created_at", "asset_title", "asset_version", "channel"]
    readonly_fields = fields


@admin.register(Recruiter)
class RecruiterAdmin(admin.ModelAdmin):
    list_display = ["company", "email", "siret", "confirmed_at", "last_login_at", "download_count"]
    list_filter = ["confirmed_at"]
    search_fields = ["company", "email", "siret"]
    readonly_fields = [
        "company",
        "email",
        "siret",
        "company_size",
        "sector",
        "language",
        "confirmed_at",
        "last_login_at",
        "created_at",
    ]
    inlines = [KitDownloadInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_downloads=Count("downloads"))

    @admin.display(description=_("téléchargements"), ordering="_downloads")
    def download_count(self, recruiter: Recruiter) -> int:
        return recruiter._downloads

    def has_add_permission(self, request) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        services.recruiter_delete(recruiter_id=obj.pk)

    def delete_queryset(self, request, queryset) -> None:
        for recruiter_id in queryset.values_list("pk", flat=True):
            services.recruiter_delete(recruiter_id=recruiter_id)


@admin.register(KitDownload)
class KitDownloadAdmin(admin.ModelAdmin):
    """Who downloaded what: reporting and takedown notices."""

    list_display = ["created_at", "asset_title", "asset_version", "channel", "recruiter"]
    list_filter = ["channel", "asset__kind", "asset__sector"]
    search_fields = ["asset_title", "recruiter__company", "recruiter__email"]
    date_hierarchy = "created_at"
    list_select_related = ["recruiter"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TakedownNotice)
class TakedownNoticeAdmin(admin.ModelAdmin):
    list_display = ["asset", "recruiter", "created_at", "sent_at"]
    list_filter = ["sent_at"]
    list_select_related = ["asset", "recruiter"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OnePager)
class OnePagerAdmin(admin.ModelAdmin):
    list_display = ["recruiter", "sector", "language", "created_at"]
    list_filter = ["sector", "language"]
    list_select_related = ["recruiter", "sector"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
