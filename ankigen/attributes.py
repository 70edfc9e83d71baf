"""A heading's attribute list: `## Term {#id .reversed tags="exam::2024 hard"}`.

kramdown closes a heading with its id, `{#id}`; ankigen reads the same braces as a kramdown
attribute list, so one place holds what a card is besides its text:
- `#id` pins the card's identity (see docs/format.md, *Identity*);
- `.reversed` and `.type` choose the card's kind;
- `tags="a b::c"` adds tags to the card, after its file's and sections' tags;
- `guid="…"` pins the note's GUID itself, for notes adopted from an existing Anki deck.

The list is found, and read, in time linear in the heading's length: headings come from
strangers' pull requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .storable import unstorable

CLASSES = ("reversed", "type")  # the card kinds a heading may ask for
KEYS = ("tags", "guid")
MAX_PROBLEMS = (
    10  # of one list: past them, a stranger's heading of a thousand bad items says one more
)

_ITEM = re.compile(
    r"""[ \t]*(?:
        \#(?P<id>[^\s}]*)
      | \.(?P<cls>[^\s}"'=]*)
      | (?P<key>[A-Za-z][\w-]*)=(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<bare>[^\s"'}]+))
    )(?=[ \t]|$)""",
    re.VERBOSE,
)
# Anki's GUIDs: its own are 10 characters of base91, genanki's and ankigen's too; any printable
# ASCII but space and the field separator is kept, so take what a deck could hold, bounded.
_GUID = re.compile(r"[!-~]{1,64}")


@dataclass(frozen=True)
class Problem:
    column: int  # 0-based, in the heading's text
    message: str


@dataclass(frozen=True)
class Attributes:
    """What a heading's attribute list says; empty when it has none."""

    id: str | None = None
    classes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    guid: str | None = None
    problems: tuple[Problem, ...] = ()


def _attribute_list(heading: str) -> tuple[int, str] | None:
    """Where the attribute list that ends `heading` starts (the column of its `{`) and what
    is between its braces, or None when the heading ends with none.

    A list is the last `{…}` of the heading, with no brace inside, not escaped, opening with
    `#`, `.`, `:` or `key=`; so `## Sets {a, b}` keeps its braces as text.
    """
    text = heading.rstrip()
    if not text.endswith("}"):
        return None
    start = _opening_brace(text)
    if start < 0 or (start and text[start - 1] == "\\"):
        return None
    inside = text[start + 1 : -1]
    opening = inside.lstrip(" \t")[:1]
    if opening in ("#", ".", ":") or re.match(r"[ \t]*[A-Za-z][\w-]*=", inside):
        return start, inside
    return None


def _opening_brace(text: str) -> int:
    """Where the `{` that opens the list closed by `text`'s last `}` is, or -1: read from the
    end, so braces inside a quoted value (Anki's GUIDs hold `{` and `}`) are skipped. A quote
    never opened falls back to the last `{`, so the list's reader reports the bad value."""
    quote, quoted_from = "", -1
    for position in range(len(text) - 2, -1, -1):
        char = text[position]
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote, quoted_from = char, position
        elif char == "{":
            return position
        elif char == "}":
            return -1
    if quote:  # unbalanced: the last `{` before the stray quote, if no `}` lies between
        start = text.rfind("{", 0, quoted_from)
        return start if start >= 0 and "}" not in text[start + 1 : -1] else -1
    return -1


def split_heading(heading: str) -> tuple[str, Attributes, int]:
    """`Sum Rule {#sum-rule .reversed}` -> ("Sum Rule", its attributes, column of `{`); a
    heading with no list comes back whole, with empty attributes and column 0."""
    found = _attribute_list(heading)
    if found is None:
        return heading, Attributes(), 0
    start, inside = found
    return heading[:start].rstrip(), _read_attributes(inside, start + 1), start


def _read_attributes(inside: str, column: int = 0) -> Attributes:
    """The attributes between a list's braces; `column` is where `inside` starts."""
    position = 1 if inside.lstrip(" \t").startswith(":") else 0  # kramdown's `{: …}`
    if position:
        position = inside.index(":") + 1
    found_id: str | None = None
    classes: list[str] = []
    tags: list[str] = []
    guid: str | None = None
    problems: list[Problem] = []

    def problem(offset: int, message: str) -> None:
        problems.append(Problem(column + offset, message))

    end = len(inside.rstrip(" \t"))  # once: a list may be a stranger's thousands of items
    while position < end:
        if len(problems) >= MAX_PROBLEMS:
            problem(position, "more problems in this attribute list are not reported")
            break
        item = _ITEM.match(inside, position)
        if item is None:
            rest = inside[position:].lstrip(" \t")
            problem(
                len(inside) - len(rest),
                f"cannot read the attribute {rest.split()[0]!r}: "
                'write `#id`, `.reversed`, `.type`, `tags="…"` or `guid="…"`',
            )
            break
        at = item.start() + len(item[0]) - len(item[0].lstrip(" \t"))
        if item["id"] is not None:
            if found_id is not None:
                problem(at, "a heading has one `#id`")
            found_id = item["id"]
        elif item["cls"] is not None:
            name = item["cls"]
            if name not in CLASSES:
                problem(at, f"unknown card kind `.{name}`: use `.reversed` or `.type`")
            elif name not in classes:
                classes.append(name)
        else:
            value = next(v for v in (item["double"], item["single"], item["bare"]) if v is not None)
            key = item["key"]
            if key == "tags":
                tags += _tags(value, at, problem)
            elif key == "guid":
                if not _GUID.fullmatch(value):
                    problem(at, f"guid {value!r}: use up to 64 printable ASCII characters")
                guid = value
            else:
                problem(
                    at, f"unknown attribute `{key}`: use " + " or ".join(f"`{k}`" for k in KEYS)
                )
        position = item.end()
    return Attributes(found_id, tuple(classes), tuple(dict.fromkeys(tags)), guid, tuple(problems))


def _tags(value: str, at: int, report: Callable[[int, str], None]) -> list[str]:
    """The tags of `tags="…"`, separated by white space, each one Anki keeps as written
    (checked with its importer: quotes, commas and any letters are kept)."""
    found = []
    for tag in value.split():
        bad = unstorable(tag)
        if bad is not None:
            report(at, f"tag {tag!r}: {bad[1]}")
        elif "" in tag.split("::"):  # Anki names an empty part `blank`
            report(at, f"tag {tag!r}: a part between `::` is empty, which Anki turns into `blank`")
        else:
            found.append(tag)
    return found
