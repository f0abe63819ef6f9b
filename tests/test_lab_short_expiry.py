"""Lab short-expiry: five-second tokens, with and without a refresh token."""

import jwt
from conftest import TEST_KEYS

BASE = "/labs/short-expiry"


def statuses(body):
    return [step["response"]["status"] for step in body["steps"]]


def test_broken_story_is_logged_out_after_one_expiry(client):
    body = client.get(f"{BASE}/scenario?mode=broken").json
    assert statuses(body) == [200, 200, 401, 404]
    assert body["steps"][2]["response"]["body"]["error"] == "token_expired"
    assert body["steps"][2]["request"]["headers"]["X-Lab-Clock-Offset"] == "6"
    assert body["error"] == "token_expired"


def test_fixed_story_survives_two_expiries(client):
    body = client.get(f"{BASE}/scenario?mode=fixed").json
    assert statuses(body) == [200, 200, 401, 200, 200, 401, 200, 200]
    assert body["outcome"] == "ok"


def test_live_endpoints_use_their_own_cookies_and_keys(client):
    login = client.post(f"{BASE}/fixed/login")
    cookies = login.headers.getlist("Set-Cookie")
    assert [c.split("=")[0] for c in cookies] == ["lab_short_expiry_access", "lab_short_expiry_refresh"]
    assert all("Path=/labs/short-expiry/" in c and "HttpOnly" in c for c in cookies)
    token = client.get_cookie("lab_short_expiry_access", path="/labs/short-expiry/").value
    for real_key in (TEST_KEYS["JWT_ACCESS_KEY"], TEST_KEYS["JWT_REFRESH_KEY"]):
        try:
            jwt.decode(token, real_key, algorithms=["HS256"])
        except jwt.InvalidSignatureError:
            continue
        raise AssertionError("a lab token verified with a key of the real login")
    assert client.get(f"{BASE}/fixed/me").status_code == 200
    assert client.get("/api/me").json["error"] == "token_missing"  # the real login saw nothing


def test_broken_mode_has_no_refresh(client):
    client.post(f"{BASE}/broken/login")
    assert client.get_cookie("lab_short_expiry_refresh", path="/labs/short-expiry/") is None
    assert client.post(f"{BASE}/broken/refresh").status_code == 404


def test_access_lifetime_is_five_seconds_in_both_modes(client):
    for mode in ("broken", "fixed"):
        client.post(f"{BASE}/{mode}/login")
        me = client.get(f"{BASE}/{mode}/me").json
        assert me["exp"] - me["iat"] == 5


def test_unknown_mode_is_404(client):
    assert client.post(f"{BASE}/sideways/login").status_code == 404


def test_differences_show_the_settings_and_the_client_code(client):
    page = client.get(f"{BASE}?mode=fixed").data.decode()
    assert "REFRESH_LIFETIME_SECONDS" in page
    assert "onUnauthorizedBroken" in page and "onUnauthorizedFixed" in page
