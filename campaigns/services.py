"""Writes on campaign data that other apps call (the journey counts its funnel steps here)."""

from datetime import date

from django.db import connection
from django.utils import timezone

from .models import FunnelCount

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
    table = connection.ops.quote_name(FunnelCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_INCREMENT_SQL.format(table=table), [placement_id, day, step, n])
