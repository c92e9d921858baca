"""The testimonial's history on its review page, in words."""

from django.contrib import admin
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from ..models import TestimonialEvent
from .display import event_actor, event_note


class TestimonialEventInline(admin.TabularInline):
    """The history in words: when, the move with the statuses' French names, who (the
    resident, the automatic processing, a moderator's name), the note."""

    model = TestimonialEvent
    extra = 0
    can_delete = False
    fields = ["moment", "change", "who", "note_text"]
    readonly_fields = fields
    verbose_name_plural = _("historique complet")
    # The admin's tabular template prints each row's `str()` ("created → uploaded").
    template = "ambassadors/admin/history_inline.html"

    @admin.display(description=_("le"))
    def moment(self, event: TestimonialEvent) -> str:
        return date_format(timezone.localtime(event.created_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("changement"))
    def change(self, event: TestimonialEvent) -> str:
        return f"{event.get_from_status_display()} → {event.get_to_status_display()}"

    @admin.display(description=_("par"))
    def who(self, event: TestimonialEvent) -> str:
        return event_actor(event)

    @admin.display(description=_("note"))
    def note_text(self, event: TestimonialEvent) -> str:
        return event_note(event.note) or "—"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("ambassadors.view_testimonial")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")
