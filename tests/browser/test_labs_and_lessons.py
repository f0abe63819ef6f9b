"""Browser checks that span every lab and the lessons: keyboard, no JavaScript, axe, a walk."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from clinic.labs import LABS

pytestmark = pytest.mark.browser
SLUGS = [lab.slug for lab in LABS]


def tab_to(page, text: str, limit: int = 60) -> None:
    """Press Tab until the focused element's text is `text`, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == text:
            return
    raise AssertionError(f"could not reach {text!r} with the keyboard")


@pytest.mark.parametrize("slug", SLUGS)
def test_modes_switch_by_keyboard_alone(page, live_server, slug, browser_problems):
    page.goto(f"{live_server}/labs/{slug}")
    assert page.locator(".mode-switch [aria-current=page]").inner_text() == "Broken"
    tab_to(page, "Fixed")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/labs/{slug}?mode=fixed")
    assert page.locator(".mode-switch [aria-current=page]").inner_text() == "Fixed"
    assert page.locator(".mode-banner").get_attribute("data-mode") == "fixed"
    # The choice is remembered: the plain address now opens in fixed mode.
    page.goto(f"{live_server}/labs/{slug}")
    assert page.locator(".mode-banner").get_attribute("data-mode") == "fixed"
    assert browser_problems.messages == []


@pytest.fixture
def no_js_page(browser):
    """A tab with JavaScript turned off."""
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("slug", SLUGS)
def test_lab_pages_read_without_javascript(no_js_page, live_server, slug, screenshot_dir):
    for mode, outcome in (("broken", "failed"), ("fixed", "ok")):
        no_js_page.goto(f"{live_server}/labs/{slug}?mode={mode}")
        assert no_js_page.locator(".outcome strong").inner_text() == outcome
        assert no_js_page.locator(".steps > li").count() >= 2
        assert no_js_page.locator(".diagnosis").is_visible()
        assert no_js_page.locator("#differences .side").count() >= 2
        assert no_js_page.locator("#live-demo noscript").count() == 1
    no_js_page.screenshot(path=str(screenshot_dir / f"{slug}-no-javascript.png"), full_page=True)


def assert_no_axe_violations(page) -> None:
    results = Axe().run(page)
    problems = [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
                f"{[n['target'] for n in v['nodes']][:3]})" for v in results.response["violations"]]
    assert problems == []


@pytest.mark.parametrize("path", ["/lessons", "/lessons/short-expiry", "/labs/short-expiry",
                                  "/labs/clock-skew?mode=fixed", "/login", "/"])
def test_no_accessibility_violations(page, live_server, path):
    page.goto(f"{live_server}{path}")
    assert_no_axe_violations(page)


def test_walk_from_the_lessons_to_a_lab_and_back(page, live_server, screenshot_dir):
    page.goto(f"{live_server}/lessons")
    page.get_by_role("link", name="Tokens that expire too fast").click()
    page.wait_for_url("**/lessons/short-expiry")
    page.screenshot(path=str(screenshot_dir / "lesson-short-expiry.png"), full_page=True)
    page.get_by_role("link", name="Open the lab: Tokens that expire too fast").click()
    page.wait_for_url("**/labs/short-expiry")
    assert page.locator("h1").inner_text() == "Tokens that expire too fast"
    page.get_by_role("link", name="Read the lesson: why this happens").click()
    page.wait_for_url("**/lessons/short-expiry")
    page.get_by_role("link", name="How JWT login works here").first.click()
    page.wait_for_url("**/lessons/how-it-works")


def test_presenter_view_uses_large_type(page, live_server, screenshot_dir):
    page.goto(f"{live_server}/lessons/how-it-works")
    normal = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.lesson')).fontSize)")
    page.get_by_role("link", name="Presenter view").click()
    page.wait_for_url("**/lessons/how-it-works?view=presenter")
    page.wait_for_selector("body.presenter")
    large = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.lesson')).fontSize)")
    assert large >= normal * 1.4
    page.screenshot(path=str(screenshot_dir / "lesson-presenter.png"))


def test_lessons_read_well_in_a_narrow_window(browser, live_server, screenshot_dir):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/lessons/how-it-works")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot(path=str(screenshot_dir / "lesson-narrow.png"))
    context.close()
    assert overflow <= 0
