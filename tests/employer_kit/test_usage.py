"""Per-asset usage statistics for the "Kit employeur" staff: downloads by week, by company size
and sector when the recruiter gave them (issue 16, "The kit")."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from employer_kit.models import CompanySize, KitDownload, Recruiter
from employer_kit.selectors import kit_asset_usage
from tests.employer_kit.test_retention_kit import kit_editor  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def downloads(kit_content, make_asset, make_recruiter):
    asset = make_asset(title="Logo One Provence")
    big = make_recruiter(email="rh@airbus-test.fr")
    big.company_size, big.sector = CompanySize.LARGE, kit_content["aero"]
    big.save()
    small = make_recruiter(email="rh@pme-test.fr", company="Calanques Tech")
    small.company_size = CompanySize.SME
    small.save()
    silent = make_recruiter(email="rh@discret-test.fr", company="Discret")
    now = timezone.now()
    for recruiter, days_ago, channel in [
        (big, 0, "single"),
        (big, 1, "basket"),
        (small, 7, "archive"),
        (silent, 21, "single"),
        (silent, 200, "single"),  # older than the 12 weeks shown, still in the totals
    ]:
        download = KitDownload.objects.create(
            recruiter=recruiter, asset=asset, asset_title=asset.title, channel=channel
        )
        KitDownload.objects.filter(pk=download.pk).update(created_at=now - timedelta(days=days_ago))
    return asset


def test_usage_counts_downloads_by_week_size_and_sector(downloads):
    today = timezone.localdate()
    usage = kit_asset_usage(asset_id=downloads.pk, today=today)

    assert usage.total == 5 and usage.recruiters == 3
    assert len(usage.by_week) == 12
    assert usage.by_week[-1][0] == today - timedelta(days=today.weekday())
    assert sum(n for _, n in usage.by_week) == 4
    assert dict(usage.by_size) == {
        "5 000 salariés ou plus": 2,
        "10 à 249 salariés": 1,
        "non précisé": 2,
    }
    assert dict(usage.by_sector) == {"Aéronautique": 2, "non précisé": 3}
    assert dict(usage.by_channel) == {"fichier seul": 3, "panier (ZIP)": 1, "archive ZIP": 1}


def test_kit_staff_open_an_assets_statistics_from_the_list(kit_editor, downloads):  # noqa: F811
    """Before: the asset list had a bare count, with no week, size nor sector."""
    listing = kit_editor.get("/admin/employer_kit/kitasset/").content.decode()
    url = f"/admin/employer_kit/kitasset/{downloads.pk}/statistiques/"
    assert f'<a href="{url}"' in listing

    page = kit_editor.get(url).content.decode()
    assert "5 téléchargements par 3 recruteur(s) en tout." in page
    assert re.search(r"<td>5 000 salariés ou plus</td><td class=\"kit-usage__n\">2</td>", page)
    assert re.search(r"<td>Aéronautique</td><td class=\"kit-usage__n\">2</td>", page)
    assert page.count("<progress") == 12


def test_statistics_are_for_kit_staff_only(client, django_user_model, downloads):
    user = django_user_model.objects.create_user("x", "x@oneprovence.test", "pw", is_staff=True)
    client.force_login(user)
    response = client.get(f"/admin/employer_kit/kitasset/{downloads.pk}/statistiques/")
    assert response.status_code == 403


def test_a_recruiter_may_give_company_size_and_sector_when_signing_up(client, kit_content):
    client.post(
        "/kit/acces/",
        {
            "company": "Calanques Tech",
            "email": "rh@calanques-tech.test",
            "company_size": "sme",
            "sector": "aeronautique",
        },
    )
    recruiter = Recruiter.objects.get(email="rh@calanques-tech.test")
    assert recruiter.company_size == CompanySize.SME
    assert recruiter.sector == kit_content["aero"]
    # Both stay optional.
    client.post("/kit/acces/", {"company": "Discret", "email": "rh@discret.test"})
    assert Recruiter.objects.get(email="rh@discret.test").company_size == ""
