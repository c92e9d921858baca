"""Recruiters' pages under /kit/: browse, access by magic link, downloads, one-pager, widget."""

from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlparse

from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from ambassadors import keys
from campaigns.selectors import sectors_all
from onprovence.encoders import MarkupSafeJSONEncoder
from onprovence.ratelimit import client_ip, ratelimit_hit
from onprovence.security import same_origin
from onprovence.storage import private_url, public_storage

from . import conf, selectors, services
from .forms import IdentifyForm, KitFilterForm, OnePagerForm
from .models import KitDownload, Recruiter

# The widget's width and the height it starts at; the embed script (`static/js/kit-embed.js`)
# then sizes the frame to the widget's content (the widget posts its height).
WIDGET_SIZE = (640, 480)
# The download a signed-out recruiter asked for, offered again once signed in.
RESUME_KEY = "employer_kit.resume"
DOWNLOAD_VIEWS = {"download", "archive", "basket"}


def _is_download_path(path: str) -> bool:
    """Whether a (local) path is one of the kit's downloads, which answer with a file."""
    parsed = urlparse(path)
    if not path or parsed.scheme or parsed.netloc or not path.startswith("/"):
        return False
    try:
        match = resolve(parsed.path)
    except Resolver404:
        return False
    return match.namespace == "employer_kit" and match.url_name in DOWNLOAD_VIEWS


def _sign_in_url(next_path: str) -> str:
    return f"{reverse('employer_kit:identify')}?{urlencode({'suivant': next_path})}"


def _recruiter(request: HttpRequest) -> Recruiter | None:
    # Reading the session does not create one: anonymous visitors get no cookie.
    return selectors.recruiter_confirmed(recruiter_id=request.session.get(services.SESSION_KEY))


def _to_access(request: HttpRequest) -> HttpResponseRedirect:
    return redirect(_sign_in_url(request.get_full_path()))


def _preview_url(preview_key: str) -> str:
    return public_storage().url(preview_key) if preview_key else ""


def _widget_url(sector_slug: str | None, language: str) -> str:
    path = reverse("employer_kit:widget")
    if language.startswith("en"):
        path = "/en" + path if not path.startswith("/en/") else path
    query = f"?{urlencode({'secteur': sector_slug})}" if sector_slug else ""
    return f"{settings.SITE_URL}{path}{query}"


def _oembed_url(widget_url: str) -> str:
    return f"{settings.SITE_URL}{reverse('employer_kit:oembed')}?{urlencode({'url': widget_url})}"


def _iframe_snippet(
    url: str, title: str, width: int = WIDGET_SIZE[0], height: int = WIDGET_SIZE[1]
) -> str:
    return format_html(
        '<iframe src="{}" width="{}" height="{}" title="{}" loading="lazy" '
        'style="border:0;max-width:100%" data-onprovence-widget></iframe>',
        url,
        width,
        height,
        title,
    )


def _embed_snippet(url: str, title: str) -> str:
    """What a company pastes: the frame, and the script that sizes it to its content."""
    script = settings.SITE_URL + static("js/kit-embed.js")
    return _iframe_snippet(url, title) + format_html('\n<script src="{}" async></script>', script)


def _point_sources(point) -> list:
    """The figures of a talking point, one per source (two figures often quote one study)."""
    by_source = {}
    if point.has_own_source:
        own = SimpleNamespace(
            source_name=point.source_name, year=point.source_year, source_url=point.source_url
        )
        by_source[(own.source_name, own.year, own.source_url)] = own
    for figure in point.key_figures.all():
        by_source.setdefault((figure.source_name, figure.year, figure.source_url), figure)
    return list(by_source.values())


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The kit: filters, talking points to copy, assets with previews, credits and rights."""
    form = KitFilterForm(request.GET or None)
    filters = form.filters()
    assets = list(selectors.kit_assets_available(**filters))
    for asset in assets:
        asset.preview_url = _preview_url(asset.preview_key)
    points = list(
        selectors.talking_points_active(
            sector_slug=filters["sector_slug"],
            audience=filters["audience"],
            language=filters["language"] or get_language()[:2],
        )
    )
    for point in points:
        point.sources = _point_sources(point)
    recruiter = _recruiter(request)
    for asset in assets:
        asset.download_url = reverse("employer_kit:download", args=[asset.pk])
        if recruiter is None:
            asset.download_url = _sign_in_url(asset.download_url)
    archive_query = urlencode({k: v for k, v in request.GET.items() if k in form.fields and v})
    archive_url = reverse("employer_kit:archive") + (f"?{archive_query}" if archive_query else "")
    resume_url = ""
    if recruiter is not None and RESUME_KEY in request.session:
        resume_url = request.session.pop(RESUME_KEY)
    widget_url = _widget_url(filters["sector_slug"], get_language())
    response = render(
        request,
        "employer_kit/home.html",
        {
            "form": form,
            "assets": assets,
            "points": points,
            "recruiter": recruiter,
            "resume_url": resume_url if _is_download_path(resume_url) else "",
            # Signed out, a download link leads to the sign-in page (never a `download`
            # attribute there: the browser would save the sign-in page as the file).
            "archive_url": archive_url if recruiter else _sign_in_url(archive_url),
            "basket_url": reverse("employer_kit:basket"),
            "widget_snippet": _embed_snippet(widget_url, _("Témoignages One Provence")),
            "oembed_url": _oembed_url(widget_url),
        },
    )
    # The page differs signed in and out: no shared cache may serve one for the other.
    patch_vary_headers(response, ["Cookie"])
    return response


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
    if _is_download_path(next_url):
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
def account(request: HttpRequest) -> HttpResponse:
    """The recruiter's own account: their downloads and one-pagers, nobody else's."""
    recruiter = _recruiter(request)
    if recruiter is None:
        return _to_access(request)
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
def account_delete(request: HttpRequest) -> HttpResponse:
    recruiter = _recruiter(request)
    if recruiter is None:
        return _to_access(request)
    services.recruiter_delete(recruiter_id=recruiter.pk)
    request.session.flush()
    messages.success(request, _("Votre compte et votre historique ont été supprimés."))
    return redirect("employer_kit:home")


@never_cache
@require_GET
def download(request: HttpRequest, asset_id: int) -> HttpResponse:
    """One asset through a short-lived signed URL, if it is still in the kit."""
    recruiter = _recruiter(request)
    if recruiter is None:
        return _to_access(request)
    asset = selectors.kit_asset_downloadable(asset_id=asset_id)
    if asset is None:
        raise Http404
    services.kit_download_record(
        recruiter=recruiter, assets=[asset], channel=KitDownload.Channel.SINGLE
    )
    return HttpResponseRedirect(
        private_url(
            asset.file.name, expires=conf.DOWNLOAD_URL_SECONDS, download_name=asset.download_name
        )
    )


@never_cache
@require_GET
def archive(request: HttpRequest) -> HttpResponse:
    """The whole kit (or the filtered part) as one ZIP, streamed as it is read from storage."""
    recruiter = _recruiter(request)
    if recruiter is None:
        return _to_access(request)
    form = KitFilterForm(request.GET or None)
    filters = form.filters()
    language = filters["language"] or get_language()[:2]
    kit = services.kit_archive_build(
        assets=selectors.kit_assets_available(**filters),
        points=selectors.talking_points_active(
            sector_slug=filters["sector_slug"], audience=filters["audience"], language=language
        ),
        language=language,
    )
    services.kit_download_record(
        recruiter=recruiter, assets=kit.assets, channel=KitDownload.Channel.ARCHIVE
    )
    name = "kit-one-provence" + (f"-{filters['sector_slug']}" if filters["sector_slug"] else "")
    return _zip_response(kit, name)


def _zip_response(kit: services.KitArchive, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(kit.stream, content_type="application/zip")
    response["Content-Length"] = str(kit.size)
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response


@never_cache
@require_GET
def basket(request: HttpRequest) -> HttpResponse:
    """The assets a recruiter picked (`?ressource=<id>` repeated) as one ZIP, streamed like the
    whole kit, with the talking points of the page's language; each file counts as a download."""
    recruiter = _recruiter(request)
    if recruiter is None:
        return _to_access(request)
    asset_ids = [int(v) for v in request.GET.getlist("ressource") if v.isdigit()][:200]
    assets = list(selectors.kit_assets_picked(asset_ids=asset_ids))
    if not assets:
        messages.error(request, _("Votre panier est vide : ajoutez-y des ressources du kit."))
        return redirect(reverse("employer_kit:home") + "#kit-basket")
    language = get_language()[:2]
    kit = services.kit_archive_build(
        assets=assets,
        points=selectors.talking_points_active(language=language),
        language=language,
    )
    services.kit_download_record(
        recruiter=recruiter, assets=kit.assets, channel=KitDownload.Channel.BASKET
    )
    return _zip_response(
        kit, "kit-one-provence-panier" if language == "fr" else "one-provence-kit-basket"
    )


@never_cache
@require_http_methods(["GET", "POST"])
def one_pager(request: HttpRequest) -> HttpResponse:
    """Upload a logo, pick a sector: get the co-branded sheet as PDF and PNG."""
    recruiter = _recruiter(request)
    if recruiter is None:
        return _to_access(request)
    form = OnePagerForm(
        request.POST or None, request.FILES or None, initial={"language": get_language()[:2]}
    )
    if request.method == "POST":
        if not ratelimit_hit(
            scope="kit-one-pager",
            key=str(recruiter.pk),
            limit=conf.ONE_PAGER_RATE_LIMIT,
            period=conf.ONE_PAGER_RATE_WINDOW_SECONDS,
        ):
            form.add_error(None, _("Trop de fiches générées. Réessayez dans une heure."))
        elif form.is_valid():
            sheet = services.one_pager_render(
                recruiter=recruiter,
                sector=form.cleaned_data["sector"],
                logo_png=form.cleaned_data["logo"],
                language=form.cleaned_data["language"],
                careers_url=form.cleaned_data["careers_url"],
            )
            return redirect("employer_kit:one_pager_done", one_pager_id=sheet.pk)
    return render(
        request,
        "employer_kit/one_pager.html",
        {
            "form": form,
            "recruiter": recruiter,
            "one_pagers": selectors.recruiter_one_pagers(recruiter=recruiter)[:5],
        },
    )


@never_cache
@require_GET
def one_pager_done(request: HttpRequest, one_pager_id: str) -> HttpResponse:
    recruiter = _recruiter(request)
    if recruiter is None:
        return _to_access(request)
    sheet = selectors.one_pager_of(recruiter=recruiter, one_pager_id=one_pager_id)
    if sheet is None:
        raise Http404
    return render(
        request,
        "employer_kit/one_pager_done.html",
        {
            "recruiter": recruiter,
            "sheet": sheet,
            "png_url": private_url(sheet.png_key, expires=600),
        },
    )


@never_cache
@require_GET
def one_pager_file(request: HttpRequest, one_pager_id: str, fmt: str) -> HttpResponse:
    """The recruiter's own sheet, PDF or PNG, through a short-lived signed URL."""
    recruiter = _recruiter(request)
    if recruiter is None:
        return _to_access(request)
    sheet = selectors.one_pager_of(recruiter=recruiter, one_pager_id=one_pager_id)
    if sheet is None or fmt not in ("pdf", "png"):
        raise Http404
    key = sheet.pdf_key if fmt == "pdf" else sheet.png_key
    # The file is named in the sheet's language, like its title.
    return HttpResponseRedirect(
        private_url(
            key, expires=conf.DOWNLOAD_URL_SECONDS, download_name=_one_pager_name(sheet, fmt)
        )
    )


def _one_pager_name(sheet, fmt: str) -> str:
    """What the file is, in the sheet's language: the sheet, the company, the sector (or
    "all sectors": never `…-provence-provence.pdf`)."""
    company = slugify(sheet.recruiter.company)[:60].strip("-")
    if sheet.language == "en":
        stem = "why-join-us-aix-marseille-provence"
        sector = slugify(sheet.sector.name_en or sheet.sector.slug) if sheet.sector else ""
        sector = sector or "all-sectors"
    else:
        stem = "pourquoi-nous-rejoindre-aix-marseille-provence"
        sector = (sheet.sector.slug if sheet.sector else "") or "tous-secteurs"
    return "-".join(part for part in (stem, company, sector) if part) + f".{fmt}"


def _widget_sector(value: str | None):
    return next((s for s in sectors_all() if s.slug == value), None) if value else None


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@require_safe
def widget(request: HttpRequest) -> HttpResponse:
    """Published testimonials for a company's careers page: the one page allowed in a frame.

    It reads no session and sets no cookie; public renditions come straight from the store.
    """
    sector = _widget_sector(request.GET.get("secteur"))
    testimonials = selectors.widget_testimonials(sector_slug=sector.slug if sector else None)
    # A sector with no testimonial yet shows those of all sectors, and says so.
    fallback = sector is not None and not testimonials
    if fallback:
        testimonials = selectors.widget_testimonials(sector_slug=None)
    storage = public_storage()
    cards = [
        {
            "testimonial": testimonial,
            "video_url": storage.url(keys.testimonial_key(testimonial.pk, keys.WEB)),
            "poster_url": storage.url(keys.testimonial_key(testimonial.pk, keys.POSTER_JPEG)),
        }
        for testimonial in testimonials
    ]
    response = render(
        request,
        "employer_kit/widget.html",
        {
            "cards": cards,
            "sector": sector,
            "fallback": fallback,
            "campaign_url": settings.SITE_URL
            + ("/en/" if get_language().startswith("en") else "/"),
            "oembed_url": _oembed_url(request.build_absolute_uri()),
        },
    )
    # Short: an unpublished testimonial leaves embedding pages within a minute.
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_safe
def oembed(request: HttpRequest) -> HttpResponse:
    """oEmbed (https://oembed.com/) for widget URLs: type "rich", an <iframe> to paste."""
    if request.GET.get("format", "json") != "json":
        return HttpResponse(status=501)
    url = request.GET.get("url", "")
    parsed = urlparse(url)
    site = urlparse(settings.SITE_URL)
    widget_paths = {reverse("employer_kit:widget"), "/en" + reverse("employer_kit:widget")}
    if parsed.netloc not in {site.netloc, request.get_host()} or parsed.path not in widget_paths:
        raise Http404
    language = "en" if parsed.path.startswith("/en/") else "fr"
    sector = _widget_sector((parse_qs(parsed.query).get("secteur") or [None])[0])
    width, height = WIDGET_SIZE
    try:
        width = min(width, int(request.GET.get("maxwidth", width)))
        height = min(height, int(request.GET.get("maxheight", height)))
    except ValueError:
        pass
    with translation.override(language):
        title = "One Provence — Tous Ambassadeurs" + (f" · {sector.display_name}" if sector else "")
    src = _widget_url(sector.slug if sector else None, language)
    html = _iframe_snippet(src, title, width, height)
    response = JsonResponse(
        {
            "version": "1.0",
            "type": "rich",
            "provider_name": "One Provence",
            "provider_url": settings.SITE_URL + "/",
            "title": title,
            "html": html,
            "width": width,
            "height": height,
            "cache_age": 3600,
        },
        # The title holds a staff-typed sector name: no raw markup in the answer.
        encoder=MarkupSafeJSONEncoder,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response
