"""Fixtures shared by every test: the S3 endpoint, Redis isolation, the browser harness.

The rows our migrations seed (sectors, key figures, the consent text, groups and their
permissions...) survive transactional tests through Django's `serialized_rollback`: the test
database's content is serialized once, right after its migrations, and a transactional test
(`django_db(transaction=True)`, `transactional_db` or `live_server`) gets it loaded back before
it starts. `pytest_collection_modifyitems` below sets `serialized_rollback=True` on every such
test, so their modules need not say it. pytest-django runs the database tests first and the
transactional ones after them, so a test in a rolled-back transaction never follows a flush.
It replaced replaying the migrations' RunPython steps by hand: the serialized copy is exactly
what the migrations left (content types and permissions included) and costs one load per
transactional test. `_seeded_rows` covers the one case Django misses (a connection object
created after Playwright switched the test thread's context).

Markers: `browser` (Chromium through Playwright: any test using the browser fixtures or in a
`*_browser.py` module) and `slow` (a test whose code or fixtures start worker or web processes,
or that is listed in SLOW_TESTS) are set here at collection; `make test-fast` deselects both.
"""

import contextlib
import functools
import inspect
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from tests import processes

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "var" / "screenshots"))
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="session", autouse=True)
def s3_endpoint() -> Iterator[str]:
    """The S3 endpoint on loopback with the private and public buckets created."""
    import boto3

    endpoint = os.environ["AWS_S3_ENDPOINT_URL"]
    server = (
        processes.start_s3_server(endpoint) if os.environ.get("ONPROVENCE_TEST_START_S3") else None
    )
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=os.environ["AWS_S3_REGION_NAME"],
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    )
    for bucket in {settings.S3_PRIVATE_BUCKET, settings.S3_PUBLIC_BUCKET}:
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(
                Bucket=bucket,
                CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_S3_REGION_NAME"]},
            )
    yield endpoint
    if server is not None:
        processes.stop(server)


# --- Collection: the database restore, the fast lane's markers, serial groups -----------------

BROWSER_FIXTURES = {"browser", "phone_page", "desktop_page", "playwright_instance"}
# A test whose own code or fixtures start a worker, a web server or another Python process
# (manage.py, celery, gunicorn) is `slow` (`make test-fast` skips it).
PROCESS_STARTERS = re.compile(r"\b(start_worker|start_web|Popen)\(|\bsys\.executable\b")
# Tests marked slow by node id prefix: they encode many or long clips, or fuzz for seconds
# (measured with `pytest --durations`); add a test here or mark it `@pytest.mark.slow`.
SLOW_TESTS = (
    "tests/ambassadors/media/test_corpus.py",
    "tests/ambassadors/test_near_duplicates.py",
    "tests/onprovence/test_fuzz.py",
    # The branded social cuts (three encodes per test) and the speech model's inference.
    "tests/ambassadors/test_social_cuts_policy.py",
    "tests/ambassadors/test_captions_social_rerender.py",
    "tests/ambassadors/test_processing_social.py",
    "tests/ambassadors/test_speech.py",
    # Waits out a Redis subscription's keep-alive; walks a thousand folders.
    "tests/showcase/test_home_cache.py::test_a_quiet_subscription_stays_alive",
    "tests/ambassadors/test_public_sweep.py::test_more_than_a_thousand_folders",
)
# Tests that share something outside the per-worker services run on one xdist worker, one after
# the other (`--dist loadgroup`): the bench smoke tests share a database and a Redis db. A group
# runs where its first test is in pytest-django's order, so its tests must be of one kind
# (all database tests, all transactional, or all without the database).
SERIAL_GROUPS = {"tests/bench/": "bench-smoke"}


@functools.cache
def _starts_processes(function) -> bool:
    try:
        return bool(PROCESS_STARTERS.search(inspect.getsource(function)))
    except (OSError, TypeError):
        return False


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(
        (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
        or fixtures & {"transactional_db", "live_server"}
    )


def pytest_configure(config) -> None:
    """Under `--dist loadgroup` xdist would run the biggest groups first, before the database
    tests pytest-django put in front: a transactional group would then flush the seeded rows
    under them. Keep the collection order (each group runs where its first test is)."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


# tryfirst: xdist's own hook (--dist loadgroup) reads the xdist_group marks added here.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.path)).relative_to(ROOT).as_posix()
        if _is_transactional(item):
            marker = item.get_closest_marker("django_db")
            kwargs = dict(marker.kwargs) if marker else {}
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & BROWSER_FIXTURES or path.endswith("_browser.py"):
            item.add_marker(pytest.mark.browser)
        definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
        functions = [getattr(item, "function", None)] + [
            definition.func
            for name in fixtures
            for definition in definitions.get(name, ())
            if Path(inspect.getfile(definition.func)).is_relative_to(ROOT / "tests")
        ]
        if any(_starts_processes(function) for function in functions if function) or any(
            item.nodeid.startswith(name) for name in SLOW_TESTS
        ):
            item.add_marker(pytest.mark.slow)
        for prefix, group in SERIAL_GROUPS.items():
            if path.startswith(prefix):
                item.add_marker(pytest.mark.xdist_group(group))


_SERIALIZED: dict[str, str] = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's set-up, keeping the serialized copy of each test database's content."""
    from django.db import connections

    for alias in connections:
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents is not None:
            _SERIALIZED[alias] = contents


@pytest.fixture(autouse=True)
def _seeded_rows(request, django_db_blocker):
    """Load the serialized copy where Django's `serialized_rollback` could not.

    Django keeps the copy on the connection object, and the connection handler is local to the
    context: once Playwright's sync API has run in the test thread, a test may get a fresh
    connection object without it (the browser tests did), and Django then skips both the load
    and the flush without post_migrate. Giving that connection the copy restores both.
    """
    if _is_transactional(request.node):
        from django.db import connections

        request.getfixturevalue("transactional_db")
        with django_db_blocker.unblock():
            for alias, contents in _SERIALIZED.items():
                connection = connections[alias]
                if not hasattr(connection, "_test_serialized_contents"):
                    connection._test_serialized_contents = contents
                    connection.creation.deserialize_db_from_string(contents)
    yield


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Each test starts with an empty Redis cache (rate limits, counters)."""
    cache.clear()
    yield


@pytest.fixture
def s3_client():
    from onprovence.storage import private_storage

    return private_storage().connection.meta.client


@pytest.fixture
def local_storage(settings, tmp_path):
    """Switch both media stores to local folders (the embedded default) for one test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
        "public": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "public"), "base_url": "/media/public/"},
        },
    }
    return tmp_path


# --- Browser harness: Playwright driving Debian's Chromium -----------------------------------


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    from tests.browser import launch_chromium

    browser = launch_chromium(playwright_instance)
    yield browser
    browser.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A page in a fresh phone-sized context (360×740, touch, French)."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="fr-FR"
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Save a (full-page) screenshot as var/screenshots/<name>.png and return its path.

    Tests never write into docs/: `make screenshots` refreshes the ones kept there.
    """

    def take(page, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture(autouse=True)
def _forget_local_pages() -> Iterator[None]:
    """Each test starts without the campaign pages a process keeps (campaigns.pagecache): the
    database is rolled back between tests without any change being published."""
    from campaigns.pagecache import local_pages_forget

    local_pages_forget()
    yield
