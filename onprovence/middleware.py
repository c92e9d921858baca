from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class FrenchAdminMiddleware:
    """Serve the admin in French whatever the browser asks: the agency's staff work in French."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/admin/"):
            translation.activate("fr")
            request.LANGUAGE_CODE = "fr"
        return self.get_response(request)
