"""Settings of bench/redirect.py and bench/http_load.py: production-like (DEBUG off) plus the
bench views (bench/urls.py)."""

from onprovence.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False
SECURE_SSL_REDIRECT = False  # plain HTTP on loopback
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
