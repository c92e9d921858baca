"""The Campagnes admin: ten placements set up, printed and followed without leaving it."""

import csv
import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
import zxingcpp
from django.conf import settings
from django.utils import timezone, translation
from PIL import Image

from ambassadors.models import Status
from campaigns.models import Campaign, FunnelCount, KeyFigure
from campaigns.services import funnel_record

PLACES = [
    ("station", "Gare Saint-Charles, hall 1", 420000),
    ("station", "Gare Saint-Charles, quai A", 310000),
    ("station", "Gare d'Aix-en-Provence TGV", 260000),
    ("station", "Paris Gare de Lyon, hall 2", 520000),
    ("station", "Lyon Part-Dieu", 300000),
    ("airport", "Aéroport Marseille Provence, terminal 1", 180000),
    ("airport", "Paris-Orly, terminal 3", 120000),
    ("social", "LinkedIn One Provence", 60000),
    ("press", "Les Échos, supplément régions", 25000),
    ("event", "Salon VivaTech, stand Provence", 5000),
]


@pytest.fixture
def editor(admin_client):
    return admin_client


def _campaign_form(**overrides) -> dict:
    data = {
        "name": "Marque employeur territoriale 2026",
        "slug": "marque-employeur-2026",
        "status": "draft",
        "starts_on": "2026-09-30",
        "reach_target": "2200000",
        "hero_title": "Ici, on vit ce qu'on aime.",
        "cta_label": "Je deviens ambassadeur",
        "cta_label_en": "Become an ambassador",
        "primary_color": "#9c3d1f",
        "accent_color": "#f2b13b",
        "placements-TOTAL_FORMS": str(len(PLACES)),
        "placements-INITIAL_FORMS": "0",
        "placements-MIN_NUM_FORMS": "0",
        "placements-MAX_NUM_FORMS": "1000",
    }
    for index, (channel, place, audience) in enumerate(PLACES):
        data[f"placements-{index}-channel"] = channel
        data[f"placements-{index}-place_name"] = place
        data[f"placements-{index}-declared_audience"] = str(audience)
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_an_editor_sets_up_prints_and_follows_ten_placements_from_the_admin(
    editor, client, make_testimonial, django_capture_on_commit_callbacks
):
    # 1. Set up: one form, the campaign and its ten placements.
    response = editor.post("/admin/campaigns/campaign/add/", _campaign_form())
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    campaign = Campaign.objects.get(slug="marque-employeur-2026")
    placements = list(campaign.placements.order_by("place_name"))
    assert len(placements) == 10
    assert len({p.code for p in placements}) == 10

    # The draft is reviewed through its preview link, then goes live.
    change = editor.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    preview = change.split('href="/campagne/apercu/', 1)[1].split('"', 1)[0]
    assert "Ici, on vit" in client.get(f"/campagne/apercu/{preview}").content.decode()
    campaign.status = Campaign.Status.LIVE
    campaign.save(update_fields=["status"])

    # 2. Print: one ZIP with an SVG, a PNG and a PDF poster per placement, plus an index.
    archive = editor.get(f"/admin/campaigns/campaign/{campaign.pk}/qr-codes.zip")
    assert archive["Content-Type"] == "application/zip"
    files = zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content)))
    names = files.namelist()
    assert len(names) == 31
    for placement in placements:
        pngs = [n for n in names if placement.code in n and n.endswith(".png")]
        assert len(pngs) == 1
        url = f"{settings.SITE_URL}/q/{placement.code}"
        assert [r.text for r in zxingcpp.read_barcodes(Image.open(files.open(pngs[0])))] == [url]
    index = list(csv.reader(io.StringIO(files.read(names[-1]).decode("utf-8-sig")), delimiter=";"))
    assert index[0][:3] == ["emplacement", "canal", "code"] and len(index) == 11

    # 3. Follow: scans today and yesterday, a landing, an upload and a publication.
    gare, linkedin = placements[1], next(p for p in placements if p.channel == "social")
    for _ in range(3):
        client.get(f"/q/{gare.code}")
    client.get(f"/q/{linkedin.code}")
    yesterday = timezone.localdate() - timedelta(days=1)
    funnel_record(placement_id=gare.pk, step="scan", day=yesterday, n=5)
    funnel_record(placement_id=gare.pk, step="landing", n=2)
    funnel_record(placement_id=gare.pk, step="upload_completed")
    make_testimonial(placement=gare)
    make_testimonial(placement=gare, status=Status.IN_REVIEW)  # not published: not counted

    dashboard = editor.get(
        f"/admin/campaigns/campaign/{campaign.pk}/tableau-de-bord/",
        {"du": (yesterday - timedelta(days=6)).isoformat(), "au": timezone.localdate()},
    )
    html = dashboard.content.decode()
    funnel = dashboard.context["funnel"]
    assert funnel.by_placement[gare.pk].counts == {
        "scan": 8,
        "landing": 2,
        "recording_started": 0,
        "upload_completed": 1,
        "published": 1,
    }
    assert funnel.total.counts["scan"] == 9
    assert funnel.top_placements(1)[0][0] == gare
    assert funnel.declared_audience == 2_200_000
    assert '<p class="funnel-card__value" id="total-scan">9</p>' in html
    # h5 (issue 16): the declared audience now sits in a table beside the measured reach.
    assert "Objectif de la campagne : 2\xa0200\xa0000 personnes." in html
    assert '<td class="num">2\xa0200\xa0000</td>\n        <td class="num">100,0\u202f%</td>' in html
    assert '<svg class="funnel-chart"' in html and "<title>" in html

    export = editor.get(
        f"/admin/campaigns/campaign/{campaign.pk}/tableau-de-bord.csv",
        {"du": yesterday.isoformat(), "au": timezone.localdate().isoformat()},
    )
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "jour",
        "emplacement",
        "canal",
        "code",
        "scans",
        "visites",
        "enregistrements commencés",
        "envois terminés",
        "publiés",
    ]
    gare_rows = {row[0]: row[4:] for row in rows[1:] if row[3] == gare.code}
    assert gare_rows == {
        yesterday.isoformat(): ["5", "0", "0", "0", "0"],
        timezone.localdate().isoformat(): ["3", "2", "0", "1", "1"],
    }
    assert FunnelCount.objects.filter(placement=linkedin, step="scan").get().count == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fmt", "query", "content_type"),
    [
        ("svg", "", "image/svg+xml"),
        ("png", "?size=512", "image/png"),
        ("png", "?size=2048&logo=0", "image/png"),
        ("pdf", "", "application/pdf"),
    ],
)
def test_each_placement_downloads_its_code(editor, placement, fmt, query, content_type):
    response = editor.get(f"/admin/campaigns/placement/{placement.pk}/qr.{fmt}{query}")

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert placement.code in response["Content-Disposition"]
    if fmt == "png":
        image = Image.open(io.BytesIO(response.content))
        assert [r.text for r in zxingcpp.read_barcodes(image)] == [
            f"{settings.SITE_URL}/q/{placement.code}"
        ]


@pytest.mark.django_db
def test_a_bad_size_or_format_is_refused_clearly(editor, placement):
    assert editor.get(f"/admin/campaigns/placement/{placement.pk}/qr.gif").status_code == 404
    response = editor.get(f"/admin/campaigns/placement/{placement.pk}/qr.png?size=99999")
    assert response.status_code == 400
    assert "entre 256 et 4096" in response.content.decode()


@pytest.mark.django_db
def test_qr_downloads_need_a_staff_login(client, placement):
    response = client.get(f"/admin/campaigns/placement/{placement.pk}/qr.svg")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_the_placement_page_shows_its_code_its_printed_address_and_downloads(editor, placement):
    html = editor.get(f"/admin/campaigns/placement/{placement.pk}/change/").content.decode()

    assert f"{settings.SITE_URL}/q/{placement.code}" in html
    assert f'src="/admin/campaigns/placement/{placement.pk}/qr.svg"' in html
    assert "Affiche PDF" in html


@pytest.mark.django_db
def test_a_destination_must_be_a_site_path_or_https(editor, placement):
    data = {
        "campaign": placement.campaign_id,
        "channel": placement.channel,
        "place_name": placement.place_name,
        "declared_audience": 1,
        "destination": "javascript:alert(1)",
    }

    response = editor.post(f"/admin/campaigns/placement/{placement.pk}/change/", data)

    assert response.status_code == 200
    assert "Indiquez un chemin du site commençant par « / »" in response.content.decode()
    placement.refresh_from_db()
    assert placement.destination == ""


@pytest.mark.django_db
def test_the_placement_list_shows_all_time_scans(editor, placement):
    funnel_record(placement_id=placement.pk, step="scan", n=42)

    html = editor.get("/admin/campaigns/placement/").content.decode()

    assert '<td class="field-scans">42</td>' in html


@pytest.mark.django_db
def test_a_hero_image_gets_public_webp_and_jpeg_widths_shown_with_sizes(
    editor, client, live_campaign
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", (1000, 500), "#0f5c6e").save(buffer, "JPEG")
    form = _campaign_form(
        name=live_campaign.name,
        slug=live_campaign.slug,
        status="live",
        hero_image_alt="Le Vieux-Port au petit matin",
        **{"placements-TOTAL_FORMS": "0"},
    )
    form["hero_image"] = SimpleUploadedFile("port.jpg", buffer.getvalue(), "image/jpeg")

    response = editor.post(f"/admin/campaigns/campaign/{live_campaign.pk}/change/", form)

    assert response.status_code == 302
    live_campaign.refresh_from_db()
    assert live_campaign.hero_renditions["widths"] == [480, 960]
    html = client.get("/").content.decode()
    assert 'type="image/webp"' in html and "-960.webp 960w" in html
    assert 'alt="Le Vieux-Port au petit matin"' in html and 'sizes="100vw"' in html


def test_a_key_figure_reads_as_the_french_pages_write_it_in_the_admin(editor):
    figure = KeyFigure.objects.create(
        value=Decimal("83.00"),
        unit="%",
        label="des cadres recommandent la région",
        source_name="Test",
    )
    decimal = KeyFigure.objects.create(
        value=Decimal("7.80"), unit="/10", label="qualité de vie", source_name="Test"
    )

    with translation.override("en"):
        assert str(figure) == "83\u202f% — des cadres recommandent la région"
        assert str(decimal) == "7,8/10 — qualité de vie"
    page = editor.get(f"/admin/campaigns/keyfigure/{figure.pk}/delete/").content.decode()
    assert "83\u202f% — des cadres recommandent la région" in page
    assert "83.00%" not in page


# --- The funnel's counts are history: view only (issue 13, low) --------------------------------


@pytest.fixture
def campaigns_editor(client, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("sacha", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Campagnes"))
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_campagnes_group_may_view_funnel_counts_but_not_change_or_delete_them(
    django_user_model,
):
    """Reproduction: "Campagnes" held every permission of the campaigns app, so also
    add/change/delete on FunnelCount: the counts the dashboards report could be rewritten."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("sacha", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Campagnes"))

    assert user.has_perm("campaigns.view_funnelcount")
    assert not user.has_perm("campaigns.add_funnelcount")
    assert not user.has_perm("campaigns.change_funnelcount")
    assert not user.has_perm("campaigns.delete_funnelcount")
    assert user.has_perm("campaigns.change_placement")  # the rest of the app stays theirs


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["campaigns_editor", "editor"])  # editor: a superuser
def test_funnel_counts_are_read_only_in_the_admin_for_everyone(request, who, placement):
    staff = request.getfixturevalue(who)
    funnel_record(placement_id=placement.pk, step="scan", n=42)
    count = FunnelCount.objects.get()
    change = f"/admin/campaigns/funnelcount/{count.pk}/change/"

    listing = staff.get("/admin/campaigns/funnelcount/")
    page = staff.get(change).content.decode()
    posted = staff.post(change, {"placement": placement.pk, "day": count.day, "step": "scan",
                                 "count": "0"})  # fmt: skip
    deleted = staff.post(f"/admin/campaigns/funnelcount/{count.pk}/delete/", {"post": "yes"})
    added = staff.get("/admin/campaigns/funnelcount/add/")
    bulk = staff.post(
        "/admin/campaigns/funnelcount/",
        {"action": "delete_selected", "_selected_action": [count.pk], "post": "yes"},
    )

    assert listing.status_code == 200 and "Gare Saint-Charles, hall 1" in listing.content.decode()
    assert 'name="_save"' not in page
    assert posted.status_code == 403
    assert deleted.status_code == 403
    assert added.status_code == 403
    assert bulk.status_code in (200, 302)  # no delete action offered: nothing happens
    assert FunnelCount.objects.get().count == 42


@pytest.mark.django_db
def test_deleting_a_placement_cannot_erase_its_counts_from_the_admin(campaigns_editor, placement):
    """Reproduction: deleting a placement in the admin cascaded to its counts unchecked."""
    funnel_record(placement_id=placement.pk, step="scan", n=42)

    page = campaigns_editor.get(f"/admin/campaigns/placement/{placement.pk}/delete/")
    response = campaigns_editor.post(
        f"/admin/campaigns/placement/{placement.pk}/delete/", {"post": "yes"}
    )

    assert "Impossible de supprimer" in page.content.decode()
    assert "compteur du parcours" in page.content.decode()  # named as what stops it
    assert response.status_code == 403
    assert FunnelCount.objects.get().count == 42
