from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class ShowcaseConfig(AppConfig):
    """The public pages made of every app's content: home, campaign and sector pages.

    It sits above campaigns, ambassadors and the employer kit, so it hears their changes and
    answers their questions; none of them imports it.
    """

    name = "showcase"
    verbose_name = _("Pages publiques")

    def ready(self) -> None:
        from ambassadors.models import Testimonial
        from ambassadors.signals import testimonial_status_changed
        from campaigns.signals import funnel_published_counts
        from employer_kit.models import KitAsset

        from . import receivers

        for model in (KitAsset, Testimonial):
            post_save.connect(
                receivers.on_shown_content_saved, sender=model, dispatch_uid=f"showcase-c-{model}"
            )
            post_delete.connect(
                receivers.on_shown_content_saved, sender=model, dispatch_uid=f"showcase-d-{model}"
            )
        testimonial_status_changed.connect(
            receivers.on_testimonial_status_changed, dispatch_uid="showcase-pages"
        )
        funnel_published_counts.connect(
            receivers.funnel_published_per_day, dispatch_uid="showcase-funnel-published"
        )
