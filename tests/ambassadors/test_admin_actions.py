"""The testimonial admin's action registry is the one description of every action.

The change list's action menu, the review page's buttons and the confirmation page all read
`ambassadors.admin.actions`; the employer kit adds its own action there, so ambassadors never
imports employer_kit.
"""

import ast
import re
from pathlib import Path

import pytest

import ambassadors
from ambassadors.admin import actions
from ambassadors.admin.forms import NoteForm
from ambassadors.models import Status
from ambassadors.services.decisions import testimonial_feature

from .moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/ambassadors/testimonial/"
AMBASSADORS = Path(ambassadors.__file__).parent


def _menu(html: str) -> list[tuple[str, str]]:
    select = re.search(r'<select name="action"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    return re.findall(r'<option value="(\w+)">([^<]+)</option>', select.group(1))


def _status_for(action: actions.TestimonialAction) -> str:
    return Status.IN_REVIEW if Status.IN_REVIEW in action.statuses else sorted(action.statuses)[0]


def test_the_change_list_offers_every_registered_action_in_the_registrys_order(
    admin_client, make_testimonial
):
    make_testimonial(media=False)  # an empty change list has no action menu
    menu = _menu(admin_client.get(CHANGELIST).content.decode())

    expected = [
        (action.changelist_name, str(action.bulk_title or action.title))
        for action in actions.registered_actions()
        if action.in_changelist
    ]
    assert menu == expected
    # Behaviour unchanged: the menu of the admin before the registry, label for label.
    assert [name for name, _label in menu] == [
        "approve_selected",
        "reject_selected",
        "reopen_selected",
        "schedule_selected",
        "publish_now_selected",
        "feature_selected",
        "unpublish_selected",
        "erase_selected",
        "add_to_kit_selected",
    ]
    assert ("erase_selected", "Effacer (vidéo et données)") in menu
    assert ("add_to_kit_selected", "Ajouter au kit employeur") in menu


def test_the_review_page_links_every_registered_action_with_a_confirmation_page(
    admin_client, make_testimonial
):
    for action in actions.registered_actions():
        if action.form is None:
            continue
        testimonial = make_testimonial(
            _status_for(action), media=False, featured=action.name == "unfeature"
        )
        html = admin_client.get(f"{CHANGELIST}{testimonial.pk}/change/").content.decode()
        assert f"{CHANGELIST}moderate/{action.name}/?ids={testimonial.pk}" in html, action.name
        assert f"moderation-action--{action.name}" in html


def test_the_kit_contributes_its_action_without_a_confirmation_page(admin_client):
    add_to_kit = actions.action_get("add_to_kit")

    assert add_to_kit is not None
    assert add_to_kit.apply.__module__ == "employer_kit.admin"
    assert add_to_kit.permission == "employer_kit.add_kitasset"
    # Applied at once from the change list: no confirmation page to open.
    response = admin_client.get(f"{CHANGELIST}moderate/add_to_kit/?ids=")
    assert response.status_code == 403


def test_an_action_registered_later_is_offered_and_applied_like_the_others(
    moderator_client, make_testimonial, monkeypatch
):
    """A new entry in the registry is in the menu, on the review page and applied by the same
    loop: nothing else describes an action."""

    def star(step: actions.ActionStep) -> None:
        testimonial_feature(testimonial_id=step.testimonial.pk, actor=step.actor, featured=True)

    extra = actions.TestimonialAction(
        name="star",
        title="Étoiler",
        form=NoteForm,
        permission="ambassadors.moderate_testimonial",
        statuses=frozenset({Status.IN_REVIEW}),
        apply=star,
    )
    monkeypatch.setitem(actions._REGISTRY, extra.name, extra)
    testimonial = make_testimonial(media=False)
    page_url = f"{CHANGELIST}moderate/star/?ids={testimonial.pk}"

    assert ("star_selected", "Étoiler") in _menu(moderator_client.get(CHANGELIST).content.decode())
    change = moderator_client.get(f"{CHANGELIST}{testimonial.pk}/change/").content.decode()
    assert page_url in change
    response = moderator_client.post(page_url, {"ids": str(testimonial.pk)}, follow=True)

    assert "Étoiler : 1 témoignage(s)." in response.content.decode()
    testimonial.refresh_from_db()
    assert testimonial.featured


def test_ambassadors_never_imports_the_employer_kit():
    """Reproduction: before the registry, the testimonial admin imported
    `employer_kit.services` inside its "add to kit" action."""
    found = []
    for module in AMBASSADORS.rglob("*.py"):
        if "migrations" in module.parts:
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            found += [f"{module}: {name}" for name in names if name.startswith("employer_kit")]
    assert found == []


def test_the_admin_modules_import_at_the_top_only():
    """Reproduction: the old `ambassadors/admin.py` imported inside two functions."""
    inner = []
    for module in (AMBASSADORS / "admin").glob("*.py"):
        tree = ast.parse(module.read_text())
        top = {id(node) for node in tree.body}
        inner += [
            f"{module.name}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top
        ]
    assert inner == []
