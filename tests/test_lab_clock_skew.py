"""Lab clock-skew: a verifier whose clock is off, without and with leeway and a detector."""

import re
import time

import jwt
import pytest
from conftest import TEST_KEYS

from clinic.labs import clock_skew

BASE = "/labs/clock-skew"
SKEW = "X-Lab-Verifier-Skew"
CLIENT_TIME = "X-Lab-Client-Time"


def statuses(body):
    return [step["response"]["status"] for step in body["steps"]]


def errors(body):
    return [step["response"]["body"].get("error") for step in body["steps"]]


def call_me(client, mode, skew):
    return client.get(f"{BASE}/{mode}/me", headers={SKEW: str(skew)})


def test_broken_story_fails_both_ways(client):
    body = client.get(f"{BASE}/scenario?mode=broken").json
    assert statuses(body) == [200, 401, 401]
    assert errors(body) == [None, "token_not_yet_valid", "token_expired"]
    assert body["steps"][1]["response"]["body"]["detail"] == "The token is not yet valid (iat)"
    sent = body["steps"][2]["request"]["headers"]
    assert (sent[SKEW], sent["X-Lab-Clock-Offset"]) == ("20", "50")
    assert body["error"] == "token_expired"
    assert "why am I expired" in body["diagnosis"]


def test_fixed_story_accepts_the_same_skews_and_names_the_wrong_clock(client):
    body = client.get(f"{BASE}/scenario?mode=fixed").json
    assert statuses(body) == [200, 200, 200, 200]
    assert (body["outcome"], body["error"]) == ("ok", None)
    detector = body["steps"][3]["response"]["body"]
    assert detector["off"] == ["verifier"]
    assert detector["offsets"]["verifier"] == 20
    assert detector["report"] == "The verifier's clock is 20 s ahead of the other two."
    assert detector["report"] in body["diagnosis"]


def test_tokens_live_a_minute_and_leeway_is_at_most_a_minute():
    for config in clock_skew.SETTINGS.values():
        assert config["ACCESS_LIFETIME_SECONDS"] == 60
    assert clock_skew.SETTINGS["broken"]["LEEWAY_SECONDS"] == 0
    assert 0 < clock_skew.SETTINGS["fixed"]["LEEWAY_SECONDS"] <= 60


@pytest.mark.parametrize("skew, expected", [
    (-120, "token_not_yet_valid"), (-5, "token_not_yet_valid"), (0, None), (30, None),
    (60, "token_expired"), (120, "token_expired"),
])
def test_broken_live_verifier_has_no_leeway(client, skew, expected):
    client.post(f"{BASE}/broken/login")
    response = call_me(client, "broken", skew)
    if expected is None:
        assert response.status_code == 200
        assert response.json["leeway"] == 0
    else:
        assert (response.status_code, response.json["error"]) == (401, expected)


@pytest.mark.parametrize("skew, expected", [
    (-120, "token_not_yet_valid"), (-35, "token_not_yet_valid"), (-25, None), (0, None),
    (60, None), (85, None), (90, "token_expired"), (120, "token_expired"),
])
def test_fixed_live_verifier_allows_thirty_seconds(client, skew, expected):
    client.post(f"{BASE}/fixed/login")
    response = call_me(client, "fixed", skew)
    if expected is None:
        assert response.status_code == 200, response.json
        assert response.json["verifier_time"] - response.json["token"]["iat"] in (skew, skew + 1)
    else:
        assert (response.status_code, response.json["error"]) == (401, expected)


def test_one_second_behind_is_enough_without_leeway(client):
    for _ in range(3):  # a second boundary between login and call can hide it; retry
        client.post(f"{BASE}/broken/login")
        response = call_me(client, "broken", -1)
        if response.status_code == 401:
            break
    assert response.json["error"] == "token_not_yet_valid"


@pytest.mark.parametrize("value", ["soon", "1.5", "", "121", "-121", "9" * 5000, "0x10"])
def test_bad_skew_is_400_invalid_input(client, value):
    client.post(f"{BASE}/broken/login")
    for endpoint in ("broken/me", "fixed/clocks"):
        response = client.get(f"{BASE}/{endpoint}", headers={SKEW: value})
        assert (response.status_code, response.json["error"]) == (400, "invalid_input")
        assert SKEW in response.json["message"]


@pytest.mark.parametrize("value", ["yesterday", "nan", "inf", "-inf",
                                   str(time.time() + 2 * 86_400)])
def test_bad_client_time_is_400_invalid_input(client, value):
    response = client.get(f"{BASE}/fixed/clocks", headers={CLIENT_TIME: value})
    assert (response.status_code, response.json["error"]) == (400, "invalid_input")


def test_detector_names_the_clock_that_is_off(client):
    now = time.time()
    verifier = client.get(f"{BASE}/fixed/clocks", headers={SKEW: "-90", CLIENT_TIME: str(now)}).json
    assert verifier["off"] == ["verifier"] and verifier["offsets"]["verifier"] in (-90, -91, -89)
    assert re.fullmatch(r"The verifier's clock is (89|90|91) s behind the other two\.",
                        verifier["report"])
    client_off = client.get(f"{BASE}/fixed/clocks", headers={CLIENT_TIME: str(now + 300)}).json
    assert client_off["off"] == ["client"] and "ahead of the other two" in client_off["report"]
    agree = client.get(f"{BASE}/fixed/clocks", headers={CLIENT_TIME: str(now)}).json
    assert (agree["off"], agree["report"]) == ([], "The clocks agree within 2 s.")
    two = client.get(f"{BASE}/fixed/clocks", headers={SKEW: "45"}).json
    assert two["report"] == "The verifier's clock is 45 s ahead of the issuer's."


def test_detect_skew_with_two_wrong_clocks():
    found = clock_skew.detect_skew({"issuer": 1000, "verifier": 1030, "client": 900})
    assert found["off"] == ["client", "verifier"]
    assert found["offsets"] == {"issuer": 0, "verifier": 30, "client": -100}
    assert found["report"] == ("The verifier's clock is 30 s ahead of the issuer's. "
                               "The client's clock is 100 s behind the issuer's.")


def test_broken_has_no_detector(client):
    response = client.get(f"{BASE}/broken/clocks")
    assert (response.status_code, response.json["error"]) == (404, "not_found")


def test_lab_tokens_stay_away_from_the_real_login(client):
    login = client.post(f"{BASE}/broken/login")
    cookie = login.headers["Set-Cookie"]
    assert cookie.startswith("lab_clock_skew_access=")
    assert "Path=/labs/clock-skew/" in cookie and "HttpOnly" in cookie
    token = client.get_cookie("lab_clock_skew_access", path=f"{BASE}/").value
    for real_key in (TEST_KEYS["JWT_ACCESS_KEY"], TEST_KEYS["JWT_REFRESH_KEY"]):
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token, real_key, algorithms=["HS256"])
    assert client.get("/api/me").json["error"] == "token_missing"
    # The skew header means nothing to the real API.
    assert client.get("/api/me", headers={SKEW: "-120"}).json["error"] == "token_missing"


def test_calling_the_api_without_logging_in_is_token_missing(client):
    response = call_me(client, "fixed", 0)
    assert (response.status_code, response.json["error"]) == (401, "token_missing")


def test_unknown_mode_is_404(client):
    assert client.post(f"{BASE}/sideways/login").status_code == 404
    assert client.get(f"{BASE}/sideways/clocks").status_code == 404


def test_page_draws_the_timeline_without_javascript(client):
    for mode, leeway in (("broken", 0), ("fixed", 30)):
        page = client.get(f"{BASE}?mode={mode}").data.decode()
        assert 'id="timeline"' in page and 'id="tl-leeway"' in page and 'id="tl-verifier"' in page
        assert f'data-leeway="{leeway}"' in page
        assert '<input type="range" id="skew"' in page and '<label for="skew">' in page
        assert "style=" not in page


def test_differences_show_settings_verdicts_and_client_code(client):
    page = client.get(f"{BASE}?mode=fixed").data.decode()
    assert "LEEWAY_SECONDS" in page and "detect_skew" in page
    assert "afterCallBroken" in page and "afterCallFixed" in page
    assert "-31 s: 401 token_not_yet_valid" in page and "+89 s: 200 ok" in page


def test_three_disagreeing_clocks_are_measured_from_the_issuer():
    from clinic.labs.clock_skew import detect_skew

    result = detect_skew({"issuer": 1000, "client": 1005, "verifier": 1020})
    assert result["offsets"] == {"issuer": 0, "client": 5, "verifier": 20}
    assert "issuer's" in result["report"] and "other two" not in result["report"]
    single = detect_skew({"issuer": 1000, "client": 1001, "verifier": 1020})
    assert single["off"] == ["verifier"] and "other two" in single["report"]
