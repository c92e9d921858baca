"""The campaign's funnel dashboard: conversions in %, the days on the page, the period shown
as asked (or said), the measured reach beside the declared audience, one CSV style."""

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from ambassadors.models import Status
from campaigns.services import funnel_record
from tests.factories import PlacementFactory

NNBSP = "\u202f"


@pytest.fixture
def dashboard(admin_client, live_campaign):
    def get(**period):
        return admin_client.get(
            f"/admin/campaigns/campaign/{live_campaign.pk}/tableau-de-bord/", period
        )

    return get


@pytest.fixture
def counted(placement, make_testimonial):
    """200 scans → 50 visits → 20 recordings → 10 uploads → 1 published, over two days."""
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    for day, scans, landings in ((yesterday, 120, 30), (today, 80, 20)):
        funnel_record(placement_id=placement.pk, step="scan", day=day, n=scans)
        funnel_record(placement_id=placement.pk, step="landing", day=day, n=landings)
    funnel_record(placement_id=placement.pk, step="recording_started", day=today, n=20)
    funnel_record(placement_id=placement.pk, step="upload_completed", day=today, n=10)
    make_testimonial(placement=placement)
    make_testimonial(placement=placement, status=Status.IN_REVIEW)
    return placement


def test_each_step_shows_its_conversion_from_the_step_before(dashboard, counted):
    """Reproduction: the dashboard gave counts only; "how many of the people who scanned went
    on to record?" needed a calculator (only "publiés / scans" in ‰ was shown)."""
    html = dashboard().content.decode()

    assert f'id="conversion-landing">25,0{NNBSP}% des scans<' in html
    assert f'id="conversion-recording_started">40,0{NNBSP}% des visites<' in html
    assert f'id="conversion-upload_completed">50,0{NNBSP}% des enregistrements commencés<' in html
    assert f'id="conversion-published">10,0{NNBSP}% des envois terminés<' in html
    # The same under each count of the placement's row.
    assert f"50<br><small>25,0{NNBSP}%</small>" in html


def test_the_days_are_detailed_on_the_page_not_only_in_the_csv(dashboard, counted):
    """Reproduction: the per-day figures were only in the CSV export."""
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    html = dashboard().content.decode()

    section = html[html.index('id="funnel-by-day"') :]
    assert f'datetime="{today:%Y-%m-%d}"' in section
    assert f'datetime="{yesterday:%Y-%m-%d}"' in section
    assert section.index(f"{today:%Y-%m-%d}") < section.index(f"{yesterday:%Y-%m-%d}")
    assert "120</td>" in section and f"30<br><small>25,0{NNBSP}%</small>" in section
    assert f'datetime="{today - timedelta(days=2):%Y-%m-%d}"' not in section  # empty day


def test_a_period_that_cannot_be_shown_as_asked_says_what_is_shown(dashboard, live_campaign):
    """Reproduction: du=1900-01-01&au=2100-12-31 showed 2100-01-01 → 2100-12-31 (an empty
    year in the future) without a word."""
    response = dashboard(du="1900-01-01", au="2100-12-31")
    html = response.content.decode()
    funnel = response.context["funnel"]
    today = timezone.localdate()

    assert (funnel.start, funnel.end) == (live_campaign.starts_on, today)
    assert "Période demandée : du 01/01/1900 au 31/12/2100." in html
    assert f"Période affichée : du {live_campaign.starts_on:%d/%m/%Y} au {today:%d/%m/%Y}" in html
    assert "rien n&#x27;est compté avant le 30/09/2026, ni après aujourd&#x27;hui" in html
    assert f'value="{live_campaign.starts_on:%Y-%m-%d}"' in html  # the form says it too


def test_a_period_within_the_campaign_is_shown_as_asked_without_a_notice(dashboard, live_campaign):
    start = live_campaign.starts_on + timedelta(days=3)
    end = start + timedelta(days=10)
    response = dashboard(du=start.isoformat(), au=end.isoformat())

    assert (response.context["funnel"].start, response.context["funnel"].end) == (start, end)
    assert 'id="period-notice"' not in response.content.decode()


def test_the_measured_reach_sits_beside_the_declared_audience_against_the_target(
    dashboard, counted, live_campaign
):
    """Reproduction: only the declared audience (what placements announce) was compared with
    the 2.2 M target; what was measured (scans, landing visits) was not."""
    PlacementFactory(campaign=live_campaign, place_name="Orly", declared_audience=1_780_000)
    html = dashboard().content.decode()

    assert "Objectif de la campagne : 2\xa0200\xa0000 personnes." in html
    declared = html[html.index('id="reach-declared"') :]
    assert (
        f'<td class="num">2\xa0200\xa0000</td>\n        <td class="num">100,0{NNBSP}%' in declared
    )
    scans = html[html.index('id="reach-scan"') :]
    assert f'<td class="num">200</td>\n        <td class="num">0,0{NNBSP}%' in scans
    assert 'id="reach-landing"' in html


@pytest.mark.django_db
def test_the_reach_target_shows_2_200_000_in_full(admin_client, live_campaign):
    """Reproduction: the reach field was Django's 5em integer box: "2200000" showed cut."""
    change = admin_client.get(f"/admin/campaigns/campaign/{live_campaign.pk}/change/")
    listing = admin_client.get("/admin/campaigns/campaign/").content.decode()

    field = change.context["adminform"].form.fields["reach_target"].widget
    assert "vBigIntegerField" in field.attrs["class"]  # 10em: the full number shows
    assert "vIntegerField" not in str(field.render("reach_target", 2_200_000))
    assert '<td class="field-reach">2\xa0200\xa0000</td>' in listing


def _csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # BOM: French spreadsheets read UTF-8
    text = content.decode("utf-8-sig")
    first = text.splitlines()[0]
    assert ";" in first and "," not in first
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_funnel_export_is_semicolon_separated_with_a_bom(admin_client, counted, live_campaign):
    export = admin_client.get(f"/admin/campaigns/campaign/{live_campaign.pk}/tableau-de-bord.csv")

    rows = _csv(export.content)
    assert rows[0][:4] == ["jour", "emplacement", "canal", "code"]
    assert rows[1][1] == "Gare Saint-Charles, hall 1"  # a comma inside stays in its column


def test_the_qr_zips_placement_list_is_the_same_csv_style(admin_client, live_campaign, placement):
    """Reproduction: emplacements.csv in the QR ZIP was comma-separated without a BOM, unlike
    the funnel export: Excel (French) showed it in one column with garbled accents."""
    response = admin_client.get(f"/admin/campaigns/campaign/{live_campaign.pk}/qr-codes.zip")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    name = next(n for n in archive.namelist() if n.endswith("emplacements.csv"))

    rows = _csv(archive.read(name))
    assert rows[1][0] == "Gare Saint-Charles, hall 1"
