"""Hostile input across the apps: oversized forms, cross-site POSTs, HTML/JS in staff text.

Each gets a clear refusal (a 400 or 403 page in the visitor's language, never a 500) and
changes nothing: no row, no audit event, no session cookie. Text typed by staff (campaigns,
sectors, key figures, talking points, kit assets) and by recruiters (company) is escaped
wherever it is shown: public pages, the kit, the widget and oEmbed, the admin, emails and the
kit's documents. Residents' text is covered by test_hostile_text.py, uploads by
tests/ambassadors/test_uploads_hostile.py.
"""

import io
import json
import zipfile
from datetime import date

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from ambassadors.links import resident_token
from ambassadors.models import (
    ConsentRecord,
    ConsentText,
    RejectionReason,
    Status,
    Testimonial,
    TestimonialEvent,
)
from ambassadors.views import SESSION_KEY
from campaigns.models import Campaign, KeyFigure, Placement, Sector
from employer_kit.models import KitAsset, KitDownload, Recruiter, TalkingPoint
from tests.employer_kit.conftest import log_in, png_bytes
from tests.onprovence.test_hostile_text import consent_data

pytestmark = pytest.mark.django_db
SITE = "http://testserver"
EVIL = "https://evil.example"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
MEGABYTE = 1024 * 1024


def rows() -> dict:
    """What a refused request must leave as it was."""
    return {
        "testimonials": sorted(Testimonial.objects.values_list("pk", "status")),
        "events": TestimonialEvent.objects.count(),
        "consents": ConsentRecord.objects.count(),
        "recruiters": sorted(Recruiter.objects.values_list("pk", "company", "confirmed_at")),
        "downloads": KitDownload.objects.count(),
        "emails": len(mail.outbox),
    }


def resident_browser(testimonial: Testimonial, *, csrf: bool = True, **headers) -> Client:
    browser = Client(enforce_csrf_checks=csrf, headers=headers)
    session = browser.session
    session[SESSION_KEY] = str(testimonial.pk)
    session.save()
    browser.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return browser


@pytest.fixture
def testimonial(db) -> Testimonial:
    return Testimonial.objects.create(
        first_name="Nadia",
        email="nadia@example.org",
        sector=Sector.objects.get(slug="aeronautique"),
    )


@pytest.fixture
def recruiter(db) -> Recruiter:
    return Recruiter.objects.create(
        email="rh@airbus-test.fr", company="Airbus Helicopters", confirmed_at=timezone.now()
    )


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


# --- Oversized form fields --------------------------------------------------------------------

PUBLIC_FORMS = ["/ambassadeurs/vous/", "/kit/acces/"]


@pytest.mark.parametrize("path", PUBLIC_FORMS)
def test_a_megabyte_in_one_field_is_refused_by_the_form_and_nothing_is_created(client, path):
    before = rows()
    data = consent_data(first_name="A" * MEGABYTE, commune="B" * (MEGABYTE // 4))
    data.update(company="C" * (MEGABYTE // 2), email="rh@airbus-test.fr")

    french = client.post(path, data, HTTP_ORIGIN=SITE)
    english = client.post("/en" + path, data, HTTP_ORIGIN=SITE)

    # The consent form answers 400 with its errors; the kit's form keeps its page (200).
    assert (french.status_code, english.status_code) in ((400, 400), (200, 200))
    assert "caractères" in french.content.decode()
    assert "characters" in english.content.decode()
    assert rows() == before
    assert not french.cookies and not english.cookies


def oversized_bodies():
    too_big = {"first_name": "A" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    too_many = {f"field{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    return [pytest.param(too_big, id="body-over-2MB"), pytest.param(too_many, id="1001-fields")]


@pytest.mark.parametrize("body", oversized_bodies())
@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize("path", PUBLIC_FORMS)
def test_an_oversized_body_on_a_public_form_gets_a_clean_400_page(client, path, prefix, body):
    before = rows()

    response = client.post(prefix + path, body, HTTP_ORIGIN=SITE)

    assert response.status_code == 400
    assert_bad_request_page(response, english=bool(prefix))
    assert rows() == before
    assert not response.cookies


def assert_bad_request_page(response, *, english: bool) -> None:
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    if english:
        assert "This request is too large or malformed" in body, body
    else:
        assert "Cette demande est trop volumineuse ou mal formée" in body, body


@pytest.mark.parametrize("body", oversized_bodies())
def test_an_oversized_withdrawal_confirmation_is_refused_and_nothing_is_withdrawn(
    testimonial, body
):
    # As a browser: the confirmation page gave it the CSRF cookie it sends back.
    browser = Client(enforce_csrf_checks=True)
    path = f"/ambassadeurs/retrait/{resident_token(testimonial.pk)}/"
    assert browser.get(path).cookies[settings.CSRF_COOKIE_NAME]
    body = {**body, "csrfmiddlewaretoken": browser.cookies[settings.CSRF_COOKIE_NAME].value}
    before = rows()

    response = browser.post(path, body)

    assert response.status_code == 400
    assert_bad_request_page(response, english=False)
    assert rows() == before


@pytest.mark.parametrize("name", ["debut", "parties", "etat", "fin"])
def test_an_oversized_upload_api_body_is_refused_and_changes_nothing(testimonial, name):
    browser = resident_browser(testimonial, csrf=False)
    before = rows()

    response = browser.post(
        f"/en/ambassadeurs/envoi/{name}/",
        json.dumps({"pad": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert_bad_request_page(response, english=True)
    assert rows() == before


def test_an_oversized_admin_login_is_refused_without_a_500(client):
    response = client.post(
        "/admin/login/",
        {f"f{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)},
    )

    assert response.status_code == 400


# --- Cross-site POSTs -------------------------------------------------------------------------


@pytest.mark.parametrize("path", PUBLIC_FORMS)
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-origin-no-referer"),
        pytest.param({"Origin": EVIL}, id="evil-origin"),
        pytest.param({"Origin": "null"}, id="null-origin"),
        pytest.param({"Referer": f"{EVIL}/page"}, id="evil-referer"),
        pytest.param({"Origin": "http://testserver.evil.example"}, id="lookalike-origin"),
    ],
)
def test_a_public_form_posted_cross_site_is_refused_and_nothing_changes(path, headers):
    browser = Client(enforce_csrf_checks=True, headers=headers)
    data = consent_data()
    data.update(company="Airbus Helicopters", email="rh@airbus-test.fr")
    before = rows()

    french = browser.post(path, data)
    english = browser.post("/en" + path, data)

    assert (french.status_code, english.status_code) == (403, 403)
    assert french.content.decode() == "Ce formulaire doit être envoyé depuis notre site."
    assert english.content.decode() == "This form must be sent from our website."
    assert rows() == before
    assert not french.cookies and not english.cookies


def assert_csrf_page(response, *, english: bool) -> None:
    assert response.status_code == 403
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    if english:
        assert "This form was not sent from our site" in body, body
    else:
        assert "Ce formulaire n'a pas été envoyé depuis notre site" in body, body


@pytest.mark.parametrize("name", ["debut", "parties", "etat", "fin"])
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_upload_api_posted_cross_site_is_refused_with_a_clear_page(
    testimonial, local_storage, name, prefix
):
    browser = resident_browser(testimonial, Origin=EVIL)
    before = rows()

    response = browser.post(
        f"{prefix}/ambassadeurs/envoi/{name}/",
        {"size": 10, "type": "video/mp4"},
        content_type="application/json",
    )

    assert_csrf_page(response, english=bool(prefix))
    assert rows() == before
    assert stored_files(local_storage) == []


def test_a_forged_local_part_url_put_cross_site_is_refused(testimonial, local_storage):
    # The part endpoint is CSRF-exempt on purpose: its signed URL is the credential, as a
    # presigned S3 URL is. Without one, nothing is written.
    browser = Client(headers={"Origin": EVIL})

    response = browser.generic("PUT", "/ambassadeurs/envoi/partie/forged/", data=b"x" * 10)

    assert (response.status_code, response.json()["code"]) == (403, "expired")
    assert stored_files(local_storage) == []


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_a_withdrawal_posted_cross_site_is_refused_and_nothing_is_withdrawn(testimonial, prefix):
    browser = Client(enforce_csrf_checks=True, headers={"Origin": EVIL})
    before = rows()

    response = browser.post(f"{prefix}/ambassadeurs/retrait/{resident_token(testimonial.pk)}/")

    assert_csrf_page(response, english=bool(prefix))
    assert rows() == before
    testimonial.refresh_from_db()
    assert testimonial.status == Status.CREATED


@pytest.mark.parametrize("path", ["/kit/deconnexion/", "/kit/compte/supprimer/", "/kit/fiche/"])
def test_kit_posts_sent_cross_site_are_refused_and_nothing_changes(recruiter, path):
    browser = Client(enforce_csrf_checks=True, headers={"Origin": EVIL})
    log_in(browser, recruiter)
    before = rows()

    response = browser.post(path, {"sector": "aeronautique", "language": "fr"})

    assert_csrf_page(response, english=False)
    assert rows() == before
    # Still logged in: the logout did not happen either.
    assert browser.get("/kit/compte/").status_code == 200


def test_an_admin_action_posted_cross_site_is_refused_and_nothing_changes(testimonial):
    testimonial.status = Status.IN_REVIEW
    testimonial.save(update_fields=["status"])
    admin = User.objects.create_superuser("admin", "admin@example.org", "pw")
    browser = Client(enforce_csrf_checks=True, headers={"Origin": EVIL})
    browser.force_login(admin)
    before = rows()

    moderate = browser.post(
        "/admin/ambassadors/testimonial/moderate/approve/", {"ids": str(testimonial.pk)}
    )
    bulk = browser.post(
        "/admin/ambassadors/testimonial/",
        {"action": "delete_selected", "_selected_action": [str(testimonial.pk)], "post": "yes"},
    )
    login = Client(enforce_csrf_checks=True, headers={"Origin": EVIL}).post(
        "/admin/login/", {"username": "admin", "password": "pw"}
    )

    for response in (moderate, bulk, login):
        assert_csrf_page(response, english=False)
    assert rows() == before


def test_a_language_switch_posted_cross_site_is_refused():
    response = Client(enforce_csrf_checks=True, headers={"Origin": EVIL}).post(
        "/i18n/setlang/", {"language": "en", "next": "/"}
    )

    assert_csrf_page(response, english=False)
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


# --- HTML/JS in staff-edited and recruiter text -----------------------------------------------


@pytest.fixture
def hostile_content(db, local_storage):
    """Every staff- and recruiter-edited text field filled with markup, shown where it is used."""
    sector = Sector.objects.get(slug="aeronautique")
    sector.name = f"Aéro {SCRIPT}"
    sector.name_en = f"Aero {SCRIPT}"
    sector.description = f"Hélicos {IMG}"
    sector.description_en = f"Helicopters {IMG}"
    sector.image_alt = IMG
    sector.save()
    campaign = Campaign.objects.create(
        name=f"Campagne {SCRIPT}",
        slug="marque-employeur",
        status=Campaign.Status.LIVE,
        starts_on=date(2026, 9, 30),
        hero_title=f"Ici {SCRIPT}",
        hero_title_en=f"Here {SCRIPT}",
        hero_text=f"Accroche {IMG}",
        hero_text_en=f"Tagline {IMG}",
        cta_label=f"Je témoigne {SCRIPT}",
    )
    Placement.objects.create(
        campaign=campaign,
        channel=Placement.Channel.STATION,
        place_name=f"Gare {SCRIPT}",
        declared_audience=1000,
    )
    figure = KeyFigure.objects.create(
        value=7,
        unit="<b>/10",
        label=f"Bonheur {SCRIPT}",
        label_en=f"Happiness {SCRIPT}",
        comparison_value=6,
        comparison_label=f"moyenne {IMG}",
        source_name=f"Source <font color=red>{SCRIPT}",
        order=1,
    )
    point = TalkingPoint.objects.create(
        headline=f"Accroche <b>{SCRIPT}",
        body=f"Texte <img src=x> {IMG} & <unclosed",
        sector=sector,
        language="fr",
        reviewed_on=timezone.localdate(),
    )
    point.key_figures.set([figure])
    asset = KitAsset(
        title=f"Logo {SCRIPT}",
        kind=KitAsset.Kind.LOGO,
        credits=f"Crédits {IMG}",
        sector=sector,
    )
    content = png_bytes()
    asset.file.save("logo.png", ContentFile(content), save=False)
    asset.size_bytes = len(content)
    asset.save()
    recruiter = Recruiter.objects.create(
        email="rh@airbus-test.fr", company=f"Airbus {SCRIPT}", confirmed_at=timezone.now()
    )
    KitDownload.objects.create(
        recruiter=recruiter, asset=asset, asset_title=asset.title, channel="single"
    )
    ConsentText.objects.filter(is_current=True).update(
        title=f"Droit à l'image {SCRIPT}", body=f"Premier paragraphe {IMG}\nSecond {SCRIPT}"
    )
    RejectionReason.objects.create(label=f"Motif {SCRIPT}", text=f"Texte {IMG}")
    return {"campaign": campaign, "recruiter": recruiter, "asset": asset, "point": point}


def assert_escaped(body: str, where: str) -> None:
    assert "<script>alert" not in body, where
    assert "<img src=x" not in body, where
    assert "<font color" not in body, where
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body or "\\u003Cscript" in body, where


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/en/",
        "/campagne/marque-employeur/",
        "/secteurs/aeronautique/",
        "/temoignages/",
        "/ambassadeurs/vous/",
    ],
)
def test_staff_text_is_escaped_on_public_pages(client, hostile_content, path):
    response = client.get(path)

    assert response.status_code == 200, path
    assert_escaped(response.content.decode(), path)


@pytest.mark.parametrize(
    "path", ["/kit/", "/kit/compte/", "/kit/widget/?secteur=aeronautique", "/kit/fiche/"]
)
def test_staff_and_recruiter_text_is_escaped_in_the_kit(client, hostile_content, path):
    log_in(client, hostile_content["recruiter"])

    response = client.get(path)

    assert response.status_code == 200, path
    assert_escaped(response.content.decode(), path)


def test_the_oembed_answer_escapes_the_sector_name_in_its_html(client, hostile_content):
    widget = f"{settings.SITE_URL}/kit/widget/?secteur=aeronautique"

    response = client.get("/kit/oembed/", {"url": widget})

    answer = response.json()
    assert "<script>" not in answer["html"] and "&lt;script&gt;" in answer["html"]
    # The title is plain text for the consumer to escape; the answer itself holds no markup.
    assert answer["title"].endswith(f"Aéro {SCRIPT}")
    assert "<" not in response.content.decode()


@pytest.mark.parametrize(
    "model",
    [
        "campaigns/campaign",
        "campaigns/sector",
        "campaigns/keyfigure",
        "campaigns/placement",
        "employer_kit/talkingpoint",
        "employer_kit/kitasset",
        "employer_kit/recruiter",
        "employer_kit/kitdownload",
        "ambassadors/consenttext",
        "ambassadors/rejectionreason",
    ],
)
def test_staff_and_recruiter_text_is_escaped_in_the_admin(admin_client, hostile_content, model):
    changelist = admin_client.get(f"/admin/{model}/")
    assert changelist.status_code == 200, model
    assert_escaped(changelist.content.decode(), model)
    # The first row's change page too (read-only fields are rendered by our own code).
    app, name = model.split("/")
    obj = apps.get_model(app, name).objects.filter(**_hostile_filter(name)).first()
    change = admin_client.get(f"/admin/{model}/{obj.pk}/change/")
    assert change.status_code == 200, model
    assert "<script>alert" not in change.content.decode(), model
    assert "<img src=x" not in change.content.decode(), model


def _hostile_filter(name: str) -> dict:
    return {
        "campaign": {"slug": "marque-employeur"},
        "sector": {"slug": "aeronautique"},
        "keyfigure": {"label__contains": "<script>"},
        "placement": {"place_name__contains": "<script>"},
        "talkingpoint": {"headline__contains": "<script>"},
        "kitasset": {"title__contains": "<script>"},
        "recruiter": {"company__contains": "<script>"},
        "kitdownload": {"asset_title__contains": "<script>"},
        "consenttext": {"is_current": True},
        "rejectionreason": {"label__contains": "<script>"},
    }[name]


def test_the_magic_link_email_keeps_the_company_as_text(client):
    response = client.post(
        "/kit/acces/",
        {"company": f"Airbus {SCRIPT}", "email": "rh@airbus-test.fr"},
        HTTP_ORIGIN=SITE,
    )

    assert response.status_code == 200
    (message,) = mail.outbox
    for alternative, _type in message.alternatives:
        assert "<script>alert" not in alternative
    assert "<script>" not in message.subject
    assert "<script>alert" not in response.content.decode()


def test_markup_in_talking_points_and_figures_stays_text_in_the_kit_documents(
    client, hostile_content
):
    log_in(client, hostile_content["recruiter"])

    response = client.get("/kit/archive.zip")

    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    pdf_name = next(n for n in names if n.endswith("talking-points.pdf"))
    docx_name = next(n for n in names if n.endswith("talking-points.docx"))
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(archive.read(pdf_name))).pages
    )
    # ReportLab reads its own mini-markup in paragraphs: the text must come out literally.
    assert "<b>" in text and "<img src=x>" in text and "<unclosed" in text
    docx = zipfile.ZipFile(io.BytesIO(archive.read(docx_name)))
    document = docx.read("word/document.xml").decode()
    assert "<script>" not in document and "&lt;script&gt;" in document
