"""Writes on campaign data that other apps call (the journey counts its funnel steps here)."""

import csv
import io
import logging
from collections.abc import Iterable
from datetime import date, timedelta

from django.core import signing
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from onprovence.storage import list_prefix, public_storage

from .images import image_renditions_write, logo_keys, logo_renditions_write
from .models import Campaign, DestinationChange, FunnelCount, Placement, Sector

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


# The one CSV style of the campaigns' files (the funnel export, the QR ZIP's emplacements.csv):
# French spreadsheets open ";"-separated UTF-8 with a byte order mark without an import dialog.
CSV_DELIMITER = ";"
CSV_BOM = "\ufeff"


def spreadsheet_csv(rows: Iterable[Iterable[object]]) -> str:
    """Rows as CSV for French spreadsheet software: BOM, ";" separator, CRLF line ends."""
    buffer = io.StringIO()
    buffer.write(CSV_BOM)
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER)
    writer.writerows(rows)
    return buffer.getvalue()


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


# --- Placements: destinations, ending ---------------------------------------------------------


def placement_destination_change(
    *, placement: Placement, to_destination: str, by_id: int | None, effective_on: date | None
) -> DestinationChange:
    """Change a placement's destination now, or schedule the change for `effective_on`.

    Every change is kept (who, when, from, to). A change dated today or before applies at
    once; a later one is followed by the scans from that day (campaigns.scans) and written on
    the placement by `destination_changes_apply`. `to_destination` must have been validated
    (the admin's form does, with `validate_destination`).
    """
    today = timezone.localdate()
    if effective_on is not None and effective_on <= today:
        effective_on = None
    with transaction.atomic():
        locked = Placement.objects.select_for_update().get(pk=placement.pk)
        change = DestinationChange.objects.create(
            placement=locked,
            from_destination=locked.destination,
            to_destination=to_destination,
            changed_by_id=by_id,
            effective_on=effective_on,
            applied_at=None if effective_on else timezone.now(),
        )
        if effective_on is None:
            locked.destination = to_destination
        # Saved either way: the save makes the processes resolve the code afresh.
        locked.save(update_fields=["destination"])
    placement.destination = locked.destination
    return change


def placement_destination_recorded(
    *, placement: Placement, from_destination: str, by_id: int | None
) -> DestinationChange | None:
    """Keep a change of destination already saved on the placement (the admin's forms)."""
    if placement.destination == from_destination:
        return None
    return DestinationChange.objects.create(
        placement=placement,
        from_destination=from_destination,
        to_destination=placement.destination,
        changed_by_id=by_id,
        applied_at=timezone.now(),
    )


def destination_changes_apply(*, today: date) -> int:
    """Write on their placements the scheduled changes due by `today`; return how many."""
    due = DestinationChange.objects.filter(
        applied_at__isnull=True, effective_on__isnull=False, effective_on__lte=today
    ).order_by("effective_on", "changed_at", "pk")
    applied = 0
    for change_id, placement_id in list(due.values_list("pk", "placement_id")):
        with transaction.atomic():
            placement = Placement.objects.select_for_update().get(pk=placement_id)
            change = DestinationChange.objects.select_for_update().get(pk=change_id)
            if change.applied_at is not None:  # another flush was first
                continue
            change.from_destination = placement.destination
            change.applied_at = timezone.now()
            change.save(update_fields=["from_destination", "applied_at"])
            placement.destination = change.to_destination
            placement.save(update_fields=["destination"])
            applied += 1
    return applied


def placement_has_counts(*, placement_id: int) -> bool:
    """Whether a placement has any funnel count: its history, which must not be deleted."""
    return FunnelCount.objects.filter(placement_id=placement_id, count__gt=0).exists()


def placement_end(*, placement_id: int) -> Placement:
    """End a placement today: from now on its code shows the "poster ended" page (410) and
    counts nothing. Its row and counts stay (a placement with scans is never deleted)."""
    yesterday = timezone.localdate() - timedelta(days=1)
    with transaction.atomic():
        placement = Placement.objects.select_for_update().get(pk=placement_id)
        if placement.ends_on is None or placement.ends_on > yesterday:
            placement.ends_on = yesterday
            if placement.starts_on and placement.starts_on > yesterday:
                placement.starts_on = yesterday
            placement.save(update_fields=["starts_on", "ends_on"])
    return placement


# --- Sectors: archived, never deleted -----------------------------------------------------


def sector_archive(*, sector_id: int) -> Sector:
    """Archive a sector: the pages and pickers stop offering it; everything that refers to it
    (figures, testimonials, the kit's talking points and assets) keeps it, so nothing is
    re-scoped to "all sectors" as a deletion did."""
    sector = Sector.objects.get(pk=sector_id)
    if sector.archived_at is None:
        sector.archived_at = timezone.now()
        sector.save(update_fields=["archived_at"])
    return sector


def sector_restore(*, sector_id: int) -> Sector:
    sector = Sector.objects.get(pk=sector_id)
    sector.archived_at = None
    sector.save(update_fields=["archived_at"])
    return sector
