"""What a formula may do to the card around it: an allow-list of what reaches HTML.

MathJax 3.2.2 (`tex-chtml-full`, as Anki loads it, and the preview's `tex-svg`) lets TeX set
attributes and styles: `\\href` a link, `\\bbox`, `\\fcolorbox`, `\\colorbox`, the colour
commands, `\\enclose`, `\\cancel` and `\\unicode` a background, a style or a font, and
`\\style`, `\\class`, `\\cssId`, `\\mmlToken` anything. A deny-list of names cannot hold, since
a macro can rename any of them. So:

- nothing may define a command, an environment, a colour, a tag form or an option (`\\def`,
  `\\newcommand`, `\\definecolor`, `\\mathtoolsset`, `\\require`...): the formula that runs is
  then the formula as written, and one card cannot change how another is read;
- the commands that reach attributes are allowed only with arguments of the forms below, read
  where the parser reads them (`vet` records each place);
- `sweep` then refuses such a command anywhere the parser did not vet it: inside mhchem's
  `\\ce{...}`, an option, a text box or a label, where MathJax may still read it as TeX.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .names import DEFINITIONS, words
from .reader import as_written

if TYPE_CHECKING:
    from .formula import TexParser
    from .frames import Level

_SAFE_LINK = re.compile(r"\s*(https?://|mailto:)", re.IGNORECASE)
_NUMBER = r"\s*(?:\d+(?:\.\d*)?|\.\d+)\s*"
_BYTE = r"\s*\d{1,3}\s*"
# A colour as each colour model of MathJax's `color` package writes it; without a model (or
# `named`) MathJax puts the name itself into the style, so only a plain word or a hex code.
_COLOUR = {
    "": re.compile(r"\s*(?:[A-Za-z][A-Za-z0-9]*|#[0-9A-Fa-f]{3}|#[0-9A-Fa-f]{6})\s*"),
    "rgb": re.compile(f"{_NUMBER},{_NUMBER},{_NUMBER}"),
    "RGB": re.compile(f"{_BYTE},{_BYTE},{_BYTE}"),
    "gray": re.compile(_NUMBER),
}
_COLOUR["named"] = _COLOUR[""]
_COLOUR_HINT = "a colour such as `red`, `#c00`, `[rgb]{1,0,0}`, `[RGB]{204,0,0}`, `[gray]{0.5}`"
# The parts of `\bbox[...]` MathJax reads as a padding and as a background colour.
_BBOX_PADDING = re.compile(r"(?:\.\d+|\d+(?:\.\d*)?)(?:pt|em|ex|mu|px|in|cm|mm)")
_BBOX_COLOUR = re.compile(r"[A-Za-z0-9]+|#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{3}")
_NOTATIONS = words(
    """longdiv actuarial phasorangle radical box roundedbox circle left right top bottom
    updiagonalstrike downdiagonalstrike verticalstrike horizontalstrike northeastarrow madruwb
    updiagonalarrow"""
)

# Commands refused wherever they stand, with the reason given.
_DEFINES = "defines a command, which could rename one this check refuses"
REFUSED = {
    **{name: _DEFINES for name in DEFINITIONS if name != "require"},
    "require": "loads a MathJax package this check does not know",
    "definecolor": "defines a colour for every later card",
    "mathtoolsset": "changes MathJax's options for every later card",
    "newtagform": "defines a tag form for every later card",
    "renewtagform": "defines a tag form for every later card",
    "usetagform": "changes the tag form of every later card",
    "mmlToken": "sets any attribute of the formula's HTML",
    "style": "would style the card itself",
    "class": "would style the card itself",
    "cssId": "would give the card's HTML an id",
}
# Commands allowed only with arguments that `vet` checked.
VETTED = words(
    """href bbox color textcolor colorbox fcolorbox cellcolor rowcolor columncolor enclose
    cancel bcancel xcancel cancelto unicode"""
)


def refuse(formula: TexParser, i: int, name: str) -> None:
    """Report a command that is not allowed in notes at all."""
    formula.vetted.add(i)
    formula.refuse(i, f"`{as_written(name)}` is not allowed in notes: it {REFUSED[name]}")


def vet(formula: TexParser, lv: Level, i: int, j: int, name: str) -> None:
    """Check the arguments of a command that reaches attributes, at `i`, its name ending at `j`.

    Only what reaches HTML is read here; the command's spec reads its arguments afterwards.
    """
    formula.vetted.add(i)
    s, end = formula.s, lv.end
    if name == "href":
        got = formula.argument(j, end, i, name, 0, 2)
        if got is not None and not _SAFE_LINK.match(s[got[0] : got[1]]):
            formula.refuse(got[0], "`\\href` may only link to an http(s) or mailto address")
        return
    if name in ("bbox", "enclose", "cancel", "bcancel", "xcancel", "cancelto", "unicode"):
        start = j
        if name == "enclose":
            got = formula.argument(j, end, i, name, 0, 2)
            if got is None:
                return
            notations = re.split(r"[\s,]+", s[got[0] : got[1]].strip())
            if not set(notations) <= _NOTATIONS:
                formula.refuse(got[0], "`\\enclose` takes notations such as `circle` or `box`")
            start = got[2]
        options = formula.brackets(start, end, i, name)
        if options is None or options[2] == start:  # none, or no `[...]`
            return
        if name == "bbox":
            _bbox(formula, options[0], s[options[0] : options[1]])
        elif s[options[0] : options[1]].strip():
            formula.refuse(
                options[0],
                f"`{as_written(name)}[...]` is not allowed in notes: its options set "
                "attributes and styles; write it without them",
            )
        return
    # the colour commands: [model]{colour} or, for \fcolorbox, {frame}{background}
    model = ""
    k = j
    if name != "colorbox" and name != "fcolorbox":
        got = formula.brackets(j, end, i, name)
        if got is None:
            return
        model, k = s[got[0] : got[1]].strip(), got[2]
    for nth in range(2 if name == "fcolorbox" else 1):
        arg = formula.argument(k, end, i, name, nth, 3 if name == "fcolorbox" else 2)
        if arg is None:
            return
        pattern = _COLOUR.get(model)
        if pattern is None:
            formula.refuse(i, f"colour model `{model}` is not one of rgb, RGB, gray, named")
            break
        if not pattern.fullmatch(s, arg[0], arg[1]):
            formula.refuse(arg[0], f"`{as_written(name)}` takes {_COLOUR_HINT}")
        k = arg[2]


def _bbox(formula: TexParser, at: int, options: str) -> None:
    for part in options.split(","):
        part = part.strip()
        if part and not (_BBOX_PADDING.fullmatch(part) or _BBOX_COLOUR.fullmatch(part)):
            formula.refuse(
                at,
                "`\\bbox[...]` may hold only a background colour and a padding, as in "
                "`\\bbox[yellow,5px]`",
            )
            return


def sweep(formula: TexParser) -> None:
    """Refuse each command that reaches attributes where the parser did not vet it."""
    s, i = formula.s, 0
    while i < len(s):
        if s[i] != "\\":
            i += 1
            continue
        name, k = formula.cs_end(i + 1, len(s))
        if i not in formula.vetted and (name in REFUSED or name in VETTED):
            if name in REFUSED:
                refuse(formula, i, name)
            else:
                formula.refuse(
                    i,
                    f"`{as_written(name)}` is allowed only where its own arguments follow it, "
                    "to be checked: not in a definition, `\\ce{...}`, an option, a label or "
                    "a text box",
                )
        i = k
