"""An erased testimonial's asset keeps no name in the kit (issue 12, finding 6).

Reproduction: add a published testimonial to the kit ("Témoignage — Léa, ingénieure"), let a
recruiter download it, edit the asset in the admin, then withdraw and purge: before the fix
KitAsset.title and credits, KitDownload.asset_title, the asset's django_admin_log rows and the
takedown notice in the mail folder all still named the resident.
"""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse

from ambassadors.services.erasure import testimonial_purge
from ambassadors.services.journey import testimonial_withdraw
from employer_kit.models import KitAsset, KitDownload, TakedownNotice
from employer_kit.services import kit_asset_from_testimonial, takedown_notice_send
from tests.employer_kit.conftest import log_in

pytestmark = pytest.mark.django_db


def test_erasure_anonymises_the_asset_its_downloads_its_admin_log_and_the_notice_files(
    published_testimonial,
    make_recruiter,
    client,
    admin_user,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    settings.EMAIL_BACKEND = "onprovence.mail.FileEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    asset = kit_asset_from_testimonial(testimonial_id=published_testimonial.pk)
    assert asset.title == "Témoignage — Léa, ingénieure"
    recruiter = make_recruiter()
    log_in(client, recruiter)
    assert client.get(reverse("employer_kit:download", args=[asset.pk])).status_code == 302
    assert KitDownload.objects.get(asset=asset).asset_title == asset.title
    LogEntry.objects.log_actions(
        user_id=admin_user.pk,
        queryset=[asset],
        action_flag=CHANGE,
        change_message=[{"changed": {"fields": ["Crédits"]}}],
        single_object=True,
    )

    with django_capture_on_commit_callbacks(execute=True):
        testimonial_withdraw(testimonial_id=published_testimonial.pk)
    # The takedown notice goes out before the purge runs: it names the asset.
    notice = TakedownNotice.objects.get(asset=asset, recruiter=recruiter)
    assert takedown_notice_send(notice_id=notice.pk)
    assert len(list((tmp_path / "mail").iterdir())) == 1
    with django_capture_on_commit_callbacks(execute=True):
        testimonial_purge(testimonial_id=published_testimonial.pk)

    asset.refresh_from_db()
    assert (asset.title, asset.credits) == (
        "Témoignage retiré",
        "One Provence — Tous Ambassadeurs",
    )
    assert asset.withdrawn_at is not None
    assert KitDownload.objects.get(asset=asset).asset_title == "Témoignage retiré"
    entry = LogEntry.objects.get(object_id=str(asset.pk), content_type__model="kitasset")
    assert entry.object_repr == "Témoignage retiré"
    assert list((tmp_path / "mail").iterdir()) == []
    everything = " ".join(
        str(value)
        for row in [*KitAsset.objects.values(), *KitDownload.objects.values()]
        for value in row.values()
    )
    assert "Léa" not in everything


def test_assets_of_other_testimonials_are_left_alone(published_testimonial, make_asset):
    other = make_asset(title="Logo One Provence", credits="One Provence")
    asset = kit_asset_from_testimonial(testimonial_id=published_testimonial.pk)
    testimonial_withdraw(testimonial_id=published_testimonial.pk)

    testimonial_purge(testimonial_id=published_testimonial.pk)

    other.refresh_from_db()
    asset.refresh_from_db()
    assert (other.title, other.credits) == ("Logo One Provence", "One Provence")
    assert asset.title == "Témoignage retiré"
