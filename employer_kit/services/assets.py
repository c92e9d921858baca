"""Assets staff upload: each new file keeps the previous one as a version; a worker reads the
file's format and dimensions and renders its preview."""

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from onprovence.storage import private_storage, public_storage

from .. import conf, media, task_names
from ..limits import kit_asset_consent_errors
from ..models import KitAsset, KitAssetVersion
from ..selectors import kit_asset_file_key

logger = logging.getLogger(__name__)


def kit_asset_save(*, asset: KitAsset, file_changed: bool) -> KitAsset:
    """Save an asset edited by staff; a new file keeps the previous one as a version.

    A testimonial's asset stays inside its author's consent (ValidationError otherwise).
    """
    if errors := kit_asset_consent_errors(asset=asset):
        raise ValidationError(errors)
    with transaction.atomic():
        if asset.pk and file_changed:
            previous = KitAsset.objects.select_for_update().get(pk=asset.pk)
            KitAssetVersion.objects.create(
                asset=previous,
                version=previous.version,
                file_key=kit_asset_file_key(previous),
                file_format=previous.file_format,
                size_bytes=previous.size_bytes,
                width=previous.width,
                height=previous.height,
            )
            asset.version = previous.version + 1
        if file_changed:
            asset.file_format, asset.preview_key, asset.analysed_at = "", "", None
            asset.width = asset.height = asset.duration = asset.page_count = None
        asset.save()
        if file_changed and asset.testimonial_id is None:
            asset_id = asset.pk
            transaction.on_commit(
                lambda: current_app.send_task(
                    task_names.ANALYSE_KIT_ASSET, args=[asset_id], queue="media"
                )
            )
    return asset


def kit_asset_analyse(*, asset_id: int) -> KitAsset:
    """Read format, dimensions and size from the file and render its preview once."""
    asset = KitAsset.objects.get(pk=asset_id)
    storage = private_storage()
    key = kit_asset_file_key(asset)
    with tempfile.TemporaryDirectory(dir=settings.MEDIA_WORK_DIR) as work:
        local = Path(work) / "source"
        with storage.open(key, "rb") as source, local.open("wb") as target:
            shutil.copyfileobj(source, target, conf.STREAM_CHUNK_BYTES)
        facts = media.probe(local)
        preview_key = f"kit/previews/{asset.pk}/v{asset.version}.webp"
        preview = Path(work) / "preview.webp"
        try:
            has_preview = media.render_preview(local, facts, preview)
        except (subprocess.SubprocessError, OSError, Warning) as exc:
            logger.warning("kit asset %s: no preview (%s)", asset.pk, type(exc).__name__)
            has_preview = False
        if has_preview:
            public_storage().save(preview_key, ContentFile(preview.read_bytes()))
        size = local.stat().st_size
    with transaction.atomic():
        asset = KitAsset.objects.select_for_update().get(pk=asset_id)
        if asset.file.name != key:  # replaced meanwhile: the newer analysis wins
            return asset
        asset.file_format = facts.file_format
        asset.width, asset.height = facts.width, facts.height
        asset.duration, asset.page_count = facts.duration, facts.page_count
        asset.size_bytes = size
        asset.preview_key = preview_key if has_preview else ""
        asset.analysed_at = timezone.now()
        asset.save(
            update_fields=[
                "file_format", "width", "height", "duration", "page_count", "size_bytes",
                "preview_key", "analysed_at", "updated_at",
            ]
        )  # fmt: skip
    return asset
