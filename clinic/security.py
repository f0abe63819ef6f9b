"""Response headers, the refusal of tokens in URLs, and scrubbing tokens out of logs."""

import logging
import os
import re
import sys
from urllib.parse import unquote_plus

from flask import Flask, request

from .errors import ApiError

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'")

# A JWT's header is base64url JSON, so it starts with "eyJ" ('{"'); three dot-separated parts.
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
TOKEN_PARAMS = ("jwt", "token", "access_token", "refresh_token", "id_token")
_PARAM_IN_TEXT = re.compile(r"(?i)\b(" + "|".join(TOKEN_PARAMS) + r")=[^&\s\"']*")


def scrub(text: str) -> str:
    """Replace anything that looks like a token, or a token parameter's value, with a marker."""
    # Parameters first: their values may be tokens, which would otherwise be replaced by a
    # marker containing a space that the parameter pattern stops at.
    text = _PARAM_IN_TEXT.sub(lambda m: f"{m.group(1)}=[removed]", text)
    return JWT_SHAPE.sub("[token removed]", text)


class ScrubTokens(logging.Filter):
    """A logging filter that keeps tokens out of every log line, the access log included."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def token_in_url() -> bool:
    """True when the query string carries a token parameter or anything shaped like a JWT."""
    if any(name.lower() in TOKEN_PARAMS for name in request.args):
        return True
    query = unquote_plus(request.query_string.decode("latin-1"))
    return bool(JWT_SHAPE.search(query) or JWT_SHAPE.search(request.path))


def refuse_token_in_url() -> None:
    """before_request: a token in the URL of any /api/ request is refused, never used.

    It is registered on the app, not the API blueprint, so it also runs when no route matches
    (an unknown path, a wrong method): the token is still refused, not answered with a 404.
    """
    if request.path.startswith("/api/") and token_in_url():
        raise ApiError("token_in_query_string")


def add_security_headers(response):
    """after_request: CSP without inline scripts, no sniffing, no cross-origin Referer."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def install_log_scrubbing(app: Flask) -> None:
    """Attach the scrubbing filter to the access log (werkzeug, waitress) and the app's log."""
    for name in ("werkzeug", "waitress", app.logger.name):
        logger = logging.getLogger(name)
        if not any(isinstance(f, ScrubTokens) for f in logger.filters):
            logger.addFilter(ScrubTokens())


def warn_if_insecure(app: Flask, host: str) -> None:
    """Say so at start when cookies without Secure would cross a real network."""
    if host not in ("127.0.0.1", "localhost", "::1") and not app.config["JWT_COOKIE_SECURE"]:
        app.logger.warning(
            "Serving on %s without Secure cookies: tokens cross the network in clear text. "
            "Put HTTPS in front and set FLASK_JWT_COOKIE_SECURE=true for anything but a "
            "trusted workshop network.", host)


def install(app: Flask) -> None:
    """Headers on every response, clean logs, and a warning for insecure network serving."""
    app.before_request(refuse_token_in_url)
    app.after_request(add_security_headers)
    install_log_scrubbing(app)
    host = _flask_run_host()
    if host:
        warn_if_insecure(app, host)


def _flask_run_host() -> str | None:
    """The --host given to `flask run`, when this process is one."""
    argv = sys.argv
    if "run" not in argv[1:]:
        return None
    for flag in ("--host", "-h"):
        if flag in argv[:-1]:
            return argv[argv.index(flag) + 1]
    host = next((a.split("=", 1)[1] for a in argv if a.startswith("--host=")), None)
    return host or os.environ.get("FLASK_RUN_HOST", "127.0.0.1")
