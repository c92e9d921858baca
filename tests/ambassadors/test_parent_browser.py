"""A minor's parent in Chromium on a phone: read, confirm; the moderator's approval waits for it."""

import re

import pytest
from playwright.sync_api import expect

from ambassadors.links import parent_url
from ambassadors.models import ConsentRecord, Status, Testimonial
from tests.browser import assert_accessible

from .moderation_support import *  # noqa: F403

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

REFUSED = "Accord parental en attente : ce témoignage ne peut pas être approuvé."


def _approve(page, live_server, testimonial: Testimonial) -> None:
    page.goto(
        f"{live_server.url}/admin/ambassadors/testimonial/moderate/approve/?ids={testimonial.pk}"
    )
    expect(page.get_by_text("accord parental :").first).to_be_visible()
    page.locator("input[type=submit][value=Approuver]").click()
    page.wait_for_load_state()


def test_a_parent_confirms_on_a_phone_and_only_then_the_testimonial_can_be_approved(
    phone_page, desktop_page, live_server, settings, make_testimonial, moderator, screenshot
):
    settings.SITE_URL = live_server.url
    testimonial = make_testimonial(first_name="Zoé", display_name="Zoé, lycéenne")
    ConsentRecord.objects.filter(testimonial=testimonial).update(
        is_minor=True,
        parent_email="mere@example.org",
        choices={"release": True, "age_group": "15-17", "parental_consent": True},
    )
    moderator.set_password("camille-mot-de-passe")
    moderator.save(update_fields=["password"])
    admin = desktop_page
    admin.goto(live_server.url + "/admin/")
    admin.fill("#id_username", "camille")
    admin.fill("#id_password", "camille-mot-de-passe")
    admin.click("input[type=submit]")

    # Before the parent confirms: the approval is refused, with the reason.
    _approve(admin, live_server, testimonial)
    expect(admin.get_by_text(f"Zoé, lycéenne : {REFUSED}")).to_be_visible()
    screenshot(admin, "parent-approval-refused", full_page=False)
    assert Testimonial.objects.get(pk=testimonial.pk).status == Status.IN_REVIEW
    admin.goto(f"{live_server.url}/admin/ambassadors/testimonial/?status__exact=in_review")
    expect(admin.locator("td.field-minor_display")).to_have_text(
        "mineur accord parental : en attente (relancé 0 fois)"
    )
    screenshot(admin, "parent-queue", full_page=False)

    page = phone_page
    page.goto(parent_url(testimonial.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text("Le témoignage de Zoé")
    expect(page.locator("#parent-status")).to_have_text("En cours de relecture par notre équipe")
    expect(page.get_by_text("durée : 36 mois à compter de la publication")).to_be_visible()
    expect(page.locator("#parent-pending")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "parent-confirm-phone", full_page=False)
    screenshot(page, "parent-confirm-phone-full")

    page.get_by_role("button", name="Je confirme mon accord").click()

    confirmed = page.locator("#parent-confirmed")
    expect(confirmed).to_contain_text("Votre accord est enregistré")
    expect(page.get_by_role("button", name="Je confirme mon accord")).to_have_count(0)
    expect(page.get_by_role("link", name="Retirer le témoignage")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "parent-confirmed-phone", full_page=False)
    assert ConsentRecord.objects.get(testimonial=testimonial).parent_confirmed_at is not None

    # After: the approval page shows the confirmation, and the approval goes through.
    _approve(admin, live_server, testimonial)
    expect(admin.get_by_text(re.compile(r"Approuver : 1 témoignage"))).to_be_visible()
    assert Testimonial.objects.get(pk=testimonial.pk).status == Status.APPROVED


def test_the_parent_withdraws_on_a_phone_after_a_confirmation_step(
    phone_page, live_server, settings, make_testimonial
):
    settings.SITE_URL = live_server.url
    testimonial = make_testimonial(first_name="Zoé")
    ConsentRecord.objects.filter(testimonial=testimonial).update(
        is_minor=True, parent_email="mere@example.org"
    )
    page = phone_page
    page.goto(parent_url(testimonial.pk))

    page.get_by_role("link", name="Retirer le témoignage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retirer le témoignage")
    assert_accessible(page)
    assert Testimonial.objects.get(pk=testimonial.pk).status == Status.IN_REVIEW
    page.get_by_role("button", name="Oui, retirer et effacer la vidéo").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Le témoignage est retiré")
    assert Testimonial.objects.get(pk=testimonial.pk).status == Status.WITHDRAWN
