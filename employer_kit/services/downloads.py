"""Downloads: the log of who took what, and the ZIP archive streamed from storage."""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import cast

from django.utils import timezone, translation
from storages.backends.s3 import S3Storage
from zipstream import ZIP_STORED, ZipStream

from onprovence.storage import is_local, private_storage

from .. import conf
from ..documents.readme import ArchiveEntry, archive_readme
from ..documents.talking_points import (
    talking_points_docx,
    talking_points_markdown,
    talking_points_pdf,
)
from ..models import KitAsset, KitDownload, Recruiter, TalkingPoint
from ..selectors import kit_asset_file_key
from .content import points_data

logger = logging.getLogger(__name__)


def kit_download_record(*, recruiter: Recruiter, assets: Iterable[KitAsset], channel: str) -> None:
    KitDownload.objects.bulk_create(
        [
            KitDownload(
                recruiter=recruiter,
                asset=asset,
                asset_title=asset.title[:160],
                asset_version=asset.version,
                channel=channel,
            )
            for asset in assets
        ]
    )


def _object_chunks(key: str) -> Iterator[bytes]:
    """Yield an object's bytes piece by piece; nothing is held beyond one piece."""
    storage = private_storage()
    if is_local(storage):
        with storage.open(key, "rb") as handle:
            while chunk := handle.read(conf.STREAM_CHUNK_BYTES):
                yield chunk
        return
    # Not the local store: the S3 one (django-storages), whose bucket streams an object.
    body = cast(S3Storage, storage).bucket.Object(key).get()["Body"]
    try:
        yield from body.iter_chunks(conf.STREAM_CHUNK_BYTES)
    finally:
        body.close()


def _rights_in(asset: KitAsset, language: str) -> str:
    with translation.override(language):
        return asset.display_usage_rights


@dataclass
class KitArchive:
    stream: ZipStream
    assets: list[KitAsset]

    @property
    def size(self) -> int:
        return len(self.stream)


def kit_archive_build(
    *, assets: Iterable[KitAsset], points: Iterable[TalkingPoint], language: str
) -> KitArchive:
    """Lay out a ZIP of the assets, their README and the talking points, read lazily.

    Nothing is read from storage here: each file is fetched piece by piece while the archive
    streams, and files are stored (not deflated: media are compressed already), so the size is
    known in advance and the browser shows real progress.
    """
    day = timezone.localdate()
    stream = ZipStream(compress_type=ZIP_STORED, sized=True)
    storage = private_storage()
    entries, included, used = [], [], set()
    for asset in assets:
        size = asset.size_bytes
        if size is None:
            try:
                size = storage.size(kit_asset_file_key(asset))
            except Exception:  # the file is gone (a purge raced us): leave it out
                logger.warning("kit asset %s: file missing, left out of the archive", asset.pk)
                continue
        folder = asset.sector.slug if asset.sector else "tous-secteurs"
        path = f"{asset.kind}/{folder}/{asset.download_name}"
        while path in used:
            stem, dot, ext = path.rpartition(".")
            path = f"{stem}-{asset.pk}.{ext}" if dot else f"{path}-{asset.pk}"
        used.add(path)
        stream.add(_object_chunks(kit_asset_file_key(asset)), path, size=size)
        included.append(asset)
        entries.append(
            ArchiveEntry(
                path=path,
                title=asset.title,
                kind=asset.get_kind_display(),
                credits=asset.credits,
                usage_rights=_rights_in(asset, language),
                available_until=asset.available_until,
                version=asset.version,
            )
        )
    point_data = points_data(points, language)
    stream.add(archive_readme(entries, language=language, day=day).encode(), "README.md")
    stream.add(
        talking_points_markdown(point_data, language=language).encode(),
        "talking-points.md",
    )
    stream.add(talking_points_pdf(point_data, language=language), "talking-points.pdf")
    stream.add(talking_points_docx(point_data, language=language), "talking-points.docx")
    return KitArchive(stream=stream, assets=included)
