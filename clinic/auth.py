"""The HTML side of accounts: log in, register, log out, and the pages' login check."""

from functools import wraps
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_jwt_extended.config import config

from . import accounts, sessions
from .cookies import clear_session_cookies, set_session_cookies
from .errors import ERRORS, ApiError
from .forms import LoginForm, RegisterForm
from .tokens import decode_quietly, require_token

bp = Blueprint("auth", __name__)

REASONS = {
    "logged_out": "You have logged out.",
    "token_missing": "Please log in to see that page.",
    "token_expired": "Your session has expired. Please log in again.",
}


def safe_next(target: str | None) -> str:
    """A local path to return to after login; anything else goes to the dashboard.

    Browsers drop tabs and newlines from URLs, so "/\t/evil.example" would become
    "//evil.example", another site: any control character or space refuses the target.
    """
    fallback = url_for("dashboard.index")
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return fallback
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else fallback


def login_required(view):
    """Let a signed-in visitor through; send anyone else to refresh or to the login form.

    The refresh cookie is only sent to /api/auth/, so a page cannot refresh on the server.
    When the readable csrf_refresh_token cookie shows a refresh token probably exists, the
    visitor goes to a page whose script refreshes silently and comes back.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            g.claims = require_token()
        except ApiError as failure:
            target = request.full_path.rstrip("?")
            if request.cookies.get(config.refresh_csrf_cookie_name) and failure.code in (
                    "token_expired", "token_missing"):
                return redirect(url_for("auth.resume", next=target))
            return redirect(url_for("auth.login", next=target, reason=failure.code))
        return view(*args, **kwargs)

    return wrapped


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success the four cookies are set and the visitor moves on."""
    form = LoginForm()
    reason = request.args.get("reason", "")
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.username.data, form.password.data,
                                         request.remote_addr or "unknown")
        except ApiError as failure:
            form.form_errors.append(failure.message or ERRORS[failure.code].message)
            status = ERRORS[failure.code].status
        else:
            response = redirect(safe_next(request.args.get("next")))
            set_session_cookies(response, sessions.start_session(user))
            return response
    elif form.is_submitted():
        status = 400
    message = REASONS.get(reason) or (ERRORS[reason].message if reason in ERRORS else None)
    return render_template("auth/login.html", form=form, reason=message, reason_code=reason), status


@bp.route("/register", methods=["GET", "POST"])
def register():
    """The registration form; afterwards the new user logs in."""
    form = RegisterForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.register(form.username.data, form.password.data)
        except ApiError as failure:
            form.username.errors = [failure.message or ERRORS[failure.code].message]
            status = ERRORS[failure.code].status
        else:
            flash("Your account is ready. Log in to start a session.", "success")
            return redirect(url_for("auth.login"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/register.html", form=form), status


@bp.post("/logout")
def logout():
    """Log out from a page: the access token names the family to revoke.

    CSRFProtect has already checked the form's token before this view runs.
    """
    access_claims = decode_quietly(request.cookies.get(config.access_cookie_name))
    sessions.end_session(None, access_claims)
    response = redirect(url_for("auth.login", reason="logged_out"))
    clear_session_cookies(response)
    return response


@bp.get("/resume")
def resume():
    """A holding page whose script refreshes the session, then returns to `next`."""
    target = safe_next(request.args.get("next"))
    login_url = url_for("auth.login") + "?" + urlencode({"next": target, "reason": "token_expired"})
    return render_template("auth/resume.html", target=target, login_url=login_url)
