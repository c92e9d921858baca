"""Request checks shared by the public forms."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest


def same_origin(request: HttpRequest) -> bool:
    """True when the browser says the form was posted from this site (Origin, else Referer).

    Forms that anonymous visitors post before any session exists use this instead of Django's
    CSRF cookie, so that visiting them sets no cookie.
    """
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        referer = urlsplit(request.headers.get("Referer", ""))
        origin = f"{referer.scheme}://{referer.netloc}" if referer.netloc else ""
    if not origin:
        return False
    return origin == f"{request.scheme}://{request.get_host()}" or origin in getattr(
        settings, "CSRF_TRUSTED_ORIGINS", []
    )
