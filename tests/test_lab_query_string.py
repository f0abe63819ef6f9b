"""Lab query-string: a token in the URL leaks into logs, history and Referers; fixed refuses it."""

import re

import jwt
import pytest
from conftest import TEST_KEYS

from clinic.errors import ERRORS
from clinic.labs.query_string import LAB, capture_store
from clinic.security import JWT_SHAPE

BASE = "/labs/query-string"
NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}


def statuses(body):
    return [step["response"]["status"] for step in body["steps"]]


def log_in(client, mode):
    body = client.post(f"{BASE}/{mode}/login").json
    return body["access_token"], body["visitor"]


def captures(client, mode):
    return client.get(f"{BASE}/{mode}/captures")


# --- the stories ------------------------------------------------------------------------------

def test_broken_story_missing_then_leaked(client):
    body = client.get(f"{BASE}/scenario?mode=broken").json
    assert statuses(body) == [200, 401, 200, 200, 400]
    login, header_only, quick_fix, partner, report = body["steps"]
    assert "/before-quick-fix/profile?jwt=eyJ" in header_only["request"]["path"]
    assert header_only["response"]["body"]["error"] == "token_missing"
    assert quick_fix["response"]["body"]["token_from"] == "query string (?jwt=)"
    assert "?jwt=eyJ" in partner["request"]["headers"]["Referer"]
    leak = report["response"]["body"]
    assert leak["error"] == "token_leaked" and leak["leaked_in"] == ["access_log", "history",
                                                                       "referers"]
    token = re.search(r"jwt=([^&\s]+)", quick_fix["request"]["path"]).group(1)
    assert any(token in line for line in leak["access_log"])
    assert any(token in line for line in leak["history"])
    assert any(token in line for line in leak["referers"])
    assert (body["outcome"], body["error"]) == ("failed", "token_leaked")


def test_fixed_story_refuses_the_url_token_and_leaks_nothing(client):
    body = client.get(f"{BASE}/scenario?mode=fixed").json
    assert statuses(body) == [200, 400, 200, 200, 200]
    refused = body["steps"][1]
    assert "?jwt=eyJ" in refused["request"]["path"]
    assert refused["response"]["body"]["error"] == "token_in_query_string"
    header = body["steps"][2]
    assert header["request"]["headers"]["Authorization"].startswith("Bearer eyJ")
    assert header["response"]["body"]["token_from"] == "Authorization header"
    report = body["steps"][-1]["response"]["body"]
    assert report["leaked"] is False and report["history"] == []
    assert report["referers"] == ["(no Referer header)"]
    assert "jwt=[removed]" in report["access_log"][1]
    assert not any(JWT_SHAPE.search(line) for line in report["access_log"])
    assert (body["outcome"], body["error"]) == ("ok", None)


def test_replays_keep_nothing_behind(app, client):
    for mode in ("broken", "fixed"):
        client.get(f"{BASE}/scenario?mode={mode}")
    with app.app_context():
        assert len(capture_store()) == 0  # each replay forgets its own captures


def test_token_leaked_is_a_400_with_a_lesson():
    spec = ERRORS["token_leaked"]
    assert spec.status == 400 and spec.lesson == "query-string"


# --- the live endpoints -----------------------------------------------------------------------

def test_broken_server_reads_the_query_string_and_the_log_keeps_it(client):
    token, _ = log_in(client, "broken")
    answer = client.get(f"{BASE}/broken/profile?jwt={token}")
    assert (answer.status_code, answer.json["token_from"]) == (200, "query string (?jwt=)")
    report = captures(client, "broken")
    assert report.status_code == 400
    assert report.json["error"] == "token_leaked" and report.json["leaked_in"] == ["access_log"]
    assert f"GET /labs/query-string/broken/profile?jwt={token} HTTP/1.1\" 200" in \
        report.json["access_log"][-1]


def test_before_the_quick_fix_the_url_token_is_missing(client):
    token, _ = log_in(client, "broken")
    answer = client.get(f"{BASE}/broken/before-quick-fix/profile?jwt={token}")
    assert (answer.status_code, answer.json["error"]) == (401, "token_missing")
    assert client.get(f"{BASE}/fixed/before-quick-fix/profile").status_code == 404


@pytest.mark.parametrize("query", ["jwt={t}", "token={t}", "access_token={t}", "q={t}"])
def test_fixed_server_refuses_any_token_in_the_url_and_scrubs_it(client, query):
    token, _ = log_in(client, "fixed")
    answer = client.get(f"{BASE}/fixed/profile?{query.format(t=token)}",
                        headers={"Authorization": f"Bearer {token}"})  # refused even so
    assert (answer.status_code, answer.json["error"]) == (400, "token_in_query_string")
    report = captures(client, "fixed")
    assert report.status_code == 200 and report.json["leaked"] is False
    assert token not in str(report.json)
    assert "removed]" in report.json["access_log"][-1]  # scrub()'s markers


@pytest.mark.parametrize("mode", ["broken", "fixed"])
def test_the_header_works_in_both_modes_and_logs_nothing(client, mode):
    token, _ = log_in(client, mode)
    answer = client.get(f"{BASE}/{mode}/profile", headers={"Authorization": f"Bearer {token}"})
    assert (answer.status_code, answer.json["token_from"]) == (200, "Authorization header")
    report = captures(client, mode)
    assert report.status_code == 200 and report.json["leaked"] is False
    assert report.json["access_log"][-1].endswith('"GET /labs/query-string/' + mode +
                                                  '/profile HTTP/1.1" 200 -')


def test_no_token_is_token_missing(client):
    for mode in ("broken", "fixed"):
        answer = client.get(f"{BASE}/{mode}/profile")
        assert (answer.status_code, answer.json["error"]) == (401, "token_missing")


def test_page_loads_join_the_history_and_the_partner_keeps_referers(client):
    token, visitor = log_in(client, "broken")
    page = f"{BASE}/broken/profile?jwt={token}"
    client.get(page, headers=NAVIGATION)
    partner = client.get(f"{BASE}/partner/broken/{visitor}",
                         headers={"Referer": f"http://127.0.0.1:5000{page}"})
    assert partner.status_code == 200 and token in partner.get_data(as_text=True)
    report = captures(client, "broken").json
    assert report["history"] == [f"http://localhost{page}"]
    assert report["referers"] == [f"http://127.0.0.1:5000{page}"]
    assert report["leaked_in"] == ["access_log", "history", "referers"]
    assert not any("partner" in line for line in report["access_log"])  # another site's log


def test_partner_refuses_bad_paths(client):
    assert client.get(f"{BASE}/partner/sideways/AAAAAAAAAAAAAAAA").status_code == 404
    assert client.get(f"{BASE}/partner/broken/short").status_code == 404


def test_visitors_do_not_see_each_others_captures(app):
    first, second = app.test_client(), app.test_client()
    token, _ = log_in(first, "broken")
    first.get(f"{BASE}/broken/profile?jwt={token}")
    assert captures(first, "broken").json["leaked"] is True
    log_in(second, "broken")
    assert captures(second, "broken").json["leaked"] is False
    assert captures(first, "fixed").json["leaked"] is False  # each mode has its own log


def test_visitor_cookie_is_scoped_to_the_lab(client):
    response = client.post(f"{BASE}/broken/login")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lab_query_string_visitor=")
    assert "Path=/labs/query-string/" in cookie and "HttpOnly" in cookie
    assert "Set-Cookie" not in client.post(f"{BASE}/broken/login").headers  # kept, not renewed


def test_reset_clears_this_browsers_captures(app, client):
    token, _ = log_in(client, "broken")
    client.get(f"{BASE}/broken/profile?jwt={token}", headers=NAVIGATION)
    assert captures(client, "broken").json["leaked"] is True
    page = client.get(f"{BASE}?mode=broken").data.decode()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"{BASE}/reset", data={"csrf_token": csrf}).status_code == 302
    report = client.get(f"{BASE}/broken/captures").json  # a new visitor after the reset
    assert report["leaked"] is False and report["access_log"] == [] and report["history"] == []


def test_lab_reset_outside_a_request_clears_everything(app, client):
    token, _ = log_in(client, "broken")
    client.get(f"{BASE}/broken/profile?jwt={token}")
    with app.app_context():
        assert len(capture_store()) == 1
        LAB.reset()
        assert len(capture_store()) == 0


def test_lab_tokens_are_not_real_tokens(client):
    token, _ = log_in(client, "fixed")
    for real_key in (TEST_KEYS["JWT_ACCESS_KEY"], TEST_KEYS["JWT_REFRESH_KEY"]):
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token, real_key, algorithms=["HS256"])
    # The real API refuses the lab token in its URL, and ignores it in a header.
    in_url = client.get(f"/api/me?jwt={token}")
    assert (in_url.status_code, in_url.json["error"]) == (400, "token_in_query_string")
    in_header = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert (in_header.status_code, in_header.json["error"]) == (401, "token_missing")


def test_unknown_mode_is_404(client):
    assert client.post(f"{BASE}/sideways/login").status_code == 404
    assert client.get(f"{BASE}/sideways/profile").status_code == 404
    assert client.get(f"{BASE}/sideways/captures").status_code == 404


def test_differences_show_the_settings_and_the_client_code(client):
    page = client.get(f"{BASE}?mode=fixed").data.decode()
    assert "REFUSE_TOKEN_IN_URL" in page and "SCRUB_ACCESS_LOG" in page
    assert "brokenClient" in page and "fixedClient" in page
    assert "no-referrer-when-downgrade" in page


def test_only_a_login_creates_captures_and_lines_are_cut(app):
    from clinic.labs.query_string import KEEP_CHARS

    stranger = app.test_client()
    for n in range(30):  # cookie-less requests and made-up partner visits
        app.test_client().get("/labs/query-string/broken/profile?jwt=x")
        stranger.get(f"/labs/query-string/partner/broken/{'a' * 15}{n % 10}")
    assert len(capture_store_of(app)) == 0
    learner = app.test_client()
    learner.post("/labs/query-string/broken/login")
    learner.get("/labs/query-string/broken/profile?pad=" + "x" * 10_000)
    assert len(capture_store_of(app)) == 1
    lines = learner.get("/labs/query-string/broken/captures").get_json()["access_log"]
    assert lines and all(len(line) <= KEEP_CHARS for line in lines)


def capture_store_of(app):
    from clinic.labs.query_string import capture_store

    with app.app_context():
        return capture_store()
