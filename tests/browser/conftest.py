"""End-to-end tests in a real browser: Playwright driving Debian's chromium (headless).

One browser for the whole `tests/browser` package; a fresh context (cookies, JavaScript on or
off) and page per test. The dashboard and the sandbox are both served by `live_server`.

Every page is checked for console errors and Content-Security-Policy violations: the journeys
run with the strict CSP enforced, so a violation is a real bug of our templates. Each journey
saves a screenshot under `test-output/screenshots/`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from chorusweb import lifecycle as lc
from chorusweb.models import SyncRun

CHROMIUM = os.environ.get("CHORUSWEB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--lang=fr-FR",  # French date inputs where the chromium-l10n package is installed
]
OUTPUT = Path(settings.BASE_DIR) / "test-output"
SCREENSHOTS = OUTPUT / "screenshots"
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
PAGE_SIZE = 10  # small pages, so that paging and "select across pages" need only the small seed
TIMEOUT_MS = 10_000
# Assertions wait as long as actions do: a loaded CI machine (two suites, a browser and a
# live server on two cores) can take a few seconds for a round trip.
expect.set_options(timeout=TIMEOUT_MS)

ACCOUNTANT = ("comptable", "chorusweb-demo")
VALIDATOR = ("valideur", "chorusweb-demo")

# Expected failures leave a console line from the browser itself ("Failed to load resource:
# the server responded with a status of 422"): the pages show them, they are not script errors.
EXPECTED_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of (409|422|502|503|504)")


@pytest.fixture(scope="package")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"chromium is missing at {CHROMIUM}: install it with `sudo apt-get install chromium` "
            "(or run `make test` as root, which installs it).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls made by the
    # tests (fixtures, assertions) are still synchronous, so Django's guard is lifted here only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def demo(live_server, sandbox_seed, settings, monkeypatch):
    """The demo users and connection on the sandbox, both workspaces synchronised."""
    from django.contrib.staticfiles.handlers import StaticFilesHandlerMixin
    from django.core.cache import cache

    # live_server serves /static/ from the finders (source names); the pages ask for the hashed
    # names of the production storage: let whitenoise serve them from STATIC_ROOT, as in production.
    monkeypatch.setattr(StaticFilesHandlerMixin, "_should_handle", lambda self, path: False)

    from chorusweb.demo import load_demo
    from invoices import services as invoice_services
    from validators import services as validator_services

    cache.clear()
    settings.FACTPULSE_RETRY_BACKOFF = 0.01
    settings.FACTPULSE_MAX_RETRIES = 1
    settings.FACTPULSE_READ_TIMEOUT = 10.0
    settings.CHORUSWEB_PAGE_SIZE = PAGE_SIZE
    connection = load_demo(api_base_url=f"{live_server.url}/sandbox")
    assert invoice_services.sync_received(connection=connection).state == SyncRun.State.SUCCEEDED
    run = validator_services.sync_validation(connection=connection)
    assert run.state == SyncRun.State.SUCCEEDED, run.error
    return connection


class ConsoleWatch:
    """Console errors, uncaught exceptions and CSP violations seen by a page."""

    def __init__(self):
        self.problems: list[str] = []
        self.allowed: list[re.Pattern] = [EXPECTED_CONSOLE]

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def on_console(self, message) -> None:
        if message.type not in ("error", "warning"):
            return
        text = message.text
        if "Content-Security-Policy" in text or "Content Security Policy" in text:
            self.problems.append(f"CSP: {text}")
        elif message.type == "error" and not any(p.search(text) for p in self.allowed):
            self.problems.append(f"console: {text}")

    def on_page_error(self, error) -> None:
        self.problems.append(f"page error: {error}")


def _new_page(browser, live_server, watch: ConsoleWatch, **options):
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
        **options,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", watch.on_console)
    page.on("pageerror", watch.on_page_error)
    # A CSP violation also raises a DOM event: record it even when the console says nothing.
    if options.get("java_script_enabled", True):
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => "
            "console.error('Content-Security-Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
        )
    return context, page


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture
def page(browser, live_server, demo, console):
    """A page with JavaScript and the strict CSP; fails the test on any console error."""
    context, page = _new_page(browser, live_server, console)
    yield page
    context.close()
    assert not console.problems, "\n".join(console.problems)


@pytest.fixture
def nojs_page(browser, live_server, demo, console):
    """A page with JavaScript disabled: plain links, forms and page loads only."""
    context, page = _new_page(browser, live_server, console, java_script_enabled=False)
    yield page
    context.close()
    assert not console.problems, "\n".join(console.problems)


@pytest.fixture
def axe_page(browser, live_server, demo, console):
    """A page for axe-core runs: the CSP is bypassed so that the checker can be injected."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci` (or `make test`).", pytrace=False)
    context, page = _new_page(browser, live_server, console, bypass_csp=True)
    yield page
    context.close()
    assert not console.problems, "\n".join(console.problems)


def login(page, credentials: tuple[str, str], next_url: str = "/") -> None:
    username, password = credentials
    page.goto(f"/connexion/?next={next_url}")
    page.get_by_label("Nom d’utilisateur").or_(page.locator("#id_username")).first.fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion/" not in url)


def screenshot(page, journey: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{journey}.png"
    page.evaluate("() => window.scrollTo(0, 0)")  # sticky regions where they are at the top
    page.screenshot(path=str(path), full_page=True)
    return path


def settle(page) -> None:
    """Wait until htmx has no request in flight and the network is idle."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def received(status: str = lc.MISE_A_DISPOSITION):
    from invoices.models import ReceivedInvoice

    return ReceivedInvoice.objects.filter(status=status).order_by("pk")
