"""Fixtures for browser tests: headless Chromium through Playwright, and a live server.

Playwright's own browser download is not used: the tests drive the system's Chromium
(Debian's package), found through CHROMIUM_PATH, /usr/bin/chromium or the PATH.
"""

import os
import shutil
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import make_app  # tests/conftest.py, which pytest has put on sys.path
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from clinic.extensions import db

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
NO_CHROMIUM = "no Chromium found: set CHROMIUM_PATH or apt-get install chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def find_chromium() -> str | None:
    """CHROMIUM_PATH when set, else Debian's /usr/bin/chromium, else chromium on the PATH."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if Path(configured).is_file() else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium to drive; missing means skip locally, but fail in CI."""
    found = find_chromium()
    if found is None:
        message = NO_CHROMIUM
        if os.environ.get("CHROMIUM_PATH"):
            message += f" (CHROMIUM_PATH={os.environ['CHROMIUM_PATH']!r} is not a file)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI must run the browser tests", pytrace=False)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One headless Chromium for the whole run; each test gets its own context."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS,
                                              headless=True)
        yield launched
        launched.close()


class BrowserProblems:
    """Console errors and uncaught exceptions from every page of one browser context.

    A Content-Security-Policy violation is reported as a console error, so it lands here too.
    """

    def __init__(self):
        self.messages: list[str] = []

    def on_console(self, message) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            self.messages.append(f"console error: {message.text} ({where})")

    def on_page_error(self, error) -> None:
        self.messages.append(f"uncaught exception: {error.error}")


@pytest.fixture
def browser_problems() -> BrowserProblems:
    """What went wrong in the pages' scripts; tests assert it stays empty."""
    return BrowserProblems()


@pytest.fixture
def context(browser, browser_problems):
    """A fresh browser context (its own cookies), watched for console errors."""
    fresh = browser.new_context(viewport={"width": 1280, "height": 900})
    fresh.set_default_timeout(10_000)
    fresh.on("console", browser_problems.on_console)
    fresh.on("weberror", browser_problems.on_page_error)
    yield fresh
    fresh.close()


@pytest.fixture
def page(context):
    """A tab in the test's browser context."""
    return context.new_page()


class SlowPaths:
    """WSGI middleware that holds requests to some paths for a while, like a slow network."""

    def __init__(self, app, delays: dict[str, float]):
        self.app = app
        self.delays = delays

    def __call__(self, environ, start_response):
        time.sleep(self.delays.get(environ.get("PATH_INFO", ""), 0))
        return self.app(environ, start_response)


@pytest.fixture
def slow_paths() -> dict[str, float]:
    """Seconds the live servers wait before answering a path; a test fills it in as needed."""
    return {}


@pytest.fixture
def live_server_factory(tmp_path, slow_paths):
    """Start a real HTTP server for an app built with make_app; return its base URL.

    Tokens here expire in seconds so a test can watch them run out. Call the factory with
    another access lifetime (seconds or a timedelta), or any config override, as needed.
    """
    servers = []

    def start(access_lifetime: float | timedelta = 4, **overrides) -> str:
        app_dir = tmp_path / f"server-{len(servers)}"
        app_dir.mkdir()
        overrides.setdefault("REFRESH_GRACE_SECONDS", 10)
        app = make_app(app_dir, JWT_ACCESS_TOKEN_EXPIRES=access_lifetime, **overrides)
        server = make_server("127.0.0.1", 0, SlowPaths(app, slow_paths), threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        servers.append((server, thread, app))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread, app in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def live_server(live_server_factory) -> str:
    """The base URL of a live app whose access tokens last 4 seconds."""
    return live_server_factory(4)


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """test-artifacts/screenshots/ at the repository root (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
