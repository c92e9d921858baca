"""Issue 15: the under-15 refusal in Chromium on a phone, with and without JavaScript.

Reproduction: after "Moins de 15 ans" and "Continuer vers la vidéo", the refusal showed above
the form still filled in; ticking "18 ans ou plus" and continuing sent the child's name and
email and started a testimonial.
"""

import pytest

from ambassadors.models import Testimonial
from tests.ambassadors.test_journey_browser import PHONE, fill_consent
from tests.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFUSAL = "ce projet est ouvert à partir de 15 ans"
PERSONAL = {
    "Prénom (affiché avec la vidéo)": "",
    "Adresse e-mail": "",
    "Commune où vous vivez": "",
    "Métier (facultatif)": "",
}


def consent_page(browser, live_server, *, javascript: bool):
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR",
        java_script_enabled=javascript,
    )  # fmt: skip
    page = context.new_page()
    page.goto(f"{live_server.url}/ambassadeurs/vous/")
    fill_consent(page)
    page.get_by_label("Moins de 15 ans").check()
    return context, page


def assert_blank(page) -> None:
    for label, value in PERSONAL.items():
        assert page.get_by_label(label).input_value() == value, label
    assert page.get_by_label("Votre secteur").input_value() == ""
    assert not page.get_by_label("Moins de 15 ans").is_checked()
    assert not page.get_by_label(
        "J'ai lu l'autorisation de diffusion ci-dessus et je l'accepte."
    ).is_checked()


def switch_to_adult_and_continue(page) -> None:
    page.get_by_label("18 ans ou plus").check()
    page.get_by_role("button", name="Continuer vers la vidéo").click()
    page.wait_for_load_state()


def test_in_the_page_the_child_is_refused_nothing_is_sent_and_the_form_is_cleared(
    browser, live_server, screenshot
):
    context, page = consent_page(browser, live_server, javascript=True)
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))

    page.get_by_role("button", name="Continuer vers la vidéo").click()
    page.wait_for_selector("#child-refusal:not([hidden])")
    assert REFUSAL in page.locator("#child-refusal").inner_text()
    assert page.evaluate("document.activeElement.id") == "child-refusal"
    assert posts == []  # nothing a child typed left the phone
    assert_blank(page)
    assert_accessible(page)
    screenshot(page, "journey-2-under-15")

    switch_to_adult_and_continue(page)
    page.wait_for_url("**/ambassadeurs/vous/")
    assert page.locator("#form-errors").is_visible()
    assert not Testimonial.objects.exists()
    context.close()


def test_without_javascript_the_server_refuses_and_sends_back_a_blank_form(browser, live_server):
    context, page = consent_page(browser, live_server, javascript=False)

    page.get_by_role("button", name="Continuer vers la vidéo").click()
    page.wait_for_load_state()
    assert REFUSAL in page.locator("#form-errors").inner_text()
    assert_blank(page)
    assert "Léonie" not in page.content() and "nadia@example.org" not in page.content()

    switch_to_adult_and_continue(page)
    assert "ambassadeurs/video" not in page.url
    assert page.locator("#form-errors").is_visible()
    assert not Testimonial.objects.exists()
    context.close()
