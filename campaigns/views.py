from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors


def home(request: HttpRequest) -> HttpResponse:
    """The campaign home: hero, the region's key figures with sources, the sectors."""
    return render(
        request,
        "campaigns/home.html",
        {
            "campaign": selectors.campaign_current(),
            "figures": list(selectors.key_figures_active()),
            "sectors": list(selectors.sectors_all()),
        },
    )
