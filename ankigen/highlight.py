"""Code blocks as HTML: pygments' lexer for a language name, and the highlighted or plain code.

Parse warns about the language names `lexer_for` does not know; render highlights with it.
"""

from __future__ import annotations

import html
from functools import cache
from typing import Any


@cache
def lexer_for(name: str) -> Any:
    """pygments' lexer for a language name, or None; looked up once per name (the lookup is
    slow)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(name)
    except ClassNotFound:
        return None


def code_html(code: str, language: str | None) -> str:
    """A code block, highlighted when its language is known."""
    lexer = lexer_for(language) if language else None
    if lexer is None:
        return plain_code(code)
    from pygments import highlight

    return str(highlight(code, lexer, _formatter()))


def plain_code(code: str) -> str:
    """A code block without highlighting, in the same frame as a highlighted one."""
    return '<div class="highlight"><pre><code>' + html.escape(code) + "</code></pre></div>\n"


@cache
def _formatter() -> Any:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(cssclass="highlight", wrapcode=True)
