"""Start real service processes for tests: the S3 endpoint and Celery workers."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def wait_for_port(host: str, port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout} s")


def start_s3_server(endpoint_url: str) -> subprocess.Popen:
    """Start moto's standalone S3 server on the endpoint's loopback port."""
    url = urlparse(endpoint_url)
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", url.hostname, "-p", str(url.port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(url.hostname, url.port)
    return process


def start_worker(
    *,
    env: dict[str, str],
    queues: str = "default,media",
    concurrency: int = 1,
    pool: str = "prefork",
    hostname: str = "test-worker",
    log_path: Path | None = None,
) -> subprocess.Popen:
    """Start `celery -A onprovence worker` as its own process with the given environment."""
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "onprovence",
            "worker",
            "-Q",
            queues,
            "-c",
            str(concurrency),
            "-P",
            pool,
            "-n",
            f"{hostname}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, grandchildren...), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def stop_tree(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop a process, then kill what it started and left behind (a worker's pool, its ffmpeg).

    The tree is read first: once the parent is gone its orphans can no longer be found.
    """
    below = descendants(process.pid)
    stop(process, timeout)
    for pid in below:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def worker_env(**overrides: str) -> dict[str, str]:
    """The current environment for a worker process that shares this test session's services.

    It points the worker at the test database (not the one named in DATABASE_URL) so a worker
    sees what `transactional_db` tests commit.
    """
    from django.conf import settings

    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    env.update(overrides)
    return env
