"""scripts/run.sh (`make run`): the processes it starts agree on the site's address."""

import os
import subprocess

import pytest

from tests import processes

RUN_SCRIPT = processes.ROOT / "scripts" / "run.sh"


@pytest.fixture
def fake_checkout(tmp_path):
    """A folder whose `.venv/bin/python` records the SITE_URL and arguments it was started with."""
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    # Like the real server, the fake runserver stays up while the two workers start: the script
    # stops them when it ends, which raced with their first line.
    python.write_text(
        "#!/bin/sh\n"
        'echo "$SITE_URL $*" >>started.txt\n'
        'case "$*" in *runserver*)\n'
        '  for i in $(seq 100); do [ "$(wc -l <started.txt)" -ge 3 ] && break; sleep 0.05; done;;\n'
        "esac\n"
    )
    python.chmod(0o755)
    return tmp_path


def run(folder, *args, **env_changes):
    drop = {"SITE_URL", "HOST", "DJANGO_ALLOWED_HOSTS"}
    env = {k: v for k, v in os.environ.items() if k not in drop} | env_changes
    subprocess.run(
        ["bash", str(RUN_SCRIPT), *args],
        cwd=folder,
        env=env,
        check=False,
        timeout=30,
        capture_output=True,
    )
    return sorted((folder / "started.txt").read_text().splitlines())


def test_on_another_port_every_process_builds_links_to_that_port(fake_checkout):
    started = run(fake_checkout, "8790")

    # The two workers send the emails, the web process renders QR codes and feeds.
    assert [line.split(" ", 1)[0] for line in started] == ["http://localhost:8790"] * 3
    assert any(line.endswith("runserver 127.0.0.1:8790") for line in started)


def test_a_site_url_given_in_the_environment_is_kept(fake_checkout):
    started = run(fake_checkout, "8790", SITE_URL="https://ambassadeurs.example.org")

    assert {line.split(" ", 1)[0] for line in started} == {"https://ambassadeurs.example.org"}


def test_the_development_server_listens_on_loopback_only_by_default(fake_checkout):
    """Reproduction: `make run` bound 0.0.0.0 with DEBUG on and the published development key,
    so anyone on the same network could read debug pages and sign residents' links."""
    started = run(fake_checkout, "8790")

    [server] = [line for line in started if "manage.py runserver " in line]
    assert server.endswith("runserver 127.0.0.1:8790")


def test_host_opens_the_server_to_the_local_network_with_links_a_phone_can_follow(
    fake_checkout,
):
    python = fake_checkout / ".venv" / "bin" / "python"
    python.write_text('#!/bin/sh\necho "$SITE_URL|$DJANGO_ALLOWED_HOSTS|$*" >>started.txt\n')

    started = run(fake_checkout, "8790", HOST="192.0.2.15")

    [server] = [line for line in started if "manage.py runserver " in line]
    site_url, allowed_hosts, command = server.split("|")
    assert command.endswith("runserver 192.0.2.15:8790")
    assert site_url == "http://192.0.2.15:8790"
    assert "192.0.2.15" in allowed_hosts.split(",")
