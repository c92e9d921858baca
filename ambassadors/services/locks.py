"""PostgreSQL advisory locks per testimonial: one key scheme, one lock per kind of work.

A key is a signed 64-bit number derived from (kind, testimonial id), so the kinds never share
a key. Without PostgreSQL (the embedded default runs one worker) no lock is taken.
"""

import contextlib
import hashlib
from collections.abc import Iterator
from uuid import UUID

from django.db import connection, transaction

# The kinds of work that must not run twice at once for one testimonial.
PROCESSING = "processing"  # the media pipeline and the social renditions
PUBLICATION = "publication"  # publishing and taking down the public copies
SPEECH = "speech"  # a testimonial's transcription (speech drafts)


def advisory_key(kind: str, testimonial_id: UUID | str) -> int:
    """The advisory-lock key of `kind` of work on this testimonial (a signed bigint)."""
    digest = hashlib.blake2b(
        kind.encode() + b":" + UUID(str(testimonial_id)).bytes, digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextlib.contextmanager
def work_lock(kind: str, testimonial_id: UUID | str) -> Iterator[bool]:
    """Hold the `kind` lock of this testimonial; yield False if another session has it.

    The lock belongs to the database session, so a worker that dies (SIGKILL, lost machine)
    releases it with its connection; a redelivered task can then take over.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    key = advisory_key(kind, testimonial_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def work_lock_held(kind: str, testimonial_id: UUID | str) -> bool:
    """True when another database session holds the `kind` lock of this testimonial."""
    with work_lock(kind, testimonial_id) as acquired:
        return connection.vendor == "postgresql" and not acquired


def processing_lock(testimonial_id: UUID | str) -> contextlib.AbstractContextManager[bool]:
    """The media pipeline's and the social renditions' lock (see `work_lock`)."""
    return work_lock(PROCESSING, testimonial_id)


def processing_lock_held(testimonial_id: UUID | str) -> bool:
    return work_lock_held(PROCESSING, testimonial_id)
    key = advisory_key(PROCESSING, testimonial_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        if not cursor.fetchone()[0]:
            return True
        cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    return False


# Publishing and taking down hold this lock (released at commit), so a take-down queued by an
# earlier unpublish cannot delete the copies of a publication that went out meanwhile, and two
# publishers of one testimonial (the minute sweep queues it again while a slow copy runs) do
# not race: the second sees `published` and does nothing.
@contextlib.contextmanager
def publication_lock(testimonial_id: UUID | str) -> Iterator[None]:
    """A transaction holding this testimonial's publication lock (waited for) until it ends."""
    if connection.vendor != "postgresql":
        # A SQLite transaction held over the copies would make the site's own writes fail.
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [advisory_key(PUBLICATION, testimonial_id)]
            )
        yield
