"""Signing keys: generated into instance/ on first run, or taken from the environment."""

import json
import os
import secrets
from pathlib import Path

from flask import Flask

KEY_NAMES = ("SECRET_KEY", "JWT_ACCESS_KEY", "JWT_REFRESH_KEY")
KEYS_FILE = "keys.json"
MIN_KEY_BYTES = 32  # HS256 needs at least 256 bits of key (RFC 7518, section 3.2)

# Values that show up in tutorials and .env.example files; never accept them as keys.
KNOWN_DEFAULTS = {"secret", "changeme", "change-me", "super-secret", "your-secret-key", "dev"}


class UnsafeKeyError(ValueError):
    """A configured key is missing, a known default, or too short to be safe."""


def load_keys(app: Flask) -> None:
    """Fill the three keys in app.config from the environment or instance/keys.json."""
    stored = None
    for name in KEY_NAMES:
        if not app.config.get(name):
            stored = stored or _read_or_create(Path(app.instance_path) / KEYS_FILE)
            app.config[name] = stored[name]
        check_key(name, app.config[name])
    if app.config["JWT_ACCESS_KEY"] == app.config["JWT_REFRESH_KEY"]:
        raise UnsafeKeyError("JWT_ACCESS_KEY and JWT_REFRESH_KEY must differ")


def check_key(name: str, value: object) -> None:
    """Refuse a key that is not a string, is a known default, or is too short."""
    if not isinstance(value, str) or not value:
        raise UnsafeKeyError(f"{name} is missing")
    if value.strip().lower() in KNOWN_DEFAULTS:
        raise UnsafeKeyError(f"{name} is a well-known default value; generate a random one")
    if len(value.encode()) < MIN_KEY_BYTES:
        raise UnsafeKeyError(f"{name} is shorter than {MIN_KEY_BYTES} bytes")


def _read_or_create(path: Path) -> dict[str, str]:
    """Read the keys file, creating it first if it does not exist yet."""
    if not path.exists():
        _create_atomically(path, {name: secrets.token_urlsafe(48) for name in KEY_NAMES})
    return json.loads(path.read_text(encoding="utf-8"))


def _create_atomically(path: Path, keys: dict[str, str]) -> None:
    """Write a complete file beside the target, then link it into place if nobody else did.

    Several workers starting at once each write their own temporary file; the first link
    wins and the others read the winner's keys, so every process signs with the same keys.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(keys, f)
            f.flush()
            os.fsync(f.fileno())
        try:
            # link() and Windows' rename() both refuse to replace an existing file.
            (os.link if os.name != "nt" else os.rename)(tmp, path)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)
