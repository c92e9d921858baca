"""A placement's destination: refused when the page does not exist, every change kept (who,
when, from, to), a change scheduled for a date, the history on the placement's page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns import scans
from campaigns.models import DestinationChange, Placement
from campaigns.scans import scan_counts_flush
from campaigns.services import destination_changes_apply

from .admin_forms import campaign_change_form


def _form(placement, **overrides) -> dict:
    data = {
        "campaign": placement.campaign_id,
        "channel": placement.channel,
        "place_name": placement.place_name,
        "declared_audience": placement.declared_audience,
        "destination": placement.destination,
        "starts_on": "",
        "ends_on": "",
        "scheduled_destination": "",
        "scheduled_on": "",
    }
    data.update(overrides)
    return data


def _change(placement) -> str:
    return f"/admin/campaigns/placement/{placement.pk}/change/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "destination", ["/secteurs/maritme/", "/secteurs/maritme", "/ambassadeur/", "/en/sectors/x/"]
)
def test_an_on_site_destination_that_does_not_exist_is_refused_on_save(
    admin_client, placement, destination
):
    """Reproduction: "/secteurs/maritme/" (a typo) was saved, and every scan of the printed
    poster landed on a 404."""
    response = admin_client.post(_change(placement), _form(placement, destination=destination))

    assert response.status_code == 200
    assert "n&#x27;existe pas sur le site" in response.content.decode()
    placement.refresh_from_db()
    assert placement.destination == ""
    assert not DestinationChange.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "destination",
    [
        "/secteurs/maritime/",
        "/en/secteurs/maritime/",
        "/ambassadeurs/",
        "/temoignages/?secteur=maritime",
        "/",
        "https://www.onprovence.fr/emploi",
    ],
)
def test_destinations_that_answer_are_accepted(admin_client, placement, destination):
    response = admin_client.post(_change(placement), _form(placement, destination=destination))

    assert response.status_code == 302
    placement.refresh_from_db()
    assert placement.destination == destination


@pytest.mark.django_db
def test_the_campaigns_placement_rows_refuse_a_missing_page_too(admin_client, placement):
    campaign = placement.campaign
    data = campaign_change_form(campaign, placement, destination="/secteurs/maritme/")

    response = admin_client.post(f"/admin/campaigns/campaign/{campaign.pk}/change/", data)
    assert response.status_code == 200
    assert "n&#x27;existe pas sur le site" in response.content.decode()

    data["placements-0-destination"] = "/secteurs/maritime/"
    saved = admin_client.post(f"/admin/campaigns/campaign/{campaign.pk}/change/", data)
    assert saved.status_code == 302
    change = DestinationChange.objects.get()  # kept from the campaign's page too
    assert (change.from_destination, change.to_destination) == ("", "/secteurs/maritime/")


@pytest.mark.django_db
def test_every_change_of_destination_is_kept_and_shown_on_the_placement_page(
    admin_client, admin_user, placement
):
    """Reproduction: a destination changed in the admin left no trace: nobody could say where
    a poster's scans had been sent last month, or who changed it."""
    admin_client.post(_change(placement), _form(placement, destination="/secteurs/maritime/"))
    placement.refresh_from_db()
    admin_client.post(_change(placement), _form(placement, destination="/ambassadeurs/"))
    admin_client.post(_change(placement), _form(placement, destination="/ambassadeurs/"))  # same

    changes = list(DestinationChange.objects.order_by("pk"))
    assert [(c.from_destination, c.to_destination) for c in changes] == [
        ("", "/secteurs/maritime/"),
        ("/secteurs/maritime/", "/ambassadeurs/"),
    ]
    assert {c.changed_by for c in changes} == {admin_user}
    assert all(c.applied_at and c.changed_at for c in changes)

    page = admin_client.get(_change(placement)).content.decode()
    assert "Historique des destinations" in page
    assert page.count("<code>/secteurs/maritime/</code>") == 2  # to, then from
    assert admin_user.get_username() in page
    assert "immédiat" in page


@pytest.mark.django_db
def test_a_change_scheduled_for_a_date_applies_from_that_day(
    admin_client, client, placement, monkeypatch
):
    """Reproduction: a destination could only change now: switching the posters to the
    maritime sector on the day of the fair meant an editor at work at midnight."""
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    response = admin_client.post(
        _change(placement),
        _form(placement, scheduled_destination="/secteurs/maritime/", scheduled_on=tomorrow),
    )
    assert response.status_code == 302

    change = DestinationChange.objects.get()
    assert (change.effective_on, change.applied_at, change.to_destination) == (
        tomorrow,
        None,
        "/secteurs/maritime/",
    )
    assert client.get(f"/q/{placement.code}")["Location"] == f"/ambassadeurs/?p={placement.code}"
    page = admin_client.get(_change(placement)).content.decode()
    assert f"programmé pour le {tomorrow:%d/%m/%Y}" in page

    # Midnight: the scans follow the change at once (before any flush writes it down)...
    monkeypatch.setattr(scans, "_today", lambda: tomorrow)
    location = client.get(f"/q/{placement.code}")["Location"]
    assert location == f"/secteurs/maritime/?p={placement.code}"
    # ...and the periodic flush writes it on the placement, for the admin.
    assert destination_changes_apply(today=today) == 0
    assert destination_changes_apply(today=tomorrow) == 1
    placement.refresh_from_db()
    change.refresh_from_db()
    assert placement.destination == "/secteurs/maritime/"
    assert change.applied_at is not None and change.from_destination == ""
    assert destination_changes_apply(today=tomorrow) == 0  # once


@pytest.mark.django_db
def test_the_minute_flush_applies_changes_that_are_due(placement):
    DestinationChange.objects.create(
        placement=placement,
        to_destination="/secteurs/maritime/",
        effective_on=timezone.localdate(),
    )

    scan_counts_flush()

    assert Placement.objects.get(pk=placement.pk).destination == "/secteurs/maritime/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scheduled_destination": "/ambassadeurs/", "scheduled_on": ""}, "Indiquez la date"),
        ({"scheduled_destination": "/secteurs/maritme/", "scheduled_on": "2099-01-01"},
         "n&#x27;existe pas sur le site"),
        ({"scheduled_destination": "/ambassadeurs/", "scheduled_on": "2020-01-01"},
         "Choisissez une date à venir"),
    ],
)  # fmt: skip
def test_a_scheduled_change_is_checked_like_an_immediate_one(
    admin_client, placement, fields, message
):
    response = admin_client.post(_change(placement), _form(placement, **fields))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DestinationChange.objects.exists()
