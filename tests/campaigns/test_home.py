import pytest

from campaigns.models import KeyFigure

pytestmark = pytest.mark.django_db


def test_home_shows_the_key_figures_with_their_sources_in_french(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Indice de bonheur des habitants" in html
    assert "7,8/10" in html
    assert "contre 7,4/10 — moyenne nationale" in html
    assert "Source : ImageTerr 2024 — IMPGT, Aix-Marseille Université, 2024" in html
    assert "Bloom Consulting" in html


def test_home_in_english_uses_the_english_texts(client):
    response = client.get("/en/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Residents&#x27; happiness index" in html
    assert "national average" in html
    assert "Skip to content" in html


def test_a_hidden_figure_is_not_shown(client):
    KeyFigure.objects.filter(source_name="Bloom Consulting").update(is_active=False)

    assert "Bloom Consulting" not in client.get("/").content.decode()


def test_the_four_sectors_are_seeded_and_listed(client):
    html = client.get("/").content.decode()

    for name in ("Aéronautique", "Énergie", "Maritime", "Logistique"):
        assert f"<h3>{name}</h3>" in html


def test_public_pages_set_no_cookie_and_a_strict_content_security_policy(client):
    response = client.get("/")

    assert response.cookies == {}
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    # A page that uses no nonce gets no nonce placeholder either (browsers reject it).
    assert "'nonce'" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
