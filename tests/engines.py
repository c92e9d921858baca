"""One small driver over the three engines a resident's phone runs: Chromium, Gecko, WebKit.

- chromium: Debian's Chromium through Playwright (tests/browser.py);
- firefox: Debian's Firefox ESR through puppeteer-core over WebDriver BiDi
  (tests/browsers/firefox.mjs, one JSON command a line);
- webkit: Debian's WebKitGTK MiniBrowser through WebKitWebDriver and Selenium, on a private Xvfb.

The journey tests speak only this API (CSS selectors, JavaScript expressions, file paths), so one
test runs in each engine; every failure message starts with the engine's name.
"""

import contextlib
import glob
import json
import os
import subprocess
import time
from pathlib import Path

import axe_playwright_python

from tests.browser import launch_chromium

ENGINES = ("chromium", "firefox", "webkit")
PHONE = {"width": 360, "height": 740}
FIREFOX = os.environ.get("FIREFOX_PATH", "/usr/bin/firefox-esr")
WEBKIT_DRIVER = os.environ.get("WEBKIT_DRIVER_PATH", "/usr/bin/WebKitWebDriver")
# Debian ships MiniBrowser with libwebkit2gtk-4.1-0, under the architecture's library folder.
MINIBROWSER = os.environ.get("MINIBROWSER_PATH") or next(
    iter(sorted(glob.glob("/usr/lib/*/webkit2gtk-4.*/MiniBrowser"))), "MiniBrowser"
)
HELPER = Path(__file__).parent / "browsers" / "firefox.mjs"
AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


class EngineError(AssertionError):
    pass


class Engine:
    """What a journey test does to a page; each engine implements the primitives."""

    name = ""
    version = ""
    errors: list[str] = []  # the page's console errors, where the engine reports them

    # Primitives -------------------------------------------------------------------------------
    def goto(self, url: str) -> None: ...
    def reload(self) -> None: ...
    def url(self) -> str: ...
    def js(self, expression: str): ...
    def click(self, selector: str) -> None: ...
    def fill(self, selector: str, value: str) -> None: ...
    def select(self, selector: str, value: str) -> None: ...
    def upload(self, selector: str, path: Path) -> None: ...
    def screenshot(self, path: Path) -> None: ...
    def close(self) -> None: ...

    # Built on the primitives ------------------------------------------------------------------
    def fail(self, message: str):
        state = ""
        with contextlib.suppress(Exception):
            state = self.js(
                "['upload-state', 'upload-error', 'record-message'].map((id) =>"
                " document.getElementById(id) && document.getElementById(id).textContent)"
                ".concat([document.body.innerText.slice(0, 400)])"
            )
        raise EngineError(
            f"[{self.name} {self.version}] {message}; page says {state}; errors {self.errors}"
        )

    def wait(self, expression: str, timeout: float = 15.0, what: str = ""):
        """Poll a JavaScript expression until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        last_error = ""
        while time.monotonic() < deadline:
            try:
                value = self.js(expression)
                if value:
                    return value
            except Exception as error:  # a navigation in progress
                last_error = str(error)[:200]
            time.sleep(0.1)
        self.fail(f"timed out after {timeout} s waiting for {what or expression} {last_error}")

    def wait_url(self, fragment: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                url, ready = self.js("[location.href, document.readyState]")
                if fragment in url and ready == "complete":
                    return url
            except Exception:
                pass
            time.sleep(0.1)
        self.fail(f"timed out waiting for a URL with {fragment!r}; at {self.url()}")

    def text(self, selector: str) -> str:
        return self.js(f"document.querySelector({json.dumps(selector)}).innerText.trim()")

    def visible(self, selector: str) -> bool:
        return self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " return Boolean(e && e.getClientRects().length && !e.closest('[hidden]')); })()"
        )

    def check(self, selector: str) -> None:
        if not self.js(f"document.querySelector({json.dumps(selector)}).checked"):
            self.click(selector)

    def serious_violations(self) -> list[str]:
        """axe-core, injected into the page, as tests/browser.py runs it in Chromium."""
        if not self.js("typeof window.axe === 'object'"):
            self.js(f"(() => {{ {AXE_SOURCE}\n; return true; }})()")
        self.js(
            "(() => { window.__axe = null; axe.run(document, {resultTypes: ['violations']})"
            ".then((r) => { window.__axe = JSON.stringify(r.violations); }); return true; })()"
        )
        violations = json.loads(self.wait("window.__axe", timeout=30, what="axe-core"))
        return [
            f"{v['id']} ({v['impact']}): {v['help']} {[n['target'] for n in v['nodes']][:5]}"
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]

    def assert_accessible(self) -> None:
        violations = self.serious_violations()
        if violations:
            self.fail("axe-core found:\n" + "\n".join(violations))


class Chromium(Engine):
    name = "chromium"

    def __init__(self, playwright, *, camera: Path | None = None):
        args = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
        if camera:
            args.append(f"--use-file-for-fake-video-capture={camera}")
        self.browser = launch_chromium(playwright, args)
        self.version = self.browser.version
        self.context = self.browser.new_context(
            viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True, locale="fr-FR"
        )
        self.context.grant_permissions(["camera", "microphone"])
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text[:300]))

    def goto(self, url):
        self.page.goto(url)

    def reload(self):
        self.page.reload()

    def url(self):
        return self.page.url

    def js(self, expression):
        return self.page.evaluate(f"async () => ({expression})")

    def click(self, selector):
        self.page.click(selector)

    def fill(self, selector, value):
        self.page.fill(selector, value)

    def select(self, selector, value):
        self.page.select_option(selector, value)

    def upload(self, selector, path):
        self.page.set_input_files(selector, str(path))

    def screenshot(self, path):
        self.page.screenshot(path=str(path), full_page=True)

    def close(self):
        self.browser.close()


class Firefox(Engine):
    name = "firefox"

    def __init__(self):
        self.process = subprocess.Popen(
            ["node", str(HELPER), FIREFOX, str(PHONE["width"]), str(PHONE["height"])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.version = self._call("version")

    def _call(self, command, **args):
        self.process.stdin.write(json.dumps({"command": command, **args}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise EngineError(f"[firefox] the helper stopped during {command}")
        answer = json.loads(line)
        if "error" in answer:
            raise EngineError(f"[firefox] {command} {args}: {answer['error']}")
        return answer["value"]

    def goto(self, url):
        self._call("goto", url=url)

    def reload(self):
        self._call("reload")

    def url(self):
        return self._call("url")

    def js(self, expression):
        return self._call("evaluate", expression=f"(async () => ({expression}))()")

    def click(self, selector):
        self._call("click", selector=selector)

    def fill(self, selector, value):
        self._call("fill", selector=selector, value=value)

    def select(self, selector, value):
        self._call("select", selector=selector, value=value)

    def upload(self, selector, path):
        self._call("upload", selector=selector, path=str(path))

    def screenshot(self, path):
        self._call("screenshot", path=str(path))

    def close(self):
        try:
            self.process.stdin.write(json.dumps({"command": "close"}) + "\n")
            self.process.stdin.close()
            self.process.wait(timeout=10)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            self.process.kill()
            self.process.wait()


class WebKit(Engine):
    name = "webkit"

    def __init__(self, display: int):
        from selenium import webdriver
        from selenium.webdriver.common.by import By
        from selenium.webdriver.webkitgtk.service import Service

        self.by = By
        self.xvfb = subprocess.Popen(
            ["Xvfb", f":{display}", "-screen", "0", "1024x900x24", "-nolisten", "tcp"],
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        options = webdriver.WebKitGTKOptions()
        options.binary_location = MINIBROWSER
        for argument in (
            "--automation",
            "--enable-media-stream=true",
            "--enable-mock-capture-devices=true",
        ):
            options.add_argument(argument)
        service = Service(
            executable_path=WEBKIT_DRIVER,
            env={**os.environ, "DISPLAY": f":{display}"},
            # WEBKIT_LOG=<file> keeps the driver's and the engine's output (GST_DEBUG, ...).
            log_output=os.environ.get("WEBKIT_LOG", subprocess.DEVNULL),
        )
        try:
            self.driver = webdriver.WebKitGTK(options=options, service=service)
        except Exception:
            self.xvfb.terminate()
            raise
        self.version = self.driver.capabilities.get("browserVersion", "")
        self.driver.set_window_size(PHONE["width"], PHONE["height"])
        self.driver.set_script_timeout(60)

    def goto(self, url):
        self.driver.get(url)

    def reload(self):
        self.driver.refresh()

    def url(self):
        return self.driver.current_url

    def js(self, expression):
        result = self.driver.execute_async_script(
            f"const done = arguments[0]; Promise.resolve().then(async () => ({expression}))"
            ".then(done, (e) => done({__error: String(e)}));"
        )
        # A script that threw raises here as in the other engines (a wait keeps polling).
        if isinstance(result, dict) and "__error" in result:
            raise EngineError(f"[{self.name}] {result['__error']}")
        return result

    def _element(self, selector):
        return self.driver.find_element(self.by.CSS_SELECTOR, selector)

    def click(self, selector):
        self._element(selector).click()

    def fill(self, selector, value):
        element = self._element(selector)
        element.clear()
        element.send_keys(value)

    def select(self, selector, value):
        from selenium.webdriver.support.select import Select

        Select(self._element(selector)).select_by_value(value)

    def upload(self, selector, path):
        self._element(selector).send_keys(str(path))

    def screenshot(self, path):
        self.driver.save_screenshot(str(path))

    def close(self):
        try:
            self.driver.quit()
        finally:
            self.xvfb.terminate()
            self.xvfb.wait()


def launch(name: str, *, playwright=None, camera: Path | None = None, display: int = 0) -> Engine:
    if name == "chromium":
        return Chromium(playwright, camera=camera)
    if name == "firefox":
        return Firefox()
    if name == "webkit":
        return WebKit(display)
    raise ValueError(name)


class CuttableProxy:
    """A TCP relay in front of the live server: a slow uplink that the test can cut and restore.

    Any engine goes through it (no engine-specific network emulation): `cut()` drops every
    connection and refuses new ones, as a phone losing its signal while it still thinks it is
    online; `restore()` lets traffic through again.
    """

    def __init__(self, target_port: int, *, upload_bytes_per_second: int):
        import socket
        import threading

        self.socket_module = socket
        self.target_port = target_port
        self.rate = upload_bytes_per_second
        self.open = True
        self.connections: list = []
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import threading

        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = self.socket_module.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.connections += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source, destination, uplink: bool):
        try:
            while True:
                data = source.recv(16 * 1024 if uplink else 256 * 1024)
                if not data:
                    break
                if uplink:
                    time.sleep(len(data) / self.rate)
                if not self.open:
                    break
                destination.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, destination):
                with contextlib.suppress(OSError):
                    end.shutdown(self.socket_module.SHUT_RDWR)
                end.close()

    def cut(self):
        self.open = False
        with self.lock:
            connections, self.connections = self.connections, []
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(self.socket_module.SHUT_RDWR)

    def restore(self):
        self.open = True

    def close(self):
        self.cut()
        self.server.close()
