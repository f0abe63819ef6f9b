"""The HTML pages: forms with CSRF, redirects that name the reason, the dashboard."""

import html
import re

import pytest
from conftest import AuthActions


def form_token(client, path):
    page = client.get(path).data.decode()
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_home_page(client):
    page = client.get("/")
    assert page.status_code == 200
    assert b"Why do my users keep getting logged out?" in page.data


def test_register_and_log_in_through_the_forms(client):
    token = form_token(client, "/register")
    response = client.post("/register", data={"csrf_token": token, "username": "alice",
                                              "password": "password123", "confirm": "password123"})
    assert response.status_code == 302 and response.location.endswith("/login")
    token = form_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "username": "alice",
                                           "password": "password123"})
    assert response.status_code == 302 and response.location.endswith("/dashboard")
    assert client.get_cookie("access_token_cookie") is not None
    dashboard = html.unescape(client.get("/dashboard").data.decode())
    assert "alice" in dashboard and '"type": "access"' in dashboard
    assert "Rotation history" in dashboard


def test_form_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "alice", "password": "password123"})
    assert response.status_code == 400
    assert client.get_cookie("access_token_cookie") is None


def test_login_form_shows_wrong_password(client, auth):
    auth.register("alice")
    token = form_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "username": "alice",
                                           "password": "wrong password"})
    assert response.status_code == 401
    assert b"The username or password is wrong." in response.data


def test_register_form_explains_an_over_long_password(client):
    token = form_token(client, "/register")
    password = "ü" * 40  # 80 bytes
    response = client.post("/register", data={"csrf_token": token, "username": "alice",
                                              "password": password, "confirm": password})
    assert response.status_code == 400
    assert b"at most 72 bytes" in response.data


def test_register_form_duplicate_username(client, auth):
    auth.register("alice")
    token = form_token(client, "/register")
    response = client.post("/register", data={"csrf_token": token, "username": "Alice",
                                              "password": "password123", "confirm": "password123"})
    assert response.status_code == 409
    assert b"already taken" in response.data


def test_dashboard_without_session_redirects_to_login_with_reason(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.location == "/login?next=/dashboard&reason=token_missing"
    page = client.get(response.location).data.decode()
    assert "Please log in to see that page." in page


def test_dashboard_with_expired_access_but_live_refresh_goes_to_resume(tmp_path):
    from conftest import make_app

    app = make_app(tmp_path, JWT_ACCESS_TOKEN_EXPIRES=1)
    auth = AuthActions(app.test_client())
    auth.signup("alice")
    import time
    time.sleep(2.1)
    response = auth.client.get("/dashboard")
    assert response.status_code == 302
    assert response.location.startswith("/resume?next=")
    page = auth.client.get(response.location).data.decode()
    assert 'src="/static/js/resume.js"' in page and "log in again" in page


@pytest.mark.parametrize("target, expected", [("/dashboard?x=1", "/dashboard?x=1"),
                                              ("//evil.example", "/dashboard"),
                                              ("https://evil.example", "/dashboard"),
                                              ("/\\evil.example", "/dashboard")])
def test_login_only_returns_to_local_paths(client, auth, target, expected):
    auth.register("alice")
    token = form_token(client, "/login")
    response = client.post("/login", query_string={"next": target},
                           data={"csrf_token": token, "username": "alice",
                                 "password": auth.password})
    assert response.location == expected


def test_logout_form_revokes_and_redirects(client, auth):
    auth.signup("alice")
    access = auth.cookie("access_token_cookie")
    token = form_token(client, "/dashboard")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and "reason=logged_out" in response.location
    assert "You have logged out." in client.get(response.location).data.decode()
    auth.set_cookie("access_token_cookie", access)
    assert client.get("/api/me").json["error"] == "token_revoked"
    revoked = client.get("/dashboard")
    assert "reason=token_revoked" in revoked.location


def test_dashboard_panel_lists_each_rotation(client, auth):
    auth.signup("alice")
    auth.refresh()
    auth.refresh()
    panel = client.get("/dashboard/panel").data.decode()
    assert panel.count("<tr") == 4  # header plus three generations
    assert panel.count(">rotated<") == 2 and "<strong>current</strong>" in panel
