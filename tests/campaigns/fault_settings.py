"""Settings of the gunicorn server of tests/campaigns/test_scan_faults.py: like production.

Persistent connections (CONN_MAX_AGE, with the health checks onprovence/settings.py turns on)
are what a dropped PostgreSQL connection hurts: the next request finds a dead one. The test
settings close them after each request, so this module keeps them.
"""

from tests.settings import *  # noqa: F403

DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
DEBUG = False
SECURE_SSL_REDIRECT = False  # plain HTTP on loopback
