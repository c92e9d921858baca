"""Access and privacy: no download without a confirmed session, nothing of other recruiters."""

import html
import re
import urllib.request
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from employer_kit import conf
from employer_kit.models import KitDownload, Recruiter
from employer_kit.services import SESSION_KEY, magic_link_token, recruiter_confirm
from tests.employer_kit.conftest import log_in

pytestmark = pytest.mark.django_db


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def test_anonymous_kit_page_lists_assets_and_sets_no_cookie(client, kit_content, make_asset):
    make_asset(title="Logo One Provence")

    response = client.get("/kit/")

    assert response.status_code == 200
    assert "Logo One Provence" in response.content.decode()
    assert "Concevoir les hélicoptères de demain" in response.content.decode()
    assert response.cookies == {}


def test_a_talking_point_names_each_source_once(client, kit_content):
    page = client.get("/kit/").content.decode()

    lines = re.findall(r'<p class="kit-point__sources"[^>]*>Sources : (.*?)</p>', page)
    # "On est plus heureux ici" quotes two figures of one ImageTerr study: named once.
    assert "ImageTerr 2024 — IMPGT, Aix-Marseille Université (2024)" in lines
    assert all(len(set(line.split(" ; "))) == len(line.split(" ; ")) for line in lines), lines


def test_kit_page_queries_do_not_grow_with_the_kit(
    client, kit_content, make_asset, make_recruiter, django_assert_max_num_queries
):
    for n in range(12):
        make_asset(title=f"Visuel {n}", sector=kit_content["aero"] if n % 2 else None)
    log_in(client, make_recruiter())

    with django_assert_max_num_queries(7):
        response = client.get("/kit/?secteur=aeronautique&langue=fr")

    assert response.content.decode().count('class="card kit-asset"') == 12


def test_a_tampered_session_value_is_no_recruiter(client, make_asset):
    session = client.session
    session[SESSION_KEY] = "not-a-uuid"
    session.save()
    client.cookies["sessionid"] = session.session_key

    assert client.get(f"/kit/telecharger/{make_asset().pk}/").status_code == 302


def test_download_needs_a_session(client, make_asset):
    asset = make_asset()

    response = client.get(f"/kit/telecharger/{asset.pk}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/kit/acces/?suivant=")
    assert KitDownload.objects.count() == 0


def test_unconfirmed_recruiter_cannot_download(client, make_asset, make_recruiter):
    asset = make_asset()
    log_in(client, make_recruiter(confirmed=False))

    response = client.get(f"/kit/telecharger/{asset.pk}/")

    assert response.status_code == 302
    assert "/kit/acces/" in response["Location"]
    assert KitDownload.objects.count() == 0


def test_magic_link_opens_a_session_once_and_the_download_is_a_short_signed_url(client, make_asset):
    asset = make_asset(content=b"\x89PNG-logo-bytes", name="logo-one-provence.png")

    response = client.post(
        "/kit/acces/",
        {"company": "Naval Group", "email": "Recrutement@Naval-Group.test", "siret": ""},
    )
    assert response.status_code == 200
    assert "Vérifiez votre messagerie" in response.content.decode()
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/kit/acces/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    assert client.get("/" + path).status_code == 200  # the confirm button
    response = client.post("/" + path)
    assert response.status_code == 302
    recruiter = Recruiter.objects.get(email="recrutement@naval-group.test")
    assert recruiter.confirmed_at is not None
    assert client.session[SESSION_KEY] == str(recruiter.pk)

    # The link works once.
    assert Client().get("/" + path).status_code == 400
    assert Client().post("/" + path).status_code == 400

    response = client.get(f"/kit/telecharger/{asset.pk}/")
    assert response.status_code == 302
    signed = response["Location"]
    assert "X-Amz-Expires=60" in signed and "X-Amz-Signature=" in signed
    assert _fetch(signed) == b"\x89PNG-logo-bytes"
    download = KitDownload.objects.get()
    assert (download.recruiter, download.asset, download.channel) == (recruiter, asset, "single")


def test_expired_magic_link_is_refused(make_recruiter, monkeypatch):
    recruiter = make_recruiter(confirmed=False)
    token = magic_link_token(recruiter=recruiter)
    monkeypatch.setattr(conf, "MAGIC_LINK_MAX_AGE_SECONDS", -1)

    from employer_kit.services import MagicLinkInvalid

    with pytest.raises(MagicLinkInvalid):
        recruiter_confirm(token=token)
    recruiter.refresh_from_db()
    assert recruiter.confirmed_at is None


@pytest.mark.parametrize(
    ("path", "email", "siret", "message"),
    [
        ("/kit/acces/", "jean@gmail.com", "", "Indiquez votre adresse professionnelle"),
        ("/en/kit/acces/", "jean@gmail.com", "", "Enter your work address"),
        ("/kit/acces/", "rh@cma-test.fr", "12345678901234", "Ce numéro SIRET n'est pas valide"),
        ("/en/kit/acces/", "rh@cma-test.fr", "1234", "This SIRET number is not valid"),
    ],
)
def test_bad_identification_gets_a_clear_message_and_changes_nothing(
    client, path, email, siret, message
):
    response = client.post(path, {"company": "CMA CGM", "email": email, "siret": siret})

    assert response.status_code == 200
    assert message in html.unescape(response.content.decode())
    assert Recruiter.objects.count() == 0
    assert mail.outbox == []


def test_valid_siret_is_kept(client):
    client.post(
        "/kit/acces/",
        {"company": "La Poste", "email": "rh@laposte-test.fr", "siret": "732 829 320 00074"},
    )

    assert Recruiter.objects.get().siret == "73282932000074"


def test_identification_is_rate_limited_per_address(client):
    for _ in range(conf.IDENTIFY_RATE_LIMIT):
        client.post("/kit/acces/", {"company": "X", "email": f"a{_}@x-test.fr"})

    response = client.post("/kit/acces/", {"company": "X", "email": "late@x-test.fr"})

    assert "Trop de demandes" in response.content.decode()
    assert not Recruiter.objects.filter(email="late@x-test.fr").exists()


def test_expired_and_withdrawn_assets_are_not_downloadable_even_with_an_old_link(
    client, make_asset, make_recruiter
):
    expired = make_asset(title="Ancienne brochure")
    withdrawn = make_asset(title="Photo retirée")
    future = make_asset(title="Pas encore")
    log_in(client, make_recruiter())
    old_links = [f"/kit/telecharger/{asset.pk}/" for asset in (expired, withdrawn, future)]
    assert all(client.get(link).status_code == 302 for link in old_links)

    today = timezone.localdate()
    expired.available_until = today - timedelta(days=1)
    expired.save(update_fields=["available_until"])
    withdrawn.withdrawn_at = timezone.now()
    withdrawn.save(update_fields=["withdrawn_at"])
    future.available_from = today + timedelta(days=1)
    future.save(update_fields=["available_from"])

    assert [client.get(link).status_code for link in old_links] == [404, 404, 404]
    page = client.get("/kit/").content.decode()
    assert (
        "Ancienne brochure" not in page and "Photo retirée" not in page and "Pas encore" not in page
    )


def test_recruiters_see_nothing_of_each_other(client, kit_content, make_asset, make_recruiter):
    from employer_kit.models import OnePager

    asset = make_asset(title="Logo partagé")
    alice = make_recruiter(email="alice@airbus-test.fr", company="Airbus Helicopters")
    bob = make_recruiter(email="bob@cma-test.fr", company="CMA CGM")
    bob_client = Client()
    log_in(bob_client, bob)
    bob_client.get(f"/kit/telecharger/{asset.pk}/")
    bob_sheet = OnePager.objects.create(recruiter=bob, pdf_key="kit/x.pdf", png_key="kit/x.png")
    log_in(client, alice)

    account = client.get("/kit/compte/").content.decode()
    assert "alice@airbus-test.fr" in account
    assert "bob@cma-test.fr" not in account and "CMA CGM" not in account
    assert "Logo partagé" not in account  # Bob's download, not Alice's
    assert client.get(f"/kit/fiche/{bob_sheet.pk}/").status_code == 404
    assert client.get(f"/kit/fiche/{bob_sheet.pk}.pdf").status_code == 404
    assert bob_client.get(f"/kit/fiche/{bob_sheet.pk}.pdf").status_code == 302


def test_a_recruiter_deletes_their_account_and_history(
    client, make_asset, make_recruiter, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from onprovence.storage import private_storage

    recruiter = make_recruiter()
    logo_key = f"{recruiter.storage_prefix}/one-pagers/x/logo.png"
    private_storage().save(logo_key, ContentFile(b"logo"))
    log_in(client, recruiter)
    client.get(f"/kit/telecharger/{make_asset().pk}/")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/kit/compte/supprimer/")

    assert response.status_code == 302
    assert not Recruiter.objects.filter(pk=recruiter.pk).exists()
    assert KitDownload.objects.count() == 0
    assert not private_storage().exists(logo_key)
    assert client.get("/kit/compte/").status_code == 302


def test_identifying_with_a_confirmed_address_changes_nothing_but_sends_a_link(
    client, make_recruiter
):
    owner = make_recruiter(email="rh@airbus-test.fr", company="Airbus Helicopters")

    client.post("/kit/acces/", {"company": "Usurpateur SA", "email": "RH@airbus-test.fr"})

    owner.refresh_from_db()
    assert owner.company == "Airbus Helicopters"
    assert [message.to for message in mail.outbox] == [["rh@airbus-test.fr"]]
    assert "Usurpateur SA" not in mail.outbox[0].body
    assert SESSION_KEY not in client.session


def test_the_access_form_sets_no_cookie_and_refuses_a_post_from_another_site(db):
    from django.test import Client

    from employer_kit.models import Recruiter

    visitor = Client()
    assert visitor.get("/kit/acces/").cookies == {}

    response = Client(headers={"Origin": "https://evil.example"}).post(
        "/kit/acces/", {"company": "X", "email": "rh@x-test.fr"}
    )
    no_origin = Client().post("/kit/acces/", {"company": "X", "email": "rh@x-test.fr"})

    assert response.status_code == 403
    assert no_origin.status_code == 403
    assert "Ce formulaire doit être envoyé depuis notre site." in response.content.decode()
    assert not Recruiter.objects.exists()


# --- Magic links and mail scanners (issue 13, low) --------------------------------------------


def _magic_link_path(client, email="rh@naval-group.test") -> str:
    client.post("/kit/acces/", {"company": "Naval Group", "email": email})
    link = re.search(r"http://\S+/kit/acces/\S+/", mail.outbox[-1].body).group(0)
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_opening_a_magic_link_uses_nothing_up_until_the_confirm_button(client):
    """Reproduction: any GET used the link up, so a mail-security scanner (Safe Links,
    Mimecast) fetching every link of the email burned it before the recruiter clicked."""
    path = _magic_link_path(client)
    scanner = Client()

    first, second = scanner.get(path), client.get(path)

    assert first.status_code == second.status_code == 200
    assert '<button class="button" type="submit">Me connecter</button>' in second.content.decode()
    assert SESSION_KEY not in scanner.session and SESSION_KEY not in client.session
    assert Recruiter.objects.get().confirmed_at is None

    signed_in = client.post(path)

    assert signed_in.status_code == 302
    assert client.session[SESSION_KEY] == str(Recruiter.objects.get().pk)
    assert Recruiter.objects.get().confirmed_at is not None
    assert [Client().post(path).status_code, Client().get(path).status_code] == [400, 400]


def test_the_confirm_button_needs_the_csrf_token(make_recruiter):
    recruiter = make_recruiter(confirmed=False)
    path = f"/kit/acces/{magic_link_token(recruiter=recruiter)}/"
    browser = Client(enforce_csrf_checks=True)

    page = browser.get(path).content.decode()
    forged = browser.post(path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    confirmed = browser.post(path, {"csrfmiddlewaretoken": token})

    assert forged.status_code == 403
    assert confirmed.status_code == 302
    recruiter.refresh_from_db()
    assert recruiter.confirmed_at is not None


def test_a_forged_or_foreign_token_gets_the_expired_page_on_get_and_post(client):
    for path in ("/kit/acces/not-a-token/", f"/kit/acces/{signing_dumps_foreign()}/"):
        assert client.get(path).status_code == 400
        assert client.post(path).status_code == 400


def signing_dumps_foreign() -> str:
    """A validly signed value of another salt: not a magic link."""
    from django.core import signing

    return signing.dumps("x", salt="employer_kit.magic-link")


def test_malformed_sign_in_requests_do_not_use_up_the_allowance(client):
    """Reproduction: every POST counted against the IP before validation, so a recruiter who
    mistyped a few times (a personal address, a wrong SIRET) was refused the right one."""
    for _ in range(conf.IDENTIFY_RATE_LIMIT + 2):
        client.post("/kit/acces/", {"company": "CMA CGM", "email": "rh@gmail.com"})
        client.post("/kit/acces/", {"company": "", "email": "not-an-address"})

    response = client.post("/kit/acces/", {"company": "CMA CGM", "email": "rh@cma-test.fr"})

    assert "Vérifiez votre messagerie" in response.content.decode()
    assert [message.to for message in mail.outbox] == [["rh@cma-test.fr"]]


def test_sign_in_is_rate_limited_per_address_across_ips(client):
    answers = []
    for n in range(conf.IDENTIFY_RATE_LIMIT + 3):
        response = client.post(
            "/kit/acces/",
            {"company": "CMA CGM", "email": "rh@cma-test.fr"},
            REMOTE_ADDR=f"198.51.100.{n + 1}",
        )
        answers.append("Vérifiez votre messagerie" in response.content.decode())

    assert all(answers)  # the same answer each time: nothing tells the limit was reached
    assert len(mail.outbox) == conf.IDENTIFY_RATE_LIMIT


def test_sign_in_is_rate_limited_per_ip_with_well_formed_requests(client):
    for n in range(conf.IDENTIFY_RATE_LIMIT):
        client.post("/kit/acces/", {"company": "X", "email": f"rh{n}@x-test.fr"})

    response = client.post("/kit/acces/", {"company": "X", "email": "late@x-test.fr"})

    assert "Trop de demandes" in response.content.decode()
    assert len(mail.outbox) == conf.IDENTIFY_RATE_LIMIT


def test_the_zip_link_is_a_download_only_for_a_signed_in_recruiter(
    client, kit_content, make_asset, make_recruiter
):
    """Reproduction: signed out, `<a href="/kit/acces/?suivant=/kit/archive.zip" download>`
    made the browser save the sign-in page as a file instead of opening it."""
    make_asset()

    def zip_link() -> str:
        page = client.get("/kit/").content.decode()
        return re.search(r"<a [^>]*>Tout télécharger \(ZIP\)</a>", page).group(0)

    signed_out = zip_link()
    log_in(client, make_recruiter())
    signed_in = zip_link()

    assert 'href="/kit/acces/?suivant=' in signed_out and " download" not in signed_out
    assert 'href="/kit/archive.zip"' in signed_in and " download>" in signed_in


# --- Text typed by whoever asks for a link (issue 13, low) -------------------------------------

PHISHING_COMPANY = (
    "Naval Group\n\nVotre accès expire. Réactivez-le ici : https://onprovence-verif.example/login"
)


def test_a_company_name_on_several_lines_is_refused_clearly(client):
    """Reproduction: a company name with line breaks and a phishing URL was accepted."""
    french = client.post("/kit/acces/", {"company": PHISHING_COMPANY, "email": "rh@naval.test"})
    english = client.post("/en/kit/acces/", {"company": "A\r\nB", "email": "rh@naval.test"})
    too_long = client.post("/kit/acces/", {"company": "N" * 161, "email": "rh@naval.test"})

    assert "Écrivez ce nom sur une seule ligne." in html.unescape(french.content.decode())
    assert "Write this name on a single line." in english.content.decode()
    assert "au plus 160 caractères" in html.unescape(too_long.content.decode())
    assert Recruiter.objects.count() == 0
    assert mail.outbox == []


def test_the_magic_link_email_carries_no_text_typed_by_the_requester(client):
    """Reproduction: the company name went verbatim into the email, so anyone could send an
    official One Provence email with their own text and link to any work address."""
    client.post(
        "/kit/acces/",
        {"company": "Naval Group — https://onprovence-verif.example", "email": "rh@naval.test"},
    )

    [message] = mail.outbox
    assert "onprovence-verif" not in message.body and "Naval Group" not in message.body
    assert "Voici votre lien de connexion au kit employeur One Provence :" in message.body
    urls = re.findall(r"https?://\S+", message.body)
    assert len(urls) == 1 and urls[0].startswith("http://localhost:8000/kit/acces/")
