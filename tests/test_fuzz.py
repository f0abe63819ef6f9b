"""Generated garbage never produces a 5xx (nor a 422) anywhere an attacker can reach."""

import json

import pytest
from conftest import make_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Header and cookie values travel as latin-1 text; keep to what HTTP can carry.
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255,
                                    blacklist_characters="\x7f"), max_size=300)
jwtish = st.builds(lambda a, b, c: f"{a}.{b}.{c}", *[st.from_regex(r"[A-Za-z0-9_\-=]{0,60}",
                                                                   fullmatch=True)] * 3)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=100),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10)
bodies = st.dictionaries(st.sampled_from(["username", "password", "x"]), json_values, max_size=3)

ROUTES = [("GET", "/api/me"), ("POST", "/api/auth/refresh"), ("POST", "/api/auth/logout"),
          ("GET", "/dashboard"), ("GET", "/dashboard/panel")]
FUZZ = settings(max_examples=400, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("fuzz"))


def assert_clean(response):
    assert response.status_code < 500, response.data[:300]
    assert response.status_code != 422
    if response.status_code >= 400 and response.is_json:
        assert set(response.json) >= {"error", "message"}


@FUZZ
@given(route=st.sampled_from(ROUTES), value=header_text | jwtish, csrf=header_text | st.none())
def test_garbage_authorization_header_and_csrf(fuzz_app, route, value, csrf):
    headers = {"Authorization": value}
    if csrf is not None:
        headers["X-CSRF-TOKEN"] = csrf
    client = fuzz_app.test_client(use_cookies=False)
    assert_clean(client.open(route[1], method=route[0], headers=headers))


@FUZZ
@given(route=st.sampled_from(ROUTES), name=st.sampled_from(
    ["access_token_cookie", "refresh_token_cookie", "csrf_refresh_token", "session"]),
    value=jwtish | header_text.filter(lambda v: ";" not in v and "," not in v),
    csrf=st.from_regex(r"[ -~]{0,40}", fullmatch=True))
def test_garbage_cookies(fuzz_app, route, name, value, csrf):
    client = fuzz_app.test_client(use_cookies=False)
    headers = {"Cookie": f"{name}={value}; csrf_refresh_token=x", "X-CSRF-TOKEN": csrf}
    assert_clean(client.open(route[1], method=route[0], headers=headers))


@FUZZ
@given(path=st.sampled_from(["/api/auth/login", "/api/auth/register"]),
       body=bodies | json_values, raw=st.booleans(), garbage=st.binary(max_size=200))
def test_garbage_json_bodies(fuzz_app, path, body, raw, garbage):
    client = fuzz_app.test_client(use_cookies=False)
    data = garbage if raw else json.dumps(body)
    assert_clean(client.post(path, data=data, content_type="application/json"))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.text(st.characters(min_codepoint=33, max_codepoint=0x2FFF,
                                  blacklist_characters="?#"), max_size=60),
       query=st.text(max_size=60))
def test_garbage_urls(fuzz_app, path, query):
    client = fuzz_app.test_client(use_cookies=False)
    # Set PATH_INFO as a server would (UTF-8 bytes read as latin-1); a path like "//x" given
    # to the test client would be read as a host name instead.
    assert_clean(client.get("/", query_string={"q": query},
                            environ_overrides={"PATH_INFO": "/" + path.encode().decode("latin-1")}))
