"""Cards -> Anki fields: markdown to HTML with math for MathJax, highlighted code, media, clozes."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .cloze import CLOZE_ATTEMPT
from .config import Config
from .diagrams import Picture
from .drawing import draw_all
from .errors import Diagnostics
from .ids import note_guid
from .model import Card, MediaFile, Note
from .parse import markdown_parser


def render_cards(
    cards: Sequence[Card], config: Config, cache_dir: Path, diagnostics: Diagnostics
) -> list[Note]:
    """Every card as a note; problems (missing images, unknown languages) go to `diagnostics`."""
    md = _with_rules(markdown_parser(config.allow_html))
    specs = [spec for card in cards for _, spec in card.plots]
    pictures = draw_all(specs, config.plot_format, cache_dir) if specs else {}
    return [render_card(card, md, pictures, config.plot_format, diagnostics) for card in cards]


def render_card(
    card: Card,
    md: MarkdownIt,
    pictures: dict[str, Picture],
    plot_format: str,
    diagnostics: Diagnostics,
) -> Note:
    """One card's fields: front (heading) and back (body), as a Basic or a Cloze note."""
    env: dict[str, Any] = {
        "card": card,
        "diagnostics": diagnostics,
        "media": {},
        "next_cloze": card.cloze_highest + 1,
        "plots": {index: pictures[spec.cache_key(plot_format)] for index, spec in card.plots},
    }
    heading_tokens = md.parseInline(card.heading, env)
    body_tokens = [_copy(t) for t in card.body]
    _collect_images([*heading_tokens, *body_tokens], env)
    front = md.renderer.render(heading_tokens, md.options, env).strip()
    back = md.renderer.render(body_tokens, md.options, env).strip()
    if md.options["html"]:
        front, back = _sanitize(front), _sanitize(back)
    is_cloze = any(CLOZE_ATTEMPT.search(text) for text in (front, back))
    source = html.escape(card.source.path.relative_to(card.source.root).as_posix())
    if is_cloze:
        text = f'<div class="ankigen-heading">{front}</div>\n<div class="ankigen-body">{back}</div>'
        fields = (text, front, source)
    else:
        fields = (front, back, source)
    return Note(
        card=card,
        kind="cloze" if is_cloze else "basic",
        fields=fields,
        guid=note_guid(card.namespace, card.identity),
        media=tuple(sorted(env["media"].values(), key=lambda m: m.name)),
    )


_RULES_INSTALLED: set[int] = set()


def _with_rules(md: MarkdownIt) -> MarkdownIt:
    """Install ankigen's render rules once on the shared parser."""
    if id(md) not in _RULES_INSTALLED:
        for name, rule in _RENDER_RULES.items():
            md.add_render_rule(name, rule)
        _RULES_INSTALLED.add(id(md))
    return md


def _copy(token: Token) -> Token:
    """A copy, so that rendering never changes the parsed cards."""
    clone = token.copy()
    if token.children:
        clone.children = [child.copy() for child in token.children]
    return clone


# --- media ---


def _collect_images(tokens: list[Token], env: dict[str, Any]) -> None:
    """Point every image at a media file named after its content (parse checked them)."""
    card: Card = env["card"]
    files = dict(card.images)
    for token in tokens:
        for child in token.children or ():
            path = files.get(str(child.attrs.get("src", ""))) if child.type == "image" else None
            if path is not None:
                media = media_file(path.read_bytes(), path.suffix)
                env["media"][media.name] = media
                child.attrs["src"] = media.name


def media_file(data: bytes, suffix: str) -> MediaFile:
    """Media named by content: the same bytes get the same name, other bytes never collide."""
    digest = hashlib.sha256(data).hexdigest()[:24]
    return MediaFile(f"ankigen-{digest}{suffix.lower()}", data)


# --- render rules ---


def _math_inline(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return "\\(" + html.escape(tokens[idx].content, quote=False) + "\\)"


def _math_display_inline(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return "\\[" + html.escape(tokens[idx].content, quote=False) + "\\]"


def _math_block(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    tex = tokens[idx].content.strip()
    return '<div class="math-display">\\[' + html.escape(tex, quote=False) + "\\]</div>\n"


def _cloze_open(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    number = env["next_cloze"]
    env["next_cloze"] = number + 1
    return f"{{{{c{number}::"


def _cloze_close(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return "}}"


def _fence(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    card: Card = env["card"]
    if idx in env["plots"]:
        return _figure(env["plots"][idx], env)
    if token.info.split()[:1] == ["plot"]:
        return ""  # a plot block with problems; they are reported already
    language = token.info.strip().split()[0] if token.info.strip() else card.code_language
    code = token.content
    if CLOZE_ATTEMPT.search(code) or not language:
        # Highlighting would split `{{c1::` across spans and Anki would no longer see the cloze.
        return _plain_code(code)
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return _plain_code(code)  # parse has warned about it
    return str(highlight(code, lexer, HtmlFormatter(cssclass="highlight", wrapcode=True)))


def _figure(picture: Picture, env: dict[str, Any]) -> str:
    media = media_file(picture.data, picture.ext)
    env["media"][media.name] = media
    caption = f"<figcaption>{html.escape(picture.title)}</figcaption>" if picture.title else ""
    alt = html.escape(picture.alt)
    return f'<figure class="ankigen-plot"><img src="{media.name}" alt="{alt}">{caption}</figure>\n'


def _plain_code(code: str) -> str:
    return '<div class="highlight"><pre><code>' + html.escape(code) + "</code></pre></div>\n"


def _code_block(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return _plain_code(tokens[idx].content)


_RENDER_RULES = {
    "math_inline": _math_inline,
    "math_inline_double": _math_display_inline,
    "math_block": _math_block,
    "math_block_label": _math_block,
    "cloze_open": _cloze_open,
    "cloze_close": _cloze_close,
    "fence": _fence,
    "code_block": _code_block,
}


def _sanitize(fragment: str) -> str:
    """Raw HTML, when allowed, still may not carry scripts, handlers or frames."""
    import nh3

    attributes = {"*": {"class", "title", "lang", "dir"}, "a": {"href"}, "img": {"src", "alt"}}
    return str(nh3.clean(fragment, attributes=attributes, link_rel=None))
