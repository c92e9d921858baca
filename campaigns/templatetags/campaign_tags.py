"""Template helpers of the campaign pages: admin-uploaded images and the campaign's logo."""

from collections.abc import Callable

from django import template

from ..images import logo_urls, rendition_urls

register = template.Library()


def _sources(
    renditions: dict | None,
    urls: Callable[[dict, str], list[tuple[str, int]]],
    *,
    fallback_ext: str,
    descriptor: str,
    fallback_at: int,
) -> dict:
    """A <picture>'s sources: WebP, then `fallback_ext` for browsers without WebP, each copy
    with its width ("w") or density ("x"); the `src` of browsers without `srcset` is the copy
    at `fallback_at` (the widest photo, the 1x logo)."""
    if not renditions:
        return {"renditions": None}
    webp, fallback = urls(renditions, "webp"), urls(renditions, fallback_ext)
    return {
        "renditions": renditions,
        "webp_srcset": ", ".join(f"{url} {n}{descriptor}" for url, n in webp),
        "fallback_srcset": ", ".join(f"{url} {n}{descriptor}" for url, n in fallback),
        "fallback": fallback[fallback_at][0],
    }


@register.inclusion_tag("campaigns/_picture.html")
def picture(
    renditions: dict,
    *,
    alt: str = "",
    sizes: str = "100vw",
    css_class: str = "",
    loading: str = "lazy",
) -> dict:
    """A <picture> of an admin-uploaded image: WebP with a JPEG fallback, every width."""
    return {
        **_sources(renditions, rendition_urls, fallback_ext="jpg", descriptor="w", fallback_at=-1),
        "alt": alt,
        "sizes": sizes,
        "css_class": css_class,
        "loading": loading,
    }


@register.inclusion_tag("campaigns/_logo.html")
def campaign_logo(campaign) -> dict:
    """The campaign's logo: transparent WebP with a PNG fallback, 1x and 2x, its CSS size."""
    renditions = getattr(campaign, "logo_renditions", None)
    return {
        **_sources(renditions, logo_urls, fallback_ext="png", descriptor="x", fallback_at=0),
        "alt": campaign.name,
    }
