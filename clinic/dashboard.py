"""The home page and the dashboard, which shows the signed-in session as it really is."""

import json
from datetime import datetime, timezone

import jwt as pyjwt
from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_jwt_extended.config import config

from .auth import login_required
from .forms import ButtonForm
from .sessions import family_history, now
from .tokens import current_user

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def home():
    """What the clinic is, and where to start."""
    return render_template("dashboard/home.html")


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on pages that name no icon; the icon is an SVG."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/dashboard")
@login_required
def index():
    """The session page: the panel below, plus the form to log out."""
    return render_template("dashboard/index.html", form=ButtonForm(), **panel_context())


@bp.get("/dashboard/panel")
@login_required
def panel():
    """The session panel alone, which the page's script reloads after a refresh."""
    return render_template("dashboard/_panel.html", **panel_context())


def panel_context() -> dict:
    """Everything the panel shows, read from the verified token and the database."""
    token = request.cookies.get(config.access_cookie_name, "")
    history = family_history(g.claims["fam"])
    current = history[-1] if history else None
    return {
        "user": current_user(),
        "claims": g.claims,
        "header_json": json.dumps(pyjwt.get_unverified_header(token), indent=2),
        "claims_json": json.dumps(g.claims, indent=2),
        "history": history,
        "current": current,
        "now": now(),
        "grace": current_app.config["REFRESH_GRACE_SECONDS"],
    }


@bp.app_template_filter("epoch")
def epoch_filter(timestamp: int) -> str:
    """An epoch time as UTC clock time; the page's script shows it in local time."""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%H:%M:%S UTC")


@bp.app_template_filter("duration")
def duration_filter(seconds: int) -> str:
    """Seconds left, in the largest sensible unit: "expired", "42 s", "14 min", "6 d 23 h"."""
    if seconds <= 0:
        return "expired"
    if seconds < 120:
        return f"{seconds} s left"
    if seconds < 7200:
        return f"{seconds // 60} min left"
    days, hours = divmod(seconds // 3600, 24)
    return f"{days} d {hours} h left" if days else f"{hours} h left"


@bp.app_context_processor
def navigation() -> dict:
    """The main menu: the dashboard for a signed-in browser, log in and register otherwise.

    The refresh cookie's readable CSRF twin lives as long as the session, so its presence is
    a cheap hint that this browser is signed in (the dashboard itself still checks the token).
    """
    views = current_app.view_functions
    signed_in = config.refresh_csrf_cookie_name in request.cookies
    account = [("dashboard.index", "Dashboard")] if signed_in else [
        ("auth.login", "Log in"), ("auth.register", "Register")]
    links = [("dashboard.home", "Home"), ("labs.index", "Labs"), ("lessons.index", "Lessons"),
             *account]
    return {"nav_links": [link for link in links if link[0] in views], "view_names": views}
