"""Refresh rotation with reuse detection, the grace window, and concurrent refreshes."""

import threading

import jwt
import pytest
from conftest import AuthActions, http_request, make_app
from sqlalchemy import select

from clinic.extensions import db
from clinic.models import RefreshFamily, RefreshToken


def jti_of(token):
    return jwt.decode(token, options={"verify_signature": False})["jti"]


def family_rows(app):
    with app.app_context():
        return [(r.generation, r.rotated_at is not None) for r in
                db.session.scalars(select(RefreshToken).order_by(RefreshToken.generation))]


def test_refresh_rotates_both_tokens(app, auth):
    auth.signup("alice")
    before = {n: auth.cookie(n) for n in ("access_token_cookie", "refresh_token_cookie",
                                          "csrf_access_token", "csrf_refresh_token")}
    response = auth.refresh()
    assert response.status_code == 200
    assert response.json["rotated"] is True
    after = {n: auth.cookie(n) for n in before}
    assert all(after[n] != before[n] for n in before)
    assert auth.client.get("/api/me").status_code == 200
    assert family_rows(app) == [(0, True), (1, False)]


def test_reusing_a_token_two_generations_old_revokes_the_family(auth):
    auth.signup("alice")
    first, first_csrf = auth.cookie("refresh_token_cookie"), auth.cookie("csrf_refresh_token")
    assert auth.refresh().status_code == 200
    assert auth.refresh().status_code == 200
    current_access = auth.cookie("access_token_cookie")
    current_refresh, current_csrf = auth.cookie("refresh_token_cookie"), auth.cookie("csrf_refresh_token")

    auth.set_cookie("refresh_token_cookie", first)
    reused = auth.refresh(first_csrf)
    assert (reused.status_code, reused.json["error"]) == (401, "refresh_reused")

    # Every token of the family is now dead, the newest ones included.
    auth.set_cookie("refresh_token_cookie", current_refresh)
    again = auth.refresh(current_csrf)
    assert (again.status_code, again.json["error"]) == (401, "token_revoked")
    auth.set_cookie("access_token_cookie", current_access)
    me = auth.client.get("/api/me")
    assert (me.status_code, me.json["error"]) == (401, "token_revoked")


def test_previous_token_within_grace_gets_the_same_pair_again(app, auth):
    auth.signup("alice")
    old, old_csrf = auth.cookie("refresh_token_cookie"), auth.cookie("csrf_refresh_token")
    winner = auth.refresh()
    won = {n: auth.cookie(n) for n in ("access_token_cookie", "refresh_token_cookie")}

    auth.set_cookie("refresh_token_cookie", old)  # the slower tab still sends the old one
    late = auth.refresh(old_csrf)
    assert late.status_code == 200
    assert late.json["rotated"] is False
    assert late.json["refresh_expires_at"] == winner.json["refresh_expires_at"]
    # Same tokens as the winner's: nothing overwritten, no second branch.
    assert {n: auth.cookie(n) for n in won} == won
    assert family_rows(app) == [(0, True), (1, False)]
    assert auth.client.get("/api/me").status_code == 200
    assert auth.refresh().status_code == 200  # and the family goes on


def test_previous_token_after_grace_is_reuse(tmp_path, monkeypatch):
    app = make_app(tmp_path, REFRESH_GRACE_SECONDS=5)
    auth = AuthActions(app.test_client())
    auth.signup("alice")
    old, old_csrf = auth.cookie("refresh_token_cookie"), auth.cookie("csrf_refresh_token")
    auth.refresh()
    with app.app_context():  # pretend the rotation happened six seconds ago
        row = db.session.get(RefreshToken, jti_of(old))
        row.rotated_at -= 6
        db.session.commit()
    auth.set_cookie("refresh_token_cookie", old)
    response = auth.refresh(old_csrf)
    assert (response.status_code, response.json["error"]) == (401, "refresh_reused")


def test_grace_is_capped_at_thirty_seconds(tmp_path):
    app = make_app(tmp_path, REFRESH_GRACE_SECONDS=3600)
    auth = AuthActions(app.test_client())
    auth.signup("alice")
    old, old_csrf = auth.cookie("refresh_token_cookie"), auth.cookie("csrf_refresh_token")
    auth.refresh()
    with app.app_context():
        db.session.get(RefreshToken, jti_of(old)).rotated_at -= 31
        db.session.commit()
    auth.set_cookie("refresh_token_cookie", old)
    assert auth.refresh(old_csrf).json["error"] == "refresh_reused"


def test_reuse_after_the_successor_rotated_is_reuse_even_within_grace(auth):
    auth.signup("alice")
    old, old_csrf = auth.cookie("refresh_token_cookie"), auth.cookie("csrf_refresh_token")
    auth.refresh()
    auth.refresh()
    auth.set_cookie("refresh_token_cookie", old)
    assert auth.refresh(old_csrf).json["error"] == "refresh_reused"


def test_expired_refresh_token(tmp_path):
    app = make_app(tmp_path, JWT_REFRESH_TOKEN_EXPIRES=1)
    auth = AuthActions(app.test_client())
    auth.signup("alice")
    with app.app_context():
        token = db.session.scalars(select(RefreshToken)).one()
        claims = jwt.decode(auth.cookie("refresh_token_cookie"), options={"verify_signature": False})
    expired = jwt.encode({**claims, "iat": claims["iat"] - 10, "nbf": claims["iat"] - 10,
                          "exp": claims["iat"] - 5}, app.config["JWT_REFRESH_KEY"], "HS256")
    auth.set_cookie("refresh_token_cookie", expired)
    response = auth.refresh()
    assert (response.status_code, response.json["error"]) == (401, "token_expired")
    assert token.generation == 0


@pytest.mark.parametrize("parallel", [2, 6])
def test_concurrent_refreshes_with_the_same_cookie_keep_the_user_logged_in(served, parallel):
    app, port = served
    http_request(port, "POST", "/api/auth/register", b'{"username":"alice","password":"password123"}')
    _, _, cookies = http_request(port, "POST", "/api/auth/login",
                            b'{"username":"alice","password":"password123"}')
    barrier = threading.Barrier(parallel)
    results = []

    def refresh():
        barrier.wait()
        results.append(http_request(port, "POST", "/api/auth/refresh", b"{}", cookies,
                               {"X-CSRF-TOKEN": cookies["csrf_refresh_token"]}))

    threads = [threading.Thread(target=refresh) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert [status for status, _, _ in results] == [200] * parallel
    # Everyone got the very same new pair: one successor, no second branch.
    assert len({set_cookies["refresh_token_cookie"] for _, _, set_cookies in results}) == 1
    assert sum(b'"rotated":true' in body for _, body, _ in results) == 1
    assert family_rows(app) == [(0, True), (1, False)]
    new = results[0][2]
    status, _, _ = http_request(port, "GET", "/api/me", cookies=new)
    assert status == 200
    with app.app_context():
        assert db.session.scalars(select(RefreshFamily)).one().revoked_at is None
