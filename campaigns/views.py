"""The tracked QR redirect and a campaign's colours as CSS.

The public pages that show a campaign with its testimonials and kit assets are composed a layer
up (`showcase.views`).
"""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import etag, require_safe

from .scans import scan_record
from .theme import YEAR_SECONDS, Theme

MAX_CODE_LENGTH = 32


@require_safe
def scan(request: HttpRequest, code: str) -> HttpResponse:
    """Count one scan of a printed QR code and send the phone to the placement's destination.

    Reads nothing about the person (no IP, no user agent) and sets no cookie. HEAD requests
    (link previews) are answered without being counted.
    """
    outcome, is_open = None, False
    if len(code) <= MAX_CODE_LENGTH:
        outcome, is_open = scan_record(code=code, count=request.method == "GET")
    # /q/ sits outside the language prefix: the phone's language chooses the page's.
    language = translation.get_language_from_request(request)
    if outcome is None or not is_open:
        with translation.override(language):
            response = render(
                request,
                "campaigns/scan_closed.html",
                {"unknown": outcome is None, "theme_url": outcome.theme_url if outcome else ""},
                status=404 if outcome is None else 410,
            )
    else:
        url = outcome.url
        if language == "en" and url.startswith("/") and not url.startswith("/en/"):
            url = "/en" + url
        response = HttpResponseRedirect(url)
    response["Content-Language"] = language
    # A cached redirect would skip the count on the next scan.
    response["Cache-Control"] = "no-store"
    return response


def _theme_of_url(request: HttpRequest, primary: str, accent: str) -> Theme:
    # The URL pattern lets only six lower-case hexadecimal digits through for each colour.
    return Theme(primary=f"#{primary}", accent=f"#{accent}")


@require_safe
@etag(lambda request, primary, accent: _theme_of_url(request, primary, accent).version)
def theme_stylesheet(request: HttpRequest, primary: str, accent: str) -> HttpResponse:
    """A campaign's colours as CSS custom properties (linked by its pages; CSP allows 'self')."""
    theme = _theme_of_url(request, primary, accent)
    response = HttpResponse(theme.css, content_type="text/css; charset=utf-8")
    if request.GET.get("v") == theme.version:
        # Pages link the address with the version of its content: it never changes.
        response["Cache-Control"] = f"public, max-age={YEAR_SECONDS}, immutable"
    else:
        # An old page (before a deployment changed the CSS): revalidate with the ETag.
        response["Cache-Control"] = "public, no-cache"
    return response
