"""Settings for the One Provence platform.

One environment reader; every service has an embedded default (SQLite, local files under var/,
an embedded Celery broker, console email) and an environment variable that switches it to the
real service. See README.md, "Configuration", for the full list.
"""

import os
import shutil
from pathlib import Path

import environ
from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

from onprovence.secret_key import DEVELOPMENT_SECRET_KEY, secret_key_validate

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

VAR_DIR = Path(env("ONPROVENCE_VAR_DIR", default=str(BASE_DIR / "var")))

# --- Core -----------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=True)
# With DEBUG off a missing, weak or published key stops every process (onprovence/secret_key.py).
# Rotation: the new key in DJANGO_SECRET_KEY, the old ones (comma-separated) in
# DJANGO_SECRET_KEY_FALLBACKS, so residents' links keep working; drop them once they may.
SECRET_KEY = env("DJANGO_SECRET_KEY", default=None if not DEBUG else DEVELOPMENT_SECRET_KEY)
SECRET_KEY_FALLBACKS = [
    key.strip() for key in env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[]) if key.strip()
]
if not DEBUG:
    secret_key_validate(secret_key=SECRET_KEY, fallbacks=SECRET_KEY_FALLBACKS)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Absolute base of links sent by email and in feeds (no request at hand in a worker).
SITE_URL = env("SITE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "storages",
    "axes",
    "csp",
    "onprovence",
    "campaigns",
    "ambassadors",
    "employer_kit",
    "showcase",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "onprovence.urls"
WSGI_APPLICATION = "onprovence.wsgi.application"
ASGI_APPLICATION = "onprovence.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database: SQLite by default, DATABASE_URL for PostgreSQL --------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite (embedded default) cannot make FunnelCount's "NULLs not distinct" unique constraint;
# campaigns.services.funnel_record serialises its update-else-create there instead.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

# --- Cache and Celery broker: Redis when REDIS_URL is set, embedded otherwise ----------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "onprovence",
        }
    }
else:
    # On disk, not in each process' memory: the workers publish testimonials and bump the
    # versions that the web process' cached pages and feeds are keyed on.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Celery (https://docs.celeryq.dev/en/stable/userguide/configuration.html). The embedded broker
# is kombu's filesystem transport: a real worker process, messages as files under var/celery/.
# (A host in the URL, though unused, keeps kombu from warning on every message sent.)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery" / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # Its exchange tables, else kombu writes them to ./control in the working directory.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = env(
        "CELERY_RESULT_BACKEND", default=f"file://{VAR_DIR / 'celery' / 'results'}"
    )
    for _folder in (_broker_dir, VAR_DIR / "celery" / "processed", VAR_DIR / "celery" / "results"):
        os.makedirs(_folder, exist_ok=True)
else:
    # Must exceed the longest task (hard limit of a transcode), or Redis redelivers it while
    # it is still running: https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 3600}
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_DEFAULT_QUEUE = "default"
# Media work goes to its own queue (workers: `-Q media` with prefetch 1). Tasks are routed by
# name (ambassadors/task_names.py) so services queue them without importing the task modules.
CELERY_TASK_ROUTES = {
    "ambassadors.process_testimonial": {"queue": "media"},
    "ambassadors.render_social_renditions": {"queue": "media"},
    "employer_kit.analyse_kit_asset": {"queue": "media"},
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
# Every periodic task, here and nowhere else (tests/onprovence/test_beat_schedule.py checks each
# names a registered task). Task names: ambassadors/task_names.py. The three sweep intervals
# below are the apps' only knobs whose default lives here (the schedule needs them); every
# other knob has its default in its app's conf.py (docs/architecture.md, "Settings").
AMBASSADORS_MEDIA_SWEEP_INTERVAL_SECONDS = env.float(
    "AMBASSADORS_MEDIA_SWEEP_INTERVAL_SECONDS", default=300.0
)
AMBASSADORS_PUBLIC_SWEEP_INTERVAL_SECONDS = env.float(
    "AMBASSADORS_PUBLIC_SWEEP_INTERVAL_SECONDS", default=3600.0
)
AMBASSADORS_RETENTION_SWEEP_INTERVAL_SECONDS = env.float(
    "AMBASSADORS_RETENTION_SWEEP_INTERVAL_SECONDS", default=3600.0
)
# The one length limit of a testimonial video (ambassadors/conf.py reads it): its default lives
# here too, as the campaign's printed posters (campaigns, below ambassadors) say it.
AMBASSADORS_MAX_DURATION_SECONDS = env.float("AMBASSADORS_MAX_DURATION_SECONDS", default=90.0)
CELERY_BEAT_SCHEDULE = {
    # A testimonial goes out at most a minute after its publish_at.
    "ambassadors.publish_due_testimonials": {
        "task": "ambassadors.publish_due_testimonials",
        "schedule": 60.0,
    },
    "ambassadors.reconcile_public_store": {
        "task": "ambassadors.reconcile_public_store",
        "schedule": AMBASSADORS_PUBLIC_SWEEP_INTERVAL_SECONDS,
    },
    "ambassadors.requeue_stuck_testimonials": {
        "task": "ambassadors.requeue_stuck_testimonials",
        "schedule": AMBASSADORS_MEDIA_SWEEP_INTERVAL_SECONDS,
    },
    "ambassadors.cleanup_local_uploads": {
        "task": "ambassadors.cleanup_local_uploads",
        "schedule": 3600.0,
    },
    "ambassadors.parent_confirmations": {
        "task": "ambassadors.parent_confirmations",
        "schedule": 3600.0,
    },
    **{
        name: {"task": name, "schedule": AMBASSADORS_RETENTION_SWEEP_INTERVAL_SECONDS}
        for name in (
            "ambassadors.retention_erase_abandoned",
            "ambassadors.retention_erase_rejected",
            "ambassadors.retention_erase_consent_ended",
        )
    },
    "campaigns: flush QR scan counts": {"task": "campaigns.flush_scan_counts", "schedule": 60.0},
}

# --- Storage: local folders by default, S3 when S3_PRIVATE_BUCKET is set ---------------------
# Two stores: "default" (private: originals, unmoderated renditions, kit files; presigned or
# signed URLs only) and "public" (published renditions, served as they are or through a CDN).
S3_PRIVATE_BUCKET = env("S3_PRIVATE_BUCKET", default="")
S3_PUBLIC_BUCKET = env("S3_PUBLIC_BUCKET", default="")
MEDIA_ROOT = VAR_DIR / "media"
PUBLIC_MEDIA_URL = env("PUBLIC_MEDIA_URL", default="/media/public/")
if S3_PRIVATE_BUCKET:
    _s3 = {
        "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
        # The address browsers reach the store by, when it differs (onprovence/storage.py).
        "browser_endpoint_url": env("AWS_S3_BROWSER_ENDPOINT_URL", default=None),
        "region_name": env("AWS_S3_REGION_NAME", default="eu-west-3"),
        "access_key": env("AWS_ACCESS_KEY_ID", default=None),
        "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
        "signature_version": "s3v4",
        "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default="path"),
        "file_overwrite": True,
    }
    STORAGES = {
        "default": {
            "BACKEND": "onprovence.storage.S3StorageForBrowsers",
            "OPTIONS": {
                **_s3,
                "bucket_name": S3_PRIVATE_BUCKET,
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 600,
            },
        },
        "public": {
            "BACKEND": "onprovence.storage.S3StorageForBrowsers",
            "OPTIONS": {
                **_s3,
                "bucket_name": S3_PUBLIC_BUCKET or S3_PRIVATE_BUCKET,
                "querystring_auth": False,
                "custom_domain": env("S3_PUBLIC_CUSTOM_DOMAIN", default=None),
            },
        },
    }
else:
    STORAGES = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(MEDIA_ROOT / "private"), "base_url": None},
        },
        "public": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(MEDIA_ROOT / "public"), "base_url": PUBLIC_MEDIA_URL},
        },
    }
# S3 calls a web request waits on (the upload protocol: create/list/complete multipart) fail
# fast when the store is away, so a sync worker is freed and the phone's uploader retries sooner;
# workers keep boto's defaults (60 s timeouts, 5 attempts) and retry later anyway. Only
# CompleteMultipartUpload keeps a long read timeout: S3 may take a while to assemble a big video.
# Read by onprovence/storage.py::web_s3_client; why these values: docs/reliability/outage.md.
S3_WEB_CLIENT = {
    "connect_timeout": env.float("S3_WEB_CONNECT_TIMEOUT", default=1.0),
    "read_timeout": env.float("S3_WEB_READ_TIMEOUT", default=2.0),
    "complete_read_timeout": env.float("S3_WEB_COMPLETE_READ_TIMEOUT", default=60.0),
    "max_attempts": env.int("S3_WEB_MAX_ATTEMPTS", default=2),
}
STORAGES["staticfiles"] = {
    "BACKEND": env(
        "STATICFILES_BACKEND",
        default="whitenoise.storage.CompressedManifestStaticFilesStorage",
    )
}
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Largest request body Django itself reads (videos never pass through a form; parts are
# streamed by the upload endpoint). Protects against oversized form fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Media tools -----------------------------------------------------------------------------
FFMPEG_BINARY = env("FFMPEG_BINARY", default=shutil.which("ffmpeg") or "ffmpeg")
FFPROBE_BINARY = env("FFPROBE_BINARY", default=shutil.which("ffprobe") or "ffprobe")
MEDIA_WORK_DIR = Path(env("MEDIA_WORK_DIR", default=str(VAR_DIR / "work")))

# The apps' own knobs (defaults in ambassadors/conf.py); those a deployment sets by environment:
# the S3 address browsers upload to when it differs from the one the web processes use, the
# origins allowed to PUT upload parts (default: SITE_URL), and the x264 speed/size trade-off.
if env("AMBASSADORS_UPLOAD_ENDPOINT_URL", default="") or env(
    "AWS_S3_BROWSER_ENDPOINT_URL", default=""
):
    AMBASSADORS_UPLOAD_ENDPOINT_URL = env(
        "AMBASSADORS_UPLOAD_ENDPOINT_URL", default=env("AWS_S3_BROWSER_ENDPOINT_URL", default="")
    )
if env("AMBASSADORS_UPLOAD_CORS_ORIGINS", default=""):
    AMBASSADORS_UPLOAD_CORS_ORIGINS = env.list("AMBASSADORS_UPLOAD_CORS_ORIGINS")
if env("AMBASSADORS_MEDIA_X264_PRESET", default=""):
    AMBASSADORS_MEDIA_X264_PRESET = env("AMBASSADORS_MEDIA_X264_PRESET")
# The public-store sweep (ambassadors/conf.py): how many take-downs a run, the grace.
if env("AMBASSADORS_PUBLIC_SWEEP_MAX_TAKE_DOWNS", default=""):
    AMBASSADORS_PUBLIC_SWEEP_MAX_TAKE_DOWNS = env.int("AMBASSADORS_PUBLIC_SWEEP_MAX_TAKE_DOWNS")
if env("AMBASSADORS_PUBLIC_SWEEP_GRACE_SECONDS", default=""):
    AMBASSADORS_PUBLIC_SWEEP_GRACE_SECONDS = env.float("AMBASSADORS_PUBLIC_SWEEP_GRACE_SECONDS")
# A minor's parent: reminder days after the upload ("2,5"), days before an unconfirmed withdrawal.
if env("AMBASSADORS_PARENT_REMINDER_DAYS", default=""):
    AMBASSADORS_PARENT_REMINDER_DAYS = tuple(
        int(day) for day in env.list("AMBASSADORS_PARENT_REMINDER_DAYS")
    )
if env("AMBASSADORS_PARENT_CONFIRMATION_DAYS", default=""):
    AMBASSADORS_PARENT_CONFIRMATION_DAYS = env.int("AMBASSADORS_PARENT_CONFIRMATION_DAYS")

# --- Email -----------------------------------------------------------------------------------
# Embedded default: each email a file in EMAIL_FILE_PATH (never in a log: an erasure deletes a
# resident's emails there, see onprovence.erasure.mail_files_erase). SMTP in production.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="onprovence.mail.FileEmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="One Provence <ambassadeurs@onprovence.fr>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Languages and time ----------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

# --- Authentication and security -------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes: lock an IP + username pair after 5 failures for one hour
# (https://django-axes.readthedocs.io/en/latest/4_configuration.html).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Number of trusted proxies in front of the app: the client IP is then read from the
# X-Forwarded-For entry that many hops from the right. 0 = use REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Axes reads the client IP through the rate limiter's reader (the one that honours
# TRUSTED_PROXY_COUNT), not REMOTE_ADDR: behind a proxy that is every client's address, and
# one client's failures would lock the account for all.
AXES_CLIENT_IP_CALLABLE = "onprovence.ratelimit.client_ip"

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = not DEBUG
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Strict Content-Security-Policy: no third-party origin at all; inline scripts need the nonce.
# https://django-csp.readthedocs.io/en/latest/configuration.html
_media_origins = [o for o in [env("CSP_MEDIA_ORIGIN", default="")] if o]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *_media_origins],
        "media-src": ["'self'", "blob:", *_media_origins],
        "connect-src": ["'self'", *_media_origins],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Logging: personal data is never logged; Celery and Django to stderr ---------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": env("LOG_LEVEL", default="INFO")},
}

# Create the embedded-default folders on first use so a bare checkout just runs.
for _folder in (VAR_DIR, MEDIA_ROOT, MEDIA_WORK_DIR, STATIC_ROOT):
    os.makedirs(_folder, exist_ok=True)

# Speech drafts (issue 19, docs/speech.md): the whisper.cpp ggml model file the `speech` queue's
# workers transcribe with. Empty: the stage is skipped (and the desk says so).
SPEECH_MODEL_PATH = env("SPEECH_MODEL_PATH", default="")
CELERY_TASK_ROUTES["ambassadors.transcribe_testimonial"] = {"queue": "speech"}
# Its knobs (defaults in ambassadors/services/speech.py): whisper.cpp threads, the wall-time
# budget per second of video, the child process's address space.
if env("SPEECH_THREADS", default=""):
    SPEECH_THREADS = env.int("SPEECH_THREADS")
if env("SPEECH_TIMEOUT_PER_SECOND", default=""):
    SPEECH_TIMEOUT_PER_SECOND = env.float("SPEECH_TIMEOUT_PER_SECOND")
if env("SPEECH_MEMORY_BYTES", default=""):
    SPEECH_MEMORY_BYTES = env.int("SPEECH_MEMORY_BYTES")
