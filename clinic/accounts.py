"""Accounts: validation, bcrypt hashing, login throttling and the demo account."""

import re
import time
from functools import lru_cache

import bcrypt
from flask import current_app
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from .errors import ApiError
from .extensions import db
from .models import LoginFailure, User

USERNAME_RE = re.compile(r"[A-Za-z0-9_.-]{3,40}")
MIN_PASSWORD_BYTES = 8
MAX_PASSWORD_BYTES = 72  # bcrypt ignores (bcrypt 5: refuses) anything past 72 bytes


def username_problem(username: object) -> str | None:
    """Why a username is not acceptable, or None when it is."""
    if not isinstance(username, str) or not USERNAME_RE.fullmatch(username):
        return "Usernames are 3 to 40 letters, digits, '_', '-' or '.'."
    return None


def password_problem(password: object) -> str | None:
    """Why a password is not acceptable, or None when it is."""
    if not isinstance(password, str):
        return "The password must be text."
    size = len(password.encode("utf-8", "surrogatepass"))
    if size < MIN_PASSWORD_BYTES:
        return f"Passwords need at least {MIN_PASSWORD_BYTES} characters."
    if size > MAX_PASSWORD_BYTES:
        return (f"Passwords can be at most {MAX_PASSWORD_BYTES} bytes long (this one is {size}); "
                "bcrypt cannot use more. Accented letters and emoji take 2 to 4 bytes each.")
    if "\x00" in password or not _is_utf8(password):
        return "The password contains a character that cannot be stored."
    return None


def _is_utf8(text: str) -> bool:
    """False for strings holding lone surrogates, which UTF-8 cannot encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def hash_password(password: str) -> bytes:
    """A bcrypt hash at the configured cost."""
    rounds = current_app.config["BCRYPT_ROUNDS"]
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds))


@lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> bytes:
    """A hash to check against when the user does not exist, so both cases take as long."""
    return bcrypt.hashpw(b"no such user, same amount of work", bcrypt.gensalt(rounds))


def register(username: object, password: object) -> User:
    """Create an account, or raise invalid_input / username_taken."""
    problem = username_problem(username) or password_problem(password)
    if problem:
        raise ApiError("invalid_input", problem)
    user = User(username=username, username_key=username.lower(),
                password_hash=hash_password(password))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # the unique index on username_key, even under a race
        db.session.rollback()
        raise ApiError("username_taken") from None
    return user


def authenticate(username: object, password: object, address: str) -> User:
    """The account these credentials open, or raise invalid_credentials / too_many_attempts."""
    if not isinstance(username, str) or not isinstance(password, str):
        raise ApiError("invalid_input", "Send a username and a password as text.")
    if len(password.encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES:
        raise ApiError("invalid_input", password_problem(password))
    keys = [f"user:{username.lower()[:60]}", f"addr:{address[:60]}"]
    attempt = _reserve_attempt(keys)  # counted before bcrypt, so parallel guesses count too
    user = db.session.scalar(select(User).where(User.username_key == username.lower()))
    # Always run bcrypt once, so an unknown name answers as slowly as a wrong password.
    stored = user.password_hash if user else _dummy_hash(current_app.config["BCRYPT_ROUNDS"])
    matches = _is_utf8(password) and bcrypt.checkpw(password.encode(), stored)
    if user is None or not matches:
        raise ApiError("invalid_credentials")  # the reserved attempt stays as a failure
    # A correct password clears the username's count; the address keeps its earlier failures.
    _forget(LoginFailure.key == keys[0], LoginFailure.id.in_(attempt))
    return user


def _reserve_attempt(keys: list[str]) -> list[int]:
    """Record this attempt against each key, then refuse it if that makes too many.

    Recording first and counting after means requests sent in parallel all see each other,
    so no burst of guesses can slip under the limit while bcrypt runs.
    """
    config = current_app.config
    window = int(config["LOGIN_WINDOW_SECONDS"])
    moment = int(time.time())
    rows = [LoginFailure(key=key, at=moment) for key in keys]
    db.session.add_all(rows)
    db.session.commit()
    attempt = [row.id for row in rows]
    limits = [config["LOGIN_FAILURES_PER_USERNAME"], config["LOGIN_FAILURES_PER_ADDRESS"]]
    for key, limit in zip(keys, limits, strict=True):
        count = db.session.scalar(
            select(func.count()).select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.at > moment - window))
        if count > limit:
            _forget(LoginFailure.id.in_(attempt))  # a refused attempt checked no password
            raise ApiError("too_many_attempts", headers={"Retry-After": str(window)})
    return attempt


def _forget(*conditions) -> None:
    """Delete the failure records matching any of the conditions."""
    db.session.execute(delete(LoginFailure).where(or_(*conditions)))
    db.session.commit()


def purge_login_failures() -> int:
    """Delete failures older than the throttling window."""
    since = int(time.time()) - int(current_app.config["LOGIN_WINDOW_SECONDS"])
    count = db.session.execute(delete(LoginFailure).where(LoginFailure.at <= since)).rowcount
    db.session.commit()
    return count


def reset_demo() -> User:
    """Create the demo account, or give it back its published password."""
    config = current_app.config
    name = config["DEMO_USERNAME"]
    user = db.session.scalar(select(User).where(User.username_key == name.lower()))
    if user is None:
        user = User(username=name, username_key=name.lower())
        db.session.add(user)
    user.password_hash = hash_password(config["DEMO_PASSWORD"])
    db.session.commit()
    return user
