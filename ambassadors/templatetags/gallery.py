"""Template helpers of the public gallery and of the shared testimonial card
(templates/components/testimonial_card.html): URLs of a published testimonial's public files."""

from django import template
from django.conf import settings

from ambassadors import conf, keys
from onprovence.storage import public_storage

register = template.Library()


def public_file_url(testimonial_id, name: str, *, absolute: bool = False) -> str:
    """The public URL of a published file (absolute for feeds and sharing tags)."""
    url = public_storage().url(keys.testimonial_key(testimonial_id, name))
    if absolute and url.startswith("/"):
        return settings.SITE_URL + url
    return url


@register.filter
def public_file(testimonial, name: str) -> str:
    return public_file_url(testimonial.pk, name)


@register.filter
def public_file_absolute(testimonial, name: str) -> str:
    return public_file_url(testimonial.pk, name, absolute=True)


@register.simple_tag
def testimonial_poster(testimonial) -> dict[str, str]:
    """Public URLs of a published testimonial's poster: {"jpeg": ..., "webp": ...}."""
    return {
        "jpeg": public_file_url(testimonial.pk, keys.POSTER_JPEG),
        "webp": public_file_url(testimonial.pk, keys.POSTER_WEBP),
    }


@register.filter
def duration_iso(seconds) -> str:
    """Seconds as an ISO 8601 duration (PT1M5S), for video metadata."""
    if seconds is None:
        return ""
    total = round(seconds)
    return f"PT{total // 60}M{total % 60}S" if total >= 60 else f"PT{total}S"


# The web rendition's long side (the pipeline scales to it, never up).
WEB_LONG_SIDE = 1280


@register.simple_tag
def web_size(testimonial) -> dict[str, int]:
    """Width and height of the web rendition, from the probe (16:9 when unknown)."""
    probe = testimonial.probe or {}
    video = probe.get("video") if isinstance(probe.get("video"), dict) else probe
    width = video.get("display_width") or video.get("width") or 0
    height = video.get("display_height") or video.get("height") or 0
    if not (width and height):
        return {"width": WEB_LONG_SIDE, "height": WEB_LONG_SIDE * 9 // 16}
    scale = min(1.0, WEB_LONG_SIDE / max(width, height))
    # Even sizes, as H.264 needs.
    return {"width": round(width * scale / 2) * 2, "height": round(height * scale / 2) * 2}


@register.simple_tag
def video_max_seconds() -> int:
    """The journey's one length limit, for pages outside the journey (the "film yourself" call)."""
    return round(conf.MAX_DURATION_SECONDS)
