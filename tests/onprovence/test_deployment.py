"""Production settings pass Django's deploy checks; the compose file validates."""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "onprovence.settings",
    "DJANGO_DEBUG": "false",
    # A fresh key each run: a key written here would be published (onprovence/secret_key.py).
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "ambassadeurs.onprovence.fr",
    "DATABASE_URL": "postgres://postgres:postgres@127.0.0.1:5432/test",
    "REDIS_URL": "redis://127.0.0.1:6379/14",
    "S3_PRIVATE_BUCKET": "onprovence-private",
    "S3_PUBLIC_BUCKET": "onprovence-public",
    "AWS_S3_ENDPOINT_URL": "https://s3.example.org",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def production_env(tmp_path) -> dict[str, str]:
    """Only what a production process has: PATH and the platform's variables."""
    return {"PATH": os.environ["PATH"], **PRODUCTION_ENV, "ONPROVENCE_VAR_DIR": str(tmp_path)}


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = production_env(tmp_path)

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_turn_on_https_hsts_and_secure_cookies(tmp_path):
    env = production_env(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from onprovence import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT, "
            "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.STORAGES['default']['BACKEND'], s.CACHES['default']['BACKEND'])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "31536000",
        "True",
        "True",
        "onprovence.storage.S3StorageForBrowsers",
        "django.core.cache.backends.redis.RedisCache",
    ]


COMPOSE_SECRETS = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "POSTGRES_PASSWORD": secrets.token_hex(16),
    "MINIO_SECRET_KEY": secrets.token_hex(16),
}


def compose_config(**environment: str) -> subprocess.CompletedProcess:
    """`docker-compose config` with only PATH and the given variables in its environment."""
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose is missing: `make test` installs Debian's docker-compose"
    return subprocess.run(
        [compose, "-f", str(ROOT / "docker-compose.yml"), "config"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_docker_compose_file_validates_given_its_secrets():
    result = compose_config(**COMPOSE_SECRETS)

    assert result.returncode == 0, result.stderr
    import yaml

    config = yaml.safe_load(result.stdout)
    for name in ("web", "worker", "worker-default", "beat"):
        environment = config["services"][name]["environment"]
        assert environment["DJANGO_SECRET_KEY"] == COMPOSE_SECRETS["DJANGO_SECRET_KEY"]
        assert COMPOSE_SECRETS["POSTGRES_PASSWORD"] in environment["DATABASE_URL"]
        assert environment["AWS_SECRET_ACCESS_KEY"] == COMPOSE_SECRETS["MINIO_SECRET_KEY"]
    minio = config["services"]["minio"]["environment"]
    assert minio["MINIO_ROOT_PASSWORD"] == COMPOSE_SECRETS["MINIO_SECRET_KEY"]


@pytest.mark.parametrize("missing", sorted(COMPOSE_SECRETS))
def test_docker_compose_refuses_to_run_without_each_secret(missing):
    """Reproduction: compose fell back to `change-me-…` (a published key) and a MinIO password
    written in the file; `docker-compose config` passed with no variable set."""
    result = compose_config(**{k: v for k, v in COMPOSE_SECRETS.items() if k != missing})

    assert result.returncode != 0
    assert f"set {missing} " in result.stderr, result.stderr


def test_docker_compose_never_sends_emails_to_the_console_logs():
    """Reproduction: compose defaulted to the console backend, so magic links and withdrawal
    links landed in the container logs."""
    import yaml

    config = yaml.safe_load(compose_config(**COMPOSE_SECRETS).stdout)
    environment = config["services"]["worker-default"]["environment"]

    assert environment["EMAIL_BACKEND"] == "onprovence.mail.FileEmailBackend"
    assert environment["EMAIL_FILE_PATH"] == "/var/lib/onprovence/mail"
    assert "mail:/var/lib/onprovence/mail:rw" in config["services"]["worker-default"]["volumes"]
    smtp = compose_config(
        **COMPOSE_SECRETS, EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="smtp.example.org",
    )  # fmt: skip
    smtp_environment = yaml.safe_load(smtp.stdout)["services"]["web"]["environment"]
    assert smtp_environment["EMAIL_HOST"] == "smtp.example.org"


def test_check_deploy_fails_on_the_console_email_backend(tmp_path):
    env = production_env(tmp_path)
    env["EMAIL_BACKEND"] = "django.core.mail.backends.console.EmailBackend"

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    assert "(onprovence.W001) EMAIL_BACKEND is the console backend" in result.stderr


def test_compose_runs_web_worker_beat_and_the_services_with_one_environment():
    import yaml

    config = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

    assert set(config["services"]) >= {"web", "worker", "beat", "postgres", "redis", "minio"}
    assert "gunicorn" in " ".join(config["services"]["web"]["command"])
    # Confirmation emails and publication never wait behind a backlog of transcodes.
    media, default = (
        config["services"]["worker"]["command"],
        config["services"]["worker-default"]["command"],
    )
    assert media[media.index("-Q") + 1] == "media"
    assert default[default.index("-Q") + 1] == "default"
    # Browsers get media and upload links for MinIO's published port, which the CSP allows.
    environment = config["x-app"]["environment"]
    assert environment["AWS_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert environment["AWS_S3_BROWSER_ENDPOINT_URL"] == environment["CSP_MEDIA_ORIGIN"]
    assert "9000:9000" in config["services"]["minio"]["ports"]


def test_the_file_based_email_backend_writes_to_email_file_path(tmp_path):
    """EMAIL_BACKEND can be switched to files by environment alone (a staging walkthrough)."""
    env = production_env(tmp_path)
    env["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
    env["EMAIL_FILE_PATH"] = str(tmp_path / "mail")

    result = subprocess.run(
        [sys.executable, "manage.py", "sendtestemail", "lea@example.org"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    [message] = (tmp_path / "mail").iterdir()
    assert "To: lea@example.org" in message.read_text()
