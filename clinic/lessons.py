"""The lessons: markdown files in lessons/, rendered at /lessons with code pulled from source.

The files are written to read well on a code host too, so they keep links as relative file
links and app links as http://127.0.0.1:5000/... URLs; rendering turns both into app paths.
Code shown in a lesson sits under a `<!-- code: path::function -->` or `<!-- code: path#marker -->`
comment; rendering replaces the block with the source as it is now, and the tests fail when
the file's copy has drifted (`flask --app app lessons sync` rewrites the copies).
"""

import ast
import re
import textwrap
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import click
from flask import Blueprint, Flask, abort, current_app, render_template, request
from flask.cli import with_appcontext
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup
from mdit_py_plugins.anchors import anchors_plugin

from .highlight import highlight

bp = Blueprint("lessons", __name__, url_prefix="/lessons")

APP_URL = "http://127.0.0.1:5000"
MARKER = re.compile(r"^<!-- (?P<kind>code|token): (?P<ref>[^ ]+) -->$")
COMMENT_LINE = re.compile(r"^<!--.*?-->\n", re.MULTILINE)
INDEX_LINK = re.compile(r"^\d+\.\s+\[(?P<title>[^\]]+)\]\((?P<file>[\w-]+)\.md\)", re.MULTILINE)


@dataclass(frozen=True)
class Lesson:
    """One file of lessons/, in the reading order of lessons/README.md."""

    slug: str
    title: str
    path: Path


def lessons_dir() -> Path:
    """The folder the lessons live in."""
    return Path(current_app.root_path) / "lessons"


def reading_order() -> list[Lesson]:
    """The lessons as the index lists them: numbered links in lessons/README.md."""
    folder = lessons_dir()
    index = (folder / "README.md").read_text(encoding="utf-8")
    return [Lesson(m["file"], m["title"], folder / f"{m['file']}.md")
            for m in INDEX_LINK.finditer(index)]


def code_of(ref: str, root: Path) -> str:
    """The current source a lesson refers to: `path::name` (a function or class) or `path#marker`."""
    if "::" in ref:
        path, name = ref.split("::", 1)
        source = (root / path).read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                    and node.name == name:
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                lines = source.splitlines()[start - 1:node.end_lineno]
                return textwrap.dedent("\n".join(lines)).strip()
        raise LookupError(f"{name} not found in {path}")
    path, marker = ref.split("#", 1)
    lines = (root / path).read_text(encoding="utf-8").splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.rstrip().endswith(f"[{marker}]"))
        end = next(i for i, line in enumerate(lines) if line.rstrip().endswith(f"[/{marker}]"))
    except StopIteration:
        raise LookupError(f"marker [{marker}] not found in {path}") from None
    return textwrap.dedent("\n".join(lines[start + 1:end])).strip()


@dataclass(frozen=True)
class MarkedBlock:
    """A fenced block right under a `<!-- code: ... -->` or `<!-- token: ... -->` comment."""

    kind: str
    ref: str
    language: str
    body: str
    first: int  # index of the opening fence line
    last: int  # index of the closing fence line


def marked_blocks(text: str) -> list[MarkedBlock]:
    """Every marked fenced block of a lesson, in order."""
    lines, blocks = text.splitlines(), []
    for number, line in enumerate(lines[:-1]):
        marker = MARKER.match(line)
        if marker and lines[number + 1].startswith("```"):
            last = next(i for i in range(number + 2, len(lines)) if lines[i] == "```")
            blocks.append(MarkedBlock(marker["kind"], marker["ref"], lines[number + 1][3:],
                                      "\n".join(lines[number + 2:last]), number + 1, last))
    return blocks


def sync_code(text: str, root: Path) -> str:
    """The lesson text with every `code:` block replaced by the current source."""
    lines = text.splitlines()
    for block in reversed(marked_blocks(text)):
        if block.kind == "code":
            lines[block.first + 1:block.last] = code_of(block.ref, root).splitlines()
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def app_href(href: str) -> str | None:
    """Where a lesson's link points inside the app; None for a link to a project file."""
    if href.startswith(APP_URL):
        return href[len(APP_URL):] or "/"
    if href.startswith("../"):
        return None  # a source file of the project: readable on a code host, not served here
    if href.startswith(("#", "/", "http://", "https://", "mailto:")):
        return href
    page, _, anchor = href.partition("#")
    if page.endswith(".md"):
        slug = page[:-3]
        path = "/lessons" if slug == "README" else f"/lessons/{slug}"
        return path + (f"#{anchor}" if anchor else "")
    return href


@cache
def markdown() -> MarkdownIt:
    """CommonMark with tables, heading anchors like a code host's, raw HTML escaped."""
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight}).enable("table")
    anchors_plugin(md, min_level=1, max_level=3)
    md.core.ruler.push("app_links", _rewrite_links)
    return md


def _highlight(code: str, language: str, _attrs: str) -> str:
    """Pygments HTML for fenced code (markdown-it keeps output that starts with <pre)."""
    return str(highlight(code.rstrip("\n"), language or "text"))


def _rewrite_links(state) -> None:
    """Point links at app routes; links to project files become plain text in the app.

    Addresses of the running app are written as code (`http://127.0.0.1:5000/labs`), not as
    links, so a reader on a code host never meets a link that goes nowhere; here they become
    links to the app's own pages.
    """
    for token in state.tokens:
        plain = []  # one entry per open link: True when it was turned into text
        children = []
        for child in token.children or []:
            if child.type == "link_open":
                target = app_href(str(child.attrGet("href")))
                plain.append(target is None)
                if target is None:
                    child.tag, child.attrs = "span", {"class": "source-ref"}
                else:
                    child.attrSet("href", target)
            elif child.type == "link_close" and plain.pop():
                child.tag = "span"
            elif child.type == "code_inline" and child.content.startswith(APP_URL) and not plain:
                opener = Token("link_open", "a", 1, attrs={"href": app_href(child.content)})
                children += [opener, child, Token("link_close", "a", -1)]
                continue
            children.append(child)
        if token.children is not None:
            token.children = children


def render(lesson: Lesson) -> Markup:
    """A lesson's HTML, with code taken from the source as it is now."""
    return _render(lesson.path, lesson.path.stat().st_mtime_ns, current_app.root_path)


@lru_cache(maxsize=64)
def _render(path: Path, _mtime: int, root: str) -> Markup:
    """Render once per version of the file: source code only changes with a restart."""
    text = sync_code(path.read_text(encoding="utf-8"), Path(root))
    text = COMMENT_LINE.sub("", text)  # markers are for the tests; raw HTML is not rendered
    return Markup(markdown().render(text))


@bp.get("")
def index():
    """The reading order, as lessons/README.md gives it."""
    readme = Lesson("README", "Lessons", lessons_dir() / "README.md")
    return render_template("lessons/index.html", body=render(readme), lessons=reading_order())


@bp.get("/<slug>")
def page(slug: str):
    """One lesson, with previous and next links; ?view=presenter shows large type."""
    order = reading_order()
    position = next((i for i, lesson in enumerate(order) if lesson.slug == slug), None)
    if position is None or not order[position].path.exists():
        abort(404)
    from .labs import BY_SLUG

    return render_template(
        "lessons/page.html", lesson=order[position], body=render(order[position]),
        previous=order[position - 1] if position else None,
        next=order[position + 1] if position + 1 < len(order) else None,
        lab=BY_SLUG.get(slug), presenter=request.args.get("view") == "presenter")


@click.group("lessons")
def lessons_group() -> None:
    """Keep lessons/ in step with the code."""


@lessons_group.command("sync")
@with_appcontext
def sync_command() -> None:
    """Rewrite every marked code block in lessons/ from the current source."""
    root = Path(current_app.root_path)
    for path in sorted(lessons_dir().glob("*.md")):
        text = path.read_text(encoding="utf-8")
        synced = sync_code(text, root)
        if synced != text:
            path.write_text(synced, encoding="utf-8")
            click.echo(f"updated {path.name}")


def register_lessons(app: Flask) -> None:
    """The /lessons pages and the `lessons sync` command."""
    app.register_blueprint(bp)
    app.cli.add_command(lessons_group)
