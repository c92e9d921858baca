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


# --- Media pipeline ---------------------------------------------------------------------------


# --- Moderation and publication ---------------------------------------------------------------
