"""A minor's parent: read what their child accepted, confirm it, or withdraw the testimonial.

The signed link (ambassadors.links.parent_url) is the credential; GET only shows, each change
is a POST protected by Django's CSRF check. Views parse input and call services.parents.
"""

import contextlib

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ambassadors.links import read_parent_token
from ambassadors.models import Status
from ambassadors.services import parents
from ambassadors.views_status import STATUS_WORDS, withdrawal_confirmed


def _link_refused(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return render(
        request,
        "ambassadors/parent_link.html",
        {"expired": expired},
        status=410 if expired else 404,
    )


def _view_for(request: HttpRequest, token: str) -> parents.ParentView | HttpResponse:
    try:
        testimonial_id, issued_at = read_parent_token(token)
    except (signing.BadSignature, ValueError):
        return _link_refused(request, expired=False)
    try:
        return parents.parent_view(testimonial_id=testimonial_id, issued_at=issued_at)
    except parents.ParentLinkExpired:
        return _link_refused(request, expired=True)
    except parents.ParentLinkError:
        return _link_refused(request, expired=False)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def parent(request: HttpRequest, token: str) -> HttpResponse:
    """The text the child accepted, the video's status, and the parent's confirmation."""
    view = _view_for(request, token)
    if isinstance(view, HttpResponse):
        return view
    testimonial, consent = view.testimonial, view.consent
    closed = testimonial.status in parents.CLOSED
    if request.method == "POST" and not closed:
        # Withdrawn meanwhile: nothing to confirm, and the page says so.
        with contextlib.suppress(parents.ParentLinkError):
            parents.parent_confirm(testimonial_id=testimonial.pk)
        # Post/redirect/get: a reload does not post again.
        return redirect(reverse("ambassadors:parent", args=[token]))
    _stage, label = STATUS_WORDS[Status(testimonial.status)]
    return render(
        request,
        "ambassadors/parent.html",
        {
            "first_name": testimonial.first_name,
            "status_label": _(label),
            "confirmed_at": consent.parent_confirmed_at,
            "accepted_at": consent.accepted_at,
            "closed": closed,
            "consent_title": view.consent_title,
            "consent_paragraphs": view.consent_paragraphs,
            "text_version": consent.text_version,
            "withdraw_url": reverse("ambassadors:parent-withdraw", args=[token]),
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def parent_withdraw(request: HttpRequest, token: str) -> HttpResponse:
    """Ask once for confirmation, then withdraw the testimonial; erasure follows."""
    view = _view_for(request, token)
    if isinstance(view, HttpResponse):
        return view
    testimonial = view.testimonial
    done = withdrawal_confirmed(
        request,
        already=testimonial.status in parents.CLOSED,
        withdraw=lambda: parents.parent_withdraw(testimonial_id=testimonial.pk),
    )
    return render(
        request,
        "ambassadors/parent_withdraw.html",
        {
            "done": done,
            "first_name": testimonial.first_name,
            "parent_url": reverse("ambassadors:parent", args=[token]),
        },
    )
