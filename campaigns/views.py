"""The tracked QR redirect and a campaign's colours as CSS.

The public pages that show a campaign with its testimonials and kit assets are composed a layer
up (`showcase.views`).
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import etag, require_safe

from .link_previews import user_agent_is_automated
from .scans import scan_record
from .theme import YEAR_SECONDS, Theme

MAX_CODE_LENGTH = 32


def _staff_signed_in(request: HttpRequest) -> bool:
    """Whether the request comes from staff signed in to the admin (its "Voir sur le site"
    links lead to /q/<code>). Phones scanning a poster carry no session cookie: for them this
    costs a dictionary lookup and no query."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_staff)


@require_safe
def scan(request: HttpRequest, code: str) -> HttpResponse:
    """Count one scan of a printed QR code and send the phone to the placement's destination.

    Keeps nothing about the person and sets no cookie. Not counted: HEAD requests and link
    previews or other fetchers (user agent matched, then forgotten), staff signed in to the
    admin, scans before the placement's start (campaigns.scans).
    """
    outcome, url = None, None
    if len(code) <= MAX_CODE_LENGTH:
        count = (
            request.method == "GET"
            and not user_agent_is_automated(request.META.get("HTTP_USER_AGENT", ""))
            and not _staff_signed_in(request)
        )
        outcome, url = scan_record(code=code, count=count)
    # /q/ sits outside the language prefix: the phone's language chooses the page's.
    language = translation.get_language_from_request(request)
    if outcome is None or url is None:
        with translation.override(language):
            response = render(
                request,
                "campaigns/scan_closed.html",
                {"unknown": outcome is None, "theme_url": outcome.theme_url if outcome else ""},
                status=404 if outcome is None else 410,
            )
    else:
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
