"""Signing and checking the site's own tokens with Flask-JWT-Extended.

Access and refresh tokens are signed with different keys. The decode key is picked by the
token's "type" claim, so a refresh token sent as an access token still verifies and is then
refused as the wrong type, instead of looking like a forgery.
"""

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, request
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    decode_token,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import PyJWTError

from .errors import ApiError, classify_jwt_error
from .extensions import jwt

# encode_key_loader is not told which kind of token it signs; this tells it.
_signing_refresh: ContextVar[bool] = ContextVar("signing_refresh", default=False)


@dataclass(frozen=True)
class SignedPair:
    """An access token and a refresh token issued together, with their expiry times."""

    access: str
    refresh: str
    access_csrf: str
    refresh_csrf: str
    access_expires_at: int
    refresh_expires_at: int


@dataclass(frozen=True)
class CurrentUser:
    """The user an access token belongs to, as the one revocation query returns it."""

    id: int
    username: str

    def to_json(self) -> dict:
        """The public view of an account, as the API returns it."""
        return {"id": self.id, "username": self.username}


def init_tokens(app: Flask) -> None:
    """Register the key loaders and the revocation check with Flask-JWT-Extended.

    The revocation check also finds the user, in the same query, so there is no separate
    user_lookup_loader: current_user() reads what it found.
    """
    jwt.init_app(app)

    @jwt.encode_key_loader
    def encode_key(identity: Any) -> str:
        return current_app.config["JWT_REFRESH_KEY" if _signing_refresh.get() else "JWT_ACCESS_KEY"]

    @jwt.decode_key_loader
    def decode_key(header: dict, payload: dict) -> str:
        # The payload is not verified yet; a lie about "type" only selects a key that fails.
        refresh = payload.get("type") == "refresh"
        return current_app.config["JWT_REFRESH_KEY" if refresh else "JWT_ACCESS_KEY"]

    @jwt.token_verification_loader
    def has_required_claims(header: dict, payload: dict) -> bool:
        # PyJWT accepts a token without "exp"; this site never issues one, so refuse it.
        return all(isinstance(payload.get(name), int) for name in ("exp", "iat")) and all(
            isinstance(payload.get(name), str) for name in ("jti", "fam", "csrf"))

    @jwt.token_in_blocklist_loader
    def is_revoked(header: dict, payload: dict) -> bool:
        from .sessions import find_access_owner  # sessions imports this module

        g.current_user = find_access_owner(payload)
        return g.current_user is None


def current_user() -> CurrentUser:
    """The owner of the access token that require_token() accepted in this request."""
    return g.current_user


def sign_pair(user_id: int, family_id: str, row: Any) -> SignedPair:
    """Sign the access and refresh token described by one RefreshToken row.

    Every claim comes from the row, so signing the same row twice gives the same two tokens.
    """
    shared = {"iat": row.issued_at, "nbf": row.issued_at, "fam": family_id, "gen": row.generation}
    access = create_access_token(
        identity=str(user_id),
        additional_claims={**shared, "jti": row.access_jti, "csrf": row.access_csrf,
                           "exp": row.access_expires_at},
    )
    marker = _signing_refresh.set(True)
    try:
        refresh = create_refresh_token(
            identity=str(user_id),
            additional_claims={**shared, "jti": row.jti, "csrf": row.csrf, "exp": row.expires_at},
        )
    finally:
        _signing_refresh.reset(marker)
    return SignedPair(access, refresh, row.access_csrf, row.csrf, row.access_expires_at,
                      row.expires_at)


def require_token(refresh: bool = False, check_revoked: bool = True) -> dict:
    """Verify the request's access (or refresh) cookie and return its claims, or raise ApiError."""
    header = request.headers.get("X-CSRF-TOKEN")
    if header is not None and not header.isascii():
        raise ApiError("csrf_failed")  # hmac.compare_digest cannot compare non-ASCII text
    try:
        _, claims = verify_jwt_in_request(refresh=refresh, skip_revocation_check=not check_revoked)
    except (PyJWTError, JWTExtendedException) as exc:
        raise ApiError(classify_jwt_error(exc), detail=str(exc)) from None
    return claims


def decode_quietly(token: str | None, csrf_value: str | None = None) -> dict | None:
    """Claims of a token signed by this site, expired or not; None when it does not verify."""
    if not token:
        return None
    try:
        return decode_token(token, csrf_value=csrf_value, allow_expired=True)
    except (PyJWTError, JWTExtendedException):
        return None
