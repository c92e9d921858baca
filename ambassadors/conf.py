"""Limits and knobs of the ambassadors app, each overridable in Django settings by its name.

Each default lives once: here, as `_setting("NAME", default)`, except the sweep intervals the
beat schedule needs and the video length limit the posters print, whose defaults live in
onprovence/settings.py (read here with no second default). onprovence/settings.py sets the
others only when their environment variable is set.
"""

from django.conf import settings


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- Shared by the uploader (client and server checks) and the pipeline (probe/validate) ---
MIN_DURATION_SECONDS: float = _setting("AMBASSADORS_MIN_DURATION_SECONDS", 3.0)
# The one length limit (issue 15): the pipeline refuses a longer video, the upload start refuses
# a longer declared one, the phone refuses a longer picked file, the recorder stops at it, and
# every page of the journey says it, read from here (ambassadors.views._limits).
MAX_DURATION_SECONDS: float = settings.AMBASSADORS_MAX_DURATION_SECONDS  # default: settings.py
# Where the recorder stops: the same limit (a test shortens it to record a few seconds).
RECORDING_LIMIT_SECONDS: float = MAX_DURATION_SECONDS
# The recorder's MediaRecorder bitrates (bits per second). Chromium's default (~2.5 Mb/s video +
# 128 kb/s audio at 720p) makes ~29 MB for 90 s; at these a 90 s recording is ~12 MB by the
# numbers and at most ~15 MB as Chromium's VP9 encoder overshoots on a busy scene, with no
# visible loss in the published rendition (docs/journey.md: SSIM and upload times measured by
# bench/upload_resident.py).
RECORDING_VIDEO_BITS_PER_SECOND: int = _setting(
    "AMBASSADORS_RECORDING_VIDEO_BITS_PER_SECOND", 1_000_000
)
RECORDING_AUDIO_BITS_PER_SECOND: int = _setting(
    "AMBASSADORS_RECORDING_AUDIO_BITS_PER_SECOND", 64_000
)
# The recorder codecs these bitrates were measured for (a fragment of MediaRecorder's mimeType):
# VP9 (Chromium, Chrome on Android) loses nothing visible at them; VP8 (Firefox) does (SSIM of
# the published rendition 0.73 against 0.95 at the default), so it keeps the browser's default.
RECORDING_BITRATE_CODECS: tuple[str, ...] = _setting(
    "AMBASSADORS_RECORDING_BITRATE_CODECS", ("vp9",)
)
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


# --- A minor's parent (ambassadors.services.parents) ------------------------------------------
# Days after the upload at which an unconfirmed parent is reminded (one reminder per figure).
def parent_reminder_days() -> tuple[int, ...]:
    return tuple(_setting("AMBASSADORS_PARENT_REMINDER_DAYS", (2, 5)))


# Days after the upload after which a minor's testimonial without the parent's confirmation is
# withdrawn (and so erased).
def parent_confirmation_days() -> int:
    return _setting("AMBASSADORS_PARENT_CONFIRMATION_DAYS", 14)


# --- Media pipeline ---------------------------------------------------------------------------
# What a testimonial video must be (probe verdicts), see ambassadors.media.validation.
MEDIA_VIDEO_CODECS: tuple[str, ...] = _setting(
    "AMBASSADORS_MEDIA_VIDEO_CODECS", ("h264", "hevc", "vp8", "vp9", "av1", "mpeg4")
)
MEDIA_AUDIO_CODECS: tuple[str, ...] = _setting(
    "AMBASSADORS_MEDIA_AUDIO_CODECS",
    ("aac", "opus", "vorbis", "mp3", "amr_nb", "amr_wb", "pcm_s16le", "pcm_s16be", "alac"),
)
MEDIA_MIN_SIDE: int = _setting("AMBASSADORS_MEDIA_MIN_SIDE", 96)
MEDIA_MAX_SIDE: int = _setting("AMBASSADORS_MEDIA_MAX_SIDE", 4096)
MEDIA_MAX_PIXELS: int = _setting("AMBASSADORS_MEDIA_MAX_PIXELS", 4096 * 2304)
MEDIA_MAX_FRAME_RATE: float = _setting("AMBASSADORS_MEDIA_MAX_FRAME_RATE", 240.0)
# Pixels decoded per second (width × height × frame rate), refused above this before any
# transcode: 1000 Mpx/s takes every phone mode up to 4K at 120 fps (3840×2160×120 = 995 Mpx/s;
# 4K 60 fps and 1080p 240 fps slow motion are 498 Mpx/s), refuses 4096×2304 at 240 fps (2265).
MEDIA_MAX_PIXEL_RATE: float = _setting("AMBASSADORS_MEDIA_MAX_PIXEL_RATE", 1_000_000_000)


def media_seconds_per_client_per_day() -> int:
    """Seconds of video one client (IP, behind TRUSTED_PROXY_COUNT proxies) may have processed
    per day (ambassadors.services.media_budget); 0 turns the budget off. 1800 s = 20 videos of
    the 90 s maximum, or about 30 ordinary testimonials, from one connection in a day."""
    return _setting("AMBASSADORS_MEDIA_SECONDS_PER_CLIENT_PER_DAY", 1800)


def media_review_first() -> bool:
    """Review first, encode once approved (issue 18); False: the public web rendition is made
    before review, as before. Read at each run, so a bench or a test can compare the designs."""
    return bool(_setting("AMBASSADORS_MEDIA_REVIEW_FIRST", True))


def media_review_overrides() -> dict:
    """The review file's settings a deployment overrides (`AMBASSADORS_MEDIA_REVIEW_MAX_BIT_RATE`
    in bits/s, `AMBASSADORS_MEDIA_REVIEW_PRESET`); the defaults are renditions.ReviewSpec's."""
    overrides: dict = {}
    if (bit_rate := _setting("AMBASSADORS_MEDIA_REVIEW_MAX_BIT_RATE", None)) is not None:
        overrides["max_bit_rate"] = int(bit_rate)
    if (preset := _setting("AMBASSADORS_MEDIA_REVIEW_PRESET", None)) is not None:
        overrides["preset"] = str(preset)
    return overrides


# The moderation rendition (H.264/AAC MP4) and its x264 speed/quality trade-off.
MEDIA_WEB_LONG_SIDE: int = _setting("AMBASSADORS_MEDIA_WEB_LONG_SIDE", 1280)
MEDIA_X264_PRESET: str = _setting("AMBASSADORS_MEDIA_X264_PRESET", "veryfast")
MEDIA_WEB_CRF: int = _setting("AMBASSADORS_MEDIA_WEB_CRF", 23)
# Under this length an accepted video gets the "very short" flag.
MEDIA_SHORT_FLAG_SECONDS: float = _setting("AMBASSADORS_MEDIA_SHORT_FLAG_SECONDS", 10.0)
# Near-duplicates (docs/pipeline.md): mean differing bits (of 64) per sampled second at or under
# which two videos are flagged, and how far apart their durations may be to be compared.
MEDIA_NEAR_DUPLICATE_MAX_DISTANCE: float = _setting(
    "AMBASSADORS_MEDIA_NEAR_DUPLICATE_MAX_DISTANCE", 0.04
)
MEDIA_NEAR_DUPLICATE_DURATION_SECONDS: float = _setting(
    "AMBASSADORS_MEDIA_NEAR_DUPLICATE_DURATION_SECONDS", 1.5
)
# Child-process limits: wall time = base + per-second x video duration; address space; CPU.
MEDIA_PROBE_TIMEOUT_SECONDS: float = _setting("AMBASSADORS_MEDIA_PROBE_TIMEOUT_SECONDS", 30.0)
MEDIA_TIMEOUT_BASE_SECONDS: float = _setting("AMBASSADORS_MEDIA_TIMEOUT_BASE_SECONDS", 60.0)
MEDIA_TIMEOUT_PER_VIDEO_SECOND: float = _setting("AMBASSADORS_MEDIA_TIMEOUT_PER_VIDEO_SECOND", 4.0)
# Social renditions encode three 1080p outputs: a longer budget per second of video.
MEDIA_SOCIAL_TIMEOUT_PER_VIDEO_SECOND: float = _setting(
    "AMBASSADORS_MEDIA_SOCIAL_TIMEOUT_PER_VIDEO_SECOND", 12.0
)
MEDIA_PROBE_MEMORY_BYTES: int = _setting("AMBASSADORS_MEDIA_PROBE_MEMORY_BYTES", 1024**3)
MEDIA_FFMPEG_MEMORY_BYTES: int = _setting("AMBASSADORS_MEDIA_FFMPEG_MEMORY_BYTES", 4 * 1024**3)
MEDIA_OUTPUT_MAX_BYTES: int = _setting("AMBASSADORS_MEDIA_OUTPUT_MAX_BYTES", 2 * 1024**3)
# A file that kills or times out the worker this many times is rejected (no poison loop).
MEDIA_MAX_ATTEMPTS: int = _setting("AMBASSADORS_MEDIA_MAX_ATTEMPTS", 3)
# The sweeper requeues testimonials left in uploaded/processing longer than this (must exceed
# the longest task's hard time limit) and runs every MEDIA_SWEEP_INTERVAL_SECONDS.
MEDIA_STUCK_AFTER_SECONDS: float = _setting("AMBASSADORS_MEDIA_STUCK_AFTER_SECONDS", 15 * 60.0)
MEDIA_SWEEP_INTERVAL_SECONDS: float = settings.AMBASSADORS_MEDIA_SWEEP_INTERVAL_SECONDS


# --- Moderation and publication ---------------------------------------------------------------
# The public-store sweep (`public_store_reconcile`) runs every PUBLIC_SWEEP_INTERVAL_SECONDS and
# takes down the copies of testimonials that are not published, at most MAX_TAKE_DOWNS per run
# (the next run goes on), leaving alone an approved one whose publish_at is within GRACE of now.
PUBLIC_SWEEP_INTERVAL_SECONDS: float = settings.AMBASSADORS_PUBLIC_SWEEP_INTERVAL_SECONDS


def public_sweep_max_take_downs() -> int:
    return _setting("AMBASSADORS_PUBLIC_SWEEP_MAX_TAKE_DOWNS", 200)


def public_sweep_grace_seconds() -> float:
    return _setting("AMBASSADORS_PUBLIC_SWEEP_GRACE_SECONDS", 600.0)


# --- Retention (docs/PRIVACY.md) ------------------------------------------------------------------
# Read at call time. Each figure is quoted in docs/PRIVACY.md; a test keeps the two in step.


def retention_abandoned_days() -> int:
    """A testimonial still `created` (consent given, no video sent) is erased after N days."""
    return _setting("AMBASSADORS_RETENTION_ABANDONED_DAYS", 7)


def retention_rejected_days() -> int:
    """A refused testimonial is erased N days after its refusal (the reason's label is kept)."""
    return _setting("AMBASSADORS_RETENTION_REJECTED_DAYS", 30)


def retention_sweep_interval_seconds() -> float:
    """How often the retention sweep runs (abandoned, refused, consent period ended)."""
    return settings.AMBASSADORS_RETENTION_SWEEP_INTERVAL_SECONDS
