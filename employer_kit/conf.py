"""Limits and knobs of the employer kit, each overridable in Django settings by its name."""

from django.conf import settings


def _setting(name: str, default):
    return getattr(settings, name, default)


# A magic link works once, for this long.
MAGIC_LINK_MAX_AGE_SECONDS: int = _setting("KIT_MAGIC_LINK_MAX_AGE_SECONDS", 30 * 60)
# How long a signed download URL stays valid (the recruiter's browser follows it at once).
DOWNLOAD_URL_SECONDS: int = _setting("KIT_DOWNLOAD_URL_SECONDS", 60)
# Identification requests per client address and per email address, per window.
IDENTIFY_RATE_LIMIT: int = _setting("KIT_IDENTIFY_RATE_LIMIT", 5)
IDENTIFY_RATE_WINDOW_SECONDS: int = _setting("KIT_IDENTIFY_RATE_WINDOW_SECONDS", 15 * 60)
ONE_PAGER_RATE_LIMIT: int = _setting("KIT_ONE_PAGER_RATE_LIMIT", 20)
ONE_PAGER_RATE_WINDOW_SECONDS: int = _setting("KIT_ONE_PAGER_RATE_WINDOW_SECONDS", 3600)

# Uploaded logos: checked from the header before any pixel is decoded.
LOGO_MAX_BYTES: int = _setting("KIT_LOGO_MAX_BYTES", 2 * 1024 * 1024)
LOGO_MAX_SIDE: int = _setting("KIT_LOGO_MAX_SIDE", 6000)
LOGO_MAX_PIXELS: int = _setting("KIT_LOGO_MAX_PIXELS", 16_000_000)
LOGO_FORMATS: tuple[str, ...] = ("PNG", "JPEG", "WEBP")

# Asset analysis (staff uploads): images larger than this are not decoded for a thumbnail.
ASSET_MAX_PIXELS: int = _setting("KIT_ASSET_MAX_PIXELS", 120_000_000)
PREVIEW_WIDTH: int = _setting("KIT_PREVIEW_WIDTH", 480)
TOOL_TIMEOUT_SECONDS: int = _setting("KIT_TOOL_TIMEOUT_SECONDS", 60)
# Address space of each tool (ffmpeg, poppler) and the largest file it may write.
TOOL_MEMORY_BYTES: int = _setting("KIT_TOOL_MEMORY_BYTES", 2 * 1024**3)
TOOL_OUTPUT_MAX_BYTES: int = _setting("KIT_TOOL_OUTPUT_MAX_BYTES", 256 * 1024**2)

# Read from the object store in pieces of this size when streaming an archive.
STREAM_CHUNK_BYTES: int = _setting("KIT_STREAM_CHUNK_BYTES", 1024 * 1024)

# Free webmail domains are refused: the kit is for company recruiters.
FREE_EMAIL_DOMAINS: frozenset[str] = frozenset(
    _setting(
        "KIT_FREE_EMAIL_DOMAINS",
        [
            "gmail.com",
            "googlemail.com",
            "hotmail.com",
            "hotmail.fr",
            "outlook.com",
            "outlook.fr",
            "live.com",
            "live.fr",
            "yahoo.com",
            "yahoo.fr",
            "orange.fr",
            "wanadoo.fr",
            "free.fr",
            "sfr.fr",
            "laposte.net",
            "icloud.com",
            "gmx.fr",
            "gmx.com",
            "proton.me",
            "protonmail.com",
        ],
    )
)
