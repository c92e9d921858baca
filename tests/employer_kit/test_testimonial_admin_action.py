"""The testimonial admin's "Ajouter au kit employeur" action, through the kit's service."""

import pytest
from django.contrib.auth.models import Group

from ambassadors.models import Status, Testimonial
from employer_kit.models import KitAsset

CHANGELIST = "/admin/ambassadors/testimonial/"


def run_action(client, *ids):
    return client.post(
        CHANGELIST,
        {"action": "add_to_kit_selected", "_selected_action": [str(pk) for pk in ids]},
        follow=True,
    )


def test_a_published_testimonial_becomes_a_kit_asset(admin_client, published_testimonial):
    response = run_action(admin_client, published_testimonial.pk)

    asset = KitAsset.objects.get(testimonial=published_testimonial)
    assert asset.kind == KitAsset.Kind.VIDEO
    assert f"« {asset.title} » ajouté au kit." in response.content.decode()


def test_an_unpublished_testimonial_is_refused_with_the_kits_reason(admin_client, kit_content):
    waiting = Testimonial.objects.create(status=Status.IN_REVIEW, display_name="Paul")

    response = run_action(admin_client, waiting.pk)

    assert not KitAsset.objects.filter(testimonial=waiting).exists()
    assert 'class="warning"' in response.content.decode()


@pytest.mark.django_db
def test_moderators_without_kit_rights_are_not_offered_the_action(client, django_user_model):
    moderator = django_user_model.objects.create_user("mod", password="x", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Modération"))
    client.force_login(moderator)
    Testimonial.objects.create(status=Status.IN_REVIEW, display_name="Paul")

    html = client.get(CHANGELIST).content.decode()

    assert 'value="approve_selected"' in html
    assert 'value="add_to_kit_selected"' not in html
