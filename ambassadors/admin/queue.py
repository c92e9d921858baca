"""The review queue: the change list of testimonials, its columns, order and actions.

In the queue (`?status__exact=in_review`) the oldest wait first; the other lists show the newest
first. Unpublished media are shown through short-lived signed URLs, never a public one.
"""

from django.contrib import admin
from django.contrib.admin.options import IS_POPUP_VAR
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onprovence.storage import private_url

from .. import keys
from ..models import Status, Testimonial
from .actions import changelist_function, registered_actions
from .display import flag_badges, parent_state

# The statuses that have renditions, and how long a signed link to them lasts.
WITH_MEDIA = {Status.IN_REVIEW, Status.APPROVED, Status.PUBLISHED, Status.REJECTED}
SIGNED_URL_SECONDS = 15 * 60


def has_poster(testimonial: Testimonial) -> bool:
    """Whether the poster JPEG is there to show: once processed, or while processing when the
    pipeline put up its early poster (`probe["poster_early"]`, issue 18)."""
    if testimonial.status in WITH_MEDIA:
        return True
    return testimonial.status == Status.PROCESSING and bool(
        (testimonial.probe or {}).get("poster_early")
    )


def media_url(testimonial: Testimonial, name: str) -> str:
    """A short-lived signed link to one of the testimonial's files in the private store."""
    return private_url(keys.testimonial_key(testimonial.pk, name), expires=SIGNED_URL_SECONDS)


class ReviewQueueMixin:
    """The change list of `TestimonialAdmin` (a `ModelAdmin`): columns, order, actions."""

    def get_actions(self, request):
        found = super().get_actions(request)
        if IS_POPUP_VAR in request.GET:
            return found
        for action in registered_actions():
            if action.in_changelist and action.allowed(request.user):
                name = action.changelist_name
                found[name] = (changelist_function(action), name, action.bulk_title or action.title)
        return found

    def _is_queue(self, request) -> bool:
        return request.GET.get("status__exact") == Status.IN_REVIEW

    def get_list_display(self, request):
        # In the queue every row is "à modérer": the column would only take room.
        if self._is_queue(request):
            return [name for name in self.list_display if name != "status"]
        return self.list_display

    def changelist_view(self, request, extra_context=None):
        if self._is_queue(request):
            extra_context = {
                **(extra_context or {}),
                "title": gettext("File de modération — les plus anciens d'abord"),
                "is_queue": True,
            }
        return super().changelist_view(request, extra_context)

    def get_ordering(self, request):
        # The review queue is worked oldest first; other lists show the newest first.
        if self._is_queue(request):
            return ["status_changed_at", "pk"]
        return ["-created_at"]

    @admin.display(description=_("affiche"))
    def poster_thumbnail(self, obj: Testimonial) -> str:
        if not has_poster(obj):
            return "—"
        return format_html(
            '<img class="moderation-thumb" src="{}" alt="" width="64" height="36" loading="lazy">',
            media_url(obj, keys.POSTER_JPEG),
        )

    @admin.display(description=_("nom affiché"), ordering="display_name")
    def name(self, obj: Testimonial) -> str:
        if obj.display_name:
            return obj.display_name
        return format_html('<span class="moderation-muted">{}</span>', str(obj))

    @admin.display(description=_("origine"), ordering="commune")
    def origin(self, obj: Testimonial) -> str:
        """Commune and sector, then the QR placement the resident came from."""
        where = " · ".join(str(part) for part in (obj.commune, obj.sector) if part) or "—"
        if obj.placement is None:
            return where
        return format_html(
            '{}<br><span class="moderation-muted">{}</span>', where, obj.placement.place_name
        )

    @admin.display(description=_("durée"), ordering="duration")
    def duration_display(self, obj: Testimonial) -> str:
        if obj.duration is None:
            return "—"
        seconds = round(obj.duration)
        return f"{seconds // 60}:{seconds % 60:02d}"

    @admin.display(description=_("signalements"))
    def flags_display(self, obj: Testimonial) -> str:
        if not obj.flags:
            return "—"
        return flag_badges(obj.flags)

    @admin.display(description=_("depuis"), ordering="status_changed_at")
    def age_in_status(self, obj: Testimonial) -> str:
        return timesince(obj.status_changed_at, depth=1)

    @admin.display(description=_("mineur"))
    def minor_display(self, obj: Testimonial) -> str:
        state = parent_state(obj)
        if not state:
            return "—"
        return format_html(
            '<span class="moderation-minor">{}</span> <span class="moderation-parent">{}</span>',
            gettext("mineur"),
            state,
        )
