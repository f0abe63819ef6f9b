"""The JSON API for accounts: register, log in, me, log out, and their error codes."""

import pytest

from clinic.models import LoginFailure, RevokedAccessToken, User


def test_register_returns_the_user(client, auth):
    response = auth.register("alice")
    assert response.status_code == 201
    assert response.json["user"]["username"] == "alice"
    assert isinstance(response.json["user"]["id"], int)


def test_register_twice_is_username_taken_whatever_the_case(auth):
    auth.register("alice")
    response = auth.register("ALICE")
    assert response.status_code == 409
    assert response.json["error"] == "username_taken"


@pytest.mark.parametrize("username, password", [
    ("al", "long enough password"),                   # too short
    ("a" * 41, "long enough password"),               # too long
    ("bad name", "long enough password"),             # space
    ("alice", "short"),                               # password under 8
    ("alice", 12345678),                              # not text
    (None, "long enough password"),
])
def test_register_rejects_bad_input(auth, username, password):
    response = auth.client.post("/api/auth/register",
                                json={"username": username, "password": password})
    assert response.status_code == 400
    assert response.json["error"] == "invalid_input"
    assert response.json["message"]


def test_over_long_password_gets_a_clear_message_not_a_crash(auth):
    password = "é" * 37  # 74 bytes of UTF-8, only 37 characters
    response = auth.register("alice", password)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_input"
    assert "72 bytes" in response.json["message"]
    login = auth.login("alice", password)
    assert login.status_code == 400
    assert "72 bytes" in login.json["message"]


def test_exactly_72_bytes_is_accepted(auth):
    assert auth.register("alice", "x" * 72).status_code == 201
    assert auth.login("alice", "x" * 72).status_code == 200


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"text"', "null"])
def test_login_needs_a_json_object(client, body):
    response = client.post("/api/auth/login", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"] == "invalid_input"


def test_login_sets_four_cookies_with_the_right_attributes(auth):
    auth.register("alice")
    response = auth.login("alice")
    assert response.status_code == 200
    assert response.json["user"]["username"] == "alice"
    assert response.json["access_expires_at"].endswith("+00:00")
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert set(cookies) == {"access_token_cookie", "refresh_token_cookie",
                            "csrf_access_token", "csrf_refresh_token"}
    for name, header in cookies.items():
        assert "SameSite=Lax" in header
        assert ("HttpOnly" in header) == name.endswith("token_cookie")
    assert "Path=/api/auth/" in cookies["refresh_token_cookie"]
    assert "Path=/;" in cookies["access_token_cookie"]
    assert "Path=/;" in cookies["csrf_refresh_token"]
    assert "Secure" not in cookies["access_token_cookie"]


def test_secure_cookies_when_configured(tmp_path):
    from conftest import make_app

    app = make_app(tmp_path, JWT_COOKIE_SECURE=True)
    client = app.test_client()
    client.post("/api/auth/register", json={"username": "alice", "password": "password123"})
    response = client.post("/api/auth/login", json={"username": "alice", "password": "password123"})
    assert all("; Secure" in c for c in response.headers.getlist("Set-Cookie"))


def test_unknown_user_and_wrong_password_answer_the_same(auth):
    auth.register("alice")
    wrong = auth.login("alice", "wrong password!")
    unknown = auth.login("nobody", "wrong password!")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json
    assert wrong.json["error"] == "invalid_credentials"


def test_unknown_user_still_runs_bcrypt(auth, monkeypatch):
    import bcrypt

    calls = []
    real = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda pw, h: calls.append(h) or real(pw, h))
    auth.login("nobody", "some password")
    assert len(calls) == 1


def test_me_returns_user_and_token_claims(auth):
    auth.signup("alice")
    response = auth.client.get("/api/me")
    assert response.status_code == 200
    assert response.json["user"]["username"] == "alice"
    token = response.json["token"]
    assert token["type"] == "access"
    assert token["exp"] > token["iat"]
    assert len(token["jti"]) == 22


def test_me_without_cookie_is_token_missing(client):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json["error"] == "token_missing"
    assert response.json["lesson"].startswith("/lessons/")


def test_authorization_header_is_ignored_by_the_site_api(auth):
    auth.signup("alice")
    token = auth.cookie("access_token_cookie")
    auth.client.delete_cookie("access_token_cookie", path="/")
    response = auth.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json["error"] == "token_missing"


def test_logout_revokes_both_tokens_and_clears_cookies(app, auth):
    auth.signup("alice")
    access = auth.cookie("access_token_cookie")
    refresh = auth.cookie("refresh_token_cookie")
    refresh_csrf = auth.cookie("csrf_refresh_token")
    access_csrf = auth.cookie("csrf_access_token")

    response = auth.logout()
    assert response.status_code == 200
    cleared = [c for c in response.headers.getlist("Set-Cookie") if "Max-Age=0" in c or "Expires=Thu, 01 Jan 1970" in c]
    assert len(cleared) == 4
    assert auth.client.get("/api/me").status_code == 401

    # The old tokens, replayed, are refused as revoked.
    auth.set_cookie("access_token_cookie", access)
    me = auth.client.get("/api/me")
    assert (me.status_code, me.json["error"]) == (401, "token_revoked")
    auth.set_cookie("refresh_token_cookie", refresh)
    again = auth.refresh(refresh_csrf)
    assert (again.status_code, again.json["error"]) == (401, "token_revoked")
    with app.app_context():
        from clinic.extensions import db
        assert db.session.get(RevokedAccessToken, me_jti(access)) is not None
    assert access_csrf


def me_jti(token):
    import jwt
    return jwt.decode(token, options={"verify_signature": False})["jti"]


def test_logout_is_idempotent(auth):
    auth.signup("alice")
    assert auth.logout().status_code == 200
    assert auth.logout().status_code == 200
    assert auth.client.post("/api/auth/logout").status_code == 200


def test_logout_needs_the_csrf_header(auth):
    auth.signup("alice")
    missing = auth.client.post("/api/auth/logout")
    assert (missing.status_code, missing.json["error"]) == (401, "csrf_failed")
    wrong = auth.logout(csrf="not-the-right-value")
    assert (wrong.status_code, wrong.json["error"]) == (401, "csrf_failed")
    assert auth.client.get("/api/me").status_code == 200  # still logged in


def test_throttling_per_username(tmp_path):
    from conftest import AuthActions, make_app

    app = make_app(tmp_path, LOGIN_FAILURES_PER_USERNAME=3, LOGIN_FAILURES_PER_ADDRESS=100)
    auth = AuthActions(app.test_client())
    auth.register("alice")
    for _ in range(3):
        assert auth.login("alice", "wrong password").status_code == 401
    blocked = auth.login("alice")  # even the right password waits out the window
    assert blocked.status_code == 429
    assert blocked.json["error"] == "too_many_attempts"
    assert int(blocked.headers["Retry-After"]) > 0
    # Another account from the same address is not locked out.
    auth.register("bob")
    assert auth.login("bob").status_code == 200


def test_throttling_counts_unknown_usernames_too(tmp_path):
    from conftest import AuthActions, make_app

    app = make_app(tmp_path, LOGIN_FAILURES_PER_USERNAME=2, LOGIN_FAILURES_PER_ADDRESS=100)
    auth = AuthActions(app.test_client())
    auth.login("ghost", "password1")
    auth.login("ghost", "password1")
    assert auth.login("ghost", "password1").status_code == 429


def test_throttling_per_address(tmp_path):
    from conftest import AuthActions, make_app

    app = make_app(tmp_path, LOGIN_FAILURES_PER_USERNAME=100, LOGIN_FAILURES_PER_ADDRESS=4)
    auth = AuthActions(app.test_client())
    for n in range(4):
        auth.login(f"user{n}", "wrong password")
    assert auth.login("someone", "wrong password").status_code == 429
    other = app.test_client().post("/api/auth/login", json={"username": "x1x", "password": "p" * 8},
                                   environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert other.status_code == 401  # a different address is unaffected


def test_successful_login_clears_the_username_count(app, auth):
    auth.register("alice")
    auth.login("alice", "wrong password")
    auth.login("alice")
    with app.app_context():
        from clinic.extensions import db
        keys = [f.key for f in db.session.query(LoginFailure)]
    assert "user:alice" not in keys and "addr:127.0.0.1" in keys


def test_passwords_are_stored_as_bcrypt_hashes(app, auth):
    auth.register("alice")
    with app.app_context():
        from clinic.extensions import db
        user = db.session.query(User).one()
    assert user.password_hash.startswith(b"$2b$04$")
    assert auth.password.encode() not in user.password_hash


@pytest.mark.served_config(LOGIN_FAILURES_PER_USERNAME=5, LOGIN_FAILURES_PER_ADDRESS=100)
def test_parallel_guesses_cannot_slip_under_the_limit(served):
    import threading

    from conftest import http_request

    app, port = served
    http_request(port, "POST", "/api/auth/register", b'{"username":"alice","password":"password123"}')
    statuses, barrier = [], threading.Barrier(20)

    def guess():
        barrier.wait()
        statuses.append(http_request(port, "POST", "/api/auth/login",
                                b'{"username":"alice","password":"wrong password"}')[0])

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(401) <= 5  # never more password checks than the limit
    assert statuses.count(429) >= 15
    assert set(statuses) <= {401, 429}


def test_logout_with_only_the_access_cookie_takes_csrf_refresh_token(auth):
    auth.signup("alice")
    refresh_csrf, access_csrf = auth.cookie("csrf_refresh_token"), auth.cookie("csrf_access_token")
    auth.client.delete_cookie("refresh_token_cookie", path="/api/auth/")
    wrong = auth.logout(csrf="not-it")
    assert (wrong.status_code, wrong.json["error"]) == (401, "csrf_failed")
    assert access_csrf != refresh_csrf
    assert auth.logout(csrf=refresh_csrf).status_code == 200
    assert auth.client.get("/api/me").status_code == 401


@pytest.mark.parametrize("path, method", [("/api/no-such-route", "GET"),
                                          ("/api/auth/login", "GET"), ("/api/me", "PUT")])
def test_token_in_url_is_refused_even_without_a_route(client, path, method):
    response = client.open(f"{path}?token=abc", method=method)
    assert (response.status_code, response.json["error"]) == (400, "token_in_query_string")


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/\r/evil.example",
                                    "/ /evil.example", "/\x7f/evil.example"])
def test_redirect_targets_with_control_characters_are_refused(app, target):
    from clinic.auth import safe_next

    with app.test_request_context():
        assert safe_next(target) == "/dashboard"
        assert safe_next("/labs?mode=fixed") == "/labs?mode=fixed"


def test_login_form_does_not_follow_a_tab_to_another_site(client, auth):
    import re

    auth.register("alice")
    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login?next=%2F%09%2Fevil.example",
                           data={"csrf_token": token, "username": "alice", "password": auth.password})
    assert response.location == "/dashboard"
    resume = client.get("/resume?next=%2F%0A%2Fevil.example").data.decode()
    assert 'data-next="/dashboard"' in resume


def test_nested_json_is_invalid_input_not_a_crash(client):
    response = client.post("/api/auth/login", data="[" * 5000, content_type="application/json")
    assert (response.status_code, response.json["error"]) == (400, "invalid_input")


def test_deeply_nested_token_payload_is_refused_not_a_crash(client):
    import base64

    payload = base64.urlsafe_b64encode(b"[" * 1500).decode().rstrip("=")
    token = f"eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln"
    fresh = client.application.test_client(use_cookies=False)
    for method, path in (("GET", "/api/me"), ("POST", "/api/auth/refresh"),
                         ("POST", "/api/auth/logout")):
        response = fresh.open(path, method=method, headers={
            "Cookie": f"access_token_cookie={token}; refresh_token_cookie={token}",
            "X-CSRF-TOKEN": "x"})
        assert response.status_code < 500
