"""Error codes, the JSON body every API failure shares, and the pages for everything else."""

import logging
import re
from dataclasses import dataclass

import jwt
from flask import Flask, jsonify, render_template, request
from jwt import exceptions as jwt_errors
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErrorCode:
    """What a failure answers: its status, a sentence for a beginner, and where to learn more."""

    status: int
    message: str
    lesson: str | None = None
    hint: str | None = None


ERRORS: dict[str, ErrorCode] = {
    "token_missing": ErrorCode(
        401, "No login token came with this request, so you are not logged in.",
        "how-it-works", "Log in first, then send the token where this server reads it (on "
        "this site's API, the access_token_cookie cookie)."),
    "token_expired": ErrorCode(
        401, "Your login token has expired.",
        "short-expiry", "Call POST /api/auth/refresh to get a new one, or log in again."),
    "token_not_yet_valid": ErrorCode(
        401, "Your login token says it was issued in the future, so a clock is wrong somewhere.",
        "clock-skew", "Check that the issuing and verifying machines agree on the time."),
    "invalid_signature": ErrorCode(
        401, "Your login token was signed with a different key, or changed after it was signed.",
        "wrong-secret", "The server that issues tokens and the one that checks them must share keys."),
    "token_malformed": ErrorCode(
        401, "Your login token is damaged: it is not a well-formed JWT.",
        "quoted-token", "Send the token exactly as it was issued: no quotes, spaces or prefixes."),
    "invalid_claims": ErrorCode(
        401, "Your login token was issued for another site, or it lacks details this site needs.",
        "how-it-works"),
    "wrong_token_type": ErrorCode(
        401, "A refresh token was used where an access token belongs, or the other way round.",
        "best-practices"),
    "token_revoked": ErrorCode(
        401, "This login has ended: you logged out, or the login was revoked.",
        "best-practices", "Log in again."),
    "refresh_reused": ErrorCode(
        401, "An old refresh token came back, so this whole login was ended to keep it safe.",
        "best-practices", "Log in again. If you did not expect this, someone may have copied "
        "your token."),
    "csrf_failed": ErrorCode(
        401, "The request did not prove it came from this site's own pages (CSRF check).",
        "best-practices", "Send the header X-CSRF-TOKEN with the value of the csrf cookie that "
        "belongs to the token: csrf_access_token, or csrf_refresh_token for /api/auth/."),
    "invalid_credentials": ErrorCode(401, "The username or password is wrong."),
    "invalid_input": ErrorCode(400, "The request body is not what this endpoint takes."),
    "token_in_query_string": ErrorCode(
        400, "A token was sent in the URL, where logs and browser history keep it.",
        "query-string", "Send the token in a cookie or the Authorization header, never in "
        "the address."),
    # 400, not 401: the token is valid and logging in again would leak the new one the same
    # way; the request that put it in a URL is the mistake, as with token_in_query_string.
    "token_leaked": ErrorCode(
        400, "Your login token was copied where others can read it: a server log, the "
        "browser history or another site's Referer header.",
        "query-string", "Treat it as stolen: end that login, and send tokens only in the "
        "Authorization header or an HttpOnly cookie, never in a URL."),
    "not_found": ErrorCode(404, "There is no API endpoint at this address."),
    "method_not_allowed": ErrorCode(405, "This endpoint does not accept that HTTP method."),
    "username_taken": ErrorCode(409, "That username is already taken."),
    "too_many_attempts": ErrorCode(
        429, "Too many failed logins; wait a few minutes before trying again."),
    "payload_too_large": ErrorCode(413, "The request body is larger than this site accepts."),
}


class ApiError(Exception):
    """A failure with one of the codes above; the handler renders it as JSON."""

    def __init__(self, code: str, message: str | None = None, detail: str | None = None,
                 headers: dict | None = None, hint: str | None = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.detail = detail
        self.headers = headers or {}
        self.hint = hint


def error_body(code: str, message: str | None = None, detail: str | None = None,
               hint: str | None = None) -> dict:
    """The JSON body for a code: error, message, and hint, lesson and detail when known."""
    spec = ERRORS[code]
    body = {"error": code, "message": message or spec.message}
    if hint or spec.hint:
        body["hint"] = hint or spec.hint
    if spec.lesson:
        body["lesson"] = f"/lessons/{spec.lesson}"
    if detail:
        body["detail"] = detail  # the library's own words, for learners comparing the two
    return body


class IllTypedClaimError(jwt.InvalidTokenError):
    """A claim this site relies on is present but not of the type it issues."""


def classify_jwt_error(exc: Exception) -> str:
    """Map an exception from PyJWT to the contract's error code."""
    # Order matters: InvalidSignatureError is a DecodeError, and most are InvalidTokenError.
    table = (
        (jwt.ExpiredSignatureError, "token_expired"),
        (jwt.ImmatureSignatureError, "token_not_yet_valid"),
        (jwt.InvalidSignatureError, "invalid_signature"),
        (jwt.InvalidAlgorithmError, "token_malformed"),
        ((jwt.InvalidIssuerError, jwt.InvalidAudienceError, jwt.MissingRequiredClaimError,
          jwt.InvalidIssuedAtError, jwt_errors.InvalidSubjectError,
          jwt_errors.InvalidJTIError, IllTypedClaimError), "invalid_claims"),
    )
    for kinds, code in table:
        if isinstance(exc, kinds):
            return code
    return "token_malformed"  # DecodeError and anything else that is not a readable JWT


JSON_PATHS = re.compile(r"^/api(/|$)|^/labs/[^/]+/(broken|fixed)/|^/labs/[^/]+/scenario$")


def wants_json() -> bool:
    """True for the JSON API and the labs' endpoints; pages get HTML error pages."""
    return bool(JSON_PATHS.match(request.path))


def register_error_handlers(app: Flask) -> None:
    """JSON bodies under /api/, friendly pages elsewhere, and a logged 500 for surprises."""

    @app.errorhandler(ApiError)
    def handle_api_error(exc: ApiError):
        body = error_body(exc.code, exc.message, exc.detail, exc.hint)
        return jsonify(body), ERRORS[exc.code].status, exc.headers

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
            exc.code or 400, "invalid_input")
        if wants_json():
            headers = dict(exc.get_response().headers) if exc.code == 405 else {}
            headers.pop("Content-Type", None)
            headers.pop("Content-Length", None)
            return jsonify(error_body(code)), exc.code, headers
        return render_template("errors/error.html", error=exc), exc.code

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        if wants_json():
            return jsonify({"error": "internal_error",
                            "message": "Something broke on the server; it has been logged."}), 500
        return render_template("errors/500.html"), 500
