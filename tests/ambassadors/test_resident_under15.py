"""Issue 15: the under-15 refusal clears the form's personal fields, on the server (here) and in
the page (test_resident_under15_browser.py).

Reproduction: posting the consent form with "Moins de 15 ans" answered with the refusal above
the same form, still filled in with the child's name, email, town and job; choosing "18 ans ou
plus" and sending again then created a testimonial with them.
"""

import pytest

from ambassadors.models import ConsentRecord, Testimonial
from tests.ambassadors.test_journey import ORIGIN, consent_data

pytestmark = pytest.mark.django_db

TYPED = ("Léonie", "Durandal", "leonie.enfant@example.org", "Cassis", "Collégienne")


def child_answer(**changes) -> dict:
    return consent_data(
        first_name=TYPED[0], last_name=TYPED[1], email=TYPED[2], commune=TYPED[3],
        job_title=TYPED[4], age_group="under-15", **changes,
    )  # fmt: skip


def test_the_under_15_refusal_sends_back_a_blank_form(client):
    response = client.post("/ambassadeurs/vous/", child_answer(), HTTP_ORIGIN=ORIGIN)

    html = response.content.decode()
    assert response.status_code == 400
    assert "ce projet est ouvert à partir de 15 ans" in html
    for value in TYPED:
        assert value not in html
    form = response.context["form"]
    assert not form.is_bound
    assert all(not form[name].value() for name in ("first_name", "email", "age_group"))
    assert 'name="release"' in html and "checked" not in html
    assert not Testimonial.objects.exists() and not ConsentRecord.objects.exists()


def test_the_blank_form_after_the_refusal_keeps_the_journey_and_creates_nothing_as_it_is(client):
    """What the browser sends back after switching to "18 ans ou plus": the blank fields, not
    the child's. The journey token (the poster it came from) is kept, re-signed."""
    refused = client.post("/ambassadeurs/vous/", child_answer(), HTTP_ORIGIN=ORIGIN)
    form = refused.context["form"]
    again = client.post(
        "/ambassadeurs/vous/",
        {"age_group": "adult", "journey": form["journey"].value(), "release": "on"},
        HTTP_ORIGIN=ORIGIN,
    )

    assert again.status_code == 400
    assert set(again.context["form"].errors) >= {"first_name", "email", "commune"}
    assert "journey" not in again.context["form"].errors
    assert not Testimonial.objects.exists()


def test_the_refusal_is_said_in_english_too(client):
    response = client.post("/en/ambassadeurs/vous/", child_answer(), HTTP_ORIGIN=ORIGIN)

    html = response.content.decode()
    assert "project is open from the age of 15" in " ".join(html.split())
    for value in TYPED:
        assert value not in html
