"""Signal receivers of the ambassadors app (connected in AmbassadorsConfig.ready())."""

from django.dispatch import receiver

from .models import Status
from .signals import testimonial_status_changed


@receiver(testimonial_status_changed, dispatch_uid="ambassadors.published-set-changed")
def published_set_changed(*, from_status: str, to_status: str, **kwargs) -> None:
    """Any move into or out of `published` makes every cached public read stale at once."""
    if Status.PUBLISHED in (from_status, to_status):
        from .services.moderation import testimonials_published_changed

        testimonials_published_changed()
