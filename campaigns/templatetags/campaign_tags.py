"""Template helpers of the campaign pages: admin-uploaded images and the campaign's logo."""

from django import template

from ..images import logo_urls, rendition_urls

register = template.Library()


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
    if not renditions:
        return {"renditions": None}
    webp = rendition_urls(renditions, "webp")
    jpeg = rendition_urls(renditions, "jpg")
    return {
        "renditions": renditions,
        "webp_srcset": ", ".join(f"{url} {w}w" for url, w in webp),
        "jpeg_srcset": ", ".join(f"{url} {w}w" for url, w in jpeg),
        "fallback": jpeg[-1][0],
        "alt": alt,
        "sizes": sizes,
        "css_class": css_class,
        "loading": loading,
    }


@register.inclusion_tag("campaigns/_logo.html")
def campaign_logo(campaign) -> dict:
    """The campaign's logo: transparent WebP with a PNG fallback, 1x and 2x, its CSS size."""
    renditions = getattr(campaign, "logo_renditions", None)
    if not renditions:
        return {"renditions": None}
    webp = logo_urls(renditions, "webp")
    png = logo_urls(renditions, "png")
    return {
        "renditions": renditions,
        "webp_srcset": ", ".join(f"{url} {d}x" for url, d in webp),
        "png_srcset": ", ".join(f"{url} {d}x" for url, d in png),
        "fallback": png[0][0],
        "alt": campaign.name,
    }
