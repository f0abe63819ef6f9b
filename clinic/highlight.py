"""Code highlighting with Pygments, for lab panels and lessons."""

from markupsafe import Markup
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

FORMATTER = HtmlFormatter(nowrap=True)  # just the coloured spans; the wrapper is ours


def highlight(code: str, language: str = "text") -> Markup:
    """Code as highlighted HTML; Pygments escapes it, so the result is safe to insert.

    The block can be focused (tabindex), so keyboard users can scroll wide code sideways.
    """
    try:
        lexer = get_lexer_by_name(language or "text")
    except ClassNotFound:
        lexer = get_lexer_by_name("text")
    spans = pygments_highlight(code, lexer, FORMATTER)
    return Markup(f'<pre class="highlight" tabindex="0"><code>{spans}</code></pre>')
