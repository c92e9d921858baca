"""Test settings: the real services on loopback (PostgreSQL, Redis, an S3 endpoint).

Each can be pointed elsewhere by the same environment variables as production. An S3 endpoint
is started by the test session (moto's standalone server) unless AWS_S3_ENDPOINT_URL is set.
TEST_DATABASE_NAME and REDIS_URL let two test runs share the machine's services.
"""

import os
import socket


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if "AWS_S3_ENDPOINT_URL" not in os.environ:
    os.environ["AWS_S3_ENDPOINT_URL"] = f"http://127.0.0.1:{_free_port()}"
    os.environ["ONPROVENCE_TEST_START_S3"] = "1"
for _name, _value in {
    "DATABASE_URL": "postgres://postgres:postgres@127.0.0.1:5432/test",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "S3_PRIVATE_BUCKET": "onprovence-private",
    "S3_PUBLIC_BUCKET": "onprovence-public",
    "AWS_ACCESS_KEY_ID": "test-access-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret-key",
    "AWS_S3_REGION_NAME": "eu-west-3",
    "CSP_MEDIA_ORIGIN": os.environ["AWS_S3_ENDPOINT_URL"],
    "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    # Playwright's sync API runs an event loop in the test thread; the ORM calls it makes
    # there are still synchronous.
    "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
}.items():
    os.environ.setdefault(_name, _value)

from onprovence.settings import *  # noqa: E402, F403

DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_onprovence")}  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_ENABLED = True
