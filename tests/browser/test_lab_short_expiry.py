"""The short-expiry lab's live demo in Chromium: logged out when broken, kept in when fixed."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_broken_demo_logs_the_learner_out(page, live_server, screenshot_dir, browser_problems):
    page.goto(f"{live_server}/labs/short-expiry?mode=broken")
    page.get_by_role("button", name="Start the demo").click()
    state = page.locator("#demo-state")
    expect(state).to_have_attribute("data-state", "logged-in")
    expect(state).to_have_attribute("data-state", "logged-out", timeout=12_000)
    expect(state).to_contain_text("Logged out (token_expired)")
    assert page.locator("#demo-timeline .event-expired").count() == 1
    assert page.locator("#demo-timeline .event-refresh").count() == 0
    page.screenshot(path=str(screenshot_dir / "short-expiry-broken.png"), full_page=True)
    # The lab's own 401s show as console errors; anything else would be a real problem.
    assert [m for m in browser_problems.messages if "401" not in m] == []


def test_fixed_demo_stays_logged_in_across_two_expiries(page, live_server, screenshot_dir,
                                                       browser_problems):
    page.goto(f"{live_server}/labs/short-expiry?mode=fixed")
    page.get_by_role("button", name="Start the demo").click()
    demo = page.locator("#demo")
    page.wait_for_function("() => Number(document.getElementById('demo').dataset.refreshes || 0) >= 2",
                           timeout=16_000)
    state = page.locator("#demo-state")
    assert state.get_attribute("data-state") in ("logged-in", "done")
    assert int(demo.get_attribute("data-expiries")) >= 2
    expect(state).to_have_attribute("data-state", "done", timeout=12_000)
    expect(state).to_contain_text("Still logged in")
    assert page.locator("#demo-timeline .event-refresh").count() >= 2
    page.screenshot(path=str(screenshot_dir / "short-expiry-fixed.png"), full_page=True)
    assert [m for m in browser_problems.messages if "401" not in m] == []
