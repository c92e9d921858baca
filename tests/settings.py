"""Test settings: the real services on loopback (PostgreSQL, Redis, an S3 endpoint).

Each can be pointed elsewhere by the same environment variables as production. An S3 endpoint
is started by the test session (moto's standalone server) unless AWS_S3_ENDPOINT_URL is set.
TEST_DATABASE_NAME and REDIS_URL let two test runs share the machine's services.

Under pytest-xdist each worker (PYTEST_XDIST_WORKER=gw0, gw1...) is isolated: it uses the Redis
db REDIS_URL names plus its index (gw0 → base, gw1 → base + 1, or base − 1 from db 15),
pytest-django suffixes its test database (`<TEST_DATABASE_NAME>_gw1`), and it starts its own S3
endpoint on its own free port (the one the controller chose is not inherited). Worker and web
processes that tests start get the worker's environment (tests/processes.py `worker_env`), so
they share only its services.
"""

import os
import re
import socket


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _worker_index() -> int:
    """0 outside xdist and for gw0, 1 for gw1..."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


REDIS_DATABASES = 16  # redis-server's default `databases`


def _redis_url_of_worker(url: str, index: int) -> str:
    """The same Redis server, db `base + index` (`redis://host:6379/10` → `/11` for gw1), or
    `base - index` past the last db (the default base, 15, gives 14 to gw1)."""
    match = re.fullmatch(r"(redis://[^/]+)(?:/(\d+))?/?", url)
    if not match or index == 0:
        return url
    base = int(match[2] or 0)
    db = base + index if base + index < REDIS_DATABASES else base - index
    return f"{match[1]}/{db}"


# The process that picked the S3 port starts the server: a worker inherits the controller's
# choice in its environment and picks its own port instead.
_S3_OWNER = os.environ.get("PYTEST_XDIST_WORKER", "main")
_S3_PICKED_BY = os.environ.get("ONPROVENCE_TEST_START_S3")
if "AWS_S3_ENDPOINT_URL" not in os.environ or _S3_PICKED_BY not in (None, _S3_OWNER):
    os.environ["AWS_S3_ENDPOINT_URL"] = f"http://127.0.0.1:{_free_port()}"
    os.environ["ONPROVENCE_TEST_START_S3"] = _S3_OWNER
    if _S3_PICKED_BY is not None:
        os.environ["CSP_MEDIA_ORIGIN"] = os.environ["AWS_S3_ENDPOINT_URL"]
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
if "PYTEST_XDIST_WORKER" in os.environ and "ONPROVENCE_TEST_REDIS_BASE" not in os.environ:
    os.environ["ONPROVENCE_TEST_REDIS_BASE"] = os.environ["REDIS_URL"]
    os.environ["REDIS_URL"] = _redis_url_of_worker(os.environ["REDIS_URL"], _worker_index())

from onprovence.settings import *  # noqa: E402, F403

DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_onprovence")}  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_ENABLED = True
