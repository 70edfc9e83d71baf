"""A field's HTML as ankigen markdown, with markdownify (BeautifulSoup underneath).

What maps cleanly becomes markdown: emphasis, code, links, lists, tables, pictures, line breaks,
and MathJax `\\(…\\)` / `\\[…\\]` becomes `$…$` / `$$…$$` (the TeX trimmed and unescaped, so
markdown never touches it). Inline tags markdown has no syntax for (`<u>`, `<sub>`, `<sup>`,
`<kbd>`, `<mark>`, …) are kept as raw HTML without their attributes, which the build's HTML
cleaner would drop anyway; a field that keeps any needs `allow_html = true`. Headings inside a
field become bold paragraphs, since a `#` line would start a new card. Text that markdown would
read as markup (`*`, `_`, `#`, `==`, `$`, `<`, …) is escaped, and Anki's own cloze deletions
`{{c1::…}}` pass through as text, which ankigen reads as Anki does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from markdownify import MarkdownConverter  # type: ignore[import-untyped, unused-ignore]

MEDIA_FOLDER = "media"
_MATH = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
# Inline tags with no markdown syntax, kept as HTML: those the build's cleaner keeps.
RAW_INLINE = ("u", "sub", "sup", "kbd", "mark", "small", "ins", "abbr", "var", "samp", "q")
_NOT_PLAIN = re.compile(r"[<&\r\n]")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


@dataclass
class Conversion:
    """What a conversion met besides its text: the media the field shows, raw HTML kept, and
    what it could not convert."""

    media: set[str] = field(default_factory=set)  # media names, as the package knows them
    kept_html: bool = False
    problems: list[str] = field(default_factory=list)
    refused_media: frozenset[str] = frozenset()  # given: names the package holds, not written


class _Converter(MarkdownConverter):
    def __init__(self, media: Mapping[str, str], met: Conversion) -> None:
        super().__init__(
            bullets="-",
            escape_misc=True,
            newline_style="backslash",
            heading_style="atx",
            table_infer_header=True,
            code_language="",
        )
        self.paths = media  # package media name -> path in the notes folder
        self.met = met

    def escape(self, text: str, parent_tags: Any) -> str:
        """Markdown's special characters escaped, and MathJax as `$` formulas, untouched."""
        pieces = []
        position = 0
        for match in _MATH.finditer(text):
            pieces.append(self._escaped(text[position : match.start()], parent_tags))
            inline, display = match.group(1), match.group(2)
            tex = (inline if inline is not None else display).strip()
            pieces.append(f"${tex}$" if inline is not None else f"$${tex}$$")
            position = match.end()
        pieces.append(self._escaped(text[position:], parent_tags))
        return "".join(pieces)

    def _escaped(self, text: str, parent_tags: Any) -> str:
        escaped: str = super().escape(text, parent_tags)  # type: ignore[misc]
        return escaped.replace("$", "\\$")

    def convert_img(self, el: Any, text: str, parent_tags: Any) -> str:
        src = unquote(str(el.attrs.get("src") or ""))
        if src in self.met.refused_media:
            self.met.problems.append(
                f"a picture {src!r} whose name is no plain file name (a path, `..` or a control "
                "character), so it is never written"
            )
            return ""
        if src not in self.paths:
            self.met.problems.append(f"a picture {src!r} that the package does not hold")
            return ""
        self.met.media.add(src)
        alt = str(el.attrs.get("alt") or "").replace("[", "\\[").replace("]", "\\]")
        return f"![{alt}]({self.paths[src]})"

    def convert_hN(self, n: int, el: Any, text: str, parent_tags: Any) -> str:
        text = text.strip()
        return f"\n\n**{text}**\n\n" if text else ""

    def convert_pre(self, el: Any, text: str, parent_tags: Any) -> str:
        """A fenced block whose fence is longer than any run of backticks in the code."""
        # markdownify's block: "\n\n```\n{code}\n```\n\n", the code stripped of blank lines
        block: str = super().convert_pre(el, text, parent_tags)  # type: ignore[misc]
        longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
        if longest < 3 or not block.strip():
            return block
        fence = "`" * (longest + 1)
        code = block.strip("\n").removeprefix("```").removesuffix("```")
        return f"\n\n{fence}{code}{fence}\n\n"

    def convert_span(self, el: Any, text: str, parent_tags: Any) -> str:
        return text


def _raw(tag: str) -> Callable[[_Converter, Any, str, Any], str]:
    def convert(self: _Converter, el: Any, text: str, parent_tags: Any) -> str:
        if not text.strip():
            return text
        self.met.kept_html = True
        return f"<{tag}>{text}</{tag}>"

    return convert


for _tag in RAW_INLINE:
    setattr(_Converter, f"convert_{_tag}", _raw(_tag))


def field_markdown(html_text: str, media: Mapping[str, str], met: Conversion) -> str:
    """The markdown of one field's HTML; `media` maps the package's media names to the paths
    the markdown refers to them by."""
    converter = _Converter(media, met)
    if not _NOT_PLAIN.search(html_text):  # plain text on one line: no HTML parser needed
        return converter.escape(" ".join(html_text.split()), set())
    return str(converter.convert(html_text)).strip()


def heading_markdown(html_text: str, media: Mapping[str, str], met: Conversion) -> str | None:
    """A field as one line of heading markdown, its line breaks as `<br>`; None when it holds
    what a heading cannot (a list, a table, a code block)."""
    text = field_markdown(html_text, media, met)
    lines = [line.strip().removesuffix("\\").strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    block = re.compile(r"([-*+]|\d+[.)])\s|```|\||>|\*\*\*")
    if any(block.match(line) for line in lines):
        return None
    if len(lines) > 1:
        met.kept_html = True
    return "<br>".join(lines)
