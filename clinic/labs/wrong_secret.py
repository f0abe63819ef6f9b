"""Lab: the login signs with one key, the API checks with another.

Broken: both sides read the signing key from the settings, but the API side misspells the
setting's name, gets nothing back and silently falls back to a built-in default key. Every
token then fails with invalid_signature. Fixed: both sides call one `load_key`, which refuses
to start with a missing, default or short key, and each token carries the fingerprint of its
key (`kid`), so a mismatch shows at a glance.
"""

from collections.abc import Callable, Mapping

import jwt as pyjwt
from flask import Blueprint, abort, jsonify, request

from ..errors import ApiError
from .base import (
    Difference,
    Lab,
    Replay,
    is_mode,
    key_id,
    lab_error,
    lab_key,
    lab_now,
    sign_lab_token,
    source_of,
    verify_lab_token,
)

SLUG = "wrong-secret"
ACCESS_COOKIE = "lab_wrong_secret_access"
COOKIE_PATH = f"/labs/{SLUG}/"
KID_HEADER = "X-Lab-Verifier-Kid"  # lets the demo show the verifier's fingerprint on errors too
TOKEN_LIFETIME = 600

KEY_SETTING = "LAB_JWT_SECRET"
# A default that ships with the code: anyone who reads the code can sign tokens with it.
# (32+ bytes only so that PyJWT does not warn; its length is not what makes it unsafe.)
DEFAULT_KEY = "change-me-this-is-the-default-jwt-signing-key"
KNOWN_DEFAULTS = frozenset({DEFAULT_KEY, "secret", "changeme", "your-256-bit-secret"})
MIN_KEY_BYTES = 32  # HS256 wants a key at least as long as its 256-bit hash

bp = Blueprint("lab_wrong_secret", __name__, url_prefix=f"/labs/{SLUG}")


class KeyRefused(ValueError):
    """Start-up refuses the signing key; the message says why."""


def lab_settings() -> dict[str, str]:
    """The lab app's settings, as a real app would read them from its environment."""
    return {KEY_SETTING: lab_key(SLUG, "signing")}


def broken_issuer_key(settings: Mapping[str, str]) -> str:
    """Broken: the login side reads the key, with a default "just in case"."""
    return settings.get("LAB_JWT_SECRET", DEFAULT_KEY)


def broken_verifier_key(settings: Mapping[str, str]) -> str:
    """Broken: the API side reads it too, but the name is misspelt, so it gets the default."""
    return settings.get("LAB_JWT_SECERT", DEFAULT_KEY)


def load_key(settings: Mapping[str, str]) -> str:
    """The one place both sides get the key: refuse a missing, default or short key."""
    key = settings.get(KEY_SETTING)
    if not key:
        raise KeyRefused(f"{KEY_SETTING} is not set.")
    if key in KNOWN_DEFAULTS:
        raise KeyRefused(f"{KEY_SETTING} is a well-known default key (kid {key_id(key)}).")
    if len(key.encode()) < MIN_KEY_BYTES:
        raise KeyRefused(f"{KEY_SETTING} is shorter than {MIN_KEY_BYTES} bytes.")
    return key


KeyLoader = Callable[[Mapping[str, str]], str]

# Which function each side calls to get its key, per mode.
KEY_LOADERS: dict[str, dict[str, KeyLoader]] = {
    "broken": {"issuer": broken_issuer_key, "verifier": broken_verifier_key},
    "fixed": {"issuer": load_key, "verifier": load_key},
}


def loaders(mode: str) -> dict[str, KeyLoader]:
    """The key loaders of a mode; an unknown mode is a 404."""
    if not is_mode(mode):
        abort(404)
    return KEY_LOADERS[mode]


def describe_key(key: str) -> dict:
    """What is safe to say about a key: its fingerprint, and whether it is weak."""
    return {"kid": key_id(key), "is_default": key == DEFAULT_KEY,
            "too_short": len(key.encode()) < MIN_KEY_BYTES}


def sample_settings() -> dict[str, dict[str, str]]:
    """Settings to try the start-up check on: the real ones and three bad ones."""
    return {"configured": lab_settings(), "missing": {}, "default": {KEY_SETTING: DEFAULT_KEY},
            "short": {KEY_SETTING: "too-short-key"}}


def try_loader(loader: KeyLoader, settings: Mapping[str, str]) -> dict:
    """Run one side's key loader: the key it starts with, or why it refuses to start."""
    try:
        return {"starts": True, **describe_key(loader(settings))}
    except KeyRefused as exc:
        return {"starts": False, "refused": str(exc)}


@bp.get("/<mode>/startup")
def startup(mode: str):
    """What each side does at start-up, with the lab's settings and with bad ones."""
    sides = loaders(mode)
    checks = {name: {side: try_loader(loader, settings) for side, loader in sides.items()}
              for name, settings in sample_settings().items()}
    configured = checks["configured"]
    # with_settings sorts last in the JSON, after the two kids a reader compares first
    return jsonify(issuer=configured["issuer"], verifier=configured["verifier"],
                   same_key=configured["issuer"].get("kid") == configured["verifier"].get("kid"),
                   with_settings=checks)


@bp.post("/<mode>/login")
def login(mode: str):
    """The issuer: log the learner in with a token signed by the issuer's key."""
    key, now = loaders(mode)["issuer"](lab_settings()), lab_now()
    token = sign_lab_token(key, {"sub": "learner", "iat": now, "exp": now + TOKEN_LIFETIME})
    response = jsonify(logged_in=True, issuer_kid=key_id(key), expires_in=TOKEN_LIFETIME)
    response.set_cookie(ACCESS_COOKIE, token, path=COOKIE_PATH, httponly=True, samesite="Strict")
    return response


@bp.get("/<mode>/me")
def me(mode: str):
    """The verifier: check the token with the verifier's key and say who is logged in."""
    key = loaders(mode)["verifier"](lab_settings())
    verifier_kid = key_id(key)
    try:
        claims = check_token(mode, key)
    except ApiError as exc:
        exc.headers[KID_HEADER] = verifier_kid
        raise
    response = jsonify(user=claims["sub"], verifier_kid=verifier_kid)
    response.headers[KID_HEADER] = verifier_kid
    return response


def check_token(mode: str, key: str) -> dict:
    """The claims of the lab cookie, or the contract's 401."""
    token = request.cookies.get(ACCESS_COOKIE)
    if not token:
        raise ApiError("token_missing", detail=f'Missing cookie "{ACCESS_COOKIE}"')
    try:
        token_kid = pyjwt.get_unverified_header(token).get("kid")
        if mode == "fixed" and token_kid not in (None, key_id(key)):
            # The fingerprints already tell the story; say it in words instead of "bad signature".
            raise ApiError("invalid_signature", detail="kid mismatch", message=(
                f"This token was signed with key {token_kid}, but this server checks "
                f"with key {key_id(key)}."))
        return verify_lab_token(token, key, now=lab_now())
    except pyjwt.PyJWTError as exc:
        raise lab_error(exc) from None


def replay(story: Replay) -> tuple[str | None, str]:
    """Log in and call the API; compare the fingerprints of the two sides' keys."""
    if story.mode == "fixed":
        return replay_fixed(story)
    issued = story.send("Log in", "POST", story.path("login"),
                        note=f"The issuer signs the token with the key from {KEY_SETTING}.")
    issuer_kid = issued.get_json()["issuer_kid"]
    called = story.send("Call the API", "GET", story.path("me"))
    verifier_kid = called.headers.get(KID_HEADER, "?")
    story.steps[-1].note = (f"Issuer kid {issuer_kid}, verifier kid {verifier_kid}: two different "
                            "keys, so the signature can never match.")
    story.send("Ask each side which key it started with", "GET", story.path("startup"),
               note=f"The verifier's kid {verifier_kid} is the fingerprint of the built-in default "
                    "key: it reads LAB_JWT_SECERT (a typo), finds nothing, and says nothing.")
    return called.get_json()["error"], (
        f"The issuer reads {KEY_SETTING}, but the verifier reads LAB_JWT_SECERT, a misspelt name "
        "that is not set, so it silently falls back to the default key. Tokens signed with one "
        f"key are checked with another (kid {issuer_kid} vs {verifier_kid}), so every request "
        "answers 401 invalid_signature.")


def replay_fixed(story: Replay) -> tuple[str | None, str]:
    """Check the key at start-up, then log in and call the API with the same key."""
    started = story.send("Start up: check the key", "GET", story.path("startup")).get_json()
    refused = started["with_settings"]["default"]["verifier"].get("refused", "nothing")
    story.steps[-1].note = (f"Both sides call load_key. Given the default key it refuses to "
                            f"start: {refused}")
    issued = story.send("Log in", "POST", story.path("login"),
                        note="The issuer signs with the key load_key returned.")
    called = story.send("Call the API", "GET", story.path("me"))
    issuer_kid, verifier_kid = issued.get_json()["issuer_kid"], called.headers.get(KID_HEADER)
    story.steps[-1].note = f"Issuer kid {issuer_kid}, verifier kid {verifier_kid}: the same key."
    if called.status_code != 200:
        return called.get_json()["error"], "The two sides still disagree about the key."
    return None, (f"Both sides get the key from one function, load_key, which reads {KEY_SETTING} "
                  "and refuses to start with a missing, default or short key. The fingerprints "
                  f"match (kid {issuer_kid}), and the API accepts the token.")


def masked(settings: Mapping[str, str]) -> dict[str, str]:
    """Settings with each key replaced by its length and fingerprint, safe to show."""
    return {name: f"<{len(value)} characters, kid {key_id(value)}>"
            for name, value in settings.items()}


def loaded_keys(mode: str) -> str:
    """The settings, and the key each side of a mode ends up with, as text for the panel."""
    settings = lab_settings()
    keys = {side: loader(settings) for side, loader in KEY_LOADERS[mode].items()}
    sides = {side: f"kid {key_id(key)}" + (" (the default key)" if key == DEFAULT_KEY else "")
             for side, key in keys.items()}
    return (f"# the settings (the same in both modes)\n{masked(settings)!r}\n"
            f"# the key each side loads from them\n{sides!r}")


def differences() -> list[Difference]:
    """The functions that read the key, who calls which, and the keys they end up with."""
    module = "clinic/labs/wrong_secret.py"
    names = {mode: repr({side: f.__name__ for side, f in KEY_LOADERS[mode].items()})
             for mode in KEY_LOADERS}
    return [
        Difference(f"How the key is read ({module})",
                   f"{source_of(broken_issuer_key)}\n\n\n{source_of(broken_verifier_key)}",
                   source_of(load_key)),
        Difference("Which function each side calls (KEY_LOADERS)", names["broken"],
                   names["fixed"]),
        Difference("The settings, and the key each side ends up with",
                   loaded_keys("broken"), loaded_keys("fixed")),
    ]


LAB = Lab(
    slug=SLUG,
    title="Signed with one key, checked with another",
    symptom="Every request says the token signature is invalid, even right after I log in.",
    summary="The login signs tokens with one key and the API checks them with another, because "
            "a misspelt setting silently falls back to a default. Load the key in one place, "
            "refuse weak keys at start-up, and put the key's fingerprint in each token.",
    blueprint=bp,
    replay=replay,
    differences=differences,
)
