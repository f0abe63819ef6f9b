"""The lab framework: registry, pages, scenario JSON, modes, reset, CLI, and isolation."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clinic.labs import LABS

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_ERRORS = {
    "short-expiry": {"token_expired"},
    "wrong-secret": {"invalid_signature"},
    "clock-skew": {"token_expired", "token_not_yet_valid"},
    "query-string": {"token_missing", "token_leaked"},
    "quoted-token": {"token_malformed"},
}
SLUGS = [lab.slug for lab in LABS]


def test_every_lab_has_its_module_template_test_and_lesson():
    for lab in LABS:
        name = lab.slug.replace("-", "_")
        assert (ROOT / "clinic" / "labs" / f"{name}.py").exists()
        assert (ROOT / "templates" / "labs" / f"{lab.slug}.html").exists()
        assert (ROOT / "tests" / f"test_lab_{name}.py").exists()
        assert (ROOT / "static" / "js" / "labs" / f"{lab.slug}.js").exists()


@pytest.mark.parametrize("slug", SLUGS)
def test_broken_scenario_fails_with_the_contract_error(client, slug):
    body = client.get(f"/labs/{slug}/scenario?mode=broken").json
    assert body["lab"] == slug and body["mode"] == "broken"
    assert body["outcome"] == "failed"
    assert body["error"] in EXPECTED_ERRORS[slug]
    assert body["diagnosis"]
    assert body["steps"] and all({"title", "request", "response", "note"} <= set(s) for s in body["steps"])
    for step in body["steps"]:
        assert {"method", "path", "headers"} <= set(step["request"])
        assert {"status", "body"} <= set(step["response"])


@pytest.mark.parametrize("slug", SLUGS)
def test_fixed_scenario_ends_ok(client, slug):
    body = client.get(f"/labs/{slug}/scenario?mode=fixed").json
    assert (body["outcome"], body["error"], body["mode"]) == ("ok", None, "fixed")
    assert body["steps"][-1]["response"]["status"] < 400


@pytest.mark.parametrize("slug", SLUGS)
def test_scenario_without_mode_follows_the_browsers_choice(client, slug):
    assert client.get(f"/labs/{slug}/scenario").json["mode"] == "broken"
    client.get(f"/labs/{slug}?mode=fixed")
    assert client.get(f"/labs/{slug}/scenario").json["mode"] == "fixed"
    assert client.get("/labs").data.decode().count("mode-fixed") >= 1


def test_scenario_bad_mode_and_unknown_lab(client):
    bad = client.get(f"/labs/{SLUGS[0]}/scenario?mode=sideways")
    assert (bad.status_code, bad.json["error"]) == (400, "invalid_input")
    assert client.get("/labs/no-such-lab/scenario").status_code == 404
    assert client.get("/labs/no-such-lab").status_code == 404


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("mode", ["broken", "fixed"])
def test_lab_page_renders_everything_without_javascript(client, slug, mode):
    page = client.get(f"/labs/{slug}?mode={mode}").data.decode()
    lab = next(lab for lab in LABS if lab.slug == slug)
    assert lab.symptom.replace("'", "&#39;") in page
    assert 'id="live-demo"' in page and "<noscript>" in page
    assert 'id="replay"' in page and "Diagnosis:" in page
    assert 'id="differences"' in page and 'class="highlight"' in page
    assert f'href="/lessons/{slug}"' in page
    assert f'aria-current="page">{mode.capitalize()}</a>' in page
    assert "<script>" not in page  # scripts come from files only (CSP)


def test_reset_forgets_the_mode_and_lab_cookies_and_keeps_the_real_login(client, auth):
    import re

    auth.signup("alice")
    client.post("/labs/short-expiry/fixed/login")
    assert client.get_cookie("lab_short_expiry_access", path="/labs/short-expiry/")
    page = client.get("/labs/short-expiry?mode=fixed").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/labs/short-expiry/reset", data={"csrf_token": token})
    assert response.status_code == 302
    cleared = [c.split("=")[0] for c in response.headers.getlist("Set-Cookie")]
    assert {"lab_mode_short_expiry", "lab_short_expiry_access", "lab_short_expiry_refresh"} \
        <= set(cleared)
    assert not any(name.endswith(("token_cookie", "csrf_access_token", "csrf_refresh_token"))
                   for name in cleared)
    assert client.get("/labs/short-expiry/scenario").json["mode"] == "broken"
    assert client.get_cookie("lab_short_expiry_access", path="/labs/short-expiry/") is None
    assert client.get("/api/me").status_code == 200  # the real login is untouched


def test_the_lab_clock_header_means_nothing_to_the_real_login(auth):
    auth.signup("alice")
    far_future = auth.client.get("/api/me", headers={"X-Lab-Clock-Offset": "86400"})
    assert far_future.status_code == 200


def test_the_lab_clock_is_clamped_to_a_day(app):
    from clinic.labs.base import lab_now

    for offset, bound in (("9999999999", 86_400), ("-9999999999", -86_400), ("soon", 0)):
        with app.test_request_context(headers={"X-Lab-Clock-Offset": offset}):
            import time

            assert abs(lab_now() - (int(time.time()) + bound)) <= 1


@pytest.mark.parametrize("slug", SLUGS)
def test_cli_runs_each_lab_as_designed(runner, slug):
    broken = runner.invoke(args=["lab", "run", slug, "--mode", "broken"])
    assert broken.exit_code == 0, broken.output
    assert "outcome: failed" in broken.output
    fixed = runner.invoke(args=["lab", "run", slug, "--mode", "fixed"])
    assert fixed.exit_code == 0, fixed.output
    assert "outcome: ok" in fixed.output


def test_cli_lists_every_lab(runner):
    output = runner.invoke(args=["lab", "list"]).output
    assert all(slug in output for slug in SLUGS)


def test_lab_endpoints_answer_json_errors(client):
    response = client.get(f"/labs/{SLUGS[0]}/broken/no-such-endpoint")
    assert response.status_code == 404 and response.json["error"] == "not_found"


def test_foundation_tests_pass_with_every_lab_broken():
    """Run the real login's tests again, with every lab switched to broken first."""
    env = {**os.environ, "CLINIC_TEST_LABS_BROKEN": "1"}
    suites = ["tests/test_auth_api.py", "tests/test_tokens.py", "tests/test_rotation.py",
              "tests/test_pages.py"]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *suites],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
