from django.contrib import admin

from .models import KitAsset


@admin.register(KitAsset)
class KitAssetAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "sector", "language", "available_until"]
    list_filter = ["kind", "sector", "language"]
    search_fields = ["title", "credits"]
