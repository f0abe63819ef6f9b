"""Headers, tokens kept out of URLs and logs, and clear answers to odd requests."""

import logging

import pytest

from clinic.security import ScrubTokens, scrub

A_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


@pytest.mark.parametrize("path", ["/", "/login", "/api/me", "/no-such-page"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_api_responses_are_not_cached(client):
    assert client.get("/api/me").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("query", [
    "jwt=abc", "token=abc", "access_token=abc", "ACCESS_TOKEN=x", f"q={A_JWT}", f"x=Bearer%20{A_JWT}",
])
def test_token_in_query_string_is_refused(client, query):
    response = client.get(f"/api/me?{query}")
    assert response.status_code == 400
    assert response.json["error"] == "token_in_query_string"
    assert response.json["lesson"] == "/lessons/query-string"


def test_token_in_query_string_is_refused_on_every_api_route(auth):
    response = auth.client.post(f"/api/auth/login?jwt={A_JWT}",
                                json={"username": "a", "password": "b"})
    assert response.json["error"] == "token_in_query_string"


def test_harmless_query_strings_pass(client):
    assert client.get("/api/me?version=1.2.3").json["error"] == "token_missing"


def test_scrub_replaces_a_token_parameter_once():
    assert scrub(f"GET /x?jwt={A_JWT}&a=1 HTTP/1.1") == "GET /x?jwt=[removed]&a=1 HTTP/1.1"
    assert scrub(f"Referer: /p?q={A_JWT}") == "Referer: /p?q=[token removed]"


def test_scrub_removes_tokens_and_token_parameters():
    line = f'127.0.0.1 - - "GET /api/me?jwt=secret&x=1&q={A_JWT} HTTP/1.1" 400 -'
    cleaned = scrub(line)
    assert A_JWT not in cleaned and "secret" not in cleaned
    assert "jwt=[removed]" in cleaned and "x=1" in cleaned


def test_access_log_lines_are_scrubbed(app, caplog):
    logger = logging.getLogger("werkzeug")  # the dev server's access log
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logger.info('%s - - "%s" %s', "127.0.0.1", f"GET /api/me?token={A_JWT} HTTP/1.1", 400)
    assert A_JWT not in caplog.text
    assert "token=[removed]" in caplog.text


def test_app_installs_the_filter_on_the_access_log(app):
    assert any(isinstance(f, ScrubTokens) for f in logging.getLogger("werkzeug").filters)


def test_unknown_api_route_is_json_404(client):
    response = client.get("/api/nothing-here")
    assert (response.status_code, response.json["error"]) == (404, "not_found")


def test_wrong_method_is_json_405(client):
    response = client.get("/api/auth/login")
    assert (response.status_code, response.json["error"]) == (405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_unknown_page_is_an_html_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"There is no page at" in response.data


def test_oversized_body_is_a_clear_413(client):
    response = client.post("/api/auth/login", data="x" * (70 * 1024),
                           content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"] == "payload_too_large"


@pytest.mark.expects_500
def test_unexpected_errors_become_a_logged_friendly_500(app, caplog):
    @app.get("/boom")
    def boom():
        raise RuntimeError("surprise")

    @app.get("/api/boom")
    def api_boom():
        raise RuntimeError("surprise")

    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        page = client.get("/boom")
        api = client.get("/api/boom")
    assert page.status_code == 500 and b"Something broke on our side" in page.data
    assert api.status_code == 500 and api.json["error"] == "internal_error"
    assert "surprise" in caplog.text


def test_no_script_or_style_comes_from_another_origin(client):
    page = client.get("/login").data.decode()
    assert "http://" not in page and "https://" not in page
    assert "<script>" not in page and "onclick" not in page


@pytest.mark.parametrize("argv, env, expected", [
    (["flask", "run", "--host", "0.0.0.0"], {}, "0.0.0.0"),
    (["flask", "run", "-h", "192.168.1.5"], {}, "192.168.1.5"),
    (["flask", "run", "--host=0.0.0.0"], {}, "0.0.0.0"),
    (["flask", "run"], {"FLASK_RUN_HOST": "0.0.0.0"}, "0.0.0.0"),
    (["flask", "run"], {}, "127.0.0.1"),
    (["flask", "reset-demo"], {}, None),
])
def test_the_host_flask_run_serves_is_found(monkeypatch, argv, env, expected):
    from clinic import security

    monkeypatch.setattr(security.sys, "argv", argv)
    monkeypatch.delenv("FLASK_RUN_HOST", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert security._flask_run_host() == expected


def test_serving_a_network_address_without_secure_cookies_warns(app, caplog):
    from clinic.security import warn_if_insecure

    with caplog.at_level(logging.WARNING):
        warn_if_insecure(app, "127.0.0.1")
        assert "Secure" not in caplog.text
        warn_if_insecure(app, "0.0.0.0")
    assert "without Secure cookies" in caplog.text
    caplog.clear()
    app.config["JWT_COOKIE_SECURE"] = True
    warn_if_insecure(app, "0.0.0.0")
    assert "Secure" not in caplog.text


def test_favicon_ico_points_at_the_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.location.endswith("/static/favicon.svg")
