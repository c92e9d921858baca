"""Local part uploads: throughput and memory of streaming a video through the part protocol.

Runs the embedded-default backend (FileSystemStorage in a temporary folder, no database):
start -> write every part from a file stream -> complete (check + assemble). Prints MiB/s and
the Python heap peak, against the baseline of reading each part whole into memory (what
`request.body` would do), i.e. the part size.
"""

import os
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
work = Path(tempfile.mkdtemp(prefix="bench-upload-"))
os.environ["ONPROVENCE_VAR_DIR"] = str(work / "var")
for name in ("S3_PRIVATE_BUCKET", "DATABASE_URL", "REDIS_URL"):
    os.environ.pop(name, None)
os.environ["DJANGO_SETTINGS_MODULE"] = "onprovence.settings"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from ambassadors import uploads  # noqa: E402

SIZE_MIB = int(os.environ.get("BENCH_SIZE_MIB", "256"))
PART_MIB = 8
settings.AMBASSADORS_UPLOAD_PART_SIZE = PART_MIB * 1024 * 1024

source = work / "video.bin"
with open(source, "wb") as out:
    for _ in range(SIZE_MIB):
        out.write(os.urandom(1024 * 1024))
size = source.stat().st_size

session = uploads.upload_start(testimonial_id=uuid.uuid4(), size=size, content_type="video/mp4")
backend = uploads.upload_backend()
tracemalloc.start()
started = time.perf_counter()
with open(source, "rb") as stream:
    for number in range(1, session.part_count + 1):
        backend.write_part(session, number, stream, session.expected_part_size(number))
written = time.perf_counter()
uploads.upload_complete(session=session)
done = time.perf_counter()
_current, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()

print(f"video: {SIZE_MIB} MiB in {session.part_count} parts of {PART_MIB} MiB")
print(f"parts written: {SIZE_MIB / (written - started):.0f} MiB/s")
print(f"check + assemble: {SIZE_MIB / (done - written):.0f} MiB/s")
print(f"heap peak: {peak / 1024:.0f} KiB (baseline, whole part in memory: {PART_MIB * 1024} KiB)")
import shutil  # noqa: E402

shutil.rmtree(work, ignore_errors=True)
