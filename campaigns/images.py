"""Public, resized copies of images uploaded in the admin (hero and sector photos).

Uploads stay in the private store as they came; pages show WebP (with a JPEG fallback) at a
few widths from the public store, under keys that change with the source, so CDNs and browsers
can keep them forever.
"""

import hashlib
import io

from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile
from PIL import Image, ImageOps

from onprovence.storage import public_storage

WIDTHS = (480, 960, 1440, 1920)


def image_renditions_write(*, source: FieldFile, prefix: str) -> dict:
    """Write WebP and JPEG copies of `source` at each width it allows; describe them.

    Returns {"key": <key without width and extension>, "widths": [...], "width", "height"},
    or {} when there is no source.
    """
    if not source:
        return {}
    with source.open("rb") as handle:
        data = handle.read()
    digest = hashlib.sha256(data).hexdigest()[:12]
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    key = f"{prefix}-{digest}"
    widths = [w for w in WIDTHS if w <= image.width] or [image.width]
    storage = public_storage()
    for width in widths:
        height = round(image.height * width / image.width)
        resized = image.resize((width, height), Image.LANCZOS)
        for fmt, ext, options in (
            ("WEBP", "webp", {"quality": 78, "method": 4}),
            ("JPEG", "jpg", {"quality": 82, "optimize": True, "progressive": True}),
        ):
            buffer = io.BytesIO()
            resized.save(buffer, fmt, **options)
            name = f"{key}-{width}.{ext}"
            if storage.exists(name):
                storage.delete(name)
            storage.save(name, ContentFile(buffer.getvalue()))
    return {"key": key, "widths": widths, "width": image.width, "height": image.height}


def rendition_urls(renditions: dict, ext: str) -> list[tuple[str, int]]:
    storage = public_storage()
    return [(storage.url(f"{renditions['key']}-{w}.{ext}"), w) for w in renditions["widths"]]
