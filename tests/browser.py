"""Headless Chromium for tests, the axe-core accessibility check, signing in to the admin."""

import os

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without these, Chromium keeps trying to reach Google's services from a closed network.
QUIET_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def launch_chromium(playwright, extra_args: list[str] | None = None):
    """Launch Debian's Chromium (never a downloaded browser) headless."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=QUIET_ARGS + (extra_args or [])
    )


def serious_violations(page) -> list[str]:
    """Run axe-core in the page; describe each serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [node["target"] for node in violation["nodes"]][:5]
            found.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} {targets}"
            )
    return found


def assert_accessible(page) -> None:
    violations = serious_violations(page)
    assert violations == [], "axe-core found:\n" + "\n".join(violations)


def admin_sign_in(page, base_url: str, username: str, password: str) -> None:
    """Sign in to the admin through its login form, as staff do, and land on its index."""
    page.goto(base_url + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(base_url + "/admin/")
