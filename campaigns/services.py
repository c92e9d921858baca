"""Writes on campaign data that other apps call (the journey counts its funnel steps here)."""

import logging
from datetime import date

from django.core import signing
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from onprovence.storage import list_prefix, public_storage

from .images import image_renditions_write, logo_keys, logo_renditions_write
from .models import Campaign, FunnelCount, Sector

logger = logging.getLogger(__name__)

_INCREMENT_SQL = """
INSERT INTO {table} (placement_id, day, step, count) VALUES (%s, %s, %s, %s)
ON CONFLICT (placement_id, day, step) DO UPDATE SET count = {table}.count + EXCLUDED.count
"""


def funnel_record(
    *, placement_id: int | None, step: str, day: date | None = None, n: int = 1
) -> None:
    """Add `n` to the count of `step` for a placement (or none) on a day (today, Paris time).

    One atomic upsert: concurrent requests never lose a count, and nothing personal is kept.
    """
    FunnelCount.Step(step)  # refuse an unknown step
    day = day or timezone.localdate()
    if connection.vendor != "postgresql":
        # SQLite (the embedded default) has no unique constraint with NULLs not distinct, so
        # no ON CONFLICT target: update, else create. Its write lock, taken by the UPDATE,
        # serialises concurrent callers until the commit.
        with transaction.atomic():
            rows = FunnelCount.objects.filter(
                placement_id=placement_id,  # type: ignore[misc]  # None: the rows without one
                day=day,
                step=step,
            )
            if not rows.update(count=F("count") + n):
                FunnelCount.objects.create(placement_id=placement_id, day=day, step=step, count=n)
        return
    table = connection.ops.quote_name(FunnelCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_INCREMENT_SQL.format(table=table), [placement_id, day, step, n])


# --- Campaign content ------------------------------------------------------------------------

PREVIEW_SALT = "campaigns.preview"
PREVIEW_MAX_AGE_SECONDS = 14 * 24 * 3600


def campaign_preview_token(*, campaign_id: int) -> str:
    """Return a token that shows a campaign (even a draft) for PREVIEW_MAX_AGE_SECONDS."""
    return signing.dumps({"c": campaign_id}, salt=PREVIEW_SALT, compress=True)


def campaign_preview_read(*, token: str) -> int | None:
    """Return the campaign id of a valid, unexpired preview token, else None."""
    try:
        return signing.loads(token, salt=PREVIEW_SALT, max_age=PREVIEW_MAX_AGE_SECONDS)["c"]
    except (signing.BadSignature, KeyError, TypeError):
        return None


def campaign_images_render(*, campaign_id: int) -> None:
    """Refresh the public copies of a campaign's hero image."""
    campaign = Campaign.objects.get(pk=campaign_id)
    campaign.hero_renditions = image_renditions_write(
        source=campaign.hero_image, prefix=f"campaigns/{campaign.pk}/hero"
    )
    campaign.save(update_fields=["hero_renditions"])


def campaign_logo_render(*, campaign_id: int) -> None:
    """Write the public copies of a campaign's logo, then delete those of older logos.

    The copies of the logo just replaced are kept: a page rendered before this change (open in
    a browser, in its back/forward cache, or in a cache that does not know the page changed)
    still points at them. They go at the next change. Keeping them also makes a rollback of the
    admin's transaction harmless: the row it leaves names copies that still exist.
    """
    campaign = Campaign.objects.get(pk=campaign_id)
    previous = campaign.logo_renditions
    prefix = f"campaigns/{campaign.pk}/logo"
    campaign.logo_renditions = logo_renditions_write(source=campaign.logo, prefix=prefix)
    campaign.save(update_fields=["logo_renditions"])
    keep = logo_keys(campaign.logo_renditions) | logo_keys(previous)
    try:
        storage = public_storage()
        for key in list_prefix(storage, prefix):
            if key not in keep:
                storage.delete(key)
    except Exception as error:  # leftovers cost a few kilobytes; the save must not fail
        logger.warning("could not delete old logo copies of campaign %s: %s", campaign.pk, error)


def sector_images_render(*, sector_id: int) -> None:
    """Refresh the public copies of a sector's image."""
    sector = Sector.objects.get(pk=sector_id)
    sector.image_renditions = image_renditions_write(
        source=sector.image, prefix=f"sectors/{sector.slug}/image"
    )
    sector.save(update_fields=["image_renditions"])
