"""The platform's routes plus the views bench/redirect.py compares /q/<code> with (the baseline
is also bench/http_load.py's)."""

import os

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path

from campaigns.models import FunnelCount
from campaigns.scans import _placement_load, placement_redirect_url
from campaigns.services import funnel_record
from onprovence.urls import urlpatterns as platform_urlpatterns


def baseline(request: HttpRequest, code: str) -> HttpResponse:
    """The floor: a redirect that looks nothing up and counts nothing."""
    response = HttpResponseRedirect(f"/ambassadeurs/?p={code}")
    response["Cache-Control"] = "no-store"
    return response


def worker_pid(request: HttpRequest) -> HttpResponse:
    """Which gunicorn worker answered: the benches wait until every worker has booted."""
    return HttpResponse(str(os.getpid()), content_type="text/plain")


def counted_in_postgresql(request: HttpRequest, code: str) -> HttpResponse:
    """The alternative design: read the placement and upsert the day count in PostgreSQL."""
    placement = _placement_load(code)
    funnel_record(placement_id=placement.pk, step=FunnelCount.Step.SCAN)
    response = HttpResponseRedirect(placement_redirect_url(placement))
    response["Cache-Control"] = "no-store"
    return response


# Right before /q/'s own routes, so URL resolution costs all three endpoints the same.
urlpatterns = list(platform_urlpatterns)
_position = next(
    index
    for index, pattern in enumerate(urlpatterns)
    if getattr(getattr(pattern, "urlconf_name", None), "__name__", "") == "campaigns.urls_root"
)
urlpatterns[_position:_position] = [
    path("bench/baseline/<str:code>", baseline),
    path("bench/postgresql/<str:code>", counted_in_postgresql),
    path("bench/pid", worker_pid),
]
