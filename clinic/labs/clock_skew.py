"""Lab: the verifier's clock is wrong, and it allows no leeway at all.

Broken: the API checks `iat`, `nbf` and `exp` against its own clock with zero leeway. When its
clock is behind, a token fresh from the login looks issued in the future (token_not_yet_valid);
when it is ahead, a token with time left looks expired (token_expired). Fixed: a small leeway
absorbs ordinary drift, and a skew detector compares three clocks (the browser's, the issuer's
and the verifier's) and says which one is off, and by how much.
"""

import math
import time

import jwt as pyjwt
from flask import Blueprint, abort, jsonify, request

from ..errors import ApiError
from .base import (
    Difference,
    Lab,
    Replay,
    excerpt,
    is_mode,
    lab_error,
    lab_key,
    lab_now,
    sign_lab_token,
    source_of,
    verify_lab_token,
)

SLUG = "clock-skew"
ACCESS_COOKIE = "lab_clock_skew_access"
COOKIE_PATH = f"/labs/{SLUG}/"
SKEW_HEADER = "X-Lab-Verifier-Skew"  # how far the lab's verifier clock is off, in seconds
CLIENT_TIME_HEADER = "X-Lab-Client-Time"  # the browser's Date.now() / 1000
MAX_SKEW = 120
MAX_CLIENT_DRIFT = 86_400  # a client clock a day off is still worth reporting; more is nonsense
SKEW_TOLERANCE = 2  # seconds of disagreement that network delay and rounding explain

# The only settings that differ between the two modes. Lab tokens live one minute, so a skew
# within the slider's range shows both failures.
SETTINGS = {
    "broken": {"ACCESS_LIFETIME_SECONDS": 60, "LEEWAY_SECONDS": 0, "SKEW_DETECTOR": False},
    "fixed": {"ACCESS_LIFETIME_SECONDS": 60, "LEEWAY_SECONDS": 30, "SKEW_DETECTOR": True},
}

bp = Blueprint("lab_clock_skew", __name__, url_prefix=f"/labs/{SLUG}")


def settings(mode: str) -> dict:
    """The settings of a mode; an unknown mode is a 404."""
    if not is_mode(mode):
        abort(404)
    return SETTINGS[mode]


def verifier_skew() -> int:
    """The verifier's clock offset the browser asked for: whole seconds within ±MAX_SKEW."""
    raw = request.headers.get(SKEW_HEADER, "0")
    try:
        skew = int(raw)
    except ValueError:
        skew = None
    if skew is None or abs(skew) > MAX_SKEW:
        raise ApiError("invalid_input", f"{SKEW_HEADER} must be a whole number of seconds "
                                        f"from -{MAX_SKEW} to {MAX_SKEW}.")
    return skew


def client_time(issuer_now: int) -> float | None:
    """The browser's clock, if it sent one; nonsense is a 400, not a guess."""
    raw = request.headers.get(CLIENT_TIME_HEADER)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value - issuer_now) > MAX_CLIENT_DRIFT:
        raise ApiError("invalid_input", f"{CLIENT_TIME_HEADER} must be a Unix time in seconds, "
                                        "within a day of the server's.")
    return value


@bp.post("/<mode>/login")
def login(mode: str):
    """The issuer (whose clock is right) logs the learner in with a one-minute token."""
    config, now = settings(mode), lab_now()
    claims = {"sub": "learner", "iat": now, "nbf": now,
              "exp": now + config["ACCESS_LIFETIME_SECONDS"]}
    response = jsonify(logged_in=True, issuer_time=now, settings=config, max_skew=MAX_SKEW,
                       token={name: claims[name] for name in ("iat", "nbf", "exp")})
    response.set_cookie(ACCESS_COOKIE, sign_lab_token(lab_key(SLUG, "access"), claims),
                        path=COOKIE_PATH, httponly=True, samesite="Strict")
    return response


@bp.get("/<mode>/me")
def me(mode: str):
    """The verifier: check the token against its own clock, which is off by the asked skew."""
    config = settings(mode)
    verifier_now = lab_now() + verifier_skew()
    claims = check_token(verifier_now, config["LEEWAY_SECONDS"])
    return jsonify(user=claims["sub"], verifier_time=verifier_now,
                   leeway=config["LEEWAY_SECONDS"],
                   token={name: claims.get(name) for name in ("iat", "nbf", "exp")})


def check_token(verifier_now: int, leeway: int) -> dict:
    """The claims of the lab cookie checked at `verifier_now`, or the contract's 401."""
    token = request.cookies.get(ACCESS_COOKIE)
    if not token:
        raise ApiError("token_missing", detail=f'Missing cookie "{ACCESS_COOKIE}"')
    try:
        return verify_lab_token(token, lab_key(SLUG, "access"), now=verifier_now, leeway=leeway)
    except pyjwt.PyJWTError as exc:
        raise lab_error(exc) from None


@bp.get("/<mode>/clocks")
def clocks(mode: str):
    """Fixed mode only: compare the client's, the issuer's and the verifier's clocks."""
    config = settings(mode)
    if not config["SKEW_DETECTOR"]:
        return jsonify(error="not_found", message="This version of the app has no skew "
                       "detector: nothing compares the clocks."), 404
    issuer_now = lab_now()
    readings = {"issuer": issuer_now, "verifier": issuer_now + verifier_skew()}
    browser = client_time(issuer_now)
    if browser is not None:
        readings["client"] = browser
    return jsonify(clocks=readings, **detect_skew(readings))


def detect_skew(readings: dict[str, float]) -> dict:
    """Which clocks disagree, and by how much, measured from the middle one.

    With three clocks, a single wrong one stands out against the two that agree. With only
    two, or three that all disagree, the issuer (whose clock wrote iat) is the reference.
    """
    ordered = sorted(readings, key=readings.__getitem__)
    middle = ordered[1] if len(ordered) == 3 else "issuer"
    if min(abs(readings[middle] - readings[other]) for other in readings if other != middle) \
            > SKEW_TOLERANCE:
        middle = "issuer"  # no two clocks agree, so no majority to measure from
    offsets = {name: round(reading - readings[middle]) for name, reading in readings.items()}
    off = {name: offset for name, offset in offsets.items() if abs(offset) > SKEW_TOLERANCE}
    than = "the other two" if len(readings) == 3 and len(off) == 1 else f"the {middle}'s"
    if not off:
        report = f"The clocks agree within {SKEW_TOLERANCE} s."
    else:
        report = " ".join(f"The {name}'s clock is {abs(offset)} s "
                          f"{'ahead of' if offset > 0 else 'behind'} {than}."
                          for name, offset in off.items())
    return {"offsets": offsets, "off": sorted(off), "report": report}


def replay(story: Replay) -> tuple[str | None, str]:
    """Log in, then call verifiers whose clocks are 20 s behind and 20 s ahead."""
    config = SETTINGS[story.mode]
    lifetime, leeway = config["ACCESS_LIFETIME_SECONDS"], config["LEEWAY_SECONDS"]
    story.send("Log in", "POST", story.path("login"),
               note=f"The issuer's clock is right. The token is valid for {lifetime} s from iat; "
                    f"the verifier allows {leeway} s of leeway.")
    behind = story.send("At once, call an API whose clock is 20 s behind", "GET",
                        story.path("me"), headers={SKEW_HEADER: "-20"},
                        note="To this verifier, iat is 20 s in the future. "
                             + ("With no leeway, that is enough to refuse the token." if not leeway
                                else f"That is within the {leeway} s leeway."))
    later = lifetime - 10
    verdict = f"The {leeway} s leeway covers it." if leeway else "With no leeway, it is expired."
    ahead = story.send(f"{later} s later, call an API whose clock is 20 s ahead", "GET",
                       story.path("me"), headers={SKEW_HEADER: "20"}, clock_offset=later,
                       note="The token has 10 s left by the issuer's clock, but this verifier "
                            f"reads 10 s past exp. {verdict} (The replay moves the lab clock "
                            "instead of waiting.)")
    if story.mode == "broken":
        return ahead.get_json()["error"], (
            f"The verifier allows no leeway, so any disagreement between the clocks fails: 20 s "
            f"behind gives {behind.get_json()['error']} right after login, and 20 s ahead gives "
            f"{ahead.get_json()['error']} while the token still has 10 s to live. \"I just "
            "logged in – why am I expired?\"")
    report = story.send("Ask the skew detector which clock is off", "GET", story.path("clocks"),
                        headers={SKEW_HEADER: "20", CLIENT_TIME_HEADER: str(story_time(later))},
                        clock_offset=later,
                        note="It compares the client's, the issuer's and the verifier's clocks.")
    failed = [r for r in (behind, ahead, report) if r.status_code != 200]
    if failed:
        return failed[0].get_json().get("error", "token_expired"), "The leeway did not help."
    return None, (f"A {leeway} s leeway absorbs the 20 s skew both ways, so the token is "
                  f"accepted. The detector still names the wrong clock: "
                  f"\"{report.get_json()['report']}\" Fix that clock (NTP); the leeway only "
                  "hides small drift.")


def story_time(offset: int) -> int:
    """The replay's own clock (standing in for the browser's), moved like the lab clock."""
    return int(time.time()) + offset


def verdicts(mode: str) -> str:
    """What the verifier answers for a token issued just now, by how far its clock is off."""
    config, key, issued = SETTINGS[mode], lab_key(SLUG, "access"), 1_800_000_000
    token = sign_lab_token(key, {"sub": "learner", "iat": issued, "nbf": issued,
                                 "exp": issued + config["ACCESS_LIFETIME_SECONDS"]})
    lines = [f"# leeway {config['LEEWAY_SECONDS']} s, token valid "
             f"{config['ACCESS_LIFETIME_SECONDS']} s; verifier clock offset: answer"]
    for skew in (-90, -31, -30, -1, 0, 59, 60, 89, 90):
        try:
            verify_lab_token(token, key, now=issued + skew, leeway=config["LEEWAY_SECONDS"])
            answer = "200 ok"
        except pyjwt.PyJWTError as exc:
            answer = f"401 {lab_error(exc).code}"
        lines.append(f"{skew:+4d} s: {answer}")
    return "\n".join(lines)


def differences() -> list[Difference]:
    """The settings, what the verifier answers by skew, and what the page does after a call."""
    script = "static/js/labs/clock-skew.js"
    return [
        Difference("Server settings (clinic/labs/clock_skew.py)",
                   repr(SETTINGS["broken"]), repr(SETTINGS["fixed"])),
        Difference("What the verifier answers, by how far its clock is off (a fresh token)",
                   verdicts("broken"), verdicts("fixed"), language="text"),
        Difference(f"What the page does after calling the API ({script})",
                   excerpt(script, "broken-client"), excerpt(script, "fixed-client"),
                   language="javascript"),
        Difference("The skew detector",
                   f"# SKEW_DETECTOR is {SETTINGS['broken']['SKEW_DETECTOR']}: GET clocks answers "
                   "404, and nothing compares the clocks", source_of(detect_skew)),
    ]


LAB = Lab(
    slug=SLUG,
    title="Clocks that disagree",
    symptom="I just logged in – why am I expired?",
    summary="The server that checks tokens has a clock that is off, and it allows no leeway, so "
            "fresh tokens look expired or not yet valid. Allow a small leeway, and find the "
            "wrong clock by comparing three of them.",
    blueprint=bp,
    replay=replay,
    differences=differences,
)
