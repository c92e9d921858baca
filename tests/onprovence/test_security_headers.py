"""Security headers on every public page: CSP, nosniff, referrer policy, frame options, no
cookie for anonymous visitors; HSTS with the production settings."""

import subprocess
import sys
from datetime import date

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from ambassadors.models import Status
from ambassadors.services import publication
from campaigns.models import Campaign
from tests.ambassadors.moderation_support import *  # noqa: F403
from tests.onprovence.test_deployment import ROOT, production_env

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_pages(make_testimonial, django_capture_on_commit_callbacks) -> list[str]:
    """Every public page, with the data it needs: a live campaign and a published testimonial."""
    Campaign.objects.create(
        name="Marque employeur territoriale",
        slug="marque-employeur",
        status=Campaign.Status.LIVE,
        starts_on=date(2026, 9, 30),
        hero_title="Ici, on vit ce qu'on aime.",
    )
    testimonial = make_testimonial(Status.APPROVED, publish_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert publication.testimonial_publish(testimonial_id=testimonial.pk)
    return [
        "/",
        "/en/",
        "/campagne/marque-employeur/",
        "/secteurs/aeronautique/",
        "/temoignages/",
        f"/temoignages/{testimonial.pk}/",
        "/temoignages/flux.rss",
        "/temoignages/flux.atom",
        "/temoignages/flux.json",
        "/ambassadeurs/",
        "/ambassadeurs/vous/",
        "/kit/",
        "/kit/acces/",
        "/q/NOPE-UNKNOWN",
    ]


def csp_directives(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_common_headers(path: str, response) -> dict[str, list[str]]:
    csp = csp_directives(response)
    assert csp.get("default-src") == ["'self'"], (path, response.get("Content-Security-Policy"))
    script_src = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in script_src, path
    assert "'unsafe-eval'" not in script_src, path
    assert response.get("X-Content-Type-Options") == "nosniff", path
    assert response.get("Referrer-Policy") == "same-origin", path
    assert not response.cookies, (path, response.cookies)
    return csp


def test_every_public_page_sends_the_strict_headers_and_no_cookie(client, public_pages):
    for path in public_pages:
        response = client.get(path)

        expected = 404 if path.startswith("/q/") else 200
        assert response.status_code == expected, path
        csp = assert_common_headers(path, response)
        assert csp.get("frame-ancestors") == ["'none'"], path
        assert response.get("X-Frame-Options") == "DENY", path


def test_the_scan_not_found_page_is_the_sites_own_page(client):
    response = client.get("/q/NOPE-UNKNOWN")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_kit_widget_is_the_embeddable_page_with_its_own_policy(client, public_pages):
    response = client.get("/kit/widget/")

    assert response.status_code == 200
    csp = assert_common_headers("/kit/widget/", response)
    # Any careers page may frame it, and nothing else loosens: scripts stay nonce-only.
    assert csp.get("frame-ancestors") == ["*"]
    assert "X-Frame-Options" not in response.headers
    assert csp.get("object-src") == ["'none'"]


def test_production_settings_send_hsts_for_a_year_on_the_home_page(tmp_path):
    env = production_env(tmp_path)
    # The test database (created by this session, holding the seeded rows) stands in for
    # production's; the page reads it as a production process would.
    db = connection.settings_dict
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    # As a deployment does before serving: the manifest the production static storage needs.
    script = (
        "from django.core.management import call_command\n"
        "call_command('collectstatic', interactive=False, verbosity=0)\n"
        "from django.test import Client\n"
        "r = Client().get('/', HTTP_HOST='ambassadeurs.onprovence.fr', "
        "HTTP_X_FORWARDED_PROTO='https', secure=True)\n"
        "print(r.status_code)\n"
        "print(r.get('Strict-Transport-Security', ''))\n"
        "print(r.get('Content-Security-Policy', ''))\n"
        "print(len(r.cookies))\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    status, hsts, csp, cookies = result.stdout.strip().splitlines()[-4:]
    assert status == "200", result.stdout + result.stderr
    parts = {p.strip().split("=")[0]: p.strip() for p in hsts.split(";")}
    assert int(parts["max-age"].split("=")[1]) >= 31536000, hsts
    assert "includeSubDomains" in parts and "preload" in parts
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert cookies == "0"


def test_the_testimonial_player_is_frameable_by_design_and_nothing_else_loosens(
    client, public_pages
):
    # The detail page names it as its twitter:player, and sites embed it: it must be
    # frameable by anyone. It holds only the published video (no form, no session, no
    # action to trick a visitor into), so framing it gives a clickjacker nothing.
    (detail,) = [p for p in public_pages if p.startswith("/temoignages/") and p.count("/") == 3]
    player = f"{detail}lecteur/"
    twitter_player = f'name="twitter:player" content="{settings.SITE_URL}{player}"'
    assert twitter_player in client.get(detail).content.decode()

    for path in (player, f"/en{player}"):
        response = client.get(path)

        assert response.status_code == 200, path
        csp = assert_common_headers(path, response)
        assert csp.get("frame-ancestors") == ["*"], path
        assert "X-Frame-Options" not in response.headers, path
        assert csp.get("object-src") == ["'none'"], path
        assert csp.get("form-action") == ["'self'"], path
        assert "<form" not in response.content.decode(), path
    # Not even a visitor who already has a session gets a cookie back from an embed.
    client.cookies["sessionid"] = "whatever"
    assert not client.get(player).cookies
    # An unpublished or unknown testimonial: the site's own 404, not frameable.
    missing = client.get("/temoignages/00000000-0000-0000-0000-000000000001/lecteur/")
    assert missing.status_code == 404
    assert csp_directives(missing).get("frame-ancestors") == ["'none'"]
