"""The kit as one ZIP: contents, README of credits and rights, talking points, and a
300 MB kit streamed by a separate server process with bounded memory."""

import hashlib
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from employer_kit.models import KitAsset, KitDownload
from tests import processes
from tests.employer_kit.conftest import log_in, pdf_bytes, png_bytes

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


@pytest.mark.django_db
def test_archive_holds_the_filtered_assets_a_readme_of_rights_and_the_talking_points(
    client, kit_content, make_asset, make_recruiter
):
    logo = make_asset(title="Logo One Provence", content=png_bytes(), name="logo.png")
    brochure = make_asset(
        title="Fiche aéronautique",
        kind=KitAsset.Kind.BROCHURE,
        sector=kit_content["aero"],
        content=pdf_bytes("Aéronautique"),
        name="fiche.pdf",
        credits="Photo : Jean Dupont / One Provence",
        usage_rights="Attribution obligatoire",
    )
    energy = make_asset(title="Fiche énergie", sector=kit_content["energy"], name="energie.png")
    recruiter = make_recruiter()
    log_in(client, recruiter)

    response = client.get("/kit/archive.zip?secteur=aeronautique")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="kit-one-provence-aeronautique.zip"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    names = set(archive.namelist())
    assert names == {
        "logo/tous-secteurs/logo-one-provence.png",
        "brochure/aeronautique/fiche-aeronautique.pdf",
        "README.md",
        "talking-points.md",
        "talking-points.pdf",
        "talking-points.docx",
    }
    assert archive.read("logo/tous-secteurs/logo-one-provence.png") == logo.file.open("rb").read()
    assert (
        archive.read("brochure/aeronautique/fiche-aeronautique.pdf")
        == brochure.file.open("rb").read()
    )
    readme = archive.read("README.md").decode()
    assert "Photo : Jean Dupont / One Provence" in readme
    assert "Attribution obligatoire" in readme
    assert "Fiche énergie" not in readme
    points = archive.read("talking-points.md").decode()
    assert "## Concevoir les hélicoptères de demain" in points
    assert "ImageTerr 2024 — IMPGT, Aix-Marseille Université, 2024" in points
    docx = zipfile.ZipFile(io.BytesIO(archive.read("talking-points.docx")))
    assert "Concevoir les hélicoptères de demain" in docx.read("word/document.xml").decode()
    # Every asset in the archive is logged for this recruiter (takedown notices need it).
    logged = set(KitDownload.objects.filter(recruiter=recruiter).values_list("asset", flat=True))
    assert logged == {logo.pk, brochure.pk}
    assert energy.pk not in logged


@pytest.mark.django_db
def test_archive_needs_a_session(client, make_asset):
    make_asset()

    response = client.get("/kit/archive.zip")

    assert response.status_code == 302
    assert KitDownload.objects.count() == 0


class _RandomishFile(io.RawIOBase):
    """`size` bytes of incompressible data, produced on the fly, hashed as it is read."""

    def __init__(self, size: int, seed: bytes) -> None:
        self.left = size
        self.block = hashlib.sha512(seed).digest() * (MB // 64)
        self.block = (
            bytes(a ^ b for a, b in zip(self.block[:4096], os.urandom(4096))) + self.block[4096:]
        )
        self.counter = 0
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left, MB)
        if n <= 0:
            return 0
        # Vary each megabyte so no two pieces of the file are alike.
        chunk = self.counter.to_bytes(8, "big") + self.block[8:n]
        chunk = chunk[:n]
        buffer[:n] = chunk
        self.sha.update(chunk)
        self.counter += 1
        self.left -= n
        return n


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in text]


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


@pytest.mark.django_db(transaction=True)
def test_a_300_mb_kit_streams_from_a_server_process_with_bounded_memory(
    kit_content, make_recruiter, tmp_path
):
    from django.contrib.sessions.backends.db import SessionStore

    from employer_kit.services import SESSION_KEY
    from onprovence.storage import private_storage

    storage = private_storage()
    client = storage.connection.meta.client
    expected = {}
    started = time.monotonic()
    for index in range(3):
        key = f"kit/assets/big{index}/video-{index}.mp4"
        source = _RandomishFile(100 * MB, seed=f"video-{index}".encode())
        client.upload_fileobj(io.BufferedReader(source, 8 * MB), storage.bucket_name, key)
        asset = KitAsset(title=f"Vidéo {index}", kind=KitAsset.Kind.VIDEO, size_bytes=100 * MB)
        asset.file.name = key
        asset.save()
        expected[f"video/tous-secteurs/video-{index}.mp4"] = source.sha.hexdigest()
    uploaded = time.monotonic() - started
    recruiter = make_recruiter()
    session = SessionStore()
    session[SESSION_KEY] = str(recruiter.pk)
    session.create()

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "onprovence.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", "1", "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=processes.worker_env(), stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        processes.wait_for_port("127.0.0.1", port)
        base = f"http://127.0.0.1:{port}"
        cookie = {"Cookie": f"sessionid={session.session_key}"}
        # Warm the worker (imports, fonts, first queries) with an archive of no asset, so the
        # baseline is its resting size and the peak is what streaming 300 MB adds.
        warm = urllib.request.Request(base + "/kit/archive.zip?type=logo", headers=cookie)
        assert len(urllib.request.urlopen(warm, timeout=30).read()) < MB
        worker = _children(server.pid)[0]
        resting_kb = _status_kb(worker, "VmRSS")

        started = time.monotonic()
        request = urllib.request.Request(base + "/kit/archive.zip", headers=cookie)
        target = tmp_path / "kit.zip"
        with urllib.request.urlopen(request, timeout=120) as response, target.open("wb") as out:
            assert response.status == 200
            length = int(response.headers["Content-Length"])
            while chunk := response.read(MB):
                out.write(chunk)
        streamed = time.monotonic() - started
        peak_kb = _status_kb(worker, "VmHWM")
    finally:
        processes.stop(server)

    size = target.stat().st_size
    assert size == length > 300 * MB
    print(
        f"\nuploaded 300 MB in {uploaded:.1f} s; streamed {size / MB:.0f} MB in {streamed:.1f} s "
        f"({size / MB / streamed:.0f} MB/s); worker RSS resting {resting_kb // 1024} MB, "
        f"peak {peak_kb // 1024} MB"
    )
    # The archive is 300 MB; the serving process grows by a few pieces of 1 MB, not by it.
    assert peak_kb - resting_kb < 32 * 1024
    assert peak_kb < 200 * 1024
    with zipfile.ZipFile(target) as archive:
        for name, sha in expected.items():
            digest = hashlib.sha256()
            with archive.open(name) as member:  # reading checks each member's CRC too
                while piece := member.read(4 * MB):
                    digest.update(piece)
            assert digest.hexdigest() == sha, name
        assert {"README.md", "talking-points.md"} <= set(archive.namelist())
    assert KitDownload.objects.filter(recruiter=recruiter).count() == 3
