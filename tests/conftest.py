"""Shared fixtures: an app with a fresh database per test, a client, and AuthActions."""

import http.client
import os
import threading
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from werkzeug.serving import make_server

from app import create_app

TEST_KEYS = {
    "SECRET_KEY": "test-flask-secret-key-that-is-long-enough-0001",
    "JWT_ACCESS_KEY": "test-access-signing-key-that-is-long-enough-0001",
    "JWT_REFRESH_KEY": "test-refresh-signing-key-that-is-long-enough-001",
}


def make_app(tmp_path, **overrides):
    """An app in its own instance folder, with low bcrypt rounds for faster tests."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "BCRYPT_ROUNDS": 4,
        "DEMO_MODE": False,
        "JWT_DECODE_LEEWAY": 0,
        **TEST_KEYS,
        **overrides,
    }
    return create_app(config, instance_path=str(tmp_path / "instance"))


@pytest.fixture
def app(tmp_path):
    """A fresh app and database for each test."""
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    """A test client that keeps cookies like a browser.

    With CLINIC_TEST_LABS_BROKEN=1 (set by test_labs.py), this browser first switches every
    lab to broken and runs its broken story, so the foundation's tests prove the labs leave
    the real login alone.
    """
    client = app.test_client()
    if os.environ.get("CLINIC_TEST_LABS_BROKEN") == "1":
        break_every_lab(client)
    return client


def break_every_lab(client):
    """Choose broken mode for every lab and replay each broken story in this app."""
    from clinic.labs import LABS

    for lab in LABS:
        assert client.get(f"/labs/{lab.slug}?mode=broken").status_code == 200
        assert client.get(f"/labs/{lab.slug}/scenario").json["outcome"] == "failed"


@pytest.fixture
def runner(app):
    """A runner for the app's command-line commands."""
    return app.test_cli_runner()


class AuthActions:
    """Register, log in, refresh and log out through the JSON API."""

    password = "correct horse battery"

    def __init__(self, client):
        self.client = client

    def register(self, username="alice", password=None):
        return self.client.post("/api/auth/register",
                                json={"username": username, "password": password or self.password})

    def login(self, username="alice", password=None):
        return self.client.post("/api/auth/login",
                                json={"username": username, "password": password or self.password})

    def signup(self, username="alice"):
        """Register and log in; return the login response."""
        assert self.register(username).status_code == 201
        response = self.login(username)
        assert response.status_code == 200
        return response

    def cookie(self, name):
        found = self.client.get_cookie(name, path=self.path_of(name))
        return found.value if found else None

    @staticmethod
    def path_of(name):
        return "/api/auth/" if name == "refresh_token_cookie" else "/"

    def refresh(self, csrf=None):
        csrf = self.cookie("csrf_refresh_token") if csrf is None else csrf
        return self.client.post("/api/auth/refresh", headers={"X-CSRF-TOKEN": csrf})

    def logout(self, csrf=None):
        csrf = self.cookie("csrf_refresh_token") if csrf is None else csrf
        return self.client.post("/api/auth/logout", headers={"X-CSRF-TOKEN": csrf or ""})

    def set_cookie(self, name, value):
        self.client.set_cookie(name, value, path=self.path_of(name))


@pytest.fixture
def auth(client):
    """AuthActions bound to the test client."""
    return AuthActions(client)


@pytest.fixture
def served(tmp_path, request):
    """The app behind a real threaded HTTP server, for requests that truly overlap.

    Config overrides come from the test's `served_config` marker, if any.
    """
    marker = request.node.get_closest_marker("served_config")
    app = make_app(tmp_path, **(marker.kwargs if marker else {}))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, server.server_port
    server.shutdown()


def http_request(port, method, path, body=None, cookies=None, headers=None):
    """One HTTP request; returns status, body bytes and the cookies set."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    sent = {"Content-Type": "application/json", **(headers or {})}
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    result = response.status, response.read(), {k: m.value for k, m in jar.items()}
    conn.close()
    return result


@pytest.fixture(autouse=True)
def no_unexpected_errors(request, caplog):
    """Fail any test during which the friendly-500 handler ran, unless it expects that."""
    yield
    if request.node.get_closest_marker("expects_500"):
        return
    crashes = [r for r in caplog.get_records("call") if r.name == "clinic.errors"]
    assert not crashes, f"a request reached the 500 handler: {crashes[0].getMessage()}"


def pytest_collection_modifyitems(config, items):
    """Fast tests first, browser tests last."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


__all__ = ["AuthActions", "make_app", "timedelta"]
