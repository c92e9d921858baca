"""What every fault test checks once the fault is over: nothing lost, stuck, doubled or forged.

- each testimonial still exists and is in the status the test expects (never left in
  `uploaded`/`processing` unless the test says so);
- the objects under its prefix are exactly the expected ones (no duplicate or partial rendition,
  nothing left behind by a failed attempt);
- its audit trail is a chain: each event starts where the previous one ended, follows
  ALLOWED_TRANSITIONS, ends at the current status, and no one-way step (created -> uploaded,
  processing -> in_review/rejected) was recorded twice.
"""

from collections import Counter
from collections.abc import Iterable

from ambassadors import keys
from ambassadors.models import ALLOWED_TRANSITIONS, Status, Testimonial, TestimonialEvent
from onprovence.storage import list_prefix, private_storage

RENDITIONS = (keys.ORIGINAL, keys.WEB, keys.POSTER_JPEG, keys.POSTER_WEBP, keys.PREVIEW)
# Steps a testimonial takes once in its life, whatever retries and sweeps happen around them.
ONCE = {
    (Status.CREATED, Status.UPLOADED),
    (Status.PROCESSING, Status.IN_REVIEW),
    (Status.PROCESSING, Status.REJECTED),
}


def audit_trail(testimonial_id) -> list[tuple[str, str]]:
    return list(
        TestimonialEvent.objects.filter(testimonial_id=testimonial_id)
        .order_by("created_at", "pk")
        .values_list("from_status", "to_status")
    )


def assert_trail_consistent(testimonial: Testimonial) -> list[tuple[str, str]]:
    events = audit_trail(testimonial.pk)
    previous = None
    for from_status, to_status in events:
        assert from_status != to_status, f"{testimonial.pk}: empty transition in {events}"
        assert to_status in ALLOWED_TRANSITIONS[from_status], (
            f"{testimonial.pk}: {from_status} -> {to_status} is not allowed ({events})"
        )
        if previous is not None:
            assert from_status == previous, f"{testimonial.pk}: broken chain {events}"
        previous = to_status
    if events:
        assert previous == testimonial.status, (
            f"{testimonial.pk}: trail ends at {previous}, row says {testimonial.status}"
        )
    repeated = [step for step, n in Counter(events).items() if step in ONCE and n > 1]
    assert not repeated, f"{testimonial.pk}: recorded twice: {repeated} in {events}"
    return events


def assert_no_damage(
    expected: dict,
    *,
    objects: dict | None = None,
) -> None:
    """`expected`: testimonial id -> status; `objects`: id -> object names (default: by status).

    By default a testimonial in review or later holds exactly the moderation renditions and its
    original; one still `created` or rejected before processing holds at most its original,
    plus the early poster once admitted (`probe["poster_early"]`).
    """
    storage = private_storage()
    for testimonial_id, status in expected.items():
        testimonial = Testimonial.objects.filter(pk=testimonial_id).first()
        assert testimonial is not None, f"testimonial {testimonial_id} lost"
        assert testimonial.status == status, (
            f"{testimonial_id}: {testimonial.status}, expected {status}"
        )
        assert_trail_consistent(testimonial)
        names = (objects or {}).get(testimonial_id)
        if names is None:
            names = RENDITIONS if status == Status.IN_REVIEW else (keys.ORIGINAL,)
            if status != Status.IN_REVIEW and (testimonial.probe or {}).get("poster_early"):
                names = (*names, keys.POSTER_JPEG)  # admitted: its early poster (issue 18)
        found = list_prefix(storage, keys.testimonial_prefix(testimonial_id))
        assert sorted(found) == sorted(_keys(testimonial_id, names)), (
            f"{testimonial_id}: objects {found}"
        )


def _keys(testimonial_id, names: Iterable[str]) -> list[str]:
    return [keys.testimonial_key(testimonial_id, name) for name in names]
