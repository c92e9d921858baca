"""What the upload tests share: the part sizes of the two stores (the `backend` fixture in
conftest.py runs a test on both)."""

from ambassadors import uploads

S3_PART = uploads.S3_MIN_PART_SIZE
LOCAL_PART = 64 * 1024
