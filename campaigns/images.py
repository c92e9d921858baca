"""Public, resized copies of images uploaded in the admin (hero and sector photos, logo).

Uploads stay in the private store as they came; pages show WebP (with a JPEG fallback; PNG for
the logo, which keeps its transparency) at a few sizes from the public store, under keys that
change with the source, so CDNs and browsers can keep them forever.
"""

import hashlib
import io

from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile
from PIL import Image, ImageOps

from onprovence.storage import public_storage

try:
    from PIL import ImageCms
except ImportError:  # Pillow built without LittleCMS: CMYK logos use the plain conversion
    ImageCms = None

WIDTHS = (480, 960, 1440, 1920)


def _save_copy(storage, name: str, image: Image.Image, fmt: str, options: dict) -> None:
    """Encode `image` and store it under `name`, replacing an earlier copy of that name."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    if storage.exists(name):
        storage.delete(name)
    storage.save(name, ContentFile(buffer.getvalue()))


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
            _save_copy(storage, f"{key}-{width}.{ext}", resized, fmt, options)
    return {"key": key, "widths": widths, "width": image.width, "height": image.height}


def rendition_urls(renditions: dict, ext: str) -> list[tuple[str, int]]:
    storage = public_storage()
    return [(storage.url(f"{renditions['key']}-{w}.{ext}"), w) for w in renditions["widths"]]


# --- The campaign's logo ------------------------------------------------------------------
# A logo is drawn on the pages inside this box (CSS pixels: at most this wide, this tall); its
# copies are that size (1x) and twice it (2x, for high-density screens), never larger than the
# upload. WebP and PNG both keep the alpha channel; JPEG, which has none, is never written.
LOGO_BOX = (200, 56)
LOGO_DENSITIES = (1, 2)
# A logo bigger than this is refused in the admin (it would take hundreds of MB to decode).
LOGO_MAX_PIXELS = 40_000_000


def logo_image_open(data: bytes) -> Image.Image:
    """Decode a logo to RGBA: first frame of an animation, EXIF rotation, CMYK to RGB,
    palette or single-colour transparency (PNG tRNS, GIF) turned into alpha."""
    image = Image.open(io.BytesIO(data))
    image.seek(0)
    if image.format == "JPEG":
        # Let libjpeg decode at 1/2…1/8 scale when the logo is far bigger than the copies.
        need = (LOGO_BOX[0] * max(LOGO_DENSITIES), LOGO_BOX[1] * max(LOGO_DENSITIES))
        image.draft(image.mode, need)
    image = ImageOps.exif_transpose(image)
    if image.mode == "CMYK":
        image = _cmyk_to_rgb(image)
    return image.convert("RGBA")


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    profile = image.info.get("icc_profile")
    if profile and ImageCms is not None:
        try:
            return ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
        except (OSError, ImageCms.PyCMSError):
            pass  # an unreadable profile: Pillow's plain conversion below
    return image.convert("RGB")


def logo_copy_sizes(width: int, height: int) -> list[tuple[int, int, int]]:
    """(density, width, height) of each copy of a logo of this size (trimmed), fitted in
    LOGO_BOX and never enlarged; 2x only when the logo has the pixels for it."""
    scale = min(LOGO_BOX[0] / width, LOGO_BOX[1] / height, 1.0)
    sizes = []
    for density in LOGO_DENSITIES:
        factor = scale * density
        if density > 1 and factor > 1.0:
            break
        sizes.append((density, max(1, round(width * factor)), max(1, round(height * factor))))
    return sizes


def logo_renditions_write(*, source: FieldFile, prefix: str) -> dict:
    """Write transparent WebP and PNG copies of a logo for the pages; describe them.

    Transparent margins are trimmed first, so the mark fills its box. Keys carry the first 12
    hex digits of the upload's SHA-256 and the pixel size: `<prefix>/<digest>-<w>x<h>.webp`.
    Returns {"key", "copies": [{"density", "width", "height"}...], "width", "height" (the 1x,
    CSS pixels)}, or {} when there is no source.
    """
    if not source:
        return {}
    with source.open("rb") as handle:
        data = handle.read()
    digest = hashlib.sha256(data).hexdigest()[:12]
    image = logo_image_open(data)
    bbox = image.getchannel("A").getbbox()
    if bbox:  # None: fully transparent, keep it whole
        image = image.crop(bbox)
    # Resize with premultiplied alpha, so transparent pixels' hidden colours do not bleed
    # into the edges.
    premultiplied = image.convert("RGBa")
    key = f"{prefix}/{digest}"
    storage = public_storage()
    copies = []
    for density, width, height in logo_copy_sizes(*image.size):
        resized = premultiplied.resize((width, height), Image.LANCZOS, reducing_gap=3.0)
        resized = resized.convert("RGBA")
        for fmt, ext, options in (
            ("WEBP", "webp", {"lossless": True, "quality": 100, "method": 6}),
            ("PNG", "png", {"optimize": True}),
        ):
            _save_copy(storage, f"{key}-{width}x{height}.{ext}", resized, fmt, options)
        copies.append({"density": density, "width": width, "height": height})
    return {
        "key": key,
        "copies": copies,
        "width": copies[0]["width"],
        "height": copies[0]["height"],
    }


def logo_urls(renditions: dict, ext: str) -> list[tuple[str, int]]:
    """[(public URL, density)] of a logo's copies in one format."""
    storage = public_storage()
    return [
        (storage.url(f"{renditions['key']}-{c['width']}x{c['height']}.{ext}"), c["density"])
        for c in renditions["copies"]
    ]


def logo_keys(renditions: dict) -> set[str]:
    """Every public key a logo's description names."""
    if not renditions:
        return set()
    return {
        f"{renditions['key']}-{c['width']}x{c['height']}.{ext}"
        for c in renditions["copies"]
        for ext in ("webp", "png")
    }
