"""Least privilege per staff group (groups created by ambassadors 0003_moderation_*)."""

import pytest
from django.contrib.auth.models import Group

from ambassadors.models import ConsentText, Status

from .moderation_support import *  # noqa: F403

pytestmark = pytest.mark.django_db


def _staff_client(client, django_user_model, group: str):
    user = django_user_model.objects.create_user(f"user-{group}", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


def test_the_three_groups_exist_and_none_can_touch_users_groups_or_the_consent_text():
    # "Kit employeur" comes from employer_kit's migration, the other two from ambassadors'.
    for name in ("Modération", "Campagnes", "Kit employeur"):
        codenames = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert codenames, name
        assert not {c for c in codenames if c.endswith(("_user", "_group", "_permission"))}
        assert not {c for c in codenames if c.endswith("_consenttext")}


def test_a_moderator_reviews_testimonials_but_cannot_see_users_or_edit_consent_text(
    moderator_client, make_testimonial
):
    testimonial = make_testimonial()
    consent_text = ConsentText.objects.get(is_current=True)

    assert moderator_client.get("/admin/ambassadors/testimonial/").status_code == 200
    change_url = f"/admin/ambassadors/testimonial/{testimonial.pk}/change/"
    assert moderator_client.get(change_url).status_code == 200
    assert moderator_client.get("/admin/auth/user/").status_code == 403
    assert moderator_client.get("/admin/auth/group/").status_code == 403
    assert moderator_client.get("/admin/ambassadors/consenttext/").status_code == 403
    consent_change = f"/admin/ambassadors/consenttext/{consent_text.pk}/change/"
    assert moderator_client.get(consent_change).status_code == 403
    response = moderator_client.post(consent_change, {"title": "Hacked", "version": "x"})
    assert response.status_code == 403
    consent_text.refresh_from_db()
    assert consent_text.title != "Hacked"
    index = moderator_client.get("/admin/").content.decode()
    assert "/admin/auth/user/" not in index
    assert "/admin/ambassadors/consenttext/" not in index
    assert "/admin/campaigns/campaign/" not in index


def test_a_moderator_can_change_the_publishing_rhythm_and_rejection_reasons(moderator_client):
    assert moderator_client.get("/admin/ambassadors/publicationrhythm/").status_code == 302
    assert moderator_client.get("/admin/ambassadors/rejectionreason/add/").status_code == 200


def test_a_campaign_editor_cannot_see_or_approve_testimonials(
    client, django_user_model, make_testimonial
):
    testimonial = make_testimonial()
    editor = _staff_client(client, django_user_model, "Campagnes")

    assert editor.get("/admin/campaigns/campaign/").status_code == 200
    assert editor.get("/admin/campaigns/placement/add/").status_code == 200
    assert editor.get("/admin/ambassadors/testimonial/").status_code == 403
    response = editor.post(
        "/admin/ambassadors/testimonial/moderate/approve/", {"ids": str(testimonial.pk)}
    )
    assert response.status_code == 403
    testimonial.refresh_from_db()
    assert testimonial.status == Status.IN_REVIEW
    assert editor.get("/admin/auth/user/").status_code == 403


def test_a_kit_editor_manages_kit_assets_only(client, django_user_model):
    editor = _staff_client(client, django_user_model, "Kit employeur")

    assert editor.get("/admin/employer_kit/kitasset/").status_code == 200
    assert editor.get("/admin/ambassadors/testimonial/").status_code == 403
    assert editor.get("/admin/campaigns/campaign/").status_code == 403


def test_a_moderator_without_erase_permission_cannot_erase(
    client, django_user_model, make_testimonial
):
    testimonial = make_testimonial()
    user = django_user_model.objects.create_user("junior", password="x", is_staff=True)
    group = Group.objects.get(name="Modération")
    user.user_permissions.add(*group.permissions.exclude(codename="erase_testimonial"))
    client.force_login(user)

    response = client.post(
        "/admin/ambassadors/testimonial/moderate/erase/",
        {"ids": str(testimonial.pk), "confirm": "on"},
    )

    assert response.status_code == 403
    testimonial.refresh_from_db()
    assert testimonial.status == Status.IN_REVIEW


def test_a_new_campaigns_model_is_granted_to_campagnes_after_migrate():
    from django.apps import apps
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from ambassadors.receivers import app_wide_groups_complete

    content_type = ContentType.objects.create(app_label="campaigns", model="brandnewthing")
    new = Permission.objects.create(
        codename="view_brandnewthing", name="Can view", content_type=content_type
    )

    app_wide_groups_complete(sender=apps.get_app_config("campaigns"), using="default")

    assert new in Group.objects.get(name="Campagnes").permissions.all()
    assert new not in Group.objects.get(name="Modération").permissions.all()
