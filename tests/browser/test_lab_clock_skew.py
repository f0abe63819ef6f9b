"""The clock-skew lab's live demo in a real browser: the slider, the timeline, both modes."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def unexpected(problems) -> list[str]:
    """Console problems, minus the 401s a failing call is supposed to log."""
    return [m for m in problems.messages if "status of 401" not in m]


def open_lab(page, base: str, mode: str) -> None:
    page.goto(f"{base}/labs/clock-skew?mode={mode}")
    expect(page.locator(".mode-banner")).to_have_attribute("data-mode", mode)


def slider_key(page, key: str) -> None:
    """Press a key on the slider, the way a keyboard user moves it."""
    page.get_by_label("Verifier's clock offset (seconds)").focus()
    page.keyboard.press(key)


def set_skew(page, seconds: int) -> None:
    """Move the slider to `seconds` with the keyboard only: Home, then arrow keys."""
    slider_key(page, "Home")  # the minimum
    for _ in range(seconds - int(page.locator("#skew").input_value())):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#skew-value")).to_have_attribute("data-skew", str(seconds))


def verifier_x(page) -> float:
    transform = page.locator("#tl-verifier").get_attribute("transform")
    return float(re.match(r"translate\(([-\d.]+) 0\)", transform).group(1))


def test_slider_moves_the_verifiers_clock_on_the_timeline(page, live_server, browser_problems):
    open_lab(page, live_server, "broken")
    slider = page.get_by_label("Verifier's clock offset (seconds)")
    assert slider.get_attribute("type") == "range"
    assert verifier_x(page) == 400
    set_skew(page, -118)
    assert verifier_x(page) < 120
    expect(page.locator("#timeline-verdict")).to_have_attribute("data-verdict", "not-yet-valid")
    expect(page.locator("#skew-value")).to_have_text("118 s behind")
    slider_key(page, "End")
    expect(page.locator("#skew-value")).to_have_text("120 s ahead")
    expect(page.locator("#tl-verifier")).to_have_attribute("data-verdict", "expired")
    assert slider.get_attribute("aria-valuetext") == "verifier clock 120 s ahead"
    assert unexpected(browser_problems) == []


def test_broken_a_fresh_token_fails_both_ways(page, live_server, browser_problems,
                                              screenshot_dir):
    open_lab(page, live_server, "broken")
    state = page.locator("#demo-state")
    page.get_by_role("button", name="1. Log in").click()
    expect(state).to_have_attribute("data-state", "logged-in")

    set_skew(page, -110)  # Home lands at -120; a few steps right
    page.get_by_role("button", name="2. Call the API").click()
    expect(state).to_have_attribute("data-state", "failed")
    expect(state).to_contain_text("401 token_not_yet_valid")
    expect(state).to_contain_text("The token is not yet valid (iat)")

    slider_key(page, "End")  # +120 s: further ahead than the token's whole minute
    page.get_by_role("button", name="2. Call the API").click()
    expect(state).to_contain_text("401 token_expired")
    expect(page.locator("#timeline-verdict")).to_have_attribute("data-verdict", "expired")
    expect(page.locator("#skew-report")).to_have_attribute("data-off", "none")
    expect(page.locator("#skew-report")).to_contain_text("no skew detector")
    page.screenshot(path=screenshot_dir / "clock-skew-broken.png", full_page=True)
    assert unexpected(browser_problems) == []


def test_fixed_leeway_absorbs_small_skew_and_the_detector_names_the_clock(
        page, live_server, browser_problems, screenshot_dir):
    open_lab(page, live_server, "fixed")
    state = page.locator("#demo-state")
    report = page.locator("#skew-report")
    page.get_by_role("button", name="1. Log in").click()
    expect(state).to_have_attribute("data-state", "logged-in")

    set_skew(page, -20)
    page.get_by_role("button", name="2. Call the API").click()
    expect(state).to_have_attribute("data-state", "ok")
    expect(state).to_contain_text("20 s behind")
    expect(report).to_have_attribute("data-off", "verifier")
    expect(report).to_contain_text(
        re.compile(r"verifier's clock is (19|20|21) s behind the other two"))

    # Far beyond the leeway it still fails, but the detector says which clock to fix.
    slider_key(page, "End")
    page.get_by_role("button", name="2. Call the API").click()
    expect(state).to_contain_text("401 token_expired")
    expect(report).to_contain_text(re.compile(r"verifier's clock is (119|120|121) s ahead"))

    set_skew(page, 0)
    page.get_by_role("button", name="2. Call the API").click()
    expect(state).to_have_attribute("data-state", "ok")
    expect(report).to_have_attribute("data-off", "none")
    expect(report).to_contain_text("The clocks agree")

    set_skew(page, -20)  # the picture to keep: skew within the leeway, accepted
    page.get_by_role("button", name="2. Call the API").click()
    expect(report).to_have_attribute("data-off", "verifier")
    page.screenshot(path=screenshot_dir / "clock-skew-fixed.png", full_page=True)
    assert unexpected(browser_problems) == []
