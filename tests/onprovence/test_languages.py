import pytest

pytestmark = pytest.mark.django_db


def test_the_admin_is_french_even_for_an_english_browser(client):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert '<html lang="fr"' in response.content.decode()
    assert "Nom d’utilisateur" in response.content.decode()


def test_public_pages_without_prefix_are_french_whatever_the_browser_asks(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert '<html lang="fr">' in response.content.decode()
    assert response["Content-Language"] == "fr"


def test_english_pages_live_under_en(client):
    response = client.get("/en/")

    assert response["Content-Language"] == "en"
