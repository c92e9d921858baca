"""Hostile kit assets through the real analyser task in a Celery worker (security review 2026-12).

Reproduction (failed before the fix): a Kit employeur user uploads an "asset" that is an HLS
playlist (`#EXTM3U`) whose segment is `file:///…/private/testimonials/<uuid>/web.mp4`. The
analyser ran ffprobe/ffmpeg with no forced demuxer, so ffmpeg followed the playlist into the
local file and the worker wrote a preview frame of the private rendition to the public store.
Now every tool runs through `onprovence.mediarunner`: only sniffed MP4/MOV and Matroska/WebM
reach ffmpeg, with that demuxer forced and `file`-only protocols; images go to Pillow (PNG,
JPEG, GIF, WebP), PDFs to poppler, anything else gets no tool and no preview.
"""

import time
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from employer_kit.models import KitAsset
from employer_kit.services import kit_asset_save
from onprovence.storage import list_prefix, public_storage
from tests import processes
from tests.ambassadors.media import corpus as corpus_builders
from tests.ambassadors.media.conftest import Canary
from tests.employer_kit.conftest import bomb_png, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def kit_worker(django_db_setup, tmp_path_factory):
    worker = processes.start_worker(
        env=processes.worker_env(),
        hostname="kit-hostile-worker",
        log_path=tmp_path_factory.mktemp("kit-worker") / "worker.log",
    )
    yield worker
    processes.stop(worker)


@pytest.fixture
def canary():
    server = Canary()
    yield server
    server.close()


def _analysed(content: bytes, name: str, kind: str = KitAsset.Kind.VIDEO) -> KitAsset:
    """Save an asset as the admin does (the analysis is queued on commit) and wait for it."""
    asset = KitAsset(title=f"Asset {name}", kind=kind, credits="One Provence")
    asset.file.save(name, ContentFile(content), save=False)
    asset.size_bytes = len(content)
    kit_asset_save(asset=asset, file_changed=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        asset.refresh_from_db()
        if asset.analysed_at is not None:
            return asset
        time.sleep(0.3)
    raise AssertionError(f"the worker did not analyse {name}")


def _previews(asset: KitAsset) -> list[str]:
    return list_prefix(public_storage(), f"kit/previews/{asset.pk}/")


def test_a_playlist_naming_a_private_rendition_yields_no_preview_of_it(kit_worker, tmp_path):
    rendition = tmp_path / "private" / "testimonials" / str(uuid.uuid4()) / "web.mp4"
    rendition.parent.mkdir(parents=True)
    corpus_builders.landscape(rendition.parent, name="web.mp4")
    playlist = (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f"#EXTINF:4.0,\nfile://{rendition}\n#EXT-X-ENDLIST\n"
    )

    asset = _analysed(playlist.encode(), "campagne.m3u8")

    assert asset.preview_key == ""
    assert _previews(asset) == []
    assert (asset.file_format, asset.width, asset.height, asset.duration) == ("", None, None, None)


@pytest.mark.parametrize("builder", [corpus_builders.playlist, corpus_builders.ffconcat])
def test_lists_renamed_mp4_never_reach_the_network_or_local_files(
    kit_worker, canary, tmp_path, builder
):
    path = builder(tmp_path, canary.url)

    asset = _analysed(path.read_bytes(), "clip.mp4")

    assert asset.preview_key == "" and _previews(asset) == []
    assert asset.width is None
    assert canary.requests == []


@pytest.mark.parametrize("name", ["text_file", "zero_bytes", "truncated_mp4", "audio_only"])
def test_unusable_files_are_analysed_without_a_preview(kit_worker, tmp_path, name):
    path = corpus_builders.BUILDERS[name](tmp_path)

    asset = _analysed(path.read_bytes(), path.name)

    assert asset.preview_key == "" and _previews(asset) == []


def test_a_matroska_header_declaring_30000x30000_is_read_at_the_size_its_frames_have(
    kit_worker, tmp_path
):
    path = corpus_builders.huge_declared(tmp_path)

    asset = _analysed(path.read_bytes(), path.name)

    assert (asset.file_format, asset.width, asset.height) == ("WEBM", 320, 288)


def test_a_decompression_bomb_image_gets_its_size_but_no_preview(kit_worker):
    asset = _analysed(bomb_png(), "affiche.png", kind=KitAsset.Kind.PHOTO)

    assert (asset.file_format, asset.width, asset.height) == ("PNG", 60_000, 60_000)
    assert asset.preview_key == "" and _previews(asset) == []


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("landscape", KitAsset.Kind.VIDEO, ("MP4", 320, 180)),
        ("webm_vp8", KitAsset.Kind.VIDEO, ("WEBM", 320, 180)),
        ("png", KitAsset.Kind.PHOTO, ("PNG", 640, 400)),
        ("pdf", KitAsset.Kind.BROCHURE, ("PDF", 595, 842)),
    ],
)
def test_the_allowed_kinds_still_get_their_facts_and_a_preview(
    kit_worker, tmp_path, name, kind, expected
):
    if name == "png":
        content, filename = png_bytes((640, 400)), "photo.png"
    elif name == "pdf":
        content, filename = pdf_bytes(), "brochure.pdf"
    else:
        path = corpus_builders.BUILDERS[name](tmp_path)
        content, filename = Path(path).read_bytes(), path.name

    asset = _analysed(content, filename, kind=kind)

    assert (asset.file_format, asset.width, asset.height) == expected
    assert asset.preview_key == f"kit/previews/{asset.pk}/v1.webp"
    assert _previews(asset) == [asset.preview_key]
