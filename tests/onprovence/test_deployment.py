"""Production settings pass Django's deploy checks; the compose file validates."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "onprovence.settings",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x7Qv9-KpL2mN8rT4wZ6yB1cD3fG5hJ0sA_eU7iO9pQ2rS4tV6xY8zW1uE3nM5bC",
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


def test_docker_compose_file_validates():
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose is missing: `make test` installs Debian's docker-compose"

    result = subprocess.run(
        [compose, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr


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
