from django.contrib import admin

from .models import Campaign, KeyFigure, Placement, Sector


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "starts_on", "ends_on", "reach_target"]
    list_filter = ["status"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(KeyFigure)
class KeyFigureAdmin(admin.ModelAdmin):
    list_display = ["label", "value", "unit", "source_name", "year", "order", "is_active"]
    list_editable = ["order", "is_active"]


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):
    list_display = ["place_name", "channel", "campaign", "code", "declared_audience"]
    list_filter = ["campaign", "channel"]
    search_fields = ["place_name", "code"]
    readonly_fields = ["code", "created_at"]
