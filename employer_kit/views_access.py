"""Recruiters' access to the kit: identify once, sign in by magic link, their own account.

The other kit pages ask who is signed in here (`recruiter_signed_in`) and send a signed-out
recruiter to sign in (`to_access`), then back to what they asked for."""

import functools
from collections.abc import Callable
from urllib.parse import urlencode, urlparse

from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onprovence.ratelimit import client_ip, ratelimit_hit
from onprovence.security import same_origin

from . import conf, selectors, services
from .forms import IdentifyForm
from .models import Recruiter

# The download a signed-out recruiter asked for, offered again once signed in.
RESUME_KEY = "employer_kit.resume"
DOWNLOAD_VIEWS = {"download", "archive", "basket"}


def is_download_path(path: str) -> bool:
    """Whether a (local) path is one of the kit's downloads, which answer with a file."""
    parsed = urlparse(path)
    if not path or parsed.scheme or parsed.netloc or not path.startswith("/"):
        return False
    try:
        match = resolve(parsed.path)
    except Resolver404:
        return False
    return match.namespace == "employer_kit" and match.url_name in DOWNLOAD_VIEWS


def sign_in_url(next_path: str) -> str:
    return f"{reverse('employer_kit:identify')}?{urlencode({'suivant': next_path})}"


def recruiter_signed_in(request: HttpRequest) -> Recruiter | None:
    # Reading the session does not create one: anonymous visitors get no cookie.
    return selectors.recruiter_confirmed(recruiter_id=request.session.get(services.SESSION_KEY))


def to_access(request: HttpRequest) -> HttpResponseRedirect:
    return redirect(sign_in_url(request.get_full_path()))


def recruiter_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of a signed-in recruiter, who is passed to the view after the request; a
    signed-out visitor is sent to sign in, then back to the page."""

    @functools.wraps(view)
    def signed_in_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        recruiter = recruiter_signed_in(request)
        if recruiter is None:
            return to_access(request)
        return view(request, recruiter, *args, **kwargs)

    return signed_in_view


# No CSRF cookie: a visitor who only looks at this form gets no cookie at all. A POST must come
# from this site (Origin/Referer), and it only ever sends a magic link to the address typed.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def identify(request: HttpRequest) -> HttpResponse:
    """Identify once (company, work email, optional SIRET); a magic link confirms the address."""
    if request.method == "POST" and not same_origin(request):
        return HttpResponseForbidden(_("Ce formulaire doit être envoyé depuis notre site."))
    next_url = request.POST.get("suivant") or request.GET.get("suivant") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    form = IdentifyForm(request.POST or None)
    # Only well-formed requests count (a typo does not use up the allowance): per IP, then per
    # address, so nobody floods one inbox from many addresses.
    if request.method == "POST" and form.is_valid():
        within = ratelimit_hit(
            scope="kit-identify-ip",
            key=client_ip(request),
            limit=conf.IDENTIFY_RATE_LIMIT,
            period=conf.IDENTIFY_RATE_WINDOW_SECONDS,
        )
        if not within:
            form.add_error(None, _("Trop de demandes. Réessayez dans quelques minutes."))
        else:
            email = form.cleaned_data["email"]
            if ratelimit_hit(
                scope="kit-identify-email",
                key=email,
                limit=conf.IDENTIFY_RATE_LIMIT,
                period=conf.IDENTIFY_RATE_WINDOW_SECONDS,
            ):
                services.recruiter_identify(
                    company=form.cleaned_data["company"],
                    email=email,
                    siret=form.cleaned_data["siret"],
                    language=get_language()[:2],
                    company_size=form.cleaned_data["company_size"],
                    sector=form.cleaned_data["sector"],
                )
            if next_url:
                request.session["employer_kit.next"] = next_url
            # Same answer whether the address is new, known or rate-limited: no account probing.
            return render(request, "employer_kit/identify_sent.html", {"email": email})
    return render(request, "employer_kit/identify.html", {"form": form, "next_url": next_url})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Open a session from a magic link (once, before it expires).

    GET shows a button and changes nothing (mail scanners open every link); its POST, with the
    CSRF token, uses the link up and signs in.
    """
    try:
        if request.method == "GET":
            services.recruiter_for_magic_link(token=token)
            return render(request, "employer_kit/confirm.html")
        recruiter = services.recruiter_confirm(token=token)
    except services.MagicLinkInvalid:
        return render(request, "employer_kit/confirm_invalid.html", status=400)
    next_url = request.session.get("employer_kit.next", "")
    request.session.cycle_key()
    request.session[services.SESSION_KEY] = str(recruiter.pk)
    request.session.pop("employer_kit.next", None)
    messages.success(request, _("Adresse confirmée. Vous pouvez télécharger le kit."))
    if is_download_path(next_url):
        # A download is no page to land on: back to the kit, the download offered at the top.
        request.session[RESUME_KEY] = next_url
        return redirect(reverse("employer_kit:home") + "#kit-resume")
    return redirect(next_url or reverse("employer_kit:home"))


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return redirect("employer_kit:home")


@never_cache
@require_GET
@recruiter_required
def account(request: HttpRequest, recruiter: Recruiter) -> HttpResponse:
    """The recruiter's own account: their downloads and one-pagers, nobody else's."""
    return render(
        request,
        "employer_kit/account.html",
        {
            "recruiter": recruiter,
            "downloads": selectors.recruiter_downloads(recruiter=recruiter)[:200],
            "one_pagers": selectors.recruiter_one_pagers(recruiter=recruiter),
        },
    )


@require_POST
@recruiter_required
def account_delete(request: HttpRequest, recruiter: Recruiter) -> HttpResponse:
    services.recruiter_delete(recruiter_id=recruiter.pk)
    request.session.flush()
    messages.success(request, _("Votre compte et votre historique ont été supprimés."))
    return redirect("employer_kit:home")
