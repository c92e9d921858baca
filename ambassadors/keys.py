"""Object keys of a testimonial's files: deterministic, so a rerun overwrites, never duplicates.

Every file of a testimonial sits under `testimonials/<uuid>/`, in the private store until it is
published (then the public copies use the same keys in the public store), so withdrawal and
erasure delete one prefix in each store. Never a resident's name or file name in a key.
"""

from uuid import UUID

ORIGINAL = "original"
WEB = "web.mp4"
POSTER_JPEG = "poster.jpg"
POSTER_WEBP = "poster.webp"
PREVIEW = "preview.webp"
CAPTIONS = "captions.vtt"
SOCIAL = {"9x16": "social-9x16.mp4", "1x1": "social-1x1.mp4", "16x9": "social-16x9.mp4"}
# The folder that holds one folder per testimonial, in each store.
FOLDER = "testimonials"


def testimonial_prefix(testimonial_id: UUID | str) -> str:
    return f"{FOLDER}/{UUID(str(testimonial_id))}"


def testimonial_id_of_folder(name: str) -> UUID | None:
    """The testimonial a folder under FOLDER belongs to; None unless named exactly as ours are.

    Only the canonical form counts (lowercase, hyphenated): `testimonial_prefix` of another
    spelling of the same id would name a different folder.
    """
    try:
        testimonial_id = UUID(name)
    except ValueError:
        return None
    return testimonial_id if str(testimonial_id) == name else None


def testimonial_key(testimonial_id: UUID | str, name: str) -> str:
    """Return the key of one of a testimonial's files (`name` is one of the constants above)."""
    return f"{testimonial_prefix(testimonial_id)}/{name}"
