"""The steps create_app takes: settings, extensions, blueprints and the database."""

import os
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError, OperationalError

from . import accounts, keys
from .config import Defaults
from .extensions import csrf, db
from .highlight import highlight
from .models import User
from .tokens import init_tokens

LIFETIMES = ("JWT_ACCESS_TOKEN_EXPIRES", "JWT_REFRESH_TOKEN_EXPIRES")


def configure(app: Flask, test_config: dict | None) -> None:
    """Load settings, derive the database URL and lifetimes, and load or create the keys."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()  # FLASK_JWT_COOKIE_SECURE=true, FLASK_SECRET_KEY=..., ...
    if test_config:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", database_url(app))
    for name in LIFETIMES:
        app.config[name] = lifetime(name, app.config[name])
    keys.load_keys(app)


def database_url(app: Flask) -> str:
    """DATABASE_URL if set, else SQLite in the instance folder."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url.replace("postgres://", "postgresql://", 1)  # the old Heroku spelling
    return "sqlite:///" + str(Path(app.instance_path) / "clinic.sqlite3")


def lifetime(name: str, value: object) -> timedelta:
    """A token lifetime as a timedelta; numbers are seconds. A token must always expire."""
    if isinstance(value, bool) or not isinstance(value, (int, float, timedelta)):
        raise ValueError(f"{name} must be a number of seconds; tokens that never expire "
                         "cannot be revoked by time and are refused here")
    result = value if isinstance(value, timedelta) else timedelta(seconds=value)
    if result <= timedelta(0):
        raise ValueError(f"{name} must be positive")
    return result


def register_extensions(app: Flask) -> None:
    """Bind the database, JWT and CSRF extensions to this app."""
    db.init_app(app)
    csrf.init_app(app)
    init_tokens(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _tune_sqlite)


def _tune_sqlite(connection, _record) -> None:
    """WAL lets readers and one writer overlap; foreign keys make cascades work."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def register_blueprints(app: Flask) -> None:
    """Pages, API, labs and lessons, each its own blueprint."""
    from . import api, auth, dashboard
    from .labs.views import register_labs
    from .lessons import register_lessons

    for module in (dashboard, auth, api):
        app.register_blueprint(module.bp)
    register_labs(app)
    register_lessons(app)
    app.add_template_filter(highlight)


def prepare_database(app: Flask) -> None:
    """Create missing tables, and the demo account when demo mode is on."""
    with app.app_context():
        try:
            db.create_all()
        except OperationalError:  # another worker created them a moment ago
            db.session.rollback()
            db.create_all()
        if app.config["DEMO_MODE"]:
            ensure_demo_account(app)


def ensure_demo_account(app: Flask) -> None:
    """Seed the demo account if it is missing; a racing worker may have done it first."""
    name = app.config["DEMO_USERNAME"].lower()
    if db.session.scalar(select(User.id).where(User.username_key == name)) is None:
        try:
            accounts.reset_demo()
        except IntegrityError:
            db.session.rollback()
