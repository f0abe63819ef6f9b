"""Lab wrong-secret: one key to sign, another to check, and the fix that loads one key."""

import jwt
import pytest
from conftest import TEST_KEYS

from clinic.labs import wrong_secret
from clinic.labs.base import key_id, lab_key, sign_lab_token

BASE = "/labs/wrong-secret"
KID_HEADER = "X-Lab-Verifier-Kid"


def statuses(body):
    return [step["response"]["status"] for step in body["steps"]]


def test_broken_story_fails_with_invalid_signature_and_different_kids(client):
    body = client.get(f"{BASE}/scenario?mode=broken").json
    assert statuses(body) == [200, 401, 200]
    assert body["error"] == "invalid_signature"
    call = body["steps"][1]["response"]["body"]
    assert call["error"] == "invalid_signature"
    assert call["detail"] == "Signature verification failed"  # PyJWT's own words
    report = body["steps"][2]["response"]["body"]
    assert report["same_key"] is False
    assert report["verifier"] == {"starts": True, "kid": key_id(wrong_secret.DEFAULT_KEY),
                                  "is_default": True, "too_short": False}
    issuer_kid = body["steps"][0]["response"]["body"]["issuer_kid"]
    assert issuer_kid == report["issuer"]["kid"] != report["verifier"]["kid"]
    note = body["steps"][1]["note"]
    assert issuer_kid in note and report["verifier"]["kid"] in note
    assert "LAB_JWT_SECERT" in body["diagnosis"]


def test_fixed_story_refuses_the_default_key_and_then_works(client):
    body = client.get(f"{BASE}/scenario?mode=fixed").json
    assert statuses(body) == [200, 200, 200]
    assert (body["outcome"], body["error"]) == ("ok", None)
    report = body["steps"][0]["response"]["body"]
    assert report["same_key"] is True
    assert report["with_settings"]["default"]["verifier"]["starts"] is False
    assert "default" in report["with_settings"]["default"]["verifier"]["refused"]
    assert "refuses" in body["steps"][0]["note"]
    issuer_kid = body["steps"][1]["response"]["body"]["issuer_kid"]
    assert body["steps"][2]["response"]["body"]["verifier_kid"] == issuer_kid


def test_live_demo_broken_every_call_fails(client):
    login = client.post(f"{BASE}/broken/login")
    assert login.status_code == 200
    for _ in range(2):
        call = client.get(f"{BASE}/broken/me")
        assert (call.status_code, call.json["error"]) == (401, "invalid_signature")
        assert call.headers[KID_HEADER] == key_id(wrong_secret.DEFAULT_KEY)
        assert call.headers[KID_HEADER] != login.json["issuer_kid"]


def test_live_demo_fixed_kids_match_and_the_call_succeeds(client):
    login = client.post(f"{BASE}/fixed/login")
    call = client.get(f"{BASE}/fixed/me")
    assert call.status_code == 200
    assert call.json == {"user": "learner", "verifier_kid": login.json["issuer_kid"]}
    assert call.headers[KID_HEADER] == login.json["issuer_kid"]


def test_the_token_header_carries_the_key_fingerprint(client, app):
    client.post(f"{BASE}/fixed/login")
    token = client.get_cookie("lab_wrong_secret_access", path=f"{BASE}/").value
    with app.app_context():
        configured = key_id(lab_key("wrong-secret", "signing"))
    assert jwt.get_unverified_header(token)["kid"] == configured


def test_fixed_verifier_names_both_keys_on_a_mismatch(client, app):
    with app.app_context():
        token = sign_lab_token(wrong_secret.DEFAULT_KEY, {"sub": "x", "iat": 1, "exp": 2**31})
        configured = key_id(lab_key("wrong-secret", "signing"))
    client.set_cookie("lab_wrong_secret_access", token, path=f"{BASE}/")
    call = client.get(f"{BASE}/fixed/me")
    assert (call.status_code, call.json["error"]) == (401, "invalid_signature")
    assert key_id(wrong_secret.DEFAULT_KEY) in call.json["message"]
    assert configured in call.json["message"]


@pytest.mark.parametrize("settings, reason", [
    ({}, "is not set"),
    ({"LAB_JWT_SECERT": "x" * 64}, "is not set"),  # the typo cannot hide behind a default
    ({"LAB_JWT_SECRET": wrong_secret.DEFAULT_KEY}, "well-known default"),
    ({"LAB_JWT_SECRET": "your-256-bit-secret"}, "well-known default"),
    ({"LAB_JWT_SECRET": "short"}, "shorter than 32 bytes"),
])
def test_load_key_refuses_missing_default_and_short_keys(settings, reason):
    with pytest.raises(wrong_secret.KeyRefused, match=reason):
        wrong_secret.load_key(settings)


def test_load_key_accepts_a_long_random_key():
    assert wrong_secret.load_key({"LAB_JWT_SECRET": "k" * 32}) == "k" * 32


def test_startup_report_in_both_modes(client):
    broken = client.get(f"{BASE}/broken/startup").json["with_settings"]
    assert all(side["starts"] for sides in broken.values() for side in sides.values())
    assert broken["missing"]["issuer"]["is_default"] is True  # silently falls back
    assert broken["short"]["issuer"]["too_short"] is True  # and takes a short key too
    fixed = client.get(f"{BASE}/fixed/startup").json["with_settings"]
    assert [name for name, sides in fixed.items() if sides["verifier"]["starts"]] == ["configured"]
    assert fixed["short"]["issuer"]["refused"].endswith("shorter than 32 bytes.")


def test_calling_the_api_without_logging_in_is_token_missing(client):
    call = client.get(f"{BASE}/fixed/me")
    assert (call.status_code, call.json["error"]) == (401, "token_missing")
    assert KID_HEADER in call.headers


def test_garbage_cookie_is_malformed_not_500(client):
    client.set_cookie("lab_wrong_secret_access", "not.a.jwt", path=f"{BASE}/")
    for mode in ("broken", "fixed"):
        call = client.get(f"{BASE}/{mode}/me")
        assert (call.status_code, call.json["error"]) == (401, "token_malformed")


def test_lab_tokens_stay_away_from_the_real_login(client):
    login = client.post(f"{BASE}/broken/login")
    cookie = login.headers["Set-Cookie"]
    assert cookie.startswith("lab_wrong_secret_access=")
    assert "Path=/labs/wrong-secret/" in cookie and "HttpOnly" in cookie
    token = client.get_cookie("lab_wrong_secret_access", path=f"{BASE}/").value
    for real_key in (TEST_KEYS["JWT_ACCESS_KEY"], TEST_KEYS["JWT_REFRESH_KEY"]):
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token, real_key, algorithms=["HS256"])
    assert client.get("/api/me").json["error"] == "token_missing"


def test_unknown_mode_is_404(client):
    assert client.post(f"{BASE}/sideways/login").status_code == 404
    assert client.get(f"{BASE}/sideways/startup").status_code == 404


def test_differences_show_both_loaders_and_the_settings(client, app):
    page = client.get(f"{BASE}?mode=broken").data.decode()
    assert "LAB_JWT_SECERT" in page and "load_key" in page
    assert "the default key" in page
    with app.app_context():  # only the key's fingerprint is shown
        assert lab_key("wrong-secret", "signing") not in page


def test_a_forged_token_without_sub_is_refused_not_a_crash(client):
    """Broken mode checks with a public default key, so anyone can sign for it."""
    import time

    import jwt

    from clinic.labs.wrong_secret import DEFAULT_KEY

    now = int(time.time())
    forged = jwt.encode({"iat": now, "exp": now + 60}, DEFAULT_KEY, algorithm="HS256")
    client.set_cookie("lab_wrong_secret_access", forged, path="/labs/wrong-secret/")
    response = client.get("/labs/wrong-secret/broken/me")
    assert (response.status_code, response.json["error"]) == (401, "invalid_claims")
