"""What Anki can take into a field: no control characters, no lone surrogates, and no reference
to a media file the package does not hold.

Anki joins a note's fields with U+001F, so that character in a field splits it and Anki refuses
the whole package; a lone surrogate cannot be written as UTF-8 at all. `[sound:…]` and
`<img src>` name files in the collection's media folder, and ankigen ships only its own.
"""

from __future__ import annotations

import html
import re

# Unicode's control characters (C0, DEL, C1) but tab and newline, and lone surrogates.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# Anki's own pattern for a sound tag; the markdown forms that become a `[` are included.
_SOUND = re.compile(r"(?:\[|\\\[|&#0*91;?|&#x0*5b;?|&lbrack;|&lsqb;)sound:", re.IGNORECASE)
_SOUND_IN_FIELD = re.compile(r"\[sound:(.+?)\]", re.DOTALL)
OWN_MEDIA = re.compile(r"ankigen-[0-9a-f]{24}\.[a-z]+")  # named by content: see model.media_file
_IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)


def unstorable(text: str) -> tuple[int, str] | None:
    """The offset of the first character Anki cannot store, with what to say about it."""
    match = _UNSTORABLE.search(text)
    if match is None:
        return None
    code = ord(match.group())
    if 0xD800 <= code <= 0xDFFF:
        return match.start(), f"U+{code:04X} is half of a surrogate pair, not a character"
    return match.start(), (
        f"control character U+{code:04X}: a note holds tabs and newlines, no other control "
        "characters (U+001F splits Anki's fields)"
    )


def unstorable_lines(lines: list[str]) -> list[tuple[int, int, str]]:
    """Every line's first character that Anki cannot store: 0-based line and column, message."""
    found = []
    for number, line in enumerate(lines):
        problem = unstorable(line)
        if problem is not None:
            found.append((number, *problem))
    return found


_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX][0-9a-fA-F]{1,8}|[0-9]{1,10});?")


def unstorable_references(line: str) -> list[tuple[int, str]]:
    """Columns and messages of the HTML character references (`&#31;`) to a character Anki
    cannot store: raw HTML keeps them, and the HTML cleaner writes the character itself."""
    if "&#" not in line:
        return []
    found = []
    for match in _CHARACTER_REFERENCE.finditer(line):
        problem = unstorable(_referenced(match.group()))
        if problem is not None:
            found.append((match.start(), f"`{match.group()}` stands for a {problem[1]}"))
    return found


def _referenced(reference: str) -> str:
    """The character an HTML parser makes of `&#N;` (Python's html.unescape drops controls)."""
    digits = reference[2:].rstrip(";")
    code = int(digits[1:], 16) if digits[0] in "xX" else int(digits)
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return "\ufffd"
    if 0x80 <= code <= 0x9F:  # read as windows-1252, but for the five bytes it leaves undefined
        try:
            return bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            return chr(code)
    return chr(code)


def own_media_images(text: str) -> list[tuple[int, str]]:
    """Offsets and names of the `<img>` tags whose `src` is one of ankigen's media names."""
    found = []
    for match in _IMG_SRC.finditer(text):
        name = html.unescape(next(group for group in match.groups() if group is not None))
        if OWN_MEDIA.fullmatch(name.strip()):
            found.append((match.start(), name.strip()))
    return found


SOUND_MESSAGE = (
    "`[sound:…]` plays a file from Anki's media folder, and the package holds none of its own "
    "sounds; write `[ sound:` to show the text"
)


def sound_tags(text: str) -> list[int]:
    """Offsets of the `[sound:` tags in markdown (also written `\\[` or as an entity)."""
    return [match.start() for match in _SOUND.finditer(text)]


def media_references(field: str) -> list[str]:
    """The media files a finished field expects in the package, as Anki's media check finds
    them: its sounds, and its pictures named as ankigen names media (a picture that parse
    refused keeps the src it was written with, and has failed the build already)."""
    names = [match.group(1) for match in _SOUND_IN_FIELD.finditer(field)]
    return names + [name for _, name in own_media_images(field)]


def sanitize(fragment: str) -> str:
    """Raw HTML, when allowed, still may not carry scripts, handlers or frames."""
    import nh3

    attributes = {"*": {"class", "title", "lang", "dir"}, "a": {"href"}, "img": {"src", "alt"}}
    return str(
        nh3.clean(fragment, attributes=attributes, link_rel=None, attribute_filter=_only_own_media)
    )


def _only_own_media(tag: str, attribute: str, value: str) -> str | None:
    """A picture shows a file of the package, never one fetched from elsewhere."""
    if tag == "img" and attribute == "src" and not OWN_MEDIA.fullmatch(value):
        return None
    return value
