"""Limits and knobs of the ambassadors app, each overridable in Django settings by its name."""

from django.conf import settings


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- Shared by the uploader (client and server checks) and the pipeline (probe/validate) ---
MIN_DURATION_SECONDS: float = _setting("AMBASSADORS_MIN_DURATION_SECONDS", 3.0)
MAX_DURATION_SECONDS: float = _setting("AMBASSADORS_MAX_DURATION_SECONDS", 120.0)
# What the recorder stops at (the resident is told ~90 s); the server accepts up to MAX.
RECORDING_LIMIT_SECONDS: int = _setting("AMBASSADORS_RECORDING_LIMIT_SECONDS", 90)
MAX_UPLOAD_BYTES: int = _setting("AMBASSADORS_MAX_UPLOAD_BYTES", 600 * 1024 * 1024)

# --- Resident journey -----------------------------------------------------------------------
# Read at call time (not import time) so a deployment or a test can change them in settings.


def upload_part_size() -> int:
    """Bytes per upload part (S3 refuses parts under 5 MiB except the last; local has no floor)."""
    return _setting("AMBASSADORS_UPLOAD_PART_SIZE", 8 * 1024 * 1024)


def upload_max_parts() -> int:
    return _setting("AMBASSADORS_UPLOAD_MAX_PARTS", 1000)


def upload_url_expiry_seconds() -> int:
    """Lifetime of a signed part URL; the uploader asks for fresh ones when they expire."""
    return _setting("AMBASSADORS_UPLOAD_URL_EXPIRY_SECONDS", 3600)


def upload_abandon_after_hours() -> int:
    """An upload not completed after this long is abandoned and its parts deleted."""
    return _setting("AMBASSADORS_UPLOAD_ABANDON_AFTER_HOURS", 24)


def upload_cors_origins() -> list[str]:
    """Origins allowed to PUT parts straight to the S3 bucket (the site itself)."""
    return _setting("AMBASSADORS_UPLOAD_CORS_ORIGINS", None) or [settings.SITE_URL]


def upload_endpoint_url() -> str | None:
    """S3 address the browser uses for part URLs when it differs from the web processes' one."""
    return _setting("AMBASSADORS_UPLOAD_ENDPOINT_URL", None)


# Per client IP (behind settings.TRUSTED_PROXY_COUNT proxies): (requests, seconds).
def upload_start_rate() -> tuple[int, int]:
    return _setting("AMBASSADORS_UPLOAD_START_RATE", (20, 3600))


def consent_rate() -> tuple[int, int]:
    return _setting("AMBASSADORS_CONSENT_RATE", (20, 3600))


def email_rate() -> tuple[int, int]:
    return _setting("AMBASSADORS_EMAIL_RATE", (10, 3600))


# --- Media pipeline ---------------------------------------------------------------------------


# --- Moderation and publication ---------------------------------------------------------------
