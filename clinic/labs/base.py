"""What every lab shares: the Lab interface, scenario replays, lab keys and the lab clock.

A lab is one module that builds a `Lab`: its words (title, symptom, summary), a blueprint with
its live-demo endpoints under /labs/<slug>/, a `replay` function that tells the lab's story with
real requests in one mode, and a `differences` function that shows what changes between modes,
read from the running code. Nothing here touches the site's own login, keys or cookies.
"""

import hashlib
import hmac
import inspect
import textwrap
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Literal

import jwt as pyjwt
from flask import Blueprint, current_app, request
from werkzeug.test import TestResponse

from ..errors import ApiError, IllTypedClaimError, classify_jwt_error
from ..tokens import check_signature_length, check_time_claims

Mode = Literal["broken", "fixed"]
MODES: tuple[Mode, ...] = ("broken", "fixed")
CLOCK_HEADER = "X-Lab-Clock-Offset"


@dataclass
class Step:
    """One request of a replay, what came back, and what it shows."""

    title: str
    request: dict
    response: dict
    note: str = ""


@dataclass
class Scenario:
    """A lab's story in one mode, as GET /labs/<slug>/scenario returns it."""

    lab: str
    mode: Mode
    outcome: Literal["failed", "ok"]
    error: str | None
    diagnosis: str
    steps: list[Step] = field(default_factory=list)

    def to_json(self) -> dict:
        """The contract's scenario body."""
        return asdict(self)


@dataclass(frozen=True)
class Difference:
    """One setting or piece of code that differs between the modes, as the code has it."""

    label: str
    broken: str
    fixed: str
    language: str = "python"


@dataclass(frozen=True)
class Lab:
    """Everything the lab pages, the scenario endpoint and the CLI need from a lab module."""

    slug: str
    title: str
    symptom: str  # in the words users report it
    summary: str  # one or two sentences: what goes wrong, and the fix
    blueprint: Blueprint
    replay: Callable[["Replay"], tuple[str | None, str]]  # returns (error code or None, diagnosis)
    differences: Callable[[], list[Difference]]
    reset: Callable[[], None] = lambda: None  # clears server-side lab state, if any
    page_context: Callable[[Mode], dict] = lambda mode: {}  # extra values for the template

    @property
    def lesson(self) -> str:
        """The lesson that explains this lab shares its slug."""
        return f"/lessons/{self.slug}"

    def run(self, mode: Mode) -> Scenario:
        """Tell the story in `mode` with real requests against this app's lab endpoints."""
        replay = Replay(self.slug, mode)
        error, diagnosis = self.replay(replay)
        return Scenario(self.slug, mode, "failed" if error else "ok", error, diagnosis,
                        replay.steps)


class Replay:
    """Sends real requests to the app itself and records each one as a Step.

    It uses the app's test client, so nothing leaves the process and no port is needed; the
    requests go through the same routing, hooks and error handlers as a browser's. When a
    replay runs inside a request (the lab page, the scenario endpoint), Flask reuses that
    request's app context, so `g` is shared: keep per-request lab state in request.environ.
    """

    def __init__(self, slug: str, mode: Mode):
        self.slug = slug
        self.mode = mode
        self.client = current_app.test_client()
        self.steps: list[Step] = []

    def path(self, endpoint: str) -> str:
        """A path of this lab in this mode, e.g. /labs/short-expiry/broken/login."""
        return f"/labs/{self.slug}/{self.mode}/{endpoint.lstrip('/')}"

    def send(self, title: str, method: str, path: str, *, note: str = "",
             headers: dict | None = None, json: dict | None = None,
             clock_offset: int = 0) -> TestResponse:
        """Send one request, record it as a step, and return the response."""
        headers = dict(headers or {})
        if clock_offset:
            headers[CLOCK_HEADER] = str(clock_offset)
        sent = dict(headers)
        cookie = self._cookie_header(path)
        if cookie:
            sent["Cookie"] = cookie
        response = self.client.open(path, method=method, headers=headers, json=json)
        body = response.get_json(silent=True)
        self.steps.append(Step(
            title=title,
            request={"method": method, "path": path, "headers": sent, **({"body": json} if json else {})},
            response={"status": response.status_code,
                      "body": body if body is not None else response.get_data(as_text=True)[:500],
                      **_set_cookie_names(response)},
            note=note,
        ))
        return response

    def _cookie_header(self, path: str) -> str:
        """The Cookie header the client is about to send to `path`."""
        jar = self.client._cookies.values()  # the test client's own cookie jar
        return "; ".join(f"{c.key}={c.value}" for c in jar if path.startswith(c.path))


def _set_cookie_names(response: TestResponse) -> dict:
    """The names of the cookies a response sets, for the replay's display."""
    names = [header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")]
    return {"sets_cookies": names} if names else {}


def lab_key(slug: str, purpose: str) -> str:
    """A signing key for one lab, derived from the app's secret: never a key of the real login."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"jwt-clinic lab {slug} {purpose}".encode(), hashlib.sha256).hexdigest()


def key_id(key: str) -> str:
    """A short fingerprint of a key, safe to show: the first 8 hex digits of its SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def lab_now() -> int:
    """The lab's clock: real time, moved by the X-Lab-Clock-Offset header when a replay sets it.

    Replays move this clock instead of sleeping, so every story runs in well under a second.
    The offset only ever applies to lab endpoints; the real login never reads it.
    """
    try:
        offset = int(request.headers.get(CLOCK_HEADER, "0"))
    except ValueError:
        offset = 0
    return int(time.time()) + max(min(offset, 86_400), -86_400)


def sign_lab_token(key: str, claims: dict) -> str:
    """Sign a lab token with HS256; the header's kid is the key's fingerprint."""
    return pyjwt.encode(claims, key, algorithm="HS256", headers={"kid": key_id(key)})


def verify_lab_token(token: str, key: str, *, now: int, leeway: int = 0) -> dict:
    """Check a lab token: signature by PyJWT, time claims against the lab clock.

    PyJWT cannot be told what time it is, so the time claims are compared afterwards, with
    the same rules and messages as PyJWT's own checks.
    """
    try:
        claims = pyjwt.decode(token, key, algorithms=["HS256"], options={
            "verify_exp": False, "verify_iat": False, "verify_nbf": False,
            "require": ["exp", "iat", "sub"]})
    except pyjwt.InvalidSignatureError:
        check_signature_length(token)  # a cut token is malformed, not signed with another key
        raise
    if not all(isinstance(claims.get(name, 0), int) for name in ("exp", "iat", "nbf")):
        raise IllTypedClaimError("exp, iat and nbf must be integers")
    check_time_claims(claims, now=now, leeway=leeway)
    return claims


def lab_error(exc: Exception) -> ApiError:
    """The contract's error for a failed lab token check, with the library's words as detail."""
    return ApiError(classify_jwt_error(exc), detail=str(exc))


def source_of(function: Callable) -> str:
    """The source code of a function, as it is running now (for the differences panel)."""
    return textwrap.dedent(inspect.getsource(function)).strip()


def excerpt(relative_path: str, marker: str) -> str:
    """The lines between `[marker]` and `[/marker]` comments in a file of this project."""
    path = Path(current_app.root_path) / relative_path
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().endswith(f"[{marker}]"))
    end = next(i for i, line in enumerate(lines) if line.strip().endswith(f"[/{marker}]"))
    return textwrap.dedent("\n".join(lines[start + 1:end])).strip()


def mode_cookie(slug: str) -> str:
    """The cookie remembering which mode this browser chose for a lab."""
    return f"lab_mode_{slug.replace('-', '_')}"


def chosen_mode(slug: str) -> Mode:
    """The mode this browser chose for a lab: broken until it picks fixed."""
    return "fixed" if request.cookies.get(mode_cookie(slug)) == "fixed" else "broken"


def is_mode(value: object) -> bool:
    """True for "broken" and "fixed"."""
    return value in MODES


