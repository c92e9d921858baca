"""Keep cached pages and resolved QR codes in step with what editors change in campaigns.

Connected in CampaignsConfig.ready(). Changes of testimonials and kit assets, which the pages
show too, are heard by the app that composes the pages (`showcase.receivers`).
"""

from django.db import transaction

from .pagecache import content_changed
from .scans import placement_cache_forget


def on_content_saved(sender, **kwargs) -> None:
    """A model public pages show changed: cached pages go stale after the commit."""
    transaction.on_commit(content_changed)


def on_placement_saved(sender, instance, **kwargs) -> None:
    codes = [instance.code]
    transaction.on_commit(lambda: placement_cache_forget(codes=codes))


def on_campaign_saved(sender, instance, **kwargs) -> None:
    """A campaign's status decides whether its codes still redirect: forget them all."""
    codes = list(instance.placements.values_list("code", flat=True)) if instance.pk else []
    transaction.on_commit(lambda: placement_cache_forget(codes=codes))
    transaction.on_commit(content_changed)
