"""No production process runs on a missing, weak or published secret key; keys can be rotated.

Reproduction (issue 13, high): with DJANGO_DEBUG=false and no DJANGO_SECRET_KEY, settings fell
back to the key written in the repository and `check --deploy --fail-level WARNING` passed; the
compose file's `change-me-…` default passed too. With that key anyone signs a withdrawal link for
every published testimonial.
"""

import re
import secrets
import subprocess
import sys
import uuid

import pytest
from django.core import signing

from ambassadors.links import SALT, resident_status_url, resident_withdraw_url
from onprovence.secret_key import PUBLISHED_SECRET_KEYS
from tests.onprovence.test_deployment import ROOT, production_env

COMPOSE_DEFAULT = "change-me-to-a-long-random-value-before-any-real-use-0123456789"
REPOSITORY_DEFAULT = "dev-only-insecure-key-set-DJANGO_SECRET_KEY-in-production-0123456789abcdef"

# The commands a deployment starts: the deploy check, the web server (gunicorn loads the app
# and exits), a Celery worker's view of the settings.
COMMANDS = {
    "check --deploy": [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
    "gunicorn": [sys.executable, "-m", "gunicorn", "--check-config", "onprovence.wsgi"],
    "celery": [sys.executable, "-m", "celery", "-A", "onprovence", "report"],
}


def start(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def new_key() -> str:
    return secrets.token_urlsafe(50)


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
@pytest.mark.parametrize(
    "key",
    [None, "", REPOSITORY_DEFAULT, COMPOSE_DEFAULT, "short-but-random-Zq8x", "a" * 64],
    ids=["missing", "empty", "repository-default", "compose-default", "short", "one-letter"],
)
def test_a_production_process_refuses_to_start_without_its_own_strong_key(tmp_path, command, key):
    env = production_env(tmp_path)
    env.pop("DJANGO_SECRET_KEY")
    if key is not None:
        env["DJANGO_SECRET_KEY"] = key

    result = start(command, env)

    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY " in result.stderr, result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr


def test_the_refusal_says_what_is_wrong_with_the_key(tmp_path):
    env = production_env(tmp_path)
    messages = {}
    for name, key in {"missing": "", "published": COMPOSE_DEFAULT, "short": "x" * 20}.items():
        env["DJANGO_SECRET_KEY"] = key
        stderr = start(COMMANDS["check --deploy"], env).stderr
        messages[name] = stderr.strip().splitlines()[-1]

    assert messages["missing"].startswith(
        "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY is not set: "
        "with DJANGO_DEBUG=false the platform needs its own key; make one with: "
    )
    assert "DJANGO_SECRET_KEY is a key published in the repository" in messages["published"]
    assert "DJANGO_SECRET_KEY is too weak (20 characters)" in messages["short"]


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_production_process_starts_with_a_fresh_key(tmp_path, command):
    env = production_env(tmp_path)
    env["DJANGO_SECRET_KEY"] = new_key()

    result = start(command, env)

    assert result.returncode == 0, result.stderr


def test_a_published_key_is_refused_as_a_fallback_too(tmp_path):
    """A fallback verifies signatures: a published one would let anyone sign links again."""
    env = production_env(tmp_path)
    env["DJANGO_SECRET_KEY"] = new_key()
    env["DJANGO_SECRET_KEY_FALLBACKS"] = f"{new_key()},{REPOSITORY_DEFAULT}"

    result = start(COMMANDS["check --deploy"], env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY_FALLBACKS is a key published in the repository" in result.stderr


def test_with_debug_on_the_development_key_still_runs(tmp_path):
    env = production_env(tmp_path)
    env.pop("DJANGO_SECRET_KEY")
    env["DJANGO_DEBUG"] = "true"

    result = start([sys.executable, "manage.py", "check"], env)

    assert result.returncode == 0, result.stderr


def _keys_written_in_the_repository() -> set[str]:
    """Values given to DJANGO_SECRET_KEY / SECRET_KEY in any tracked file (not this test's)."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    patterns = [
        # Environment: compose, Dockerfile, shell, docs, the tests' process environments.
        re.compile(
            r"""DJANGO_SECRET_KEY["']?\s*[:=]\s*(?:\$\{DJANGO_SECRET_KEY:[-?])?["']?"""
            r"""([\w.~+/=-]{8,})(?=["'\s}]|$)"""
        ),
        # Python: SECRET_KEY = "…", SOMETHING_SECRET_KEY = ("…"), env(…, default="…").
        re.compile(
            r"""[A-Z_]*SECRET_KEY\s*=\s*(?:env\([^)]*?default=)?\(?\s*["']([^"'\s]{8,})["']"""
        ),
    ]
    found = set()
    for name in files:
        path = ROOT / name
        if name.endswith((".png", ".jpg", ".mp4", ".webp", ".pdf", ".mo", ".zip", ".ico")):
            continue
        if path.name == "test_secret_key.py" or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for pattern in patterns:
            found |= set(pattern.findall(text))
    # Not keys: names of variables and the README's placeholder.
    return {key for key in found if not key.isupper() and key != "DJANGO_SECRET_KEY"}


def test_every_key_written_in_the_repository_is_refused():
    written = _keys_written_in_the_repository()

    assert REPOSITORY_DEFAULT in written  # the scan finds them
    assert COMPOSE_DEFAULT not in written or COMPOSE_DEFAULT in PUBLISHED_SECRET_KEYS
    assert written <= PUBLISHED_SECRET_KEYS


# --- Rotation: DJANGO_SECRET_KEY_FALLBACKS -------------------------------------------------------

READ_LINKS = (
    "import sys, django; django.setup()\n"
    "from ambassadors.links import read_resident_token\n"
    "for token in sys.argv[1:]:\n"
    "    try:\n"
    "        print(read_resident_token(token))\n"
    "    except Exception as exc:\n"
    "        print(type(exc).__name__)\n"
)


def _token_signed_with(key: str, testimonial_id: uuid.UUID) -> str:
    return signing.dumps(str(testimonial_id), key=key, salt=SALT)


def test_after_a_rotation_links_signed_with_the_old_key_still_read(tmp_path):
    old, new = new_key(), new_key()
    testimonial_id = uuid.uuid4()
    token = _token_signed_with(old, testimonial_id)
    env = production_env(tmp_path)
    env["DJANGO_SECRET_KEY"] = new
    env["DJANGO_SECRET_KEY_FALLBACKS"] = f"{new_key()}, {old}"

    rotated = start([sys.executable, "-c", READ_LINKS, token], env)
    env.pop("DJANGO_SECRET_KEY_FALLBACKS")
    without_fallback = start([sys.executable, "-c", READ_LINKS, token], env)

    assert rotated.stdout.split() == [str(testimonial_id)], rotated.stderr
    assert without_fallback.stdout.split() == ["BadSignature"], without_fallback.stderr


@pytest.mark.django_db
def test_a_resident_s_links_work_after_a_rotation_only_with_the_fallback(client, settings):
    from ambassadors.models import Testimonial

    testimonial = Testimonial.objects.create(first_name="Nadia", email="nadia@example.org")
    old, new = new_key(), new_key()
    settings.SECRET_KEY = old
    status_path = resident_status_url(testimonial.pk).removeprefix(settings.SITE_URL)
    withdraw_path = resident_withdraw_url(testimonial.pk).removeprefix(settings.SITE_URL)

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = new, [old]
    rotated = [client.get(status_path).status_code, client.get(withdraw_path).status_code]
    settings.SECRET_KEY_FALLBACKS = []
    without_fallback = [client.get(status_path).status_code, client.get(withdraw_path).status_code]

    assert rotated == [200, 200]
    assert without_fallback == [404, 404]
