"""A testimonial in the kit stays inside its author's consent (issue 12, finding 5).

Reproductions (before this change): the asset's end date was the consent's acceptance + 36
months, not the publication's; a "Kit employeur" user could save `available_until=2099-12-31`
and replace the usage rights with "Libre de droits, tous usages" in the admin; the end of the
consent period took nothing out of the kit and told no recruiter.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone

from ambassadors.services.retention import add_months
from ambassadors.tasks.retention import retention_erase_consent_ended
from employer_kit import selectors
from employer_kit.models import KitAsset, TakedownNotice
from employer_kit.services import kit_asset_from_testimonial, kit_asset_save, kit_download_record

pytestmark = pytest.mark.django_db

CHANNELS = "site web, réseaux sociaux, affichage, kit employeur"
TOO_LATE = (
    "La date de fin ne peut pas dépasser la fin du consentement de l'auteur : le {} au plus tard."
)
LOOSER = (
    "Les droits d'usage d'un témoignage sont ceux que son auteur a acceptés "
    f"(canaux : {CHANNELS}) : ils ne peuvent être ni élargis ni modifiés."
)


@pytest.fixture
def broker():
    """The Redis broker of this test run, its default queue emptied before and after."""
    import redis
    from django.conf import settings

    connection = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    connection.delete("default")
    yield connection
    connection.delete("default")


@pytest.fixture
def first_published(published_testimonial):
    """Accepted 400 days ago, first published 10 days ago."""
    first = timezone.now() - timedelta(days=10)
    published_testimonial.first_published_at = first
    published_testimonial.save(update_fields=["first_published_at"])
    consent = published_testimonial.consent
    consent.accepted_at = timezone.now() - timedelta(days=400)
    consent.save(update_fields=["accepted_at"])
    return published_testimonial


@pytest.fixture
def kit_editor(client, django_user_model):
    """A staff member of the "Kit employeur" group only, logged in to the admin."""
    from importlib import import_module

    from django.apps import apps

    import_module("employer_kit.migrations.0003_kit_group_and_talking_points").create_group(
        apps, None
    )
    user = django_user_model.objects.create_user("kit", "kit@oneprovence.test", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Kit employeur"))
    client.force_login(user)
    return client


def _consent_end(testimonial):
    return timezone.localdate(add_months(testimonial.first_published_at, 36)) - timedelta(days=1)


def _change_form(asset: KitAsset, **changes) -> dict:
    data = {
        "title": asset.title,
        "kind": asset.kind,
        "sector": asset.sector_id or "",
        "audience": asset.audience,
        "language": asset.language,
        "credits": asset.credits,
        "usage_rights": asset.usage_rights,
        "available_from": "",
        "available_until": asset.available_until.isoformat(),
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


def test_kit_availability_runs_from_the_first_publication_not_the_acceptance(first_published):
    asset = kit_asset_from_testimonial(testimonial_id=first_published.pk)

    end = _consent_end(first_published)
    assert asset.available_until == end
    assert f"jusqu'au {end:%d/%m/%Y}" in asset.usage_rights
    assert f"canaux acceptés par l'auteur ({CHANNELS})" in asset.usage_rights


def test_a_kit_user_cannot_push_the_end_date_beyond_the_consent(kit_editor, first_published):
    asset = kit_asset_from_testimonial(testimonial_id=first_published.pk)
    url = f"/admin/employer_kit/kitasset/{asset.pk}/change/"

    response = kit_editor.post(url, _change_form(asset, available_until="2099-12-31"))

    assert response.status_code == 200
    end = _consent_end(first_published)
    assert response.context["adminform"].form.errors["available_until"] == [
        TOO_LATE.format(f"{end:%d/%m/%Y}")
    ]
    asset.refresh_from_db()
    assert asset.available_until == end


def test_a_kit_user_cannot_loosen_the_usage_rights(kit_editor, first_published):
    asset = kit_asset_from_testimonial(testimonial_id=first_published.pk)
    rights = asset.usage_rights
    url = f"/admin/employer_kit/kitasset/{asset.pk}/change/"

    response = kit_editor.post(
        url, _change_form(asset, usage_rights="Libre de droits, tous usages, sans limite")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["usage_rights"] == [LOOSER]
    asset.refresh_from_db()
    assert asset.usage_rights == rights


def test_a_kit_user_may_end_the_availability_earlier(kit_editor, first_published):
    asset = kit_asset_from_testimonial(testimonial_id=first_published.pk)
    earlier = timezone.localdate() + timedelta(days=30)

    response = kit_editor.post(
        f"/admin/employer_kit/kitasset/{asset.pk}/change/",
        _change_form(asset, available_until=earlier.isoformat()),
    )

    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.available_until == earlier


def test_the_model_and_the_service_refuse_what_the_consent_does_not_allow(first_published):
    asset = kit_asset_from_testimonial(testimonial_id=first_published.pk)
    asset.available_until = timezone.localdate().replace(year=2099)
    asset.usage_rights = "Tous usages"

    with pytest.raises(ValidationError) as raised:
        asset.full_clean()
    assert set(raised.value.message_dict) == {"available_until", "usage_rights"}
    with pytest.raises(ValidationError):
        kit_asset_save(asset=asset, file_changed=False)
    assert KitAsset.objects.get(pk=asset.pk).available_until == _consent_end(first_published)


def test_an_asset_not_from_a_testimonial_is_free(make_asset):
    asset = make_asset(available_until=timezone.localdate().replace(year=2099))
    asset.usage_rights = "Libre pour tous usages"
    asset.full_clean()


def test_consent_end_takes_the_asset_out_for_good_and_tells_the_downloaders(
    first_published, make_recruiter, broker, django_capture_on_commit_callbacks
):
    asset = kit_asset_from_testimonial(testimonial_id=first_published.pk)
    recruiter = make_recruiter()
    kit_download_record(recruiter=recruiter, assets=[asset], channel="single")
    # 36 months later.
    first_published.first_published_at = add_months(timezone.now(), -36) - timedelta(hours=1)
    first_published.save(update_fields=["first_published_at"])

    with django_capture_on_commit_callbacks(execute=True):
        assert retention_erase_consent_ended() == [str(first_published.pk)]

    asset.refresh_from_db()
    assert asset.withdrawn_at is not None
    assert selectors.kit_asset_downloadable(asset_id=asset.pk) is None
    assert [notice.recruiter for notice in TakedownNotice.objects.filter(asset=asset)] == [
        recruiter
    ]


def test_an_asset_without_consent_proof_gets_a_message_not_an_error_page(
    kit_editor, first_published
):
    from ambassadors.models import ConsentRecord

    asset = kit_asset_from_testimonial(testimonial_id=first_published.pk)
    ConsentRecord.objects.filter(testimonial=first_published).delete()

    response = kit_editor.post(
        f"/admin/employer_kit/kitasset/{asset.pk}/change/", _change_form(asset, title="Autre")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Ce témoignage n'a pas de preuve de consentement."
    ]


def test_a_withdrawn_asset_can_still_be_edited(kit_editor, first_published):
    asset = kit_asset_from_testimonial(testimonial_id=first_published.pk)
    asset.withdrawn_at = timezone.now()
    asset.save(update_fields=["withdrawn_at"])

    response = kit_editor.post(
        f"/admin/employer_kit/kitasset/{asset.pk}/change/",
        _change_form(asset, title="Témoignage retiré"),
    )

    assert response.status_code == 302
    assert KitAsset.objects.get(pk=asset.pk).title == "Témoignage retiré"


def test_an_asset_whose_consent_excludes_the_kit_cannot_be_saved(first_published):
    asset = kit_asset_from_testimonial(testimonial_id=first_published.pk)
    consent = first_published.consent
    consent.choices = {**consent.choices, "channels": "site web, réseaux sociaux"}
    consent.save(update_fields=["choices"])
    asset = KitAsset.objects.get(pk=asset.pk)

    with pytest.raises(ValidationError) as raised:
        kit_asset_save(asset=asset, file_changed=False)
    assert raised.value.messages == ["Le consentement de l'auteur n'inclut pas le kit employeur."]
