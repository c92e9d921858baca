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


# --- Behind a reverse proxy (issue 13, medium) -------------------------------------------------
#
# Reproduction: django-ipware was not installed, so the AXES_IPWARE_* settings did nothing and
# axes keyed every attempt on REMOTE_ADDR, the proxy's address. With TRUSTED_PROXY_COUNT=1, five
# bad logins for `admin` sent by anyone (here with a forged `X-Forwarded-For: 203.0.113.66`)
# locked `admin` out for every client behind the proxy, renewable hourly.

FORGED = "203.0.113.66"


def test_behind_a_proxy_one_client_cannot_lock_another_out(client, django_user_model, settings):
    """The Django test client with the proxy's REMOTE_ADDR and the header it appends."""
    settings.TRUSTED_PROXY_COUNT = 1
    django_user_model.objects.create_user("admin", password="right-password-42", is_staff=True)
    proxy = "10.0.0.1"

    def login(password, forwarded_for):
        return client.post(
            "/admin/login/?next=/admin/",
            {"username": "admin", "password": password},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    # The attacker (198.51.100.23) forges a first entry; the proxy appends the real address.
    for _ in range(5):
        login("wrong", f"{FORGED}, 198.51.100.23")
    attacker = login("right-password-42", "198.51.100.23")
    other = login("right-password-42", "192.0.2.44")

    assert attacker.status_code == 429
    assert other.status_code == 302
    assert other["Location"] == "/admin/"


class ForwardingProxy:
    """A tiny reverse proxy in front of the app: it appends the peer's address to
    X-Forwarded-For, as nginx's `$proxy_add_x_forwarded_for` does."""

    HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host"}

    def __init__(self, upstream_port: int) -> None:
        import http.client
        import http.server
        import threading

        hop_by_hop = self.HOP_BY_HOP

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self._forward()

            def do_POST(self):
                self._forward()

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in hop_by_hop}
                headers.pop("X-Forwarded-For", None)
                forwarded = self.headers.get("X-Forwarded-For")
                peer = self.client_address[0]
                headers["X-Forwarded-For"] = f"{forwarded}, {peer}" if forwarded else peer
                headers["Host"] = self.headers["Host"]
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                payload = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in hop_by_hop | {"content-length"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                upstream.close()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Browser:
    """A client on its own loopback address (127.0.0.x), so the proxy sees distinct peers."""

    def __init__(self, port: int, address: str) -> None:
        self.port, self.address, self.cookies = port, address, {}

    def request(self, method, path, *, body=None, headers=None):
        import http.client

        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(self.address, 0)
        )
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        connection.close()
        return response.status, response.getheader("Location") or "", text

    def login(self, password: str, *, forged: str | None = None) -> int:
        import re
        from urllib.parse import urlencode

        _status, _location, page = self.request("GET", "/admin/login/?next=/admin/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urlencode({"csrfmiddlewaretoken": token, "username": "admin", "password": password})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{self.port}/admin/login/",
        }
        if forged:
            headers["X-Forwarded-For"] = forged
        status, location, _text = self.request(
            "POST", "/admin/login/?next=/admin/", body=body, headers=headers
        )
        return status, location


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_behind_a_real_proxy_an_attacker_locks_only_itself(tmp_path, django_user_model):
    """gunicorn behind a reverse proxy (TRUSTED_PROXY_COUNT=1); two clients on two addresses."""
    import subprocess
    import sys

    from tests import processes
    from tests.ambassadors.test_pipeline_chaos import free_port

    django_user_model.objects.create_user("admin", password="right-password-42", is_staff=True)
    port = free_port()
    environment = processes.worker_env(TRUSTED_PROXY_COUNT="1")
    log = open(tmp_path / "web.log", "ab")  # noqa: SIM115
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "onprovence.wsgi:application", "-b",
         f"127.0.0.1:{port}", "-w", "1", "--timeout", "60"],
        cwd=processes.ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    proxy = ForwardingProxy(port)
    try:
        processes.wait_for_port("127.0.0.1", port)
        attacker = Browser(proxy.port, "127.0.0.2")
        admin = Browser(proxy.port, "127.0.0.3")

        tries = [attacker.login("wrong", forged=FORGED)[0] for _ in range(5)]
        attacker_after = attacker.login("right-password-42", forged=FORGED)
        admin_after = admin.login("right-password-42")
    finally:
        proxy.close()
        processes.stop(web)

    assert tries == [200, 200, 200, 200, 429]  # the form again with an error, then locked
    assert attacker_after[0] == 429
    assert admin_after == (302, "/admin/")
