"""Sectors: archived, never deleted, and put back in service by an action."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import selectors, services
from ..models import Sector


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
