"""No environment at all: SQLite, local files under var/, a real worker on an embedded broker."""

import os
import subprocess
import sys

import pytest

from tests import processes

pytestmark = pytest.mark.slow

SERVICE_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "S3_PRIVATE_BUCKET",
    "S3_PUBLIC_BUCKET",
    "AWS_S3_ENDPOINT_URL",
    "STATICFILES_BACKEND",
    "DJANGO_SETTINGS_MODULE",
}


@pytest.fixture
def bare_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env["ONPROVENCE_VAR_DIR"] = str(tmp_path / "var")
    env["DJANGO_SETTINGS_MODULE"] = "onprovence.settings"
    return env


def manage(env, *args, timeout=120):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=processes.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_bare_settings_use_sqlite_local_storage_and_the_filesystem_broker(bare_env, tmp_path):
    result = manage(
        bare_env,
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE']); print(s.STORAGES['default']['BACKEND']); "
        "print(s.CELERY_BROKER_URL); print(s.DEBUG); print(s.CELERY_TASK_ALWAYS_EAGER "
        "if hasattr(s, 'CELERY_TASK_ALWAYS_EAGER') else False)",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.files.storage.FileSystemStorage",
        "filesystem://localhost//",
        "True",
        "False",
    ]


def test_a_real_worker_process_runs_a_task_from_the_embedded_broker(bare_env, tmp_path):
    assert manage(bare_env, "migrate", "-v0").returncode == 0
    worker = processes.start_worker(
        env=bare_env, pool="solo", hostname="embedded", log_path=tmp_path / "worker.log"
    )
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from onprovence.celery import ping; "
                "print(ping.delay().get(timeout=60))",
            ],
            cwd=processes.ROOT,
            env=bare_env,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    finally:
        processes.stop(worker)

    assert result.returncode == 0, result.stderr + (tmp_path / "worker.log").read_text()
    assert result.stdout.strip() == "pong"
    # kombu warns on every message when the broker URL has no host; ours gives one.
    assert "No hostname was supplied" not in result.stderr
    assert worker.returncode is not None
    # kombu's exchange tables live under var/, not in the working directory (the repository).
    assert (tmp_path / "var" / "celery" / "control" / "celery.pidbox.exchange").is_file()


def test_the_home_page_and_healthz_answer_on_the_embedded_defaults(bare_env):
    assert manage(bare_env, "migrate", "-v0").returncode == 0
    result = manage(
        bare_env,
        "shell",
        "-v",
        "0",
        "-c",
        "from django.test import Client; c = Client(HTTP_HOST='localhost'); "
        "print(c.get('/').status_code, c.get('/en/').status_code, "
        "c.get('/healthz').content.decode())",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '200 200 {"status": "ok", "database": "ok", "broker": "ok", "storage": "ok"}'
    )


def test_a_change_made_in_a_worker_process_reaches_the_web_process_cache(bare_env):
    # A worker publishes a testimonial and bumps the version cached pages are keyed on; the
    # web process, another process, must see the new version (a per-process cache did not:
    # the home page kept showing the old content for an hour).
    read = "from campaigns.pagecache import PAGES_VERSION; print(PAGES_VERSION.current())"
    bump = "from campaigns.pagecache import content_changed; content_changed()"

    before = manage(bare_env, "shell", "-v", "0", "-c", read)
    assert manage(bare_env, "shell", "-v", "0", "-c", bump).returncode == 0
    after = manage(bare_env, "shell", "-v", "0", "-c", read)

    assert before.returncode == 0 and after.returncode == 0, before.stderr + after.stderr
    assert int(after.stdout) == int(before.stdout) + 1
