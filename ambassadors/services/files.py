"""A testimonial's files in the private store and in the worker's temporary folder."""

import contextlib
import errno
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from django.conf import settings

from ambassadors import keys
from onprovence.storage import (
    TransientStorageError,
    private_storage,
    storage_download,
    storage_upload_many,
)


class WorkDirectoryFull(TransientStorageError):
    """MEDIA_WORK_DIR is full (ENOSPC) or over quota (EDQUOT): the machine's fault, not the
    video's, so the job is retried like a store outage instead of rejecting the testimonial."""


NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
# What ffmpeg prints for them (its environment is LC_ALL=C).
NO_SPACE_MESSAGES = tuple(os.strerror(code) for code in NO_SPACE)


def download_original(key: str, destination: Path) -> str:
    """Copy a private object to a local file; return the sha256 of its bytes.

    Raises onprovence.storage.ObjectMissing when the store does not have it.
    """
    return storage_download(private_storage(), key, destination)


def upload_files(files: dict[str, Path]) -> None:
    """Store several local files (key -> path) in the private store, replacing what was there."""
    storage_upload_many(private_storage(), files)


def delete_keys(names: list[str], testimonial_id: UUID | str) -> None:
    storage = private_storage()
    for name in names:
        with contextlib.suppress(Exception):
            storage.delete(keys.testimonial_key(testimonial_id, name))


@contextlib.contextmanager
def work_directory(testimonial_id: UUID | str) -> Iterator[Path]:
    """A private temporary folder under MEDIA_WORK_DIR, removed afterwards."""
    root = Path(settings.MEDIA_WORK_DIR)
    try:
        root.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix=f"t-{testimonial_id}-", dir=root))
    except OSError as error:
        if error.errno in NO_SPACE:
            raise WorkDirectoryFull(str(error)) from error
        raise
    try:
        yield path
    except OSError as error:
        # Writing the downloaded original (or anything else) into the folder.
        if error.errno in NO_SPACE:
            raise WorkDirectoryFull(str(error)) from error
        raise
    finally:
        shutil.rmtree(path, ignore_errors=True)


def stale_work_directories_remove(older_than: timedelta) -> None:
    """Temporary folders of workers that died (SIGKILL leaves them behind)."""
    root = Path(settings.MEDIA_WORK_DIR)
    if not root.is_dir():
        return
    limit = time.time() - max(older_than.total_seconds(), 3600)
    for path in root.glob("t-*"):
        with contextlib.suppress(OSError):
            if path.is_dir() and path.stat().st_mtime < limit:
                shutil.rmtree(path, ignore_errors=True)
