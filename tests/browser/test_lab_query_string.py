"""Lab query-string in a real browser: the address bar, a real Referer, and the captures."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def unexpected(problems) -> list[str]:
    """Browser problems other than the 4xx answers this lab's demo provokes on purpose.

    The partner site is a plain-text page, so Chromium asks its origin for /favicon.ico.
    """
    return [m for m in problems.messages if not ("Failed to load resource" in m and (
        "/labs/query-string/" in m or m.endswith("/favicon.ico)")))]


def open_lab(page, base: str, mode: str) -> None:
    page.goto(f"{base}/labs/query-string?mode={mode}")
    expect(page.locator("#demo")).to_have_attribute("data-mode", mode)


def log_in(page) -> None:
    page.get_by_role("button", name="1. Log in and load the profile").click()
    expect(page.get_by_role("status")).to_have_attribute("data-state", "logged-in")


def visit_partner(page) -> str:
    """Follow the page's link to the partner site; return what that other origin received."""
    link = page.get_by_role("link", name="2. Open the partner site")
    expect(link).to_be_visible()
    assert urlsplit(link.get_attribute("href")).hostname == "localhost"  # another origin
    with page.context.expect_page() as opened:
        link.click()
    partner = opened.value
    partner.wait_for_load_state()
    received = partner.locator("body").inner_text()
    partner.close()
    return received


def show_captures(page) -> None:
    page.get_by_role("button", name="3. See where the token ended up").click()
    expect(page.locator("#demo-leak")).not_to_have_attribute("data-state", "idle")


def test_broken_mode_leaks_the_token_into_log_history_and_referer(page, live_server,
                                                                  browser_problems,
                                                                  screenshot_dir):
    open_lab(page, live_server, "broken")
    log_in(page)
    expect(page.get_by_role("status")).to_contain_text("query string (?jwt=)")
    assert "jwt=eyJ" in page.url  # the address bar now carries the token
    token = page.url.split("jwt=", 1)[1]

    received = visit_partner(page)
    assert f"jwt={token}" in received  # a real Referer, sent by Chromium to another origin

    show_captures(page)
    expect(page.locator("#demo")).to_have_attribute("data-leaked", "true")
    for name in ("access-log", "history", "referers"):
        expect(page.locator(f"#capture-{name}")).to_have_attribute("data-leaked", "true")
    expect(page.locator("#demo-leak")).to_contain_text("token_leaked")
    expect(page.locator("#capture-access-log")).to_contain_text(
        "GET /labs/query-string/broken/profile?jwt=eyJ")
    page.screenshot(path=screenshot_dir / "query-string-broken.png", full_page=True)
    assert unexpected(browser_problems) == []


def test_fixed_mode_keeps_the_token_out_of_urls(page, live_server, browser_problems,
                                                screenshot_dir):
    open_lab(page, live_server, "fixed")
    log_in(page)
    expect(page.get_by_role("status")).to_contain_text("Authorization header")
    assert "jwt=" not in page.url

    received = visit_partner(page)
    assert "(none)" in received and "eyJ" not in received  # same-origin policy: no Referer

    show_captures(page)
    expect(page.locator("#demo")).to_have_attribute("data-leaked", "false")
    expect(page.locator("#demo-leak")).to_contain_text("No token")

    # An old client that still puts the token in the URL is refused, and the log is scrubbed.
    page.get_by_role("button", name="Send the token in the URL anyway").click()
    state = page.get_by_role("status")
    expect(state).to_have_attribute("data-state", "failed")
    expect(state).to_contain_text("400 token_in_query_string")
    expect(page.locator("#capture-access-log li").last).to_contain_text("jwt=[removed]")
    expect(page.locator("#demo")).to_have_attribute("data-leaked", "false")
    for name in ("access-log", "history", "referers"):
        expect(page.locator(f"#capture-{name}")).to_have_attribute("data-leaked", "false")
    page.screenshot(path=screenshot_dir / "query-string-fixed.png", full_page=True)
    assert unexpected(browser_problems) == []
