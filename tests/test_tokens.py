"""Every way a token can be wrong answers 401 with its own code, never 422 or 500."""

import base64
import json
import time

import jwt
import pytest
from conftest import TEST_KEYS

ACCESS_KEY = TEST_KEYS["JWT_ACCESS_KEY"]
REFRESH_KEY = TEST_KEYS["JWT_REFRESH_KEY"]


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def forge(claims, key=ACCESS_KEY, algorithm="HS256", **changes):
    """A token like `claims`, changed as asked and signed with `key`."""
    return jwt.encode({**claims, **changes}, key, algorithm=algorithm)


def me_with(auth, token):
    """GET /api/me with exactly this access cookie, byte for byte, as a browser would send it."""
    fresh = auth.client.application.test_client(use_cookies=False)
    return fresh.get("/api/me", headers={"Cookie": f"access_token_cookie={token}"})


def assert_error(response, status, code):
    assert response.status_code == status, response.json
    assert response.json["error"] == code
    assert response.json["message"]


@pytest.fixture
def access(auth):
    auth.signup("alice")
    return claims_of(auth.cookie("access_token_cookie"))


def test_refresh_token_used_as_access_token(auth, access):
    assert_error(me_with(auth, auth.cookie("refresh_token_cookie")), 401, "wrong_token_type")


def test_access_token_used_as_refresh_token(auth, access):
    auth.set_cookie("refresh_token_cookie", auth.cookie("access_token_cookie"))
    response = auth.refresh(csrf=auth.cookie("csrf_access_token"))
    assert_error(response, 401, "wrong_token_type")


def test_token_signed_with_another_key(auth, access):
    other = forge(access, key="an-entirely-different-key-of-enough-length")
    assert_error(me_with(auth, other), 401, "invalid_signature")


def test_access_claims_signed_with_the_refresh_key(auth, access):
    # Keys are separate: knowing one key does not let you mint the other kind of token.
    assert_error(me_with(auth, forge(access, key=REFRESH_KEY)), 401, "invalid_signature")


def test_tampered_payload(auth, access):
    header, _, signature = auth.cookie("access_token_cookie").split(".")
    payload = {**access, "sub": "999"}
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    assert_error(me_with(auth, f"{header}.{body}.{signature}"), 401, "invalid_signature")


def test_expired_token(auth, access):
    old = forge(access, iat=access["iat"] - 3600, nbf=access["iat"] - 3600, exp=int(time.time()) - 5)
    assert_error(me_with(auth, old), 401, "token_expired")


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_token_from_the_future(auth, access, claim):
    future = forge(access, **{claim: int(time.time()) + 120})
    assert_error(me_with(auth, future), 401, "token_not_yet_valid")


@pytest.mark.parametrize("changes", [{"iss": "someone-else"}, {"aud": "another-site"}])
def test_wrong_issuer_or_audience(auth, access, changes):
    assert_error(me_with(auth, forge(access, **changes)), 401, "invalid_claims")


@pytest.mark.parametrize("missing", ["sub", "exp", "iat", "jti", "iss", "aud", "type", "fam"])
def test_missing_required_claim(auth, access, missing):
    claims = {k: v for k, v in access.items() if k != missing}
    assert_error(me_with(auth, forge(claims)), 401, "invalid_claims")


@pytest.mark.parametrize("changes", [{"sub": 1}, {"fam": 7}, {"jti": ["a"]}, {"type": None}])
def test_ill_typed_claims_are_refused(auth, access, changes):
    assert_error(me_with(auth, forge(access, **changes)), 401, "invalid_claims")


def test_alg_none_is_refused(auth, access):
    unsigned = jwt.encode(access, None, algorithm="none")
    assert_error(me_with(auth, unsigned), 401, "token_malformed")


def test_other_hmac_algorithm_is_refused(auth, access):
    strong_key = ACCESS_KEY * 2  # HS512 wants 64 bytes of key
    assert_error(me_with(auth, forge(access, key=strong_key, algorithm="HS512")), 401,
                 "token_malformed")


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-20],              # truncated signature
    lambda t: t.rsplit(".", 1)[0],  # two segments
    lambda t: "undefined",
    lambda t: "null",
    lambda t: "Bearer%20" + t,
    lambda t: t.replace(".", "..", 1),
])
def test_malformed_tokens(auth, access, mangle):
    token = mangle(auth.cookie("access_token_cookie"))
    response = me_with(auth, token)
    assert response.status_code == 401
    assert response.json["error"] == "token_malformed"


def test_quoted_cookie_is_unquoted_by_werkzeug(auth, access):
    # Browsers keep the quotes; Werkzeug strips them, so this still works (see FACTS).
    response = me_with(auth, f'"{auth.cookie("access_token_cookie")}"')
    assert response.status_code == 200


@pytest.mark.parametrize("cut", [1, 3, 4, 20])
def test_truncated_token_is_malformed(auth, access, cut):
    token = auth.cookie("access_token_cookie")
    response = me_with(auth, token[:-cut])
    assert_error(response, 401, "token_malformed")
    # PyJWT itself notices some cuts (bad base64 padding); the rest fail the signature check,
    # and the length of the signature shows they were cut, not signed with another key.
    assert any(word in response.json["detail"] for word in ("cut short", "padding"))
    assert_error(me_with(auth, token[: len(token) // 2]), 401, "token_malformed")


def test_tokens_of_a_deleted_user_are_refused(app, auth, access):
    from clinic.extensions import db
    from clinic.models import User

    with app.app_context():
        db.session.delete(db.session.get(User, int(access["sub"])))
        db.session.commit()
    assert_error(auth.client.get("/api/me"), 401, "token_revoked")


def test_csrf_missing_on_refresh(auth, access):
    response = auth.client.post("/api/auth/refresh")
    assert_error(response, 401, "csrf_failed")


def test_csrf_mismatched_on_refresh(auth, access):
    assert_error(auth.refresh(csrf="0000"), 401, "csrf_failed")


def test_access_csrf_value_does_not_unlock_refresh(auth, access):
    # Each token has its own CSRF value; /refresh wants csrf_refresh_token's.
    assert_error(auth.refresh(csrf=auth.cookie("csrf_access_token")), 401, "csrf_failed")


def test_non_ascii_csrf_header_is_csrf_failed_not_a_crash(auth, access):
    response = auth.client.post("/api/auth/refresh",
                                headers=[("X-CSRF-TOKEN", "caf\u00e9".encode().decode("latin-1"))])
    assert_error(response, 401, "csrf_failed")


def test_every_token_carries_the_expected_claims(auth, access):
    assert access["type"] == "access"
    assert access["iss"] == access["aud"] == "jwt-clinic"
    assert isinstance(access["sub"], str)
    refresh = claims_of(auth.cookie("refresh_token_cookie"))
    assert refresh["type"] == "refresh"
    assert refresh["fam"] == access["fam"]
    assert refresh["csrf"] == auth.cookie("csrf_refresh_token")
    assert access["csrf"] == auth.cookie("csrf_access_token")
    assert jwt.get_unverified_header(auth.cookie("access_token_cookie"))["alg"] == "HS256"
    # The two tokens are signed with different keys.
    jwt.decode(auth.cookie("access_token_cookie"), ACCESS_KEY, algorithms=["HS256"],
               audience="jwt-clinic")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(auth.cookie("refresh_token_cookie"), ACCESS_KEY, algorithms=["HS256"],
                   audience="jwt-clinic")


def test_a_remembered_token_still_needs_the_right_key(tmp_path, auth, access):
    from conftest import make_app

    token = auth.cookie("access_token_cookie")
    assert me_with(auth, token).status_code == 200  # verified, and now remembered
    other = make_app(tmp_path / "other", JWT_ACCESS_KEY="another-access-key-that-is-long-enough-00")
    response = other.test_client(use_cookies=False).get(
        "/api/me", headers={"Cookie": f"access_token_cookie={token}"})
    assert (response.status_code, response.json["error"]) == (401, "invalid_signature")


def test_a_remembered_token_still_expires(auth, access, monkeypatch):
    import clinic.tokens

    token = auth.cookie("access_token_cookie")
    assert me_with(auth, token).status_code == 200
    later = access["exp"] + 1
    monkeypatch.setattr(clinic.tokens.time, "time", lambda: later)
    assert_error(me_with(auth, token), 401, "token_expired")
