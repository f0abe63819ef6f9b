"""The reference login in a real browser: forms, silent refresh, two tabs, resume, logout."""

import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
ACCESS_SECONDS = 4  # the live_server fixture's access token lifetime
# Long enough to slow a refresh down so that a second tab notices the same expiry while the
# first tab's refresh is still on its way (the tabs' clocks may disagree by up to ~1.5 s).
SLOW_REFRESH_SECONDS = 2.5
# Room for a token to run out, a slow refresh, and the page to catch up.
REFRESH_TIMEOUT_MS = int((ACCESS_SECONDS + SLOW_REFRESH_SECONDS + 8) * 1000)


def path_of(url: str) -> str:
    return urlsplit(url).path


def register_and_log_in(page, base: str, username: str) -> None:
    """Create an account through /register, then log in through /login."""
    page.goto(f"{base}/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(f"{base}/login")
    expect(page.locator(".flash-success")).to_contain_text("Your account is ready")

    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/dashboard")
    wait_for_dashboard(page)


def wait_for_dashboard(page) -> None:
    """The dashboard's script has started (it marks the body when it is ready)."""
    page.wait_for_function("document.body.dataset.dashboardReady === 'true'")


def access_end(page) -> int:
    """The access token's exp as the dashboard's panel shows it."""
    return int(page.locator(".countdown[data-kind=access]").get_attribute("data-end"))


def refresh_count(page) -> int:
    """How many silent refreshes the dashboard's script has reported."""
    return page.evaluate("Number(document.body.dataset.refreshes || 0)")


def wait_for_refresh_count_above(page, count: int) -> None:
    page.wait_for_function("n => Number(document.body.dataset.refreshes || 0) > n",
                           arg=count, timeout=REFRESH_TIMEOUT_MS)


def wait_for_access_token_after(page, old_exp: int) -> None:
    """Wait until the panel shows an access token that expires after `old_exp`."""
    page.wait_for_function(
        "old => Number(document.querySelector('.countdown[data-kind=access]')?.dataset.end) > old",
        arg=old_exp, timeout=REFRESH_TIMEOUT_MS)


def history_rows(page):
    return page.locator("table.history tbody tr")


def decoded_payload(page) -> dict:
    """The access token's claims as the dashboard prints them."""
    payload = page.locator(".two-col > div", has=page.get_by_role("heading", name="Payload"))
    return json.loads(payload.locator("code").inner_text())


def api_me(page) -> dict:
    """GET /api/me from inside the page, with the browser's own cookies."""
    return page.evaluate("""async () => {
        const response = await fetch('/api/me', {credentials: 'same-origin'});
        return {status: response.status, body: await response.json()};
    }""")


def refresh_posts(context) -> list:
    """A list that fills with every POST /api/auth/refresh any tab of `context` sends."""
    sent = []
    context.on("request", lambda request: request.method == "POST"
               and path_of(request.url) == "/api/auth/refresh" and sent.append(request))
    return sent


def open_second_tab(context, base: str, first):
    """Open /dashboard in another tab of the same context; both must show the same token."""
    second = context.new_page()
    second.goto(f"{base}/dashboard")
    wait_for_dashboard(second)
    assert access_end(second) == access_end(first)
    return second


def assert_signed_in(tab, username: str, after_exp: int) -> None:
    """The tab is on the dashboard and its cookies still open /api/me with a newer token."""
    assert path_of(tab.url) == "/dashboard"
    me = api_me(tab)
    assert me["status"] == 200, me
    assert me["body"]["user"]["username"] == username
    assert me["body"]["token"]["exp"] > after_exp


def test_login_refresh_two_tabs_and_logout(context, page, live_server, slow_paths,
                                           browser_problems, screenshot_dir):
    """Register, log in, refresh silently, refresh from two tabs at once, log out."""
    base = live_server
    register_and_log_in(page, base, "alice")

    # The dashboard shows who is signed in and the decoded access token.
    expect(page.get_by_role("heading", name="Your session")).to_be_visible()
    expect(page.locator("#session-status")).to_contain_text("Signed in as alice")
    claims = decoded_payload(page)
    assert claims["type"] == "access"
    assert isinstance(claims["sub"], str) and claims["gen"] == 0
    assert claims["exp"] - claims["iat"] == ACCESS_SECONDS
    assert access_end(page) == claims["exp"]
    expect(history_rows(page)).to_have_count(1)
    expect(history_rows(page).first.locator("time").first).to_have_attribute(
        "datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))  # the script switched it to local time
    page.screenshot(path=screenshot_dir / "dashboard-after-login.png", full_page=True)

    # The access token runs out; the page refreshes by itself and stays where it is.
    refreshes_before = refresh_count(page)
    wait_for_refresh_count_above(page, refreshes_before)
    assert path_of(page.url) == "/dashboard"
    expect(page.locator("#session-status")).to_contain_text("refreshed silently")
    expect(page.locator("#session-status strong")).to_have_text("alice")
    expect(history_rows(page)).to_have_count(2)
    expect(history_rows(page).nth(0)).to_contain_text("rotated")
    expect(history_rows(page).nth(1)).to_contain_text("current")
    wait_for_access_token_after(page, claims["exp"])
    assert decoded_payload(page)["gen"] == 1
    page.screenshot(path=screenshot_dir / "dashboard-after-refresh.png", full_page=True)

    # A second tab shares the cookies, so both tabs see the same token expire. The refresh is
    # slowed down so that the second tab notices the expiry while the first one's refresh is
    # still on its way: the second tab must wait for it (Web Locks) and use its cookies.
    second = open_second_tab(context, base, page)
    shared_exp = access_end(page)
    rows_before = history_rows(page).count()
    counts_before = [refresh_count(page), refresh_count(second)]
    posts = refresh_posts(context)
    slow_paths["/api/auth/refresh"] = SLOW_REFRESH_SECONDS

    for tab, before in zip((page, second), counts_before, strict=True):
        wait_for_refresh_count_above(tab, before)
        wait_for_access_token_after(tab, shared_exp)
    for tab in (page, second):
        assert_signed_in(tab, "alice", shared_exp)
    assert len(posts) == 1, "the tabs should share one refresh, not send one each"
    # One rotation for both tabs: no second branch of the refresh family.
    expect(history_rows(page)).to_have_count(rows_before + 1)
    expect(history_rows(second)).to_have_count(rows_before + 1)
    second.screenshot(path=screenshot_dir / "dashboard-second-tab.png", full_page=True)
    del slow_paths["/api/auth/refresh"]

    # Log out with the dashboard's button; the other tab follows.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{base}/login?reason=logged_out")
    expect(page.locator(".notice[data-reason=logged_out]")).to_have_text("You have logged out.")
    second.wait_for_url(lambda url: path_of(url) == "/login")
    assert not [c for c in context.cookies() if c["name"] == "access_token_cookie"]

    # The dashboard is closed now.
    page.goto(f"{base}/dashboard")
    assert path_of(page.url) == "/login"
    assert parse_qs(urlsplit(page.url).query)["next"] == ["/dashboard"]
    expect(page.get_by_role("button", name="Log in")).to_be_visible()

    assert browser_problems.messages == []


def test_two_tabs_without_web_locks_stay_signed_in(context, page, live_server, slow_paths,
                                                   browser_problems):
    """Both tabs send the same refresh token; the server's grace window keeps both signed in."""
    # A browser without Web Locks: nothing stops the tabs from refreshing at the same time.
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'locks', {get: () => undefined});")
    base = live_server
    register_and_log_in(page, base, "carol")
    assert page.evaluate("navigator.locks") is None
    second = open_second_tab(context, base, page)
    shared_exp = access_end(page)
    posts = refresh_posts(context)
    slow_paths["/api/auth/refresh"] = SLOW_REFRESH_SECONDS

    for tab in (page, second):
        wait_for_refresh_count_above(tab, 0)
        wait_for_access_token_after(tab, shared_exp)
    assert len(posts) == 2, "each tab should have sent the same refresh token"
    assert [post.response().status for post in posts] == [200, 200]
    for tab in (page, second):
        assert_signed_in(tab, "carol", shared_exp)
        expect(history_rows(tab)).to_have_count(2)  # the late request got no branch of its own

    assert browser_problems.messages == []


def test_expired_access_token_resumes_without_the_login_form(context, page, live_server,
                                                             browser_problems, screenshot_dir):
    """Loading /dashboard with an expired access token refreshes via /resume, never /login."""
    base = live_server
    register_and_log_in(page, base, "bob")
    page.goto(f"{base}/")  # leave the dashboard, whose script would refresh by itself

    me = context.request.get(f"{base}/api/me")
    assert me.status == 200
    old_exp = me.json()["token"]["exp"]
    time.sleep(max(old_exp - time.time(), 0))  # until the access token's exp, no longer
    deadline = time.monotonic() + 5
    while (me := context.request.get(f"{base}/api/me")).status == 200:
        assert time.monotonic() < deadline, "the access token did not expire"
        time.sleep(0.1)
    assert me.json()["error"] == "token_expired"

    documents, shown = [], []
    page.on("request", lambda r: r.resource_type == "document" and documents.append(r.url))
    page.on("framenavigated",
            lambda frame: frame == page.main_frame and shown.append(path_of(frame.url)))
    page.goto(f"{base}/dashboard")
    page.wait_for_url(f"{base}/dashboard")
    wait_for_dashboard(page)

    assert shown == ["/resume", "/dashboard"]
    assert "/login" not in [path_of(url) for url in documents]
    expect(page.locator("#session-status")).to_contain_text("Signed in as bob")
    assert access_end(page) > old_exp
    expect(history_rows(page)).to_have_count(2)
    assert api_me(page)["status"] == 200
    page.screenshot(path=screenshot_dir / "dashboard-after-resume.png", full_page=True)

    assert browser_problems.messages == []


def test_a_failing_refresh_server_does_not_log_anyone_out(context, page, live_server,
                                                         browser_problems):
    """A 503 from /refresh is passing trouble: the dashboard says so and tries again."""
    register_and_log_in(page, live_server, "carol")
    failures = []

    def unavailable(route):
        failures.append(route.request.url)
        route.fulfill(status=503, content_type="application/json",
                      body='{"error": "internal_error", "message": "down for a moment"}')

    page.route("**/api/auth/refresh", unavailable)
    expect(page.locator("#session-status")).to_contain_text("Could not refresh the session",
                                                            timeout=REFRESH_TIMEOUT_MS)
    assert path_of(page.url) == "/dashboard"
    assert failures
    page.unroute("**/api/auth/refresh")
    wait_for_refresh_count_above(page, 0)
    assert path_of(page.url) == "/dashboard"
    # Chromium reports the deliberate 503s as console errors; nothing else may appear.
    assert [m for m in browser_problems.messages if "503" not in m] == []
