"""Embedded defaults: everything `make run` needs, with nothing to configure."""

from datetime import timedelta

ISSUER = "jwt-clinic"
AUDIENCE = "jwt-clinic"


class Defaults:
    """Settings a fresh checkout runs with. Override any of them with FLASK_<NAME>."""

    # Tokens travel only in cookies on the site's own API.
    JWT_TOKEN_LOCATION = ["cookies"]
    JWT_ALGORITHM = "HS256"
    JWT_DECODE_ALGORITHMS = ["HS256"]  # one explicit algorithm: never "none", never RS/HS confusion
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=15)
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=7)
    JWT_DECODE_LEEWAY = timedelta(seconds=10)  # covers small clock drift between processes
    JWT_ENCODE_ISSUER = ISSUER
    JWT_DECODE_ISSUER = ISSUER
    JWT_ENCODE_AUDIENCE = AUDIENCE
    JWT_DECODE_AUDIENCE = AUDIENCE

    # Cookies: HttpOnly tokens, readable CSRF values, refresh cookie only sent to /api/auth/.
    JWT_COOKIE_SECURE = False  # set FLASK_JWT_COOKIE_SECURE=true behind HTTPS
    JWT_COOKIE_SAMESITE = "Lax"  # the library sends no SameSite at all by default
    JWT_ACCESS_COOKIE_PATH = "/"
    JWT_REFRESH_COOKIE_PATH = "/api/auth/"
    JWT_ACCESS_CSRF_COOKIE_PATH = "/"
    JWT_REFRESH_CSRF_COOKIE_PATH = "/"  # scripts on any page must read it to call /refresh
    JWT_COOKIE_CSRF_PROTECT = True
    JWT_CSRF_IN_COOKIES = True
    JWT_CSRF_CHECK_FORM = False  # the header is the only place a CSRF value is accepted

    # Flask-WTF protects the HTML forms; its header names would collide with X-CSRF-TOKEN.
    WTF_CSRF_HEADERS = ["X-CSRFToken-Form"]
    WTF_CSRF_TIME_LIMIT = None  # a form left open during a workshop still submits
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 64 * 1024  # no request here needs more

    # Accounts.
    BCRYPT_ROUNDS = 12
    DEMO_MODE = True  # seed the demo account and show its password on the login page
    DEMO_USERNAME = "demo"
    DEMO_PASSWORD = "clinic-demo-2026"

    # Refresh rotation: how long the token rotated just before stays acceptable.
    REFRESH_GRACE_SECONDS = 5

    # Login throttling: failures allowed per window, per username and per address.
    LOGIN_WINDOW_SECONDS = 300
    LOGIN_FAILURES_PER_USERNAME = 10
    LOGIN_FAILURES_PER_ADDRESS = 50  # a whole room may share one address behind NAT
