"""Lab quoted-token in a real browser: the stored token, the header sent, the server's answer."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

STORAGE_KEY = "jwt-clinic-lab-quoted-token"


def unexpected(problems) -> list[str]:
    """Browser problems other than the 401s this lab's demo provokes on purpose."""
    return [m for m in problems.messages
            if not ("status of 401" in m and "/labs/quoted-token/" in m)]


def open_lab(page, base: str, mode: str) -> None:
    page.goto(f"{base}/labs/quoted-token?mode={mode}")
    expect(page.locator("#demo")).to_have_attribute("data-mode", mode)


def log_in(page) -> None:
    """Press the demo's login button and wait for the GET me it sends afterwards."""
    page.get_by_role("button", name="Log in and call GET me").click()
    expect(page.locator("#demo-answers tbody tr")).to_have_count(1)


def send_variant(page, value: str, rows: int) -> None:
    page.get_by_label("Send the token another way").select_option(value)
    page.get_by_role("button", name="Send this header").click()
    expect(page.locator("#demo-answers tbody tr")).to_have_count(rows)


def newest_row(page):
    row = page.locator("#demo-answers tbody tr").first
    return {"status": row.get_attribute("data-status"), "code": row.get_attribute("data-code"),
            "cells": row.locator("td").all_inner_texts()}


def test_broken_mode_stores_quotes_and_gets_token_malformed(page, live_server, browser_problems,
                                                             screenshot_dir):
    open_lab(page, live_server, "broken")
    log_in(page)
    stored = page.evaluate("key => localStorage.getItem(key)", STORAGE_KEY)
    assert stored.startswith('"eyJ') and stored.endswith('"')
    expect(page.locator("#demo-stored")).to_have_attribute("data-quoted", "true")
    state = page.get_by_role("status")
    expect(state).to_have_attribute("data-state", "failed")
    expect(state).to_contain_text("401 token_malformed")
    row = newest_row(page)
    assert (row["status"], row["code"]) == ("401", "token_malformed")
    header, _, _, detail, message = row["cells"]
    assert header.startswith('Bearer "eyJ')
    assert detail == "Invalid header padding"
    assert "quotes" not in message  # the broken server does not say why

    send_variant(page, "raw", 2)  # the same token without the quotes works here too
    assert newest_row(page)["status"] == "200"
    send_variant(page, "undefined", 3)
    assert newest_row(page)["cells"][3] == "Not enough segments"
    page.screenshot(path=screenshot_dir / "quoted-token-broken.png", full_page=True)
    assert unexpected(browser_problems) == []


def test_fixed_mode_sends_the_raw_token_and_explains_damaged_headers(page, live_server,
                                                                     browser_problems,
                                                                     screenshot_dir):
    open_lab(page, live_server, "fixed")
    log_in(page)
    stored = page.evaluate("key => localStorage.getItem(key)", STORAGE_KEY)
    assert stored.startswith("eyJ") and '"' not in stored
    expect(page.locator("#demo-stored")).to_have_attribute("data-quoted", "false")
    state = page.get_by_role("status")
    expect(state).to_have_attribute("data-state", "logged-in")
    expect(state).to_contain_text("200")
    assert newest_row(page)["cells"][0].startswith("Bearer eyJ")

    # Damaged headers are still refused, and now the server's message names the cause.
    expected = {"stringified": "quotes", "lower-case": "case-insensitive",
                "double-bearer": "twice", "null": "null", "space": "whitespace",
                "no-bearer": 'no "Bearer "'}
    for rows, (variant, cause) in enumerate(expected.items(), start=2):
        send_variant(page, variant, rows)
        row = newest_row(page)
        assert (row["status"], row["code"]) == ("401", "token_malformed"), variant
        assert cause in row["cells"][4], (variant, row)
        assert row["cells"][3] != "-"  # the library's words stay beside the diagnosis
    expect(state).to_have_attribute("data-state", "failed")
    send_variant(page, "stringified", len(expected) + 2)
    page.screenshot(path=screenshot_dir / "quoted-token-fixed.png", full_page=True)
    assert unexpected(browser_problems) == []
