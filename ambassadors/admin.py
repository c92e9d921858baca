from django.contrib import admin

from .models import ConsentRecord, ConsentText, Testimonial, TestimonialEvent


class TestimonialEventInline(admin.TabularInline):
    model = TestimonialEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "actor", "actor_label", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Testimonial)
class TestimonialAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "commune", "sector", "placement", "created_at"]
    list_filter = ["status", "sector"]
    search_fields = ["display_name", "commune"]
    # The status only moves through ambassadors.services.status.testimonial_transition.
    readonly_fields = ["id", "status", "status_changed_at", "created_at", "updated_at"]
    inlines = [TestimonialEventInline]


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    list_display = ["title", "version", "is_current", "created_at"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ["testimonial_ref", "text_version", "accepted_at", "is_minor", "anonymised_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
