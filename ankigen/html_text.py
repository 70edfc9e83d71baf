"""HTML to text: the one reading of a field's markup as the words a reader sees.

Markup is found as Anki's backend finds it (rslib's text.rs): comments, `<style>` and `<script>`
elements with their content, and tags. `strip_html` is Anki's own stripping (the `text:`
filter); `field_words` is the diff's reading, where block tags separate words and a picture is a
word of its own.
"""

from __future__ import annotations

import html
import re

_MARKUP = re.compile(
    r"(<!--.*?-->)|(<style.*?>.*?</style>)|(<script.*?>.*?</script>)|(<.*?>)",
    re.DOTALL | re.IGNORECASE,
)
# tags that separate words; any other tag (strong, code, span...) may sit inside a word
_BLOCK_TAG = re.compile(
    r"address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|h[1-6]|header|hr"
    r"|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul"
)
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)\b")
_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def strip_html_preserving_entities(text: str) -> str:
    """Text without tags, comments, styles and scripts; entities kept as written."""
    return _MARKUP.sub("", text)


def strip_html(text: str) -> str:
    """Text without tags, comments, styles and scripts; entities decoded (Anki's `strip_html`)."""
    return html.unescape(_MARKUP.sub("", text)).replace("\xa0", " ")


def field_words(field_html: str) -> list[str]:
    """The words of a field: block tags separate words, any other markup is dropped, and a
    picture is the one word `[image:NAME]`."""

    def replace(markup: re.Match[str]) -> str:
        name = _TAG_NAME.match(markup.group(4) or "")
        if name is None:  # a comment, a style or script element, or no tag name
            return ""
        tag = name.group(1).lower()
        if tag == "img":
            src = _SRC.search(markup.group(4))
            return f" [image:{next(g for g in src.groups() if g is not None)}] " if src else " "
        return " " if _BLOCK_TAG.fullmatch(tag) else ""

    return html.unescape(_MARKUP.sub(replace, field_html)).split()


def plain_text(field_html: str) -> str:
    """The words of a field as one line (see `field_words`)."""
    return " ".join(field_words(field_html))
