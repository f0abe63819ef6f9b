"""Lab quoted-token: a JSON.stringify'd token in the Authorization header, and its diagnosis."""

import json

import jwt
import pytest
from conftest import TEST_KEYS
from werkzeug.http import parse_cookie

from clinic.errors import ERRORS
from clinic.labs.quoted_token import diagnose_authorization

BASE = "/labs/quoted-token"
GENERIC = "Your login token is damaged: it is not a well-formed JWT."


def statuses(body):
    return [step["response"]["status"] for step in body["steps"]]


def lab_token(client, mode="fixed"):
    response = client.post(f"{BASE}/{mode}/login")
    assert response.status_code == 200
    return response.json["access_token"]


def me(client, mode, header):
    headers = {} if header is None else {"Authorization": header}
    return client.get(f"{BASE}/{mode}/me", headers=headers)


def test_broken_story_sends_the_quotes_and_gets_the_bare_library_error(client):
    body = client.get(f"{BASE}/scenario?mode=broken").json
    assert statuses(body) == [200, 401]
    sent = body["steps"][1]["request"]["headers"]["Authorization"]
    assert sent.startswith('Bearer "eyJ') and sent.endswith('"')
    answer = body["steps"][1]["response"]["body"]
    assert answer["error"] == "token_malformed"
    assert answer["detail"] == "Invalid header padding"
    assert answer["message"] == GENERIC  # nothing about the quotes
    assert (body["outcome"], body["error"]) == ("failed", "token_malformed")
    assert "Invalid header padding" in body["diagnosis"]


def test_fixed_story_diagnoses_the_quotes_then_the_raw_token_works(client):
    body = client.get(f"{BASE}/scenario?mode=fixed").json
    assert statuses(body) == [200, 401, 200]
    refused = body["steps"][1]["response"]["body"]
    assert refused["error"] == "token_malformed"
    assert refused["detail"] == "Invalid header padding"
    assert "quotes" in refused["message"] and "JSON.stringify" in refused["message"]
    assert body["steps"][2]["request"]["headers"]["Authorization"].startswith("Bearer eyJ")
    assert (body["outcome"], body["error"]) == ("ok", None)


@pytest.mark.parametrize("mode", ["broken", "fixed"])
def test_raw_token_works_in_both_modes(client, mode):
    answer = me(client, mode, f"Bearer {lab_token(client, mode)}")
    assert answer.status_code == 200
    assert answer.json["user"] == "learner"
    assert 0 < answer.json["expires_in"] <= 600


def test_two_spaces_after_bearer_are_accepted(client):
    assert me(client, "fixed", f"Bearer  {lab_token(client)}").status_code == 200


# What each damaged header looks like, PyJWT's (or the header parser's) words for it, and a
# word the fixed server's diagnosis must contain.
DAMAGED = {
    "quoted": (lambda t: f"Bearer {json.dumps(t)}", "Invalid header padding", "quotes"),
    "single quotes": (lambda t: f"Bearer '{t}'", "Invalid header padding", "quotes"),
    "undefined": (lambda t: "Bearer undefined", "Not enough segments", "undefined"),
    "null": (lambda t: "Bearer null", "Not enough segments", "null"),
    "lower-case": (lambda t: f"bearer {t}", "Missing 'Bearer' type", "case-insensitive"),
    "no scheme": (lambda t: t, "Missing 'Bearer' type", 'no "Bearer "'),
    "doubled": (lambda t: f"Bearer Bearer {t}", "Invalid header padding", "twice"),
    "space inside": (lambda t: f"Bearer {t.replace('.', '. ', 1)}", "padding", "whitespace"),
    "truncated": (lambda t: f"Bearer {t[:-8]}", "", None),
}


@pytest.mark.parametrize("case", DAMAGED)
def test_broken_server_answers_only_the_library_message(client, case):
    build, detail, _ = DAMAGED[case]
    answer = me(client, "broken", build(lab_token(client, "broken")))
    assert answer.status_code == 401
    assert answer.json["error"] in {"token_malformed", "invalid_signature"}  # truncated: either
    assert detail in answer.json["detail"]
    assert answer.json["message"] == ERRORS[answer.json["error"]].message


@pytest.mark.parametrize("case", DAMAGED)
def test_fixed_server_names_the_cause(client, case):
    build, detail, cause = DAMAGED[case]
    header = build(lab_token(client))
    answer = me(client, "fixed", header)
    assert answer.status_code == 401
    assert detail in answer.json["detail"]  # the library's own words stay beside the diagnosis
    if cause is None:  # damage the header's shape does not show: the generic message stays
        assert diagnose_authorization(header) is None
        assert answer.json["message"] == ERRORS[answer.json["error"]].message
    else:
        assert cause in answer.json["message"]
        assert answer.json["message"] == diagnose_authorization(header)


def test_missing_header_is_token_missing_in_both_modes(client):
    for mode in ("broken", "fixed"):
        answer = me(client, mode, None)
        assert (answer.status_code, answer.json["error"]) == (401, "token_missing")
    assert "no Authorization header" in me(client, "fixed", None).json["message"]


def test_diagnosis_is_none_for_a_well_formed_header(client):
    token = lab_token(client)
    assert diagnose_authorization(f"Bearer {token}") is None
    assert diagnose_authorization(f"  Bearer {token} ") is None


def test_a_quoted_cookie_would_arrive_clean():
    """Why this lab uses the Authorization header: Werkzeug unquotes cookie values."""
    assert parse_cookie('lab="eyJa.eyJb.c"')["lab"] == "eyJa.eyJb.c"


def test_lab_tokens_are_not_real_tokens(client):
    token = lab_token(client)
    for real_key in (TEST_KEYS["JWT_ACCESS_KEY"], TEST_KEYS["JWT_REFRESH_KEY"]):
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token, real_key, algorithms=["HS256"])
    # The real API reads cookies only, so a lab token in the header does not log anyone in.
    answer = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert (answer.status_code, answer.json["error"]) == (401, "token_missing")
    assert not client.get_cookie("access_token_cookie")


def test_unknown_mode_is_404(client):
    assert client.post(f"{BASE}/sideways/login").status_code == 404
    assert client.get(f"{BASE}/sideways/me").status_code == 404


def test_differences_show_the_client_and_the_server_code(client):
    page = client.get(f"{BASE}?mode=broken").data.decode()
    assert "JSON.stringify" in page and "brokenClient" in page and "fixedClient" in page
    assert "check_header_broken" in page and "diagnose_authorization" in page


def test_an_empty_token_after_bearer_is_named_as_such():
    from clinic.labs.quoted_token import diagnose_authorization

    for header in ("Bearer", "Bearer ", "Bearer    "):
        assert "Nothing follows" in diagnose_authorization(header)
    assert "quotes" in diagnose_authorization('Bearer "abc.def.ghi"')
