"""The lab pages: the index, each lab page, the scenario JSON, the reset control."""

import json

from flask import (
    Blueprint,
    Flask,
    abort,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from ..errors import ApiError
from ..extensions import csrf
from ..forms import ButtonForm
from ..security import JWT_SHAPE
from . import BY_SLUG, LABS
from .base import MODES, chosen_mode, is_mode, mode_cookie

bp = Blueprint("labs", __name__, url_prefix="/labs")

MODE_COOKIE_AGE = 60 * 60 * 24 * 180


def lab_or_404(slug: str):
    """The lab with this slug, or the 404 page."""
    lab = BY_SLUG.get(slug)
    if lab is None:
        abort(404)
    return lab


@bp.get("")
def index():
    """Every lab, with the mode this browser chose for it."""
    return render_template("labs/index.html", labs=[(lab, chosen_mode(lab.slug)) for lab in LABS])


@bp.get("/<slug>")
def page(slug: str):
    """A lab page; ?mode= chooses the mode and remembers it in this browser."""
    lab = lab_or_404(slug)
    asked = request.args.get("mode")
    mode = asked if is_mode(asked) else chosen_mode(slug)
    scenario = lab.run(mode)
    response = make_response(render_template(
        f"labs/{slug}.html", lab=lab, mode=mode, modes=MODES, scenario=scenario,
        differences=lab.differences(), reset_form=ButtonForm(), **lab.page_context(mode)))
    if is_mode(asked):
        response.set_cookie(mode_cookie(slug), asked, max_age=MODE_COOKIE_AGE, path="/labs",
                            samesite="Lax", httponly=True)
    return response


@bp.get("/<slug>/scenario")
def scenario(slug: str):
    """The lab's story as JSON, in ?mode= or in this browser's chosen mode."""
    lab = lab_or_404(slug)
    mode = request.args.get("mode", chosen_mode(slug))
    if not is_mode(mode):
        raise ApiError("invalid_input", "mode must be 'broken' or 'fixed'.")
    return jsonify(lab.run(mode).to_json())


@bp.post("/<slug>/reset")
def reset(slug: str):
    """Forget this lab's mode and cookies, and clear whatever it keeps on the server."""
    lab = lab_or_404(slug)
    lab.reset()
    response = redirect(url_for("labs.page", slug=slug))
    response.delete_cookie(mode_cookie(slug), path="/labs")
    for name in request.cookies:
        if name.startswith(f"lab_{slug.replace('-', '_')}_"):
            response.delete_cookie(name, path=f"/labs/{slug}/")
    return response


def register_labs(app: Flask) -> None:
    """The lab pages, and every lab's own endpoints (JSON, exempt from form CSRF)."""
    app.register_blueprint(bp)
    for lab in LABS:
        csrf.exempt(lab.blueprint)
        app.register_blueprint(lab.blueprint)


@bp.app_template_filter("pretty_json")
def pretty_json(value: object) -> str:
    """JSON for reading: indented, apostrophes and accents as they are (Jinja escapes the HTML)."""
    return json.dumps(value, indent=2, ensure_ascii=False)


@bp.app_template_filter("truncate_token")
def truncate_token(text: str) -> str:
    """Shorten every JWT in a header value to its first and last characters, for display."""
    return JWT_SHAPE.sub(lambda m: f"{m.group(0)[:16]}…{m.group(0)[-6:]}", str(text))
