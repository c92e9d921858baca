"""The two media stores and their time-limited URLs.

`default` is private (originals, renditions before publication, kit files): only signed URLs.
`public` holds published renditions. Keys are deterministic (`testimonials/<uuid>/web.mp4`),
so a rerun overwrites instead of duplicating.
"""

import contextlib
import copy
import hashlib
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.urls import reverse
from storages.backends.s3 import S3Storage

PRIVATE_MEDIA_SALT = "onprovence.private-media"
_CHUNK = 4 * 1024 * 1024

# The Content-Type an object is stored with, by suffix (the one table of the project).
CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".vtt": "text/vtt; charset=utf-8",
}
# Published copies never change under their key (a rerun writes the same bytes).
PUBLIC_CACHE_CONTROL = "public, max-age=31536000, immutable"


def content_type(key: str) -> str:
    return CONTENT_TYPES.get(Path(key).suffix, "application/octet-stream")


# S3 answers that mean "try again later" (besides any 5xx status).
TRANSIENT_S3_CODES = frozenset(
    {
        "InternalError",
        "ServiceUnavailable",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "503",
        "500",
    }
)


def storage_error_is_transient(error: Exception) -> bool:
    """Whether a boto error is the store being away or busy (retry later), not a refusal.

    Connection failures, timeouts and every other botocore-side error are; of the store's
    answers, 5xx and the "try again" codes are.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in TRANSIENT_S3_CODES or status >= 500
    return isinstance(error, BotoCoreError)


class TransientStorageError(Exception):
    """The store did not answer or answered "try again": worth a retry with backoff."""


@contextlib.contextmanager
def storage_errors(
    error_class: type[TransientStorageError] = TransientStorageError,
) -> Iterator[None]:
    """Turn connection failures and 5xx answers into `error_class`; refusals pass through."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as error:
        if storage_error_is_transient(error):
            raise error_class(str(error)) from error
        raise


class ObjectMissing(Exception):
    """The object asked for is not in the store."""


class S3StorageForBrowsers(S3Storage):
    """S3Storage whose links (url()) use the address browsers reach the store by.

    The processes may reach the store by another address than browsers do (docker-compose:
    http://minio:9000 inside the network, http://localhost:9000 on the host), set as
    `browser_endpoint_url` (settings: AWS_S3_BROWSER_ENDPOINT_URL). A presigned link signs its
    host, so it is made by a copy of the storage pointed at that address (making a link sends
    no request); every call to the store keeps `endpoint_url`.
    """

    def __init__(self, **settings):
        self.browser_endpoint_url = settings.pop("browser_endpoint_url", None)
        super().__init__(**settings)

    def url(self, name, parameters=None, expire=None, http_method=None):
        if self.browser_endpoint_url in (None, "", self.endpoint_url) or self.custom_domain:
            return super().url(name, parameters, expire, http_method)
        browser = _storage_variant(
            self, "browser", endpoint_url=self.browser_endpoint_url, browser_endpoint_url=None
        )
        return browser.url(name, parameters, expire, http_method)


def _storage_variant(storage: Storage, key: object, **attributes: object) -> Storage:
    """A copy of an S3 storage with `attributes` changed, made once and kept on the storage.

    S3Storage's __getstate__/__setstate__ give the copy its own (thread-local) connections; a
    settings change makes a new storage, and so new variants.
    """
    variants = storage.__dict__.setdefault("_variants", {})
    variant = variants.get(key)
    if variant is None:
        variant = copy.copy(storage)
        variant.__dict__.pop("_variants", None)  # the copy shares the dict otherwise
        for name, value in attributes.items():
            setattr(variant, name, value)
        variants[key] = variant
    return variant


def private_storage() -> Storage:
    return storages["default"]


def public_storage() -> Storage:
    return storages["public"]


def is_local(storage: Storage) -> bool:
    return isinstance(storage, FileSystemStorage)


def web_s3_config(*, assembling: bool = False):
    """The botocore Config of S3 calls a web request waits on (settings.S3_WEB_CLIENT).

    Short connect and read timeouts and one retry (standard mode: its backoff is under a second
    and its retry quota stops retrying during a long outage). `assembling` is for
    CompleteMultipartUpload: only the connection is short, the read keeps a generous timeout
    while the store assembles the parts. None when S3_WEB_CLIENT is empty: boto's defaults.
    """
    from botocore.config import Config

    options = settings.S3_WEB_CLIENT
    if not options:
        return None
    return Config(
        connect_timeout=options["connect_timeout"],
        read_timeout=options["complete_read_timeout" if assembling else "read_timeout"],
        retries={"mode": "standard", "total_max_attempts": options["max_attempts"]},
    )


def web_s3_client(storage: Storage, *, assembling: bool = False):
    """The boto3 client of an S3 storage with web_s3_config: for calls made inside a request.

    Celery workers use `storage.connection` (boto's defaults). The client comes from a variant
    of the storage with its `client_config` merged, so credentials, endpoint and addressing stay
    those of the storage.
    """
    config = web_s3_config(assembling=assembling)
    if config is None:
        return storage.connection.meta.client
    key = ("web", assembling, tuple(sorted(settings.S3_WEB_CLIENT.items())))
    web_storage = _storage_variant(storage, key, client_config=storage.client_config.merge(config))
    return web_storage.connection.meta.client


def private_url(key: str, *, expires: int = 300, download_name: str | None = None) -> str:
    """Return a URL that serves a private object for `expires` seconds."""
    storage = private_storage()
    if is_local(storage):
        token = signing.dumps(
            {"k": key, "e": int(time.time()) + expires, "n": download_name},
            salt=PRIVATE_MEDIA_SALT,
        )
        return reverse("private-media", args=[token])
    parameters = {}
    if download_name:
        parameters["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
    return storage.url(key, parameters=parameters, expire=expires)


def read_private_token(token: str) -> tuple[str, str | None]:
    """Return (key, download name) of a valid, unexpired local private-media token."""
    data = signing.loads(token, salt=PRIVATE_MEDIA_SALT)
    if data["e"] < time.time():
        raise signing.SignatureExpired("private media link expired")
    return data["k"], data.get("n")


def delete_prefix(storage: Storage, prefix: str) -> int:
    """Delete every object under `prefix` (a folder on disk); return how many went."""
    prefix = prefix.rstrip("/") + "/"
    if not is_local(storage):
        bucket = storage.bucket
        deleted = 0
        for page in bucket.meta.client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket.name, Prefix=prefix
        ):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:
                answer = bucket.meta.client.delete_objects(
                    Bucket=bucket.name, Delete={"Objects": keys}
                )
                # A 200 answer may still list keys the store could not delete.
                if answer.get("Errors"):
                    from botocore.exceptions import ClientError

                    first = answer["Errors"][0]
                    raise ClientError(
                        {"Error": {"Code": first.get("Code", ""), "Message": first.get("Message")}},
                        "DeleteObjects",
                    )
                deleted += len(keys)
        return deleted
    return _delete_local_folder(storage, prefix)


def list_prefix(storage: Storage, prefix: str) -> list[str]:
    """List every key under `prefix`."""
    prefix = prefix.rstrip("/") + "/"
    if not is_local(storage):
        bucket = storage.bucket
        return [obj.key for obj in bucket.objects.filter(Prefix=prefix)]
    keys: list[str] = []
    stack = [prefix.rstrip("/")]
    while stack:
        folder = stack.pop()
        if not storage.exists(folder):
            continue
        dirs, files = storage.listdir(folder)
        keys += [f"{folder}/{name}" for name in files]
        stack += [f"{folder}/{name}" for name in dirs]
    return sorted(keys)


def list_folders(storage: Storage, prefix: str, *, page_size: int = 1000) -> Iterator[str]:
    """Yield the names of the folders right under `prefix`, in key order, a page at a time.

    On S3 a folder is a common prefix of a `Delimiter="/"` listing (objects right under `prefix`
    are not folders); `page_size` keys or folders per request (S3's maximum is 1000).
    """
    prefix = prefix.rstrip("/") + "/"
    if is_local(storage):
        folder = prefix.rstrip("/")
        if storage.exists(folder):
            yield from sorted(storage.listdir(folder)[0])
        return
    bucket = storage.bucket
    pages = bucket.meta.client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket.name,
        Prefix=prefix,
        Delimiter="/",
        PaginationConfig={"PageSize": page_size},
    )
    for page in pages:
        for common in page.get("CommonPrefixes", []):
            yield common["Prefix"].removeprefix(prefix).rstrip("/")


def _delete_local_folder(storage: Storage, prefix: str) -> int:
    keys = list_prefix(storage, prefix)
    for key in keys:
        storage.delete(key)
    folder = Path(storage.path(prefix.rstrip("/")))
    if folder.exists():
        shutil.rmtree(folder)
    return len(keys)


# --- Reading and writing objects: the local-vs-S3 branches live here --------------------------


def storage_put(storage: Storage, key: str, content: bytes) -> None:
    """Store `content` under `key`, replacing what was there."""
    if storage.exists(key):
        storage.delete(key)
    storage.save(key, ContentFile(content))


def storage_copy(source: Storage, target: Storage, key: str) -> None:
    """Copy `key` from one store to the other (server-side between two S3 buckets)."""
    if not is_local(source) and not is_local(target):
        # A server-side copy: the video never goes through this process.
        target.bucket.meta.client.copy_object(
            Bucket=target.bucket.name,
            Key=key,
            CopySource={"Bucket": source.bucket.name, "Key": key},
            ContentType=content_type(key),
            CacheControl=PUBLIC_CACHE_CONTROL,
            MetadataDirective="REPLACE",
        )
        return
    with source.open(key, "rb") as handle:
        storage_put(target, key, handle.read())


def storage_download(storage: Storage, key: str, destination: Path) -> str:
    """Copy an object to a local file; return the sha256 of its bytes (ObjectMissing if none)."""
    digest = hashlib.sha256()
    with storage_errors():
        if not storage.exists(key):
            raise ObjectMissing(key)
        if is_local(storage):
            source = open(storage.path(key), "rb")  # noqa: SIM115
        else:
            client = storage.connection.meta.client
            source = client.get_object(Bucket=storage.bucket_name, Key=key)["Body"]
        with source, open(destination, "wb") as target:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                target.write(chunk)
    return digest.hexdigest()


def storage_upload(storage: Storage, path: Path, key: str) -> None:
    """Store a local file under `key`, replacing what was there."""
    with storage_errors():
        if is_local(storage):
            if storage.exists(key):
                storage.delete(key)
            with open(path, "rb") as handle:
                stored = storage.save(key, File(handle))
            if stored != key:  # pragma: no cover - a concurrent writer took the name
                raise RuntimeError(f"stored as {stored}, expected {key}")
            return
        storage.connection.meta.client.upload_file(
            str(path), storage.bucket_name, key, ExtraArgs={"ContentType": content_type(key)}
        )


def storage_upload_many(storage: Storage, files: dict[str, Path]) -> None:
    """Store several local files (key -> path) at once: in parallel on S3."""
    if is_local(storage) or len(files) < 2:
        for key, path in files.items():
            storage_upload(storage, path, key)
        return
    client = storage.connection.meta.client  # boto3 clients are thread-safe

    def put(item: tuple[str, Path]) -> None:
        key, path = item
        with storage_errors():
            client.upload_file(
                str(path), storage.bucket_name, key, ExtraArgs={"ContentType": content_type(key)}
            )

    with ThreadPoolExecutor(max_workers=len(files)) as pool:
        list(pool.map(put, files.items()))


def storage_read(storage: Storage, key: str) -> bytes:
    """The bytes of an object (small ones: captions, logos)."""
    with storage.open(key, "rb") as handle:
        return handle.read()
