"""The admin login resists brute force (django-axes)."""

import pytest

pytestmark = pytest.mark.django_db


def attempt(client, password, ip="203.0.113.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "editor", "password": password},
        REMOTE_ADDR=ip,
    )


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, django_user_model):
    django_user_model.objects.create_user("editor", password="right-password-42", is_staff=True)

    for _ in range(4):
        assert attempt(client, "wrong").status_code == 200  # the form again, with an error
    locked = attempt(client, "wrong")
    after = attempt(client, "right-password-42")

    assert locked.status_code == 429
    assert after.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_from_one_address_does_not_block_another(client, django_user_model):
    django_user_model.objects.create_user("editor", password="right-password-42", is_staff=True)
    for _ in range(5):
        attempt(client, "wrong", ip="203.0.113.7")

    response = attempt(client, "right-password-42", ip="198.51.100.9")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_a_successful_login_below_the_limit_resets_the_count(client, django_user_model):
    django_user_model.objects.create_user("editor", password="right-password-42", is_staff=True)
    for _ in range(4):
        attempt(client, "wrong")

    assert attempt(client, "right-password-42").status_code == 302
