"""Lab: a token in the URL, and every place a URL is copied to.

Broken: a page is opened by a link, a link cannot carry an Authorization header, so the client
puts the token in the address (?jwt=eyJ…). The server reads only the header and answers
token_missing. The quick fix makes it read ?jwt= too: now it works, and the token sits in the
server's access log, in the browser's history and in the Referer header the page sends to
another site. Fixed: the token travels only in the Authorization header; a token in the URL is
refused with 400 token_in_query_string, and the log line that records it is scrubbed.

What the token leaks into is kept in memory, per app and per visitor of the lab (a random id in
a lab cookie), so learners sharing one server do not see each other's captures.
"""

import pprint
import re
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from urllib.parse import unquote

import jwt as pyjwt
from flask import Blueprint, Response, abort, current_app, has_request_context, jsonify, request

from ..errors import ERRORS, ApiError, error_body
from ..security import JWT_SHAPE, scrub, token_in_url
from .base import (
    MODES,
    Difference,
    Lab,
    Replay,
    excerpt,
    is_mode,
    lab_error,
    lab_key,
    lab_now,
    sign_lab_token,
    verify_lab_token,
)

SLUG = "query-string"
SCRIPT = "static/js/labs/query-string.js"
VISITOR_COOKIE = "lab_query_string_visitor"
VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{16}")
VISITOR_KEY = "clinic.lab_query_string.visitor"  # where a request keeps its visitor id
COOKIE_PATH = f"/labs/{SLUG}/"
TOKEN_LIFETIME_SECONDS = 600
KEEP_LINES = 20  # per capture list, per visitor
KEEP_VISITORS = 500  # then the visitor seen longest ago is forgotten
KEEP_CHARS = 2000  # per captured line: a token fits, a 200 KB header does not
# What a browser sends when it opens an address as a page (and so adds it to its history).
NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
# The names the captures' lists go by, in what the lab page and the diagnosis say.
PLACES = {"access_log": "the server access log", "history": "the browser history",
          "referers": "the Referer header another site received"}
# The test client's address for this app: where the replay's "browser" says it is.
REPLAY_ORIGIN = "http://localhost"

# Where each version of the server looks for the token (Flask-JWT-Extended's JWT_TOKEN_LOCATION
# has the same choices, and "jwt" is its default query-string name), and what it does with a
# token it finds in the URL.
# [settings]
SETTINGS = {
    "before quick fix": {"TOKEN_LOCATIONS": ["headers"], "QUERY_STRING_NAME": None,
                         "REFUSE_TOKEN_IN_URL": False, "SCRUB_ACCESS_LOG": False},
    "broken": {"TOKEN_LOCATIONS": ["headers", "query_string"], "QUERY_STRING_NAME": "jwt",
               "REFUSE_TOKEN_IN_URL": False, "SCRUB_ACCESS_LOG": False},
    "fixed": {"TOKEN_LOCATIONS": ["headers"], "QUERY_STRING_NAME": None,
              "REFUSE_TOKEN_IN_URL": True, "SCRUB_ACCESS_LOG": True},
}
# [/settings]

bp = Blueprint("lab_query_string", __name__, url_prefix=f"/labs/{SLUG}")


@dataclass
class Captures:
    """Where one visitor's token could end up: a server log, a browser history, other sites."""

    access_log: deque = field(default_factory=lambda: deque(maxlen=KEEP_LINES))
    history: deque = field(default_factory=lambda: deque(maxlen=KEEP_LINES))
    referers: deque = field(default_factory=lambda: deque(maxlen=KEEP_LINES))

    def to_json(self) -> dict:
        """The three lists, oldest line first."""
        return {"access_log": list(self.access_log), "history": list(self.history),
                "referers": list(self.referers)}

    def add(self, place: str, line: str) -> None:
        """Keep one line in one of the three lists, cut to a sane length."""
        getattr(self, place).append(line[:KEEP_CHARS])

    def leaked_in(self) -> list[str]:
        """The names of the lists in which a token shows up."""
        return [name for name, lines in self.to_json().items()
                if any(JWT_SHAPE.search(unquote(line)) for line in lines)]


class CaptureStore:
    """Every visitor's captures, in memory; the visitor seen longest ago is forgotten first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._captures: OrderedDict[str, Captures] = OrderedDict()

    def of(self, key: str, create: bool = False) -> Captures | None:
        """The captures kept under `key`; only a login creates them (`create`).

        Requests that do not log in never add an entry, so nobody can push other
        learners' captures out of the store by sending requests without a cookie.
        """
        with self._lock:
            captures = self._captures.pop(key, None)
            if captures is None and not create:
                return None
            self._captures[key] = captures or Captures()
            while len(self._captures) > KEEP_VISITORS:
                self._captures.popitem(last=False)
            return self._captures[key]

    def __len__(self) -> int:
        """How many visitors' captures are kept."""
        return len(self._captures)

    def forget(self, *keys: str) -> None:
        """Drop the captures under `keys`, or every capture when no key is given."""
        with self._lock:
            if not keys:
                self._captures.clear()
            for key in keys:
                self._captures.pop(key, None)


def capture_store() -> CaptureStore:
    """This app's store: each app (each test's app too) keeps its own."""
    return current_app.extensions.setdefault("lab_query_string", CaptureStore())


def capture_key(mode: str, visitor_id: str) -> str:
    """Each mode stands for another deployment, with a log of its own."""
    return f"{mode}:{visitor_id}"


def visitor() -> str:
    """This browser's lab visitor id, from its lab cookie; a new one is set when it has none."""
    # Kept on the request, not on g: a replay's requests share the app context, and so g.
    if VISITOR_KEY not in request.environ:
        known = request.cookies.get(VISITOR_COOKIE, "")
        request.environ[VISITOR_KEY] = (known if VISITOR_ID.fullmatch(known)
                                        else secrets.token_urlsafe(12))
    return request.environ[VISITOR_KEY]


def settings(mode: str) -> dict:
    """The settings of a mode; an unknown mode is a 404."""
    if not is_mode(mode):
        abort(404)
    return SETTINGS[mode]


@bp.post("/<mode>/login")
def login(mode: str):
    """Log the lab's learner in: the token comes back in the body, for the client to send."""
    settings(mode)
    now = lab_now()
    claims = {"sub": "learner", "iat": now, "exp": now + TOKEN_LIFETIME_SECONDS}
    token = sign_lab_token(lab_key(SLUG, "access"), claims)
    capture_store().of(capture_key(mode, visitor()), create=True)
    return jsonify(access_token=token, expires_in=TOKEN_LIFETIME_SECONDS, visitor=visitor())


@bp.get("/<mode>/profile")
def profile(mode: str):
    """The lab's API, as this mode's server reads tokens."""
    return answer_profile(settings(mode))


@bp.get("/<mode>/before-quick-fix/profile")
def profile_before_quick_fix(mode: str):
    """Broken mode's server as it was before the quick fix: it reads the header only."""
    if mode != "broken":
        abort(404)
    return answer_profile(SETTINGS["before quick fix"])


def answer_profile(config: dict):
    """Who the token belongs to, and where the server found it."""
    token, found_in = read_token(config)
    try:
        claims = verify_lab_token(token, lab_key(SLUG, "access"), now=lab_now())
    except pyjwt.PyJWTError as exc:
        raise lab_error(exc) from None
    return jsonify(user=claims["sub"], token_from=found_in)


def read_token(config: dict) -> tuple[str, str]:
    """The token and where it was found, looking only where `config` allows."""
    if config["REFUSE_TOKEN_IN_URL"] and token_in_url():
        raise ApiError("token_in_query_string", "A token was sent in the URL. This API takes "
                       "it only in the Authorization header, and it was kept out of the log.")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if "headers" in config["TOKEN_LOCATIONS"] and scheme == "Bearer" and token.strip():
        return token.strip(), "Authorization header"
    name = config["QUERY_STRING_NAME"]
    if "query_string" in config["TOKEN_LOCATIONS"] and request.args.get(name):
        return request.args[name], f"query string (?{name}=)"
    raise ApiError("token_missing", detail="No token in: " + ", ".join(config["TOKEN_LOCATIONS"]))


@bp.get("/<mode>/captures")
def captures(mode: str):
    """Where this visitor's token ended up; a token in any of the lists answers token_leaked."""
    settings(mode)
    found = capture_store().of(capture_key(mode, visitor())) or Captures()
    leaked_in = found.leaked_in()
    if not leaked_in:
        return jsonify(leaked=False, leaked_in=[], **found.to_json())
    places = ", ".join(PLACES[name] for name in leaked_in)
    body = error_body("token_leaked", detail=f"A token shows up in {places}.")
    return jsonify(**body, leaked=True, leaked_in=leaked_in, **found.to_json()), \
        ERRORS["token_leaked"].status


@bp.get("/partner/<mode>/<visitor_id>")
def partner(mode: str, visitor_id: str):
    """Stands in for another website the page links to: it keeps every Referer it receives."""
    if not is_mode(mode) or not VISITOR_ID.fullmatch(visitor_id):
        abort(404)
    referer = request.headers.get("Referer")
    found = capture_store().of(capture_key(mode, visitor_id))
    if found is not None:  # only a visitor who logged in has captures to add to
        found.add("referers", referer or "(no Referer header)")
    text = ("This page stands in for another website: a partner, an analytics service, a "
            f"font host.\n\nThe Referer header your browser sent it:\n\n{referer or '(none)'}\n\n"
            "Close this tab and go back to the lab.\n")
    return Response(text, mimetype="text/plain")


@bp.after_request
def record(response: Response) -> Response:
    """Keep what a real server and browser would keep of a request to this lab's servers."""
    mode = (request.view_args or {}).get("mode")
    # The partner stands for another site, and the captures are the lab's own window: neither
    # belongs in this server's access log.
    if is_mode(mode) and request.endpoint not in (f"{bp.name}.partner", f"{bp.name}.captures"):
        found = capture_store().of(capture_key(mode, visitor()))
        if found is not None:
            write_access_log(found, mode, response.status_code)
    given = request.environ.get(VISITOR_KEY)
    if given and given != request.cookies.get(VISITOR_COOKIE):
        response.set_cookie(VISITOR_COOKIE, given, path=COOKIE_PATH, httponly=True,
                            samesite="Lax")
    return response


def write_access_log(found: Captures, mode: str, status: int) -> None:
    """An access log line with the full URL, as servers write it; a page load joins the history."""
    query = request.query_string.decode("latin-1")
    target = request.path + (f"?{query}" if query else "")
    when = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    line = (f'{request.remote_addr or "-"} - - [{when}] "{request.method} {target} '
            f'{request.environ.get("SERVER_PROTOCOL", "HTTP/1.1")}" {status} -')
    found.add("access_log", scrub(line) if SETTINGS[mode]["SCRUB_ACCESS_LOG"] else line)
    if request.headers.get("Sec-Fetch-Mode") == "navigate":
        found.add("history", request.url)  # the browser keeps the address it opened


def reset() -> None:
    """Forget the captures of the browser that asked; outside a request, forget them all."""
    store = capture_store()
    if not has_request_context():
        store.forget()
        return
    known = request.cookies.get(VISITOR_COOKIE, "")
    if VISITOR_ID.fullmatch(known):
        store.forget(*(capture_key(mode, known) for mode in MODES))


def replay(story: Replay) -> tuple[str | None, str]:
    """Log in, use the token the mode's way, follow a link to another site, then look around."""
    login_response = story.send("Log in", "POST", story.path("login"),
                                note="The token comes back in the body, for the client to send.")
    token = login_response.get_json()["access_token"]
    visitor_id = login_response.get_json()["visitor"]
    try:
        tell = tell_broken if story.mode == "broken" else tell_fixed
        return tell(story, token, visitor_id)
    finally:
        capture_store().forget(capture_key(story.mode, visitor_id))  # the replay's own


def tell_broken(story: Replay, token: str, visitor_id: str) -> tuple[str | None, str]:
    """The token in the URL: refused by a header-only server, then leaked by the quick fix."""
    story.send(
        "Open the profile page from a link, token in the address", "GET",
        f"{story.path('before-quick-fix/profile')}?jwt={token}", headers=NAVIGATION,
        note="A link cannot carry an Authorization header, so the client put the token in the "
             "URL. This server reads only the header, so it finds no token.")
    page = f"{story.path('profile')}?jwt={token}"
    story.send(
        "The quick fix: the server reads ?jwt= too", "GET", page, headers=NAVIGATION,
        note="It works. The access log writes the full URL, and the browser keeps the address "
             "in its history.")
    story.send(
        "The profile page links to another site", "GET", partner_path(story.mode, visitor_id),
        headers={**NAVIGATION, "Sec-Fetch-Site": "cross-site", "Referer": REPLAY_ORIGIN + page},
        note="The page's Referrer-Policy is no-referrer-when-downgrade, so the browser tells "
             "the other site the page's full address, token included.")
    report = story.send(
        "Look where the token ended up", "GET", story.path("captures"),
        note="The token is in the access log, the history and the other site's Referer.")
    body = report.get_json()
    return body.get("error"), (
        "A link cannot send a header, so the token went in the URL. The header-only server "
        "answered token_missing; the quick fix made it read ?jwt=, and from then on the token "
        f"was copied into {', '.join(PLACES[name] for name in body.get('leaked_in', []))}. "
        "Anyone who reads one of those can use it until it expires.")


def tell_fixed(story: Replay, token: str, visitor_id: str) -> tuple[str | None, str]:
    """The token in the header only; one sent in the URL is refused and kept out of the log."""
    story.send(
        "A script that was not updated still sends ?jwt=", "GET",
        f"{story.path('profile')}?jwt={token}",
        note="Refused before the token is used, and the log line is scrubbed. (Refusing cannot "
             "take a token out of a browser's history: only the client can keep it out.)")
    story.send(
        "The fixed client sends the token in the Authorization header", "GET",
        story.path("profile"), headers={"Authorization": f"Bearer {token}"},
        note="Accepted. The address the page shows stays clean.")
    story.send(
        "The page links to another site", "GET", partner_path(story.mode, visitor_id),
        headers={**NAVIGATION, "Sec-Fetch-Site": "cross-site"},
        note="The site's Referrer-Policy is same-origin, so another site gets no Referer; "
             "and the page's address holds no token anyway.")
    report = story.send(
        "Look where the token ended up", "GET", story.path("captures"),
        note="No token in the log, the history or the Referers.")
    if report.status_code != 200:
        return report.get_json().get("error", "token_leaked"), "The token still leaked."
    return None, ("The token travels only in the Authorization header, which access logs do "
                  "not write and browsers do not keep or pass on. A token sent in the URL is "
                  "refused with 400 token_in_query_string and scrubbed from the log.")


def partner_path(mode: str, visitor_id: str) -> str:
    """The lab's stand-in for another website, filing what it receives under this visitor."""
    return f"/labs/{SLUG}/partner/{mode}/{visitor_id}"


def settings_text(config: dict) -> str:
    """A mode's settings as Python prints them, one setting a line."""
    return pprint.pformat(config, sort_dicts=False, width=60)


def differences() -> list[Difference]:
    """The server's settings in both modes, and how the page sends the token."""
    return [
        Difference("Server settings (clinic/labs/query_string.py)",
                   settings_text(SETTINGS["broken"]), settings_text(SETTINGS["fixed"])),
        Difference(f"How the page sends the token ({SCRIPT})",
                   excerpt(SCRIPT, "broken-client"), excerpt(SCRIPT, "fixed-client"),
                   language="javascript"),
    ]


LAB = Lab(
    slug=SLUG,
    title="A token in the URL",
    symptom="Pages opened from a link say I'm not logged in, but the rest of the app works.",
    summary="A link cannot send a header, so the token went in the URL; the quick fix of "
            "reading ?jwt= copies it into logs, history and Referer headers. Send it in the "
            "Authorization header, and refuse tokens in URLs.",
    blueprint=bp,
    replay=replay,
    differences=differences,
    reset=reset,
)
