"""The JSON API: register, log in, refresh, log out, and who am I."""

from datetime import datetime, timezone

from flask import Blueprint, jsonify, request
from flask_jwt_extended.config import config

from . import accounts, sessions
from .cookies import clear_session_cookies, set_session_cookies
from .errors import ApiError
from .extensions import csrf
from .tokens import (
    SignedPair,
    check_csrf,
    check_csrf_value,
    current_user,
    decode_quietly,
    require_token,
)

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)  # the API uses the JWT double-submit header instead of Flask-WTF's form token


def iso(timestamp: int) -> str:
    """An epoch time as ISO 8601 in UTC."""
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat()


def json_body() -> dict:
    """The request's JSON object, or invalid_input."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # arrays nested thousands deep
        body = None
    if not isinstance(body, dict):
        raise ApiError("invalid_input", "Send a JSON object with Content-Type: application/json.")
    return body


def session_response(pair: SignedPair, **extra):
    """A JSON answer with the pair's expiry times that also sets its four cookies."""
    response = jsonify(**extra, access_expires_at=iso(pair.access_expires_at),
                       refresh_expires_at=iso(pair.refresh_expires_at))
    set_session_cookies(response, pair)
    return response


@bp.get("/health")
def health():
    """A bare JSON answer: for load balancers, and the benchmark's baseline."""
    return jsonify(status="ok")


@bp.post("/auth/register")
def register():
    """Create an account. It does not log in: that is a separate, explicit step."""
    body = json_body()
    user = accounts.register(body.get("username"), body.get("password"))
    return jsonify(user=user.to_json()), 201


@bp.post("/auth/login")
def login():
    """Check credentials, start a refresh family and set the cookies."""
    body = json_body()
    user = accounts.authenticate(body.get("username"), body.get("password"),
                                 request.remote_addr or "unknown")
    return session_response(sessions.start_session(user), user=user.to_json())


@bp.post("/auth/refresh")
def refresh():
    """Rotate the refresh token: the old one stops working, a new pair is set."""
    claims = require_token("refresh", check_revoked=False)  # rotate() does its own check
    pair, rotated = sessions.rotate(claims)
    return session_response(pair, rotated=rotated)


@bp.post("/auth/logout")
def logout():
    """Revoke the family and the access token, clear the cookies. Safe to repeat."""
    refresh_token = request.cookies.get(config.refresh_cookie_name)
    refresh_claims = decode_quietly(refresh_token)
    access_claims = decode_quietly(request.cookies.get(config.access_cookie_name))
    # Logging someone out is a state change, so it needs the CSRF header like any other.
    if refresh_claims:
        check_csrf(refresh_token)
    elif access_claims:
        # The refresh cookie is gone; the header still carries csrf_refresh_token, the value
        # of the refresh token that was issued together with this access token.
        check_csrf_value(sessions.refresh_csrf_of(access_claims) or access_claims["csrf"])
    sessions.end_session(refresh_claims, access_claims)
    response = jsonify(logged_out=True)
    clear_session_cookies(response)
    return response


@bp.get("/me")
def me():
    """Who the access cookie belongs to, and the token's own claims."""
    claims = require_token()
    token = {key: claims.get(key) for key in ("jti", "iat", "exp", "type")}
    return jsonify(user=current_user().to_json(), token=token)
