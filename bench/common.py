"""What the load scripts share: memory of the web processes, the plain baselines, Celery workers
and CPU time, figures (percentiles, load average)."""

import multiprocessing
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SAMPLE_SECONDS = 0.05
IDLE_SECONDS = 2.0


def load_average() -> str:
    """The three load averages, as every script prints them."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def video_duration(path: Path) -> float:
    """What the page's <video> element reports, the duration the uploader sends at start."""
    output = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(output.strip())


# --- Memory of the web processes --------------------------------------------------------------


def _status_kb(pid: int, field_name: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def web_pids(master: int) -> list[int]:
    """The gunicorn master and its workers (its children)."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        if parent == master:
            children.append(int(entry))
    return [master, *sorted(children)]


def _sample(master: int, stop, output) -> None:
    samples = []
    while not stop.is_set():
        now = time.monotonic()
        rss = {pid: _status_kb(pid, "VmRSS") for pid in web_pids(master)}
        samples.append((now, {pid: kb for pid, kb in rss.items() if kb is not None}))
        time.sleep(SAMPLE_SECONDS)
    output.send(samples)
    output.close()


class RssSampler:
    """Samples the RSS of gunicorn's processes from a separate process (no GIL contention)."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.stop = multiprocessing.Event()
        self.receiver, sender = multiprocessing.Pipe(duplex=False)
        self.process = multiprocessing.Process(target=_sample, args=(master, self.stop, sender))
        self.samples: list[tuple[float, dict[int, int]]] = []

    def __enter__(self) -> "RssSampler":
        self.process.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.samples = self.receiver.recv()
        self.process.join()

    def window(self, start: float, end: float) -> list[dict[int, int]]:
        return [rss for when, rss in self.samples if start <= when <= end]


def rss_summary(samples: list[dict[int, int]], how) -> tuple[dict[int, float], float]:
    """Per process and summed RSS (MB) over samples: `how` is max or median."""
    if not samples:
        return {}, 0.0
    pids = sorted({pid for sample in samples for pid in sample})
    per_pid = {pid: how([s[pid] for s in samples if pid in s]) / 1024 for pid in pids}
    total = how([sum(sample.values()) for sample in samples]) / 1024
    return per_pid, total


def print_rss(label: str, sampler: RssSampler, windows: dict[str, tuple[float, float]]) -> None:
    idle = sampler.window(*windows["idle before"])
    during = sampler.window(*windows["during"])
    after = sampler.window(*windows["idle after"])
    pids = sorted({pid for sample in idle + during + after for pid in sample})
    idle_pid, idle_total = rss_summary(idle, statistics.median)
    peak_pid, peak_total = rss_summary(during, max)
    after_pid, after_total = rss_summary(after, statistics.median)
    every = (windows["during"][1] - windows["during"][0]) / max(1, len(during) - 1)
    print(
        f"{label} RSS (MB; {len(during)} samples during the uploads, one every "
        f"{every * 1000:.0f} ms; idle = median over {IDLE_SECONDS:.0f} s):"
    )
    print(f"  {'process':<16}{'idle before':>12}{'peak during':>13}{'idle after':>12}{'VmHWM':>9}")
    for index, pid in enumerate(pids):
        name = "master" if pid == sampler.master else f"worker {index}"
        hwm = (_status_kb(pid, "VmHWM") or 0) / 1024
        print(
            f"  {name + f' ({pid})':<16}{idle_pid.get(pid, 0):>12.1f}{peak_pid.get(pid, 0):>13.1f}"
            f"{after_pid.get(pid, 0):>12.1f}{hwm:>9.1f}"
        )
    print(f"  {'sum':<16}{idle_total:>12.1f}{peak_total:>13.1f}{after_total:>12.1f}")
    growth = max((peak_pid.get(pid, 0) - idle_pid.get(pid, 0) for pid in pids), default=0)
    print(
        f"  peak - idle: sum {peak_total - idle_total:+.1f} MB, largest per process "
        f"{growth:+.1f} MB"
    )


# --- Baselines --------------------------------------------------------------------------------


def all_at_once(files: list[Path], action: Callable[[int, Path], None]) -> float:
    """Run `action(index, path)` for every file, one thread each, all released together by a
    barrier; return the wall time from the release to the last one done."""
    barrier = threading.Barrier(len(files) + 1)

    def run(index: int, path: Path) -> None:
        barrier.wait()
        action(index, path)

    with ThreadPoolExecutor(len(files)) as pool:
        futures = [pool.submit(run, i, path) for i, path in enumerate(files)]
        barrier.wait()
        started = time.monotonic()
        for future in futures:
            future.result()
        return time.monotonic() - started


def boto3_round(
    endpoint: str, bucket: str, files: list[Path], part_size: int, *, concurrency: int
) -> float:
    """Upload every file at once with plain boto3 (one thread per file); return the wall time."""
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=os.environ["AWS_S3_REGION_NAME"],
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        config=Config(max_pool_connections=len(files) * concurrency + 10),
    )
    transfer = TransferConfig(
        multipart_threshold=part_size,
        multipart_chunksize=part_size,
        max_concurrency=concurrency,
        use_threads=True,
    )

    def upload(index: int, path: Path) -> None:
        client.upload_file(str(path), bucket, f"bench-baseline/{index}", Config=transfer)

    seconds = all_at_once(files, upload)
    for index, path in enumerate(files):
        size = client.head_object(Bucket=bucket, Key=f"bench-baseline/{index}")["ContentLength"]
        assert size == path.stat().st_size, (index, size)
        client.delete_object(Bucket=bucket, Key=f"bench-baseline/{index}")
    return seconds


def copy_round(folder: Path, files: list[Path]) -> float:
    """Copy every file at once into a folder on the same disk; return the wall time."""
    folder.mkdir(parents=True, exist_ok=True)

    def copy(index: int, path: Path) -> None:
        target = folder / str(index)
        shutil.copyfile(path, target)
        with open(target, "rb+") as out:
            os.fsync(out.fileno())

    seconds = all_at_once(files, copy)
    shutil.rmtree(folder)
    return seconds


# --- Celery workers and CPU time ---------------------------------------------------------------


def worker_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="false",
        # DEBUG off needs a key of its own (onprovence/secret_key.py).
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    return env


def wait_for_worker(app, timeout: float = 60, count: int = 1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=1.0)) >= count:
            return
    raise RuntimeError(f"{count} worker(s) did not answer a ping within {timeout:.0f} s")


def tree_cpu(pid: int) -> float:
    """CPU seconds used by a process and everything below it, finished children included."""
    from tests.processes import descendants

    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in [pid, *descendants(pid)]:
        try:
            stat = Path(f"/proc/{member}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / ticks


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores (/proc/stat)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


class CpuMeter:
    """CPU seconds spent by named process trees (and this process, and the whole machine)
    while a block runs: where the time of a timed window went."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.spent: dict[str, float] = {}
        self.machine_share = 0.0

    def _now(self) -> dict[str, float]:
        own = os.times()
        figures = {name: tree_cpu(pid) for name, pid in self.pids.items()}
        figures["this process"] = own.user + own.system
        figures["machine busy"], figures["machine total"] = machine_busy()
        return figures

    def __enter__(self) -> "CpuMeter":
        self.before = self._now()
        return self

    def __exit__(self, *exc) -> None:
        after = self._now()
        spent = {name: after[name] - self.before[name] for name in after}
        self.machine_share = spent.pop("machine busy") / max(spent.pop("machine total"), 1e-9)
        self.spent = spent

    def describe(self) -> str:
        parts = [f"{name} {seconds:.1f} s" for name, seconds in self.spent.items()]
        return ", ".join(parts) + f"; machine busy {self.machine_share:.0%}"


def start_upload_store(endpoint: str, env: dict[str, str], root: Path) -> subprocess.Popen:
    """Start moto's S3 server at `endpoint` with the site's two buckets, and set the private
    bucket's CORS rule as docker-compose.yml does at deployment (`configure_upload_bucket`)."""
    import boto3

    from tests.processes import start_s3_server, stop

    server = start_s3_server(endpoint)
    try:
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name=env["AWS_S3_REGION_NAME"])
        for bucket in (env["S3_PRIVATE_BUCKET"], env["S3_PUBLIC_BUCKET"]):
            s3.create_bucket(
                Bucket=bucket,
                CreateBucketConfiguration={"LocationConstraint": env["AWS_S3_REGION_NAME"]},
            )
        subprocess.run(
            [sys.executable, "manage.py", "configure_upload_bucket"],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
        )
    except BaseException:
        stop(server)
        raise
    return server


def export_environment(env: dict[str, str], optional: tuple[str, ...]) -> None:
    """Make `env` this process's environment too (Django is set up here for the checks),
    without any of the `optional` variables that `env` leaves out."""
    os.environ.update(env)
    for name in optional:
        if name not in env:
            os.environ.pop(name, None)
