"""The moderation's own settings: rejection reason templates and the publishing rhythm."""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from ..models import PublicationRhythm, RejectionReason


@admin.register(RejectionReason)
class RejectionReasonAdmin(admin.ModelAdmin):
    list_display = ["label", "order", "is_active"]
    list_editable = ["order", "is_active"]
    search_fields = ["label", "text"]


@admin.register(PublicationRhythm)
class PublicationRhythmAdmin(admin.ModelAdmin):
    list_display = ["__str__", "weekdays", "time_of_day", "per_day"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not PublicationRhythm.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        # One rhythm: go straight to it.
        rhythm = PublicationRhythm.objects.order_by("pk").first()
        if rhythm is not None and self.has_view_or_change_permission(request, rhythm):
            return HttpResponseRedirect(
                reverse("admin:ambassadors_publicationrhythm_change", args=[rhythm.pk])
            )
        return super().changelist_view(request, extra_context)
