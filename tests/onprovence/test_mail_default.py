"""The embedded default writes emails to files, never to a log (issue 12, finding 6).

Reproduction: `make run` without EMAIL_BACKEND used the console backend, so every email (the
resident's name, their status and withdrawal links) was printed into var/log/worker.log, where
no erasure could reach it.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

SEND = """
import django
django.setup()
from django.conf import settings
from django.core.mail import send_mail
print("backend", settings.EMAIL_BACKEND)
send_mail("Bonjour Zoé", "Votre lien : https://example.org/suivi/abc", None, ["zoe@example.org"])
"""


def test_the_embedded_default_writes_each_email_to_a_file_in_var_mail_not_to_the_log(tmp_path):
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("EMAIL_", "DATABASE_", "REDIS_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="onprovence.settings", ONPROVENCE_VAR_DIR=str(tmp_path))

    run = subprocess.run(
        [sys.executable, "-c", SEND], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert "backend onprovence.mail.FileEmailBackend" in run.stdout
    log = run.stdout + run.stderr
    assert "zoe@example.org" not in log and "Zoé" not in log
    (written,) = (tmp_path / "mail").iterdir()
    assert written.suffix == ".eml"
    assert b"zoe@example.org" in written.read_bytes()
