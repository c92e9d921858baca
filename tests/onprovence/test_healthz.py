import socket
import threading
from pathlib import Path

import pytest

from onprovence.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_healthz_reports_every_service_ok_on_the_real_services(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "storage": "ok",
    }


def test_healthz_answers_503_and_names_the_broker_when_it_is_unreachable(client):
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        celery_app.conf.broker_url = original

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["broker"].startswith("error: ")
    assert body["database"] == "ok"
    assert body["storage"] == "ok"


def test_healthz_answers_503_when_the_storage_endpoint_is_down(client, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {
                **settings.STORAGES["default"]["OPTIONS"],
                "endpoint_url": "http://127.0.0.1:1",
            },
        },
    }

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["storage"].startswith("error: ")


def test_a_hung_storage_endpoint_is_reported_within_the_healthcheck_s_timeout(client, settings):
    """A store that accepts connections and never answers: the check used boto's defaults
    (60 s read timeout, 5 attempts), so the compose healthcheck (10 s) saw only a timeout, never
    the 503 naming the store. It now uses the web client's short timeouts (S3_WEB_*)."""
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)  # the kernel completes the handshakes; nothing ever reads or answers
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {
                **settings.STORAGES["default"]["OPTIONS"],
                "endpoint_url": f"http://127.0.0.1:{hung.getsockname()[1]}",
            },
        },
    }
    answers = []
    asking = threading.Thread(target=lambda: answers.append(client.get("/healthz")), daemon=True)
    try:
        asking.start()
        asking.join(timeout=10)
        assert answers, "no answer within the healthcheck's 10 s"
        assert answers[0].status_code == 503
        assert answers[0].json()["storage"].startswith("error: ")
    finally:
        hung.close()


def test_healthz_answers_head_for_monitors_that_ask_with_head(client):
    response = client.head("/healthz")

    assert response.status_code == 200
    assert response.content == b""


def test_favicon_ico_leads_to_the_sites_icon(client):
    from django.contrib.staticfiles import finders

    # The admin declares no icon, so browsers ask for /favicon.ico (it was a 404 in the log).
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/img/favicon.svg"
    assert "<svg" in Path(finders.find("img/favicon.svg")).read_text(encoding="utf-8")
