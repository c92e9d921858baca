"""Signal receivers of the ambassadors app (connected in AmbassadorsConfig.ready())."""

from django.contrib.auth.models import Group, Permission
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from .models import Status
from .services.publication import testimonials_published_changed
from .signals import testimonial_status_changed

# Staff groups that hold every permission of an app, including models added after the
# migration that created the group (ambassadors 0003_moderation_publication).
APP_WIDE_GROUPS = {"Campagnes": "campaigns"}
# Models such a group may only view: the funnel's counts are history (campaigns/admin/).
VIEW_ONLY_MODELS = {"campaigns": {"funnelcount"}}


@receiver(testimonial_status_changed, dispatch_uid="ambassadors.published-set-changed")
def published_set_changed(*, from_status: str, to_status: str, **kwargs) -> None:
    """Any move into or out of `published` makes every cached public read stale at once."""
    if Status.PUBLISHED in (from_status, to_status):
        testimonials_published_changed()


@receiver(post_migrate, dispatch_uid="ambassadors.app-wide-groups")
def app_wide_groups_complete(sender, using: str = "default", **kwargs) -> None:
    """Give an app-wide group the permissions of that app's new models (run after auth's own
    post_migrate handler has created them)."""
    for group_name, app_label in APP_WIDE_GROUPS.items():
        if sender.label != app_label:
            continue
        group = Group.objects.using(using).filter(name=group_name).first()
        if group is not None:
            permissions = Permission.objects.using(using).filter(content_type__app_label=app_label)
            write_on_view_only = permissions.filter(
                content_type__model__in=VIEW_ONLY_MODELS.get(app_label, ())
            ).exclude(codename__startswith="view_")
            group.permissions.add(*permissions.exclude(pk__in=write_on_view_only))
            group.permissions.remove(*write_on_view_only)
