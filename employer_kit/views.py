"""Recruiters' pages under /kit/: browse, downloads, one-pager. Signing in and the account are
in `views_access`, the embeddable widget in `views_widget`."""

from types import SimpleNamespace
from urllib.parse import urlencode

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from onprovence.ratelimit import ratelimit_hit
from onprovence.storage import private_url, public_storage

from . import conf, selectors, services
from .forms import KitFilterForm, OnePagerForm
from .models import KitDownload, Recruiter
from .views_access import (
    RESUME_KEY,
    is_download_path,
    recruiter_required,
    recruiter_signed_in,
    sign_in_url,
)
from .views_widget import embed_snippet, oembed_url, widget_url


def _preview_url(preview_key: str) -> str:
    return public_storage().url(preview_key) if preview_key else ""


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
    recruiter = recruiter_signed_in(request)
    for asset in assets:
        asset.download_url = reverse("employer_kit:download", args=[asset.pk])
        if recruiter is None:
            asset.download_url = sign_in_url(asset.download_url)
    archive_query = urlencode({k: v for k, v in request.GET.items() if k in form.fields and v})
    archive_url = reverse("employer_kit:archive") + (f"?{archive_query}" if archive_query else "")
    resume_url = ""
    if recruiter is not None and RESUME_KEY in request.session:
        resume_url = request.session.pop(RESUME_KEY)
    widget_address = widget_url(filters["sector_slug"], get_language())
    response = render(
        request,
        "employer_kit/home.html",
        {
            "form": form,
            "assets": assets,
            "points": points,
            "recruiter": recruiter,
            "resume_url": resume_url if is_download_path(resume_url) else "",
            # Signed out, a download link leads to the sign-in page (never a `download`
            # attribute there: the browser would save the sign-in page as the file).
            "archive_url": archive_url if recruiter else sign_in_url(archive_url),
            "basket_url": reverse("employer_kit:basket"),
            "widget_snippet": embed_snippet(widget_address, _("Témoignages One Provence")),
            "oembed_url": oembed_url(widget_address),
        },
    )
    # The page differs signed in and out: no shared cache may serve one for the other.
    patch_vary_headers(response, ["Cookie"])
    return response


@never_cache
@require_GET
@recruiter_required
def download(request: HttpRequest, recruiter: Recruiter, asset_id: int) -> HttpResponse:
    """One asset through a short-lived signed URL, if it is still in the kit."""
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
@recruiter_required
def archive(request: HttpRequest, recruiter: Recruiter) -> HttpResponse:
    """The whole kit (or the filtered part) as one ZIP, streamed as it is read from storage."""
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
@recruiter_required
def basket(request: HttpRequest, recruiter: Recruiter) -> HttpResponse:
    """The assets a recruiter picked (`?ressource=<id>` repeated) as one ZIP, streamed like the
    whole kit, with the talking points of the page's language; each file counts as a download."""
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
@recruiter_required
def one_pager(request: HttpRequest, recruiter: Recruiter) -> HttpResponse:
    """Upload a logo, pick a sector: get the co-branded sheet as PDF and PNG."""
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
@recruiter_required
def one_pager_done(request: HttpRequest, recruiter: Recruiter, one_pager_id: str) -> HttpResponse:
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
@recruiter_required
def one_pager_file(
    request: HttpRequest, recruiter: Recruiter, one_pager_id: str, fmt: str
) -> HttpResponse:
    """The recruiter's own sheet, PDF or PNG, through a short-lived signed URL."""
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
