"""Fixtures shared by every test: the S3 endpoint, Redis isolation, the browser harness."""

import contextlib
import functools
import os
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


OUR_APPS = ("campaigns", "ambassadors", "employer_kit", "onprovence")


@functools.cache
def _seed_steps() -> list:
    """The RunPython steps of our apps' migrations, in migration order."""
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython

    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan: list = []
    for node in loader.graph.leaf_nodes():
        if node[0] in OUR_APPS:
            plan += [key for key in loader.graph.forwards_plan(node) if key not in plan]
    return [
        operation.code
        for key in plan
        if key[0] in OUR_APPS
        for operation in loader.graph.nodes[key].operations
        if isinstance(operation, RunPython)
    ]


@pytest.fixture(autouse=True)
def _seeded_rows(request, django_db_blocker):
    """Bring back the rows our migrations seed (sectors, key figures, consent text, groups...).

    A transactional test ends with a flush of every table, so the next one would otherwise run
    without them; the seed steps are idempotent.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        from django.apps import apps

        request.getfixturevalue("transactional_db")
        with django_db_blocker.unblock():
            for step in _seed_steps():
                step(apps, None)
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
