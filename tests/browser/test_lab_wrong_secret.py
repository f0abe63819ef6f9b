"""The wrong-secret lab's live demo in a real browser, broken and fixed."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def unexpected(problems) -> list[str]:
    """Console problems, minus the 401 a failing call is supposed to log."""
    return [m for m in problems.messages if "status of 401" not in m]


def open_lab(page, base: str, mode: str) -> None:
    page.goto(f"{base}/labs/wrong-secret?mode={mode}")
    expect(page.locator(".mode-banner")).to_have_attribute("data-mode", mode)


def test_broken_every_call_fails_and_the_kids_differ(page, live_server, browser_problems,
                                                     screenshot_dir):
    open_lab(page, live_server, "broken")
    page.get_by_role("button", name="1. Log in").click()
    state = page.locator("#demo-state")
    expect(state).to_have_attribute("data-state", "logged-in")
    page.get_by_role("button", name="2. Call the API").click()
    expect(state).to_have_attribute("data-state", "failed")
    expect(state).to_contain_text("401 invalid_signature")
    expect(page.locator("#kid-compare")).to_have_attribute("data-match", "different")
    expect(page.locator("#kid-verdict")).to_have_text("≠")
    issuer = page.locator("#issuer-kid").get_attribute("data-kid")
    verifier = page.locator("#verifier-kid").get_attribute("data-kid")
    assert len(issuer) == len(verifier) == 8 and issuer != verifier

    # Logging in again does not help: the verifier never had the right key.
    page.get_by_role("button", name="1. Log in").click()
    page.get_by_role("button", name="2. Call the API").click()
    expect(state).to_contain_text("invalid_signature")

    page.get_by_role("button", name="Run the start-up check").click()
    table = page.locator("#startup-table")
    expect(table).to_have_attribute("data-state", "done")
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(table.locator("tr[data-settings=missing]")).to_contain_text("(the default key)")
    expect(table.locator("tr[data-settings=configured] td").nth(2)).to_contain_text(
        f"starts with kid {verifier} (the default key)")
    page.screenshot(path=screenshot_dir / "wrong-secret-broken.png", full_page=True)
    assert unexpected(browser_problems) == []


def test_fixed_the_kids_match_and_weak_keys_are_refused(page, live_server, browser_problems,
                                                        screenshot_dir):
    open_lab(page, live_server, "fixed")
    state = page.locator("#demo-state")
    page.get_by_role("button", name="2. Call the API").click()  # not logged in yet
    expect(state).to_contain_text("401 token_missing")
    page.get_by_role("button", name="1. Log in").click()
    expect(state).to_have_attribute("data-state", "logged-in")
    page.get_by_role("button", name="2. Call the API").click()
    expect(state).to_have_attribute("data-state", "ok")
    expect(state).to_contain_text("200 OK")
    expect(page.locator("#kid-compare")).to_have_attribute("data-match", "same")
    expect(page.locator("#kid-verdict")).to_have_text("=")
    assert (page.locator("#issuer-kid").get_attribute("data-kid")
            == page.locator("#verifier-kid").get_attribute("data-kid"))

    page.get_by_role("button", name="Run the start-up check").click()
    table = page.locator("#startup-table")
    expect(table).to_have_attribute("data-state", "done")
    for name, reason in [("missing", "is not set"), ("default", "is a well-known default"),
                         ("short", "is shorter than 32 bytes")]:
        expect(table.locator(f"tr[data-settings={name}]")).to_contain_text(
            f"refuses to start: LAB_JWT_SECRET {reason}")
    expect(table.locator("tr[data-settings=configured]")).not_to_contain_text("refuses")
    page.screenshot(path=screenshot_dir / "wrong-secret-fixed.png", full_page=True)
    assert unexpected(browser_problems) == []
