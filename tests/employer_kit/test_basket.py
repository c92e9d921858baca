"""The basket, the signed-out download links and the file names (issue 16, "The kit")."""

import io
import re
import zipfile
from urllib.parse import unquote

import pytest
from django.core.files.base import ContentFile

from ambassadors import keys
from employer_kit.models import KitAsset, KitDownload, OnePager
from employer_kit.services import kit_asset_from_testimonial
from onprovence.storage import private_storage
from tests.employer_kit.conftest import log_in, pdf_bytes, png_bytes
from tests.factories import TestimonialFactory

pytestmark = pytest.mark.django_db


def _zip(response) -> zipfile.ZipFile:
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    return zipfile.ZipFile(io.BytesIO(body))


def test_signed_out_zip_link_leads_to_sign_in_not_a_download_of_the_sign_in_page(
    client, kit_content, make_asset
):
    """Before: `<a href="/kit/acces/?suivant=/kit/archive.zip" download>` saved download.html."""
    asset = make_asset(title="Logo One Provence")
    page = client.get("/kit/?secteur=aeronautique").content.decode()

    archive = re.search(r'<a class="button" href="([^"]+)"([^>]*)>Tout télécharger', page)
    assert archive.group(1) == "/kit/acces/?suivant=%2Fkit%2Farchive.zip%3Fsecteur%3Daeronautique"
    assert "download" not in archive.group(2)
    single = re.search(r'<a class="button kit-asset__download" href="([^"]+)"([^>]*)>', page)
    # The single file's link names the file to come back to, not the kit's home.
    assert single.group(1) == f"/kit/acces/?suivant=%2Fkit%2Ftelecharger%2F{asset.pk}%2F"
    assert "download" not in single.group(2)


def test_after_sign_in_the_recruiter_lands_on_the_kit_with_the_download_offered(
    client, kit_content, make_asset, make_recruiter
):
    """Before: the confirm redirected straight to the ZIP; the page stayed on "Me connecter"."""
    from django.core import mail

    asset = make_asset(title="Logo One Provence")
    page = client.get(f"/kit/acces/?suivant=/kit/telecharger/{asset.pk}/")
    assert f'value="/kit/telecharger/{asset.pk}/"' in page.content.decode()
    client.post(
        "/kit/acces/",
        {
            "company": "Airbus Helicopters",
            "email": "rh@airbus-helicopters.test",
            "suivant": f"/kit/telecharger/{asset.pk}/",
        },
    )
    link = re.search(r"/kit/acces/\S+/", mail.outbox[-1].body).group(0)
    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == "/kit/#kit-resume"

    home = client.get("/kit/").content.decode()
    assert re.search(rf'<a class="button" href="/kit/telecharger/{asset.pk}/" download>', home)
    # Offered once: the next visit shows the kit as usual.
    assert "kit-resume" not in client.get("/kit/").content.decode()
    assert client.get(f"/kit/telecharger/{asset.pk}/").status_code == 302


def test_a_foreign_next_address_is_never_offered_as_a_download(client, kit_content, make_recruiter):
    recruiter = make_recruiter()
    log_in(client, recruiter)
    session = client.session
    session["employer_kit.resume"] = "https://evil.example/kit/archive.zip"
    session.save()
    assert "evil.example" not in client.get("/kit/").content.decode()


def test_basket_downloads_the_picked_assets_as_one_zip_and_counts_each(
    client, kit_content, make_asset, make_recruiter
):
    logo = make_asset(title="Logo One Provence", content=png_bytes(), name="logo.png")
    brochure = make_asset(
        title="Fiche aéronautique",
        kind=KitAsset.Kind.BROCHURE,
        sector=kit_content["aero"],
        content=pdf_bytes("Aéronautique"),
        name="fiche.pdf",
    )
    make_asset(title="Fiche énergie", sector=kit_content["energy"], name="energie.png")
    recruiter = make_recruiter()
    log_in(client, recruiter)

    response = client.get(f"/kit/panier.zip?ressource={logo.pk}&ressource={brochure.pk}")

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert 'filename="kit-one-provence-panier.zip"' in response["Content-Disposition"]
    archive = _zip(response)
    assert archive.testzip() is None
    assert set(archive.namelist()) == {
        "logo/tous-secteurs/logo-one-provence.png",
        "brochure/aeronautique/fiche-aeronautique.pdf",
        "README.md",
        "talking-points.md",
        "talking-points.pdf",
        "talking-points.docx",
    }
    downloads = KitDownload.objects.filter(recruiter=recruiter)
    assert sorted(d.asset_title for d in downloads) == ["Fiche aéronautique", "Logo One Provence"]
    assert {d.channel for d in downloads} == {KitDownload.Channel.BASKET}


def test_basket_leaves_out_a_withdrawn_asset_and_an_empty_basket_says_so(
    client, kit_content, make_asset, make_recruiter
):
    from django.utils import timezone

    kept = make_asset(title="Logo One Provence")
    gone = make_asset(title="Ancien logo", withdrawn_at=timezone.now())
    log_in(client, make_recruiter())

    names = _zip(client.get(f"/kit/panier.zip?ressource={kept.pk}&ressource={gone.pk}")).namelist()
    assert "logo/tous-secteurs/logo-one-provence.png" in names
    assert not any("ancien" in name for name in names)

    empty = client.get(f"/kit/panier.zip?ressource={gone.pk}&ressource=abc", follow=True)
    assert "Votre panier est vide" in empty.content.decode()


def test_signed_out_basket_leads_to_sign_in_with_the_basket_kept(client, kit_content, make_asset):
    asset = make_asset()
    response = client.get(f"/kit/panier.zip?ressource={asset.pk}")
    assert response.status_code == 302
    assert (
        unquote(response["Location"]) == f"/kit/acces/?suivant=/kit/panier.zip?ressource={asset.pk}"
    )


def test_two_testimonial_videos_get_two_names_that_say_what_they_are(
    client, kit_content, published_testimonial, make_recruiter
):
    """Before: both were `web.mp4` (one renamed `web-<pk>.mp4`)."""
    from ambassadors.models import Status

    other = TestimonialFactory(
        status=Status.PUBLISHED,
        published_at=published_testimonial.published_at,
        sector=kit_content["aero"],
        display_name="Marc, technicien",
        consent__consent_text=published_testimonial.consent.consent_text,
        consent__accepted_at=published_testimonial.consent.accepted_at,
        consent__choices={"employer_kit": True},
    )
    private_storage().save(keys.testimonial_key(other.pk, keys.WEB), ContentFile(b"video" * 50))
    for testimonial in (published_testimonial, other):
        kit_asset_from_testimonial(testimonial_id=testimonial.pk)
    log_in(client, make_recruiter())

    names = _zip(client.get("/kit/archive.zip?type=video")).namelist()

    videos = sorted(name for name in names if name.endswith(".mp4"))
    assert videos == [
        "video/aeronautique/temoignage-lea-ingenieure.mp4",
        "video/aeronautique/temoignage-marc-technicien.mp4",
    ]


def test_the_all_sector_one_pager_is_not_named_provence_provence(
    client, kit_content, make_recruiter
):
    """Before: `pourquoi-aix-marseille-provence-provence.pdf`."""
    recruiter = make_recruiter()
    log_in(client, recruiter)
    sheet = OnePager.objects.create(
        recruiter=recruiter, sector=None, pdf_key="kit/x.pdf", png_key="kit/x.png"
    )
    location = unquote(client.get(f"/kit/fiche/{sheet.pk}.pdf")["Location"])
    assert (
        "pourquoi-nous-rejoindre-aix-marseille-provence-airbus-helicopters-tous-secteurs.pdf"
        in (location)
    )
    assert "provence-provence" not in location


def test_english_sign_in_lands_back_on_the_english_kit_with_the_zip_offered(
    client, kit_content, make_asset
):
    from django.core import mail

    make_asset(title="Logo One Provence")
    client.post(
        "/en/kit/acces/",
        {
            "company": "CMA CGM",
            "email": "hr@cma-cgm.test",
            "suivant": "/en/kit/archive.zip?secteur=aeronautique",
        },
    )
    link = re.search(r"/en/kit/acces/\S+/", mail.outbox[-1].body).group(0)
    response = client.post(link)
    assert response["Location"] == "/en/kit/#kit-resume"
    home = client.get("/en/kit/").content.decode()
    assert 'href="/en/kit/archive.zip?secteur=aeronautique" download>Download now' in home
