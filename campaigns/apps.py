from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campagnes")

    def ready(self) -> None:
        from . import receivers
        from .models import Campaign, KeyFigure, Placement, Sector

        for model in (Sector, KeyFigure):
            post_save.connect(receivers.on_content_saved, sender=model, dispatch_uid=f"c-{model}")
            post_delete.connect(receivers.on_content_saved, sender=model, dispatch_uid=f"d-{model}")
        post_save.connect(receivers.on_campaign_saved, sender=Campaign, dispatch_uid="c-campaign")
        post_delete.connect(receivers.on_campaign_saved, sender=Campaign, dispatch_uid="d-campaign")
        post_save.connect(
            receivers.on_placement_saved, sender=Placement, dispatch_uid="c-placement"
        )
        post_delete.connect(
            receivers.on_placement_saved, sender=Placement, dispatch_uid="d-placement"
        )
