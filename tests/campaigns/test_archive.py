"""Archive, don't delete: a placement with scans is ended (its code answers "this poster has
ended", 410), a sector is archived with the list of what depends on it."""

import pytest
from django.utils import timezone

from campaigns.models import FunnelCount, KeyFigure, Placement, Sector
from campaigns.scans import scan_counts_flush
from campaigns.selectors import sector_by_slug, sectors_all
from campaigns.services import funnel_record
from employer_kit.models import TalkingPoint
from employer_kit.selectors import talking_points_active
from tests.factories import PlacementFactory

from .admin_forms import campaign_change_form


@pytest.mark.django_db
def test_a_placement_with_scans_cannot_be_deleted_from_the_campaigns_page(admin_client, placement):
    """Reproduction: the "Supprimer" box of a placement row on the campaign's page deleted it
    with its counts, and its printed code then answered "Ce QR code ne nous dit rien" (404)."""
    funnel_record(placement_id=placement.pk, step="scan", n=42)
    campaign = placement.campaign

    response = admin_client.post(
        f"/admin/campaigns/campaign/{campaign.pk}/change/",
        campaign_change_form(campaign, placement, DELETE="on"),
    )

    assert response.status_code == 200
    assert "il ne peut pas être supprimé, seulement terminé" in response.content.decode()
    assert Placement.objects.filter(pk=placement.pk).exists()
    assert FunnelCount.objects.get().count == 42


@pytest.mark.django_db
def test_a_placement_with_scans_is_ended_instead_and_its_code_says_so(
    admin_client, client, placement
):
    funnel_record(placement_id=placement.pk, step="scan", n=42)
    delete = f"/admin/campaigns/placement/{placement.pk}/delete/"

    change_page = admin_client.get(f"/admin/campaigns/placement/{placement.pk}/change/")
    page = admin_client.get(delete).content.decode()
    refused = admin_client.post(delete, {"post": "yes"})
    bulk = admin_client.post(
        "/admin/campaigns/placement/",
        {"action": "delete_selected", "_selected_action": [placement.pk], "post": "yes"},
    )
    assert f'href="{delete}"' not in change_page.content.decode()
    assert "Impossible de supprimer" in page and "Terminer cet emplacement" in page
    assert refused.status_code == 403
    assert bulk.status_code == 403
    assert Placement.objects.filter(pk=placement.pk).exists()

    # The refusal page's button: the "Terminer" action.
    ended = admin_client.post(
        "/admin/campaigns/placement/",
        {"action": "end_placements", "_selected_action": [placement.pk], "index": "0"},
    )
    assert ended.status_code == 302
    placement.refresh_from_db()
    assert placement.ends_on == timezone.localdate() - timezone.timedelta(days=1)

    response = client.get(f"/q/{placement.code}")
    scan_counts_flush()
    assert response.status_code == 410
    assert "Cette affiche est terminée" in response.content.decode()
    assert FunnelCount.objects.get().count == 42  # not counted, not lost


@pytest.mark.django_db
def test_a_placement_never_scanned_can_still_be_deleted(admin_client, live_campaign):
    typo = PlacementFactory(campaign=live_campaign, place_name="Gare Sant-Charles (typo)")

    response = admin_client.post(f"/admin/campaigns/placement/{typo.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Placement.objects.filter(pk=typo.pk).exists()


@pytest.fixture
def sante(db):
    sector, _created = Sector.objects.get_or_create(slug="sante", defaults={"name": "Santé"})
    return sector


@pytest.mark.django_db
def test_a_sector_is_archived_not_deleted_and_its_talking_points_keep_it(admin_client, sante):
    """Reproduction: deleting "Santé" set its talking points' sector to empty ("tous
    secteurs"), so they appeared on every recruiter's one-pager, maritime included."""
    point = TalkingPoint.objects.create(
        headline="L'AP-HM recrute 2 000 soignants", body="…", sector=sante
    )
    figure = KeyFigure.objects.create(
        value=12, unit=" %", label="des emplois en santé", source_name="Insee", sector=sante
    )
    archive = f"/admin/campaigns/sector/{sante.pk}/archiver/"

    deleted = admin_client.post(f"/admin/campaigns/sector/{sante.pk}/delete/", {"post": "yes"})
    change_page = admin_client.get(f"/admin/campaigns/sector/{sante.pk}/change/").content.decode()
    confirm = admin_client.get(archive).content.decode()

    assert deleted.status_code == 403
    assert f'href="{archive}"' in change_page
    # The confirmation lists what depends on the sector, whatever app it lives in.
    assert "Éléments de langage (1)" in confirm
    assert "L&#x27;AP-HM recrute 2 000 soignants" in confirm
    assert "Chiffres clés (1)" in confirm

    assert admin_client.post(archive).status_code == 302

    sante.refresh_from_db()
    point.refresh_from_db()
    figure.refresh_from_db()
    assert sante.archived_at is not None
    assert point.sector == sante and figure.sector == sante  # nothing re-scoped
    assert point not in talking_points_active(sector_slug="maritime")
    assert sante not in sectors_all() and sector_by_slug(slug="sante") is None
    assert Sector.objects.filter(pk=sante.pk).exists()


@pytest.mark.django_db
def test_an_archived_sector_page_is_gone_from_the_site_and_can_come_back(
    admin_client, client, sante, live_campaign
):
    admin_client.post(f"/admin/campaigns/sector/{sante.pk}/archiver/")
    assert client.get("/secteurs/sante/").status_code == 404
    assert 'href="/secteurs/sante/"' not in client.get("/").content.decode()

    admin_client.post(
        "/admin/campaigns/sector/",
        {"action": "restore", "_selected_action": [sante.pk], "index": "0"},
    )
    sante.refresh_from_db()
    assert sante.archived_at is None
    assert client.get("/secteurs/sante/").status_code == 200


@pytest.mark.django_db
def test_the_sector_list_offers_no_deletion(admin_client, sante):
    page = admin_client.get("/admin/campaigns/sector/").content.decode()

    assert 'value="delete_selected"' not in page
    assert 'value="restore"' in page


@pytest.mark.django_db
def test_an_archived_sector_is_not_offered_to_new_key_figures(admin_client, sante):
    admin_client.post(f"/admin/campaigns/sector/{sante.pk}/archiver/")
    kept = KeyFigure.objects.create(value=3, label="x", source_name="Insee", sector=sante)

    new_form = admin_client.get("/admin/campaigns/keyfigure/add/").context["adminform"].form
    old_form = (
        admin_client.get(f"/admin/campaigns/keyfigure/{kept.pk}/change/").context["adminform"].form
    )

    assert sante not in new_form.fields["sector"].queryset
    assert sante in old_form.fields["sector"].queryset  # its figure keeps it
