"""The lessons stay true: examples run, code matches the source, links resolve, labs match."""

import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
from conftest import make_app

from clinic.labs import LABS
from clinic.lessons import APP_URL, code_of, marked_blocks, reading_order

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
FILES = sorted(LESSONS.glob("*.md"))
NOT_LABS = {"README", "how-it-works", "best-practices", "debug-checklist", "instructor-guide"}
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """The app as `make run` starts it (demo mode on), for the lessons' examples."""
    return make_app(tmp_path_factory.mktemp("lessons"), DEMO_MODE=True)


def ids(path):
    return str(path.relative_to(ROOT))


# --- lessons and labs -------------------------------------------------------------------------

def test_every_lab_has_a_lesson_and_every_lesson_a_lab_or_a_role():
    slugs = {lab.slug for lab in LABS}
    lesson_slugs = {p.stem for p in FILES}
    assert slugs <= lesson_slugs, f"labs without a lesson: {slugs - lesson_slugs}"
    assert lesson_slugs - NOT_LABS <= slugs, f"lessons without a lab: {lesson_slugs - NOT_LABS - slugs}"


def test_the_index_lists_every_lesson_once(demo_app):
    with demo_app.app_context():
        listed = [lesson.slug for lesson in reading_order()]
    assert sorted(listed) == sorted(p.stem for p in FILES if p.stem != "README")
    assert len(listed) == len(set(listed))


@pytest.mark.parametrize("path", [p for p in FILES if p.stem in {lab.slug for lab in LABS}],
                         ids=ids)
def test_lab_lessons_have_the_six_parts(path):
    headings = re.findall(r"^## (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert headings == ["The symptom", "Reproduce it", "Why it happens", "The fix in this code",
                        "Verify the fix", "On the checklist"]


# --- code pulled from the source --------------------------------------------------------------

@pytest.mark.parametrize("path", FILES, ids=ids)
def test_code_in_lessons_matches_the_source(path):
    for block in marked_blocks(path.read_text(encoding="utf-8")):
        if block.kind == "code":
            assert block.body == code_of(block.ref, ROOT), (
                f"{path.name}: the copy of {block.ref} is stale; run "
                "`flask --app app lessons sync`")


def test_code_of_finds_functions_and_markers():
    assert code_of("clinic/tokens.py::require_token", ROOT).startswith("def require_token(")
    assert "SETTINGS = {" in code_of("clinic/labs/short_expiry.py#settings", ROOT)
    with pytest.raises(LookupError):
        code_of("clinic/tokens.py::no_such_function", ROOT)


def test_token_examples_have_the_claims_the_app_issues(demo_app):
    client = demo_app.test_client()
    client.post("/api/auth/login", json={"username": demo_app.config["DEMO_USERNAME"],
                                         "password": demo_app.config["DEMO_PASSWORD"]})
    issued = {"access": client.get_cookie("access_token_cookie").value}
    import json

    for path in FILES:
        for block in marked_blocks(path.read_text(encoding="utf-8")):
            if block.kind == "token":
                shown = json.loads(block.body)
                real = jwt.decode(issued[block.ref], options={"verify_signature": False})
                assert list(shown) == list(real), f"{path.name}: claims differ from a real token"


def test_no_unmarked_code_from_the_project():
    """Python or JavaScript shown in a lesson must come from a marker, never be pasted."""
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        marked = {block.first for block in marked_blocks(text)}
        lines = text.splitlines()
        for number, line in enumerate(lines):
            if line in ("```python", "```javascript", "```js"):
                assert number in marked, f"{path.name}:{number + 1}: code without a marker"


# --- curl examples ----------------------------------------------------------------------------

def curl_commands(text: str):
    """Each curl command of the lesson's sh blocks with the status (and code) it expects."""
    for language, body in FENCE.findall(text):
        if language not in ("sh", "bash", "console"):
            continue
        joined = body.replace("\\\n", " ")
        lines = [line.strip() for line in joined.splitlines() if line.strip()]
        for number, line in enumerate(lines):
            if line.startswith("curl "):
                expect = lines[number + 1] if number + 1 < len(lines) else ""
                match = re.fullmatch(r"# expect: (\d{3})(?: (\w+))?", expect)
                assert match, f"curl without '# expect: <status>': {line}"
                yield line, int(match[1]), match[2]


class CookieJar:
    """What curl keeps in a -c file and sends with -b: name, value and path of each cookie."""

    def __init__(self):
        self.cookies: dict[str, tuple[str, str]] = {}

    def header_for(self, path: str) -> str:
        return "; ".join(f"{name}={value}" for name, (value, cookie_path) in self.cookies.items()
                         if path.startswith(cookie_path))

    def store(self, response) -> None:
        from http.cookies import SimpleCookie

        for line in response.headers.getlist("Set-Cookie"):
            jar = SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = (morsel.value, morsel["path"] or "/")


def run_curl(command: str, jar: CookieJar, client):
    """Run the supported subset of curl against the app's test client, -b and -c as curl does."""
    command = re.sub(r"\$\(grep (\w+) jar \| cut -f7\)",
                     lambda m: jar.cookies[m[1]][0], command)
    args = shlex.split(command)[1:]
    method, headers, data, url, send, keep = None, {}, None, None, False, False
    while args:
        arg = args.pop(0)
        if arg in ("-s", "-i", "-S", "-si", "-is", "-L"):
            continue
        if arg == "-X":
            method = args.pop(0)
        elif arg == "-H":
            name, _, value = args.pop(0).partition(":")
            headers[name.strip()] = value.strip()
        elif arg in ("-d", "--data", "--data-raw"):
            data = args.pop(0)
        elif arg in ("-b", "-c"):
            args.pop(0)  # one jar per lesson, whatever the file is called
            send, keep = send or arg == "-b", keep or arg == "-c"
        elif arg.startswith(APP_URL):
            url = arg
        else:
            raise AssertionError(f"unsupported curl argument {arg!r} in: {command}")
    assert url, f"no {APP_URL} URL in: {command}"
    parts = urlsplit(url)
    if send and jar.header_for(parts.path):
        headers["Cookie"] = jar.header_for(parts.path)
    response = client.open(parts.path, method=method or ("POST" if data is not None else "GET"),
                           query_string=parts.query, headers=headers, data=data)
    if keep:
        jar.store(response)
    return response


@pytest.mark.parametrize("path", [*FILES, ROOT / "README.md"], ids=ids)
def test_curl_examples_answer_as_the_lesson_says(demo_app, path):
    jar, client = CookieJar(), demo_app.test_client(use_cookies=False)
    for command, status, code in curl_commands(path.read_text(encoding="utf-8")):
        response = run_curl(command, jar, client)
        assert response.status_code == status, f"{path.name}: {command}\n{response.data[:300]}"
        if code:
            body = response.get_json(silent=True) or {}
            assert code in (body.get("error"), (body.get("scenario") or {}).get("error")), (
                f"{path.name}: {command} answered {body}")


# --- links ------------------------------------------------------------------------------------

def anchors_of(path: Path) -> set[str]:
    """The heading ids a code host (and the app) gives a markdown file."""
    from mdit_py_plugins.anchors.index import slugify

    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slugify(re.sub(r"[`*_]", "", h)) for h in re.findall(r"^#{1,3} (.+)$", text, re.MULTILINE)}


APP_ADDRESS = re.compile(r"`(" + re.escape(APP_URL) + r"[^`\s]*)`")


@pytest.mark.parametrize("path", [*FILES, ROOT / "README.md"], ids=ids)
def test_every_link_resolves(demo_app, path):
    """Links resolve on a code host (files and headings) and app addresses in the app."""
    client = demo_app.test_client()
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    for href in LINK.findall(text):
        assert not href.startswith(("http://", "https://")), (
            f"{path.name}: {href} is a link a code host cannot follow; write app addresses "
            "as code, `http://127.0.0.1:5000/...`, which the app turns into links")
        page, _, anchor = href.partition("#")
        target = (path.parent / page).resolve() if page else path
        assert target.exists(), f"{path.name}: {href} points to a missing file"
        if anchor:
            assert anchor in anchors_of(target), f"{path.name}: no heading #{anchor} in {target.name}"
    for address in APP_ADDRESS.findall(text):
        status = client.get(address[len(APP_URL):] or "/").status_code
        assert status in (200, 302), f"{path.name}: {address} answered {status}"


def test_the_readme_leads_to_the_lessons():
    assert "lessons/README.md" in (ROOT / "README.md").read_text(encoding="utf-8")


# --- in the app -------------------------------------------------------------------------------

def test_lessons_index_and_pages_render(demo_app):
    client = demo_app.test_client()
    index = client.get("/lessons").data.decode()
    with demo_app.app_context():
        order = reading_order()
    for lesson in order:
        assert f'href="/lessons/{lesson.slug}"' in index
        page = client.get(f"/lessons/{lesson.slug}")
        assert page.status_code == 200
    assert client.get("/lessons/no-such-lesson").status_code == 404


def test_lesson_pages_link_to_their_lab_and_neighbours(demo_app):
    client = demo_app.test_client()
    page = client.get("/lessons/short-expiry").data.decode()
    assert 'href="/labs/short-expiry"' in page
    assert 'rel="prev" href="/lessons/how-it-works"' in page
    assert 'rel="next"' in page
    assert 'href="/labs/short-expiry?mode=broken"' in page  # the app link, rewritten
    assert "<!-- code:" not in page and "&lt;!-- code:" not in page
    assert 'class="highlight"' in page


def test_raw_html_in_markdown_is_escaped(demo_app, tmp_path, monkeypatch):
    from clinic import lessons

    with demo_app.test_request_context():
        html = str(lessons.markdown().render("<script>alert(1)</script> and <b>bold</b>"))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_presenter_view(demo_app):
    page = demo_app.test_client().get("/lessons/how-it-works?view=presenter").data.decode()
    assert 'class="lesson-page presenter"' in page
    assert "view=presenter" in page  # the pager keeps the presenter view


def test_examples_exist_where_readers_need_them():
    """The curl runner must have something to run: the README and every lab lesson."""
    for path in [ROOT / "README.md", LESSONS / "how-it-works.md",
                 *(LESSONS / f"{lab.slug}.md" for lab in LABS)]:
        if path.exists():
            assert list(curl_commands(path.read_text(encoding="utf-8"))), f"{path.name}: no curl"
