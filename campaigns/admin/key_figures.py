"""Key figures: only sectors in service are offered (a figure keeps an archived one)."""

from django.contrib import admin
from django.db.models import Q

from ..models import KeyFigure, Sector


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
