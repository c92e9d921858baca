"""Hostile text from residents: over-long names, HTML/JS, bidi and zero-width tricks.

Refused with a clear message when it cannot be kept; escaped everywhere it is shown (pages,
feeds, admin, emails); invisible direction and zero-width characters stripped from names.
"""

import json

import pytest
from django.core import mail
from django.utils import timezone

from ambassadors import emails
from ambassadors.forms import journey_token
from ambassadors.models import ConsentRecord, Status, Testimonial
from ambassadors.services import decisions, publication
from tests.ambassadors.moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db
ORIGIN = "http://testserver"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RTL = "\u202e"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def consent_data(**changes) -> dict:
    data = {
        "first_name": "Nadia",
        "last_name": "Benali",
        "email": "nadia@example.org",
        "commune": "Marseille",
        "sector": "aeronautique",
        "job_title": "Ingénieure",
        "age_group": "adult",
        "release": "on",
        "journey": journey_token(""),
    }
    data.update(changes)
    return data


def test_a_10000_character_name_is_refused_clearly_and_nothing_is_created(client):
    french = client.post(
        "/ambassadeurs/vous/", consent_data(first_name="A" * 10_000), HTTP_ORIGIN=ORIGIN
    )
    english = client.post(
        "/en/ambassadeurs/vous/", consent_data(commune="B" * 10_000), HTTP_ORIGIN=ORIGIN
    )

    assert french.status_code == 400
    assert "au plus 60 caractères" in french.content.decode()
    assert english.status_code == 400
    assert "at most 80 characters" in english.content.decode()
    assert Testimonial.objects.count() == 0
    assert ConsentRecord.objects.count() == 0
    assert not english.cookies and not french.cookies


def test_bidi_controls_and_zero_width_characters_are_stripped_from_names(client):
    response = client.post(
        "/ambassadeurs/vous/",
        consent_data(
            first_name=f"{RTL}Na{ZERO_WIDTH}dia\u2066",
            last_name=f"Ben{RTL}ali",
            commune=f"Mar{ZERO_WIDTH}seille\u200f",
        ),
        HTTP_ORIGIN=ORIGIN,
    )

    assert response.status_code == 302
    testimonial = Testimonial.objects.get()
    assert (testimonial.first_name, testimonial.display_name) == ("Nadia", "Nadia")
    assert (testimonial.last_name, testimonial.commune) == ("Benali", "Marseille")


def test_a_name_made_only_of_invisible_characters_is_refused(client):
    response = client.post(
        "/ambassadeurs/vous/", consent_data(first_name=RTL + ZERO_WIDTH), HTTP_ORIGIN=ORIGIN
    )

    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.content.decode()
    assert Testimonial.objects.count() == 0


def test_html_in_a_consent_is_kept_as_text_and_shown_escaped(client):
    response = client.post(
        "/ambassadeurs/vous/",
        consent_data(first_name="<b>Léa</b>", commune=IMG, email="not an email"),
        HTTP_ORIGIN=ORIGIN,
    )

    html = response.content.decode()
    assert response.status_code == 400  # the bad address keeps the form on screen
    assert "<b>Léa</b>" not in html and "&lt;b&gt;Léa&lt;/b&gt;" in html
    assert "<img src=x" not in html
    assert Testimonial.objects.count() == 0


@pytest.fixture
def hostile_published(make_testimonial, django_capture_on_commit_callbacks) -> Testimonial:
    testimonial = make_testimonial(
        Status.APPROVED,
        publish_at=timezone.now(),
        display_name=f"Léa {SCRIPT}",
        quote=f"J'aime la mer {IMG} et {SCRIPT}",
        commune=f"Marignane{IMG}",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert publication.testimonial_publish(testimonial_id=testimonial.pk)
    return testimonial


def assert_no_raw_markup(body: str, where: str) -> None:
    assert "<script>alert" not in body, where
    assert "<img src=x" not in body, where
    assert "onerror=alert(1)>" not in body or "&lt;img" in body or "\\u003C" in body, where


@pytest.mark.parametrize(
    "page",
    ["/temoignages/", "/en/temoignages/", "detail", "/temoignages/flux.rss", "/"],
)
def test_html_in_a_published_testimonial_is_escaped_on_public_pages(
    client, hostile_published, page
):
    path = f"/temoignages/{hostile_published.pk}/" if page == "detail" else page

    response = client.get(path)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Léa" in body, path  # the testimonial is on the page, as text
    assert_no_raw_markup(body, path)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, path


def test_html_in_a_published_testimonial_is_escaped_in_the_json_feed(client, hostile_published):
    response = client.get("/temoignages/flux.json")

    body = response.content.decode()
    assert_no_raw_markup(body, "json feed")
    (item,) = json.loads(body)["items"]
    # Escaping changes the bytes only: readers get the resident's text back exactly.
    assert SCRIPT in item["title"]


def test_html_in_a_testimonial_is_escaped_in_the_admin_change_list(
    moderator_client, hostile_published
):
    response = moderator_client.get("/admin/ambassadors/testimonial/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Léa" in body
    assert_no_raw_markup(body, "admin change list")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_rejection_email_escapes_html_and_its_text_part_is_plain(
    make_testimonial, moderator, django_capture_on_commit_callbacks
):
    testimonial = make_testimonial(first_name=f"Léa{SCRIPT}", email="lea@example.org")

    decisions.testimonial_reject(
        testimonial_id=testimonial.pk, actor=moderator, details=f"Hors sujet {IMG}"
    )
    assert emails.testimonial_email_decision(testimonial_id=testimonial.pk, decision="rejected")

    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert_no_raw_markup(html, "email html")
    assert "Léa&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    # The text part is text/plain: shown as typed, never interpreted.
    assert f"Bonjour Léa{SCRIPT}," in message.body
    assert IMG in message.body
    assert "\n" not in message.subject and "<" not in message.subject


# --- Names that would become a message in someone else's inbox (issue 13, low) -----------------

PHISHING = "Nadia\n\nCompte bloqué : https://op-verif.example/a"  # 44 characters


@pytest.mark.parametrize(
    ("path", "changes", "message"),
    [
        ("/ambassadeurs/vous/", {"first_name": PHISHING}, "Écrivez ce nom sur une seule ligne."),
        ("/en/ambassadeurs/vous/", {"commune": "Marseille\r\nBcc: x"}, "on a single line"),
        ("/ambassadeurs/vous/", {"last_name": "Ben\u2028ali"}, "sur une seule ligne"),
        (
            "/ambassadeurs/vous/",
            {"first_name": "Nadia https://evil.example"},
            "Écrivez ce nom sans adresse web ni adresse e-mail.",
        ),
        ("/en/ambassadeurs/vous/", {"first_name": "Nadia www.evil.example"}, "without a web"),
        ("/ambassadeurs/vous/", {"first_name": "Nadia evil.example"}, "sans adresse web"),
        (
            "/ambassadeurs/vous/",
            {"first_name": "Nadia ｅｖｉｌ．ｅｘａｍｐｌｅ"},
            "sans adresse web",
        ),
    ],
)
def test_a_name_on_several_lines_or_holding_a_link_is_refused_clearly(
    client, path, changes, message
):
    """Reproduction: a first name with line breaks and a URL was kept as typed and written into
    the email sent to the address given as the parent's: an official email carrying a phishing
    link. The parent's address can be anyone's."""
    response = client.post(
        path,
        consent_data(
            age_group="15-17", parental_consent="on", parent_email="parent@example.org", **changes
        )
        if "first_name" in changes
        else consent_data(**changes),
        HTTP_ORIGIN=ORIGIN,
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Testimonial.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.parametrize("name", ["Jean-Pierre", "J.-P.", "Marie-Noëlle", "A.J.", "N'Golo"])
def test_ordinary_names_with_dots_and_dashes_are_kept(client, name):
    response = client.post("/ambassadeurs/vous/", consent_data(first_name=name), HTTP_ORIGIN=ORIGIN)

    assert response.status_code == 302
    assert Testimonial.objects.get().first_name == name
