"""Lab: a token wrapped in quotes by JSON.stringify, and a server that cannot say why it fails.

Broken: the client stores the token with JSON.stringify and sends what it reads back, so the
header is `Authorization: Bearer "eyJ…"`. PyJWT cannot decode it ("Invalid header padding")
and the server answers 401 token_malformed with nothing more to go on. Fixed: the client
stores and sends the raw token, and the server's 401 names the cause when the header has one
of the usual formatting bugs (quotes, whitespace, a missing or doubled Bearer, `undefined`).

Quotes only break the Authorization header here: Werkzeug strips quotes around a cookie value,
so the same bug hides itself when the token travels in a cookie.
"""

import json
import re

import jwt as pyjwt
from flask import Blueprint, abort, jsonify, request

from ..errors import ApiError
from .base import (
    Difference,
    Lab,
    Replay,
    excerpt,
    is_mode,
    lab_error,
    lab_key,
    lab_now,
    sign_lab_token,
    source_of,
    verify_lab_token,
)

SLUG = "quoted-token"
TOKEN_LIFETIME_SECONDS = 600
SCRIPT = "static/js/labs/quoted-token.js"

bp = Blueprint("lab_quoted_token", __name__, url_prefix=f"/labs/{SLUG}")


def checked_mode(mode: str) -> str:
    """The mode from the URL; an unknown mode is a 404."""
    if not is_mode(mode):
        abort(404)
    return mode


@bp.post("/<mode>/login")
def login(mode: str):
    """Log the lab's learner in: the token comes back in the body, for the client to store."""
    checked_mode(mode)
    now = lab_now()
    claims = {"sub": "learner", "iat": now, "exp": now + TOKEN_LIFETIME_SECONDS}
    token = sign_lab_token(lab_key(SLUG, "access"), claims)
    return jsonify(access_token=token, expires_in=TOKEN_LIFETIME_SECONDS)


@bp.get("/<mode>/me")
def me(mode: str):
    """Who the Authorization header belongs to, checked the mode's way."""
    check = check_header_fixed if checked_mode(mode) == "fixed" else check_header_broken
    claims = check(request.headers.get("Authorization"))
    return jsonify(user=claims["sub"], exp=claims["exp"], expires_in=claims["exp"] - lab_now())


def bearer_token(header: str | None) -> str:
    """What follows "Bearer " in an Authorization header; both modes read the header this way."""
    if not header or not header.strip():
        raise ApiError("token_missing", detail="Missing Authorization header")
    scheme, _, token = header.strip().partition(" ")
    if scheme != "Bearer":
        # Flask-JWT-Extended's words for the same refusal.
        raise ApiError("token_malformed", detail="Missing 'Bearer' type in 'Authorization' "
                       "header. Expected 'Authorization: Bearer <JWT>'")
    return token.strip()  # extra spaces between "Bearer" and the token are harmless


def verify(token: str) -> dict:
    """The claims of a lab token, checked against the lab clock."""
    return verify_lab_token(token, lab_key(SLUG, "access"), now=lab_now())


def check_header_broken(header: str | None) -> dict:
    """Broken: the library's terse error is all the client hears."""
    try:
        return verify(bearer_token(header))
    except pyjwt.PyJWTError as exc:
        raise lab_error(exc) from None


def check_header_fixed(header: str | None) -> dict:
    """Fixed: the same strict check, but a refusal names the cause."""
    try:
        return verify(bearer_token(header))
    except pyjwt.PyJWTError as exc:
        error = lab_error(exc)
    except ApiError as exc:
        error = exc
    error.message = diagnose_authorization(header) or error.message
    raise error


QUOTES = "\"'"
PLACEHOLDERS = {"undefined", "null"}


def diagnose_authorization(header: str | None) -> str | None:
    """Name the formatting bug in an Authorization header, or None when its shape is right."""
    if not header or not header.strip():
        return "The request has no Authorization header: the client sent no token at all."
    scheme, _, rest = header.strip().partition(" ")
    token = rest.strip()
    if scheme.lower() == "bearer" and scheme != "Bearer":
        return (f'The header starts with "{scheme}". HTTP calls scheme names case-insensitive, '
                'but many servers (Flask-JWT-Extended too) only accept "Bearer": send that.')
    if scheme.lower() != "bearer":
        return ('The header has no "Bearer " before the token. Send '
                '"Authorization: Bearer <token>".')
    if not token:
        return ('Nothing follows "Bearer": the client sent the prefix without a token. Check '
                "that the token was stored before the request was made.")
    if token.split(" ", 1)[0].lower() == "bearer":
        return ('"Bearer" appears twice: the client added it to a value that already had it. '
                "Store the bare token and add the prefix in one place.")
    if token.strip(QUOTES) in PLACEHOLDERS:
        return (f'The token is the text "{token.strip(QUOTES)}": the client read it before it '
                "was stored, or turned a missing value into a string. Check before sending.")
    if token[:1] in QUOTES or token[-1:] in QUOTES:
        return ("The token is wrapped in quotes: it was stored with JSON.stringify and sent "
                "without JSON.parse. Store and send the token string as it is.")
    if re.search(r"\s", token):
        return ("The token contains whitespace: it was wrapped or pasted with a line break "
                "or space in it. A JWT never contains spaces; remove them.")
    return None


def replay(story: Replay) -> tuple[str | None, str]:
    """Log in, then send the token the way this mode's client stores and reads it."""
    login_response = story.send(
        "Log in", "POST", story.path("login"),
        note="The token comes back in the body; the page's script stores it in localStorage.")
    token = login_response.get_json()["access_token"]
    quoted = f"Bearer {json.dumps(token)}"  # json.dumps quotes a string as JSON.stringify does
    if story.mode == "broken":
        first = story.send(
            "Ask who is logged in, with the stored token", "GET", story.path("me"),
            headers={"Authorization": quoted},
            note="localStorage kept the quotes that JSON.stringify added, and the script sent "
                 "them along. PyJWT cannot decode the header part of the token.")
        body = first.get_json()
        return body["error"], (
            'The client stored the token with JSON.stringify, so it read back "eyJ…" with the '
            "quotes and sent Bearer \"eyJ…\". The server answered 401 token_malformed with only "
            f"the library's terse \"{body.get('detail')}\" and no word about the quotes.")
    story.send(
        "A tab still running the old script sends the quoted token", "GET", story.path("me"),
        headers={"Authorization": quoted},
        note="Still refused, but the message now names the cause: the quotes.")
    last = story.send(
        "The fixed script sends the raw token", "GET", story.path("me"),
        headers={"Authorization": f"Bearer {token}"},
        note="The token travels exactly as it was issued: accepted.")
    if last.status_code != 200:
        return last.get_json().get("error", "token_malformed"), "The raw token was refused."
    return None, ("The client stores and sends the token string as it is, so the header is "
                  "Bearer eyJ… and the token verifies. When a header is still damaged, the "
                  "server's 401 says how (quotes, spaces, a missing Bearer, undefined).")


def differences() -> list[Difference]:
    """How the client stores and sends the token, and how the server explains a refusal."""
    return [
        Difference(f"How the page stores and sends the token ({SCRIPT})",
                   excerpt(SCRIPT, "broken-client"), excerpt(SCRIPT, "fixed-client"),
                   language="javascript"),
        Difference("How the server checks the header (clinic/labs/quoted_token.py)",
                   source_of(check_header_broken), source_of(check_header_fixed)),
    ]


LAB = Lab(
    slug=SLUG,
    title="A token wrapped in quotes",
    symptom="Login works, but every request right after it says the token is invalid.",
    summary="The client saves the token with JSON.stringify, so it sends \"eyJ…\" with the "
            "quotes, and the server rejects it as malformed. Send the raw token; make the "
            "server's error name the cause.",
    blueprint=bp,
    replay=replay,
    differences=differences,
)
