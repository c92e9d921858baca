"""Platform-wide views: health report and local private-media links."""

import mimetypes

from django.core import signing
from django.db import connection
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .celery import app as celery_app
from .storage import is_local, private_storage, read_private_token, web_s3_client


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_broker() -> str:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def _check_storage() -> str:
    storage = private_storage()
    if is_local(storage):
        storage.exists("healthz-probe")
        return "ok"
    # The web client fails fast (S3_WEB_*): with boto's defaults a store that never answers
    # held the check for minutes (one that refuses connections, 3-11 s), past the compose
    # healthcheck's timeout, so the monitor saw a timeout instead of the 503 naming the store.
    web_s3_client(storage).head_bucket(Bucket=storage.bucket_name)
    return "ok"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Report database, broker and storage status; 503 when any is down."""
    report = {}
    for name, check in (
        ("database", _check_database),
        ("broker", _check_broker),
        ("storage", _check_storage),
    ):
        try:
            report[name] = check()
        except Exception as exc:
            report[name] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in report.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **report}, status=200 if healthy else 503
    )


@require_safe
def private_media(request: HttpRequest, token: str) -> FileResponse:
    """Serve a private object from local storage behind a signed, expiring token."""
    storage = private_storage()
    if not is_local(storage):
        raise Http404
    try:
        key, download_name = read_private_token(token)
    except signing.BadSignature as exc:
        raise Http404 from exc
    if not storage.exists(key):
        raise Http404
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    response = FileResponse(
        storage.open(key, "rb"),
        content_type=content_type,
        as_attachment=bool(download_name),
        filename=download_name or "",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers and the admin ask for /favicon.ico whatever the page declares: the site's icon."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
