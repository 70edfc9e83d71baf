"""Each note of a package as a card of ankigen's format, or the reason it cannot be one.

A note is mapped by its note type's name and field names: Anki's stock Basic, reversed,
optional reversed, type-in and Cloze note types, and ankigen's own. A note of any other note
type, or one that shows what ankigen cannot build (a sound, a picture the package lacks, a list
in its front), is refused with its reason: the caller lists every one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..anki_cloze import cloze_numbers
from ..card_pictures import IMAGE_SUFFIXES
from ..cloze import CLOZE_ATTEMPT
from ..html_text import plain_text, strip_html
from .markdown import Conversion, field_markdown, heading_markdown
from .package import PackagedNote

# note type name -> (its fields, the card kinds its notes get); "optional" reads Add Reverse
_BASICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Basic": (("Front", "Back"), ()),
    "Basic (and reversed card)": (("Front", "Back"), ("reversed",)),
    "Basic (optional reversed card)": (("Front", "Back", "Add Reverse"), ("optional",)),
    "Basic (type in the answer)": (("Front", "Back"), ("type",)),
    "ankigen Basic": (("Front", "Back", "Source"), ()),
    "ankigen Basic (and reversed)": (("Front", "Back", "Source"), ("reversed",)),
    "ankigen Type-in": (("Front", "Back", "Source", "Answer"), ("type",)),
}
_CLOZES = {"Cloze": ("Text", "Back Extra"), "ankigen Cloze": ("Text", "Heading", "Source")}
_ANKIGEN_CLOZE_TEXT = re.compile(
    r'<div class="ankigen-heading">(.*?)</div>\n<div class="ankigen-body">(.*)</div>', re.DOTALL
)
_DELETION = re.compile(r"\{\{c\d+::(?:(?!\{\{|\}\}).)*\}\}", re.DOTALL)
_LABEL_WORDS = 8  # a stock cloze note's heading: the first words of what its front shows
EMPTY_BODY = "&nbsp;"  # a card needs a body; a basic note's empty back shows as a blank


@dataclass(frozen=True)
class AdoptedNote:
    guid: str
    deck: str
    kind: str  # basic, reversed, type or cloze
    heading: str  # one line of markdown
    body: str
    classes: tuple[str, ...]  # `reversed`, `type`
    tags: tuple[str, ...]
    media: frozenset[str]  # the package's media names it shows
    kept_html: bool


@dataclass(frozen=True)
class Refusal:
    guid: str
    reason: str


def adopt_note(
    note: PackagedNote, media: Mapping[str, str], refused_media: frozenset[str] = frozenset()
) -> AdoptedNote | Refusal:
    """`note` as a card; `media` maps the package's picture names to their paths in the notes
    folder, `refused_media` names the package's media that are never written."""
    note_type = note.note_type
    if note_type.fields and len(note.fields) > len(note_type.fields):
        return Refusal(
            note.guid,
            f"it has {len(note.fields)} fields, more than the {len(note_type.fields)} "
            f"of its note type {note_type.name!r}",
        )
    # a note with fewer fields than its note type has the rest empty, as Anki reads it
    padded = (*note.fields, *[""] * (len(note_type.fields) - len(note.fields)))
    fields = dict(zip(note_type.fields, padded, strict=False))  # longer only for no fields
    if any("[sound:" in value for value in note.fields):
        return Refusal(note.guid, "it plays a sound ([sound:…]), which ankigen cannot build")
    met = Conversion(refused_media=refused_media)
    if note_type.name in _BASICS and note_type.fields == _BASICS[note_type.name][0]:
        if any(CLOZE_ATTEMPT.search(value) for value in note.fields):
            return Refusal(
                note.guid, "it is no cloze note, yet it holds `{{c…::`, which would make it one"
            )
        classes = _BASICS[note_type.name][1]
        if classes == ("optional",):
            classes = ("reversed",) if fields["Add Reverse"].strip() else ()
        heading = heading_markdown(fields["Front"], media, met)
        if heading is None:
            return Refusal(
                note.guid,
                "its Front holds a list, table or code block, which a heading cannot show",
            )
        if classes == ("type",):  # the answer is plain text: what Anki compares
            # the stock note type's answer is its Back; ankigen's has Answer, then Back after it
            answer = " ".join(strip_html(fields.get("Answer", fields["Back"])).split())
            body = field_markdown(html.escape(answer), media, met)
            if "Answer" in fields and fields["Back"].strip():
                body += "\n\n" + field_markdown(fields["Back"], media, met)
        else:
            body = field_markdown(fields["Back"], media, met)
    elif note_type.name in _CLOZES and note_type.fields == _CLOZES[note_type.name]:
        if not cloze_numbers(fields["Text"]):
            return Refusal(note.guid, "its Text has no cloze deletion, so it has no card")
        classes = ("cloze",)
        heading, body = _cloze(note_type.name, fields, media, met)
        if heading is None:
            return Refusal(note.guid, "its heading holds a list, table or code block")
    else:
        names = ", ".join(repr(name) for name in note_type.fields)
        return Refusal(
            note.guid, f"note type {note_type.name!r} has fields {names} that ankigen cannot map"
        )
    if met.problems:
        return Refusal(note.guid, "it shows " + "; ".join(dict.fromkeys(met.problems)))
    shown = [name for name in met.media if not name.lower().endswith(IMAGE_SUFFIXES)]
    if shown:
        return Refusal(note.guid, f"it shows {shown[0]!r}, which is no picture ankigen can show")
    if not heading.strip():
        return Refusal(note.guid, "its front is empty, so it makes no card")
    return AdoptedNote(
        note.guid,
        note.deck,
        classes[0] if classes else "basic",
        heading,
        body or EMPTY_BODY,
        tuple(kind for kind in classes if kind != "cloze"),
        note.tags,
        frozenset(met.media),
        met.kept_html,
    )


def _cloze(
    name: str, fields: dict[str, str], media: Mapping[str, str], met: Conversion
) -> tuple[str | None, str]:
    """A cloze note's heading and body: ankigen's own split back into the two it was made of;
    a stock one's text as the body, under the first words its front shows, and its Back Extra
    after a rule."""
    if name == "ankigen Cloze" and (split := _ANKIGEN_CLOZE_TEXT.fullmatch(fields["Text"])):
        return heading_markdown(split[1], media, met), field_markdown(split[2], media, met)
    body = field_markdown(fields["Text"], media, met)
    extra = field_markdown(fields.get("Back Extra", ""), media, met)
    if extra:
        body += "\n\n***\n\n" + extra
    masked, count = fields["Text"], 1
    while count:  # innermost deletions first, so nested ones are masked whole
        masked, count = _DELETION.subn("[…]", masked)
    words = [word for word in plain_text(masked).split() if not word.startswith("[image:")]
    label = " ".join(words[:_LABEL_WORDS]) + (" …" if len(words) > _LABEL_WORDS else "")
    return field_markdown(html.escape(label), {}, Conversion()).replace("\n", " "), body
