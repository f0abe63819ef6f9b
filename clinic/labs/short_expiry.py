"""Lab: tokens that expire too fast, and no refresh token to fall back on.

Broken: the access token lives a few seconds and nothing renews it, so a page that keeps
asking "who am I?" is thrown out with token_expired. Fixed: the access token is just as short,
but a refresh cookie lets the client get a new one silently, expiry after expiry.
"""

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
    verify_lab_token,
)

SLUG = "short-expiry"
ACCESS_COOKIE = "lab_short_expiry_access"
REFRESH_COOKIE = "lab_short_expiry_refresh"
COOKIE_PATH = f"/labs/{SLUG}/"

# The only settings that differ between the two modes.
# [settings]
SETTINGS = {
    "broken": {"ACCESS_LIFETIME_SECONDS": 5, "REFRESH_LIFETIME_SECONDS": None},
    "fixed": {"ACCESS_LIFETIME_SECONDS": 5, "REFRESH_LIFETIME_SECONDS": 600},
}
# [/settings]

bp = Blueprint("lab_short_expiry", __name__, url_prefix=f"/labs/{SLUG}")


def settings(mode: str) -> dict:
    """The settings of a mode; an unknown mode is a 404."""
    if not is_mode(mode):
        abort(404)
    return SETTINGS[mode]


def issue(kind: str, lifetime: int, now: int) -> str:
    """A lab token of `kind` ("access" or "refresh") that lives `lifetime` seconds from `now`."""
    claims = {"sub": "learner", "type": kind, "iat": now, "exp": now + lifetime}
    return sign_lab_token(lab_key(SLUG, kind), claims)


def set_lab_cookie(response, name: str, token: str) -> None:
    """A lab cookie: HttpOnly, and only ever sent to this lab's own paths."""
    response.set_cookie(name, token, path=COOKIE_PATH, httponly=True, samesite="Strict")


@bp.post("/<mode>/login")
def login(mode: str):
    """Log the lab's learner in: an access token, and in fixed mode a refresh token too."""
    config, now = settings(mode), lab_now()
    access_lifetime = config["ACCESS_LIFETIME_SECONDS"]
    response = jsonify(logged_in=True, access_expires_in=access_lifetime, now=now,
                       refresh=config["REFRESH_LIFETIME_SECONDS"] is not None)
    set_lab_cookie(response, ACCESS_COOKIE, issue("access", access_lifetime, now))
    if config["REFRESH_LIFETIME_SECONDS"]:
        set_lab_cookie(response, REFRESH_COOKIE,
                       issue("refresh", config["REFRESH_LIFETIME_SECONDS"], now))
    return response


@bp.get("/<mode>/me")
def me(mode: str):
    """Who is logged in, checked against the lab clock with no leeway."""
    settings(mode)
    claims = check_cookie(ACCESS_COOKIE, "access")
    now = lab_now()
    return jsonify(user=claims["sub"], iat=claims["iat"], exp=claims["exp"], now=now,
                   expires_in=claims["exp"] - now)


@bp.post("/<mode>/refresh")
def refresh(mode: str):
    """Fixed mode only: swap a live refresh token for a new access token (and refresh token)."""
    config, now = settings(mode), lab_now()
    if not config["REFRESH_LIFETIME_SECONDS"]:
        return jsonify(error="not_found", message="This version of the app has no refresh "
                       "endpoint: when the access token expires, the user must log in again."), 404
    check_cookie(REFRESH_COOKIE, "refresh")
    response = jsonify(refreshed=True, access_expires_in=config["ACCESS_LIFETIME_SECONDS"], now=now)
    set_lab_cookie(response, ACCESS_COOKIE, issue("access", config["ACCESS_LIFETIME_SECONDS"], now))
    set_lab_cookie(response, REFRESH_COOKIE,
                   issue("refresh", config["REFRESH_LIFETIME_SECONDS"], now))
    return response


def check_cookie(name: str, kind: str) -> dict:
    """The claims of a lab cookie, or the contract's 401."""
    token = request.cookies.get(name)
    if not token:
        raise ApiError("token_missing", detail=f'Missing cookie "{name}"')
    try:
        claims = verify_lab_token(token, lab_key(SLUG, kind), now=lab_now())
    except pyjwt.PyJWTError as exc:
        raise lab_error(exc) from None
    return claims


def replay(story: Replay) -> tuple[str | None, str]:
    """Log in, wait past the access token's lifetime on the lab clock, and ask again."""
    lifetime = SETTINGS[story.mode]["ACCESS_LIFETIME_SECONDS"]
    story.send("Log in", "POST", story.path("login"),
               note=f"The access token is valid for {lifetime} seconds.")
    story.send("Ask who is logged in", "GET", story.path("me"), note="Fresh token: accepted.")
    later = lifetime + 1
    first = story.send(f"{later} seconds later, ask again", "GET", story.path("me"),
                       clock_offset=later,
                       note=f"The replay moves the lab clock {later} s forward instead of waiting.")
    if story.mode == "broken":
        story.send("Try to renew the token", "POST", story.path("refresh"), clock_offset=later,
                   note="There is no refresh token and no refresh endpoint to fall back on.")
        return first.get_json()["error"], (
            f"The access token lives {lifetime} s and nothing can renew it, so the first request "
            "after that answers 401 token_expired and the user is sent back to the login page.")
    for offset in (later, 2 * later):
        if offset != later:
            story.send(f"{offset} seconds after login, ask again", "GET", story.path("me"),
                       clock_offset=offset, note="The second access token has expired too.")
        story.send("Refresh silently", "POST", story.path("refresh"), clock_offset=offset,
                   note="The refresh cookie buys a new access token; the user sees nothing.")
        last = story.send("Retry the request once", "GET", story.path("me"), clock_offset=offset,
                          note="The retried request succeeds with the new token.")
    if last.status_code != 200:
        return last.get_json().get("error", "token_expired"), "The refresh did not help."
    return None, (f"The access token still lives only {lifetime} s, which limits the harm of a "
                  "stolen one, but the refresh cookie renews it on every expiry, so the user "
                  "stays logged in.")


def differences() -> list[Difference]:
    """The server's settings in both modes, and what the page's script does on a 401."""
    script = "static/js/labs/short-expiry.js"
    return [
        Difference("Server settings (clinic/labs/short_expiry.py)",
                   repr(SETTINGS["broken"]), repr(SETTINGS["fixed"])),
        Difference(f"What the page does when a request answers 401 ({script})",
                   excerpt(script, "broken-client"), excerpt(script, "fixed-client"),
                   language="javascript"),
    ]


LAB = Lab(
    slug=SLUG,
    title="Tokens that expire too fast",
    symptom="My users keep getting logged out every few minutes.",
    summary="A short-lived access token is good for safety, but without a refresh token the "
            "user is thrown out at every expiry. Add a refresh cookie and refresh silently.",
    blueprint=bp,
    replay=replay,
    differences=differences,
    page_context=lambda mode: {"settings": SETTINGS[mode]},
)
