"""The site's own tokens: issued with Flask-JWT-Extended, checked once per request with PyJWT.

Access and refresh tokens are signed with different keys. The key for checking is picked by
the token's "type" claim, so a refresh token sent as an access token still verifies and is then
refused as the wrong type, instead of looking like a forgery.

Issuing goes through Flask-JWT-Extended: its settings, claims and cookie names. Checking does
not use its verify_jwt_in_request, which parses every token four times; PyJWT validates base64
one character at a time in Python, so those parses cost more than the rest of GET /api/me
together (bench/me_vs_bare.py measures it). One jwt.decode with the same settings checks the
signature, algorithm, time claims, issuer and audience instead.
"""

import base64
import binascii
import json
import time
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from hmac import compare_digest
from typing import Any

import jwt as pyjwt
from flask import Flask, current_app, g, request
from flask_jwt_extended import create_access_token, create_refresh_token
from flask_jwt_extended.config import config as jwt_config

from .errors import ApiError, IllTypedClaimError, classify_jwt_error
from .extensions import jwt

# encode_key_loader is not told which kind of token it signs; this tells it.
_signing_refresh: ContextVar[bool] = ContextVar("signing_refresh", default=False)

# Claims every token of this site carries; a token without one of them was not issued here.
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "sub", "jti", "iss", "aud", "type", "csrf", "fam"]
CSRF_HEADER = "X-CSRF-TOKEN"


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
    """Bind Flask-JWT-Extended and tell it which key signs which kind of token."""
    jwt.init_app(app)

    @jwt.encode_key_loader
    def encode_key(identity: Any) -> str:
        return current_app.config["JWT_REFRESH_KEY" if _signing_refresh.get() else "JWT_ACCESS_KEY"]


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


def peek_claims(token: str) -> dict | None:
    """The payload of a token before anything is verified, or None if it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error, RecursionError):  # bad base64, UTF-8 or JSON; [[[[...
        return None
    return payload if isinstance(payload, dict) else None


def decode_site_token(token: str, verify_exp: bool = True) -> dict:
    """Verify a token of this site and return its claims; raise a PyJWTError if it fails."""
    config = current_app.config
    claims = dict(_verified_claims(
        token, config["JWT_ACCESS_KEY"], config["JWT_REFRESH_KEY"],
        tuple(config["JWT_DECODE_ALGORITHMS"]), _hashable(config["JWT_DECODE_AUDIENCE"]),
        _hashable(config["JWT_DECODE_ISSUER"])))
    check_time_claims(claims, now=time.time(), leeway=_seconds(config["JWT_DECODE_LEEWAY"]),
                      verify_exp=verify_exp)
    return claims


@lru_cache(maxsize=4096)
def _verified_claims(token: str, access_key: str, refresh_key: str, algorithms: tuple,
                     audience: str | tuple, issuer: str | tuple) -> dict:
    """Signature, algorithm, issuer, audience and required claims, checked once per token.

    A page polling the API sends the same token again and again, and verifying it again gives
    the same answer: the keys are part of the cache key, and failures are never cached. Time
    claims change with the clock, so check_time_claims runs on every request instead.
    """
    is_refresh = (peek_claims(token) or {}).get("type") == "refresh"
    try:
        claims = pyjwt.decode(token, refresh_key if is_refresh else access_key,
                              algorithms=list(algorithms), audience=audience, issuer=issuer,
                              options={"require": REQUIRED_CLAIMS, "verify_exp": False,
                                       "verify_iat": False, "verify_nbf": False})
    except pyjwt.InvalidSignatureError:
        check_signature_length(token)
        raise
    except RecursionError:  # JSON nested thousands deep: not a token, and no reason for a 500
        raise pyjwt.DecodeError("Invalid token: JSON nested too deeply") from None
    if not all(isinstance(claims[name], str) for name in ("type", "csrf", "fam")):
        raise IllTypedClaimError("claims 'type', 'csrf' and 'fam' must be strings")
    if not all(isinstance(claims[name], (int, float)) for name in ("exp", "iat", "nbf")):
        raise pyjwt.InvalidIssuedAtError("exp, iat and nbf must be numbers")
    return claims


HS256_SIGNATURE_CHARS = 43  # 32 bytes of HMAC-SHA256 in base64url, without padding


def check_signature_length(token: str) -> None:
    """After a failed signature check: a signature of the wrong length means a cut token.

    PyJWT calls it a signature that does not verify, which sounds like the wrong key; the
    learner needs to hear that the token is damaged, so it becomes token_malformed.
    """
    signature = token.rpartition(".")[2]
    if token.count(".") == 2 and len(signature) != HS256_SIGNATURE_CHARS:
        raise pyjwt.DecodeError(f"The signature has {len(signature)} characters; an HS256 "
                                f"signature has {HS256_SIGNATURE_CHARS}: the token was cut short "
                                "or changed")


def check_time_claims(claims: dict, now: float, leeway: float = 0, verify_exp: bool = True) -> None:
    """PyJWT's own rules and messages for exp, iat and nbf, against a given time."""
    if verify_exp and claims["exp"] <= now - leeway:
        raise pyjwt.ExpiredSignatureError("Signature has expired")
    if claims["iat"] > now + leeway:
        raise pyjwt.ImmatureSignatureError("The token is not yet valid (iat)")
    if claims.get("nbf", 0) > now + leeway:
        raise pyjwt.ImmatureSignatureError("The token is not yet valid (nbf)")


def _hashable(value: object) -> object:
    """A list setting (several audiences, say) as a tuple, so it can be part of a cache key."""
    return tuple(value) if isinstance(value, list) else value


def _seconds(leeway: object) -> float:
    """A leeway setting, given as seconds or as a timedelta, in seconds."""
    return leeway.total_seconds() if isinstance(leeway, timedelta) else float(leeway)


def require_token(kind: str = "access", check_revoked: bool = True) -> dict:
    """Check the request's access (or refresh) cookie; return its claims or raise ApiError.

    The order is the contract's: CSRF, then signature, time claims, issuer and audience,
    then token type, then revocation (one query, which also finds the user).
    """
    refresh = kind == "refresh"
    cookie = jwt_config.refresh_cookie_name if refresh else jwt_config.access_cookie_name
    token = request.cookies.get(cookie)
    if not token:
        raise ApiError("token_missing", detail=f'Missing cookie "{cookie}"')
    if request.method in jwt_config.csrf_request_methods:
        check_csrf(token)
    try:
        claims = decode_site_token(token)
    except pyjwt.PyJWTError as exc:
        raise ApiError(classify_jwt_error(exc), detail=str(exc)) from None
    if claims["type"] != kind:
        raise ApiError("wrong_token_type", detail=f"Only {kind} tokens are allowed here")
    if check_revoked:
        from .sessions import find_access_owner  # sessions imports this module

        g.current_user = find_access_owner(claims)
        if g.current_user is None:
            raise ApiError("token_revoked")
    return claims


def check_csrf(token: str) -> None:
    """Double submit: the X-CSRF-TOKEN header must equal the token's own csrf claim.

    The claim is read before the signature is checked, so CSRF comes first; a forged claim
    gains nothing, because the signature check right after refuses the token anyway.
    """
    claims = peek_claims(token)
    if claims is None:
        require_csrf_header()
        return  # not a JWT at all: the decode that follows names that problem
    check_csrf_value(str(claims.get("csrf", "")))


def check_csrf_value(expected: str) -> None:
    """The X-CSRF-TOKEN header must be present and equal `expected`."""
    header = require_csrf_header()
    if not compare_digest(header.encode("utf-8", "replace"), expected.encode("utf-8", "replace")):
        raise ApiError("csrf_failed", detail="CSRF double submit tokens do not match")


def require_csrf_header() -> str:
    """The X-CSRF-TOKEN header, or csrf_failed when it is missing."""
    header = request.headers.get(CSRF_HEADER, "")
    if not header:
        raise ApiError("csrf_failed", detail="Missing CSRF token")
    return header


def current_user() -> CurrentUser:
    """The owner of the access token that require_token() accepted in this request."""
    return g.current_user


def decode_quietly(token: str | None) -> dict | None:
    """Claims of a token signed by this site, expired or not; None when it does not verify."""
    if not token:
        return None
    try:
        return decode_site_token(token, verify_exp=False)
    except pyjwt.PyJWTError:
        return None
