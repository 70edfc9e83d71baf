"""The words of a field's HTML as a reader sees them: markup dropped, pictures named."""

from __future__ import annotations

import html
import re

# tags that separate words; any other tag (strong, code, span...) may sit inside a word
_BLOCK_TAG = re.compile(
    r"address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|h[1-6]|header|hr"
    r"|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul"
)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*>")
_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def plain_text(field_html: str) -> str:
    """The words of a field without markup; a picture is the one word `[image:NAME]`."""
    return " ".join(field_words(field_html))


def field_words(field_html: str) -> list[str]:
    """The words of a field: block tags separate words, any other markup is dropped."""

    def replace(tag: re.Match[str]) -> str:
        name = tag.group(2).lower()
        if name == "img":
            src = _SRC.search(tag.group(0))
            return f" [image:{next(g for g in src.groups() if g is not None)}] " if src else " "
        return " " if _BLOCK_TAG.fullmatch(name) else ""

    return html.unescape(_TAG.sub(replace, _COMMENT.sub("", field_html))).split()
