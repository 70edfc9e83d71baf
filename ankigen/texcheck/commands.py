"""The commands MathJax reads in a way of their own, each a function of the formula being read.

Environments, `\\left`/`\\right`, `\\over` and its kin, line breaks and `\\hline`, `\\tag`,
`\\verb`, `\\root ... \\of` and the commands `safety` guards (those that define new commands
are read on by `definitions.define`); `SPECIAL` maps each name to its function.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from .definitions import define
from .environments import ENV_SPECS, ENVIRONMENTS, EQUATION_ENVS, NO_TAB_ENVS, NO_TAG_ENVS
from .frames import Atom, Frame
from .names import DEFINITIONS, OVER
from .reader import DIMEN_WHOLE, as_written
from .safety import REFUSED, VETTED, refuse, vet

if TYPE_CHECKING:
    from .formula import TexParser
    from .frames import Level


def begin(formula: TexParser, lv: Level, i: int, j: int, name: str) -> int:
    arg = formula.argument(j, lv.end, i, name, 0, 1)
    if arg is None:
        return lv.end
    env = formula.s[arg[0] : arg[1]]
    frame = Frame("env", i, name=env, tabs=env not in NO_TAB_ENVS)
    if env not in ENVIRONMENTS and env not in formula.envs:
        near = difflib.get_close_matches(env.strip(), ENVIRONMENTS, n=1, cutoff=0.75)
        tip = f" (did you mean `{near[0]}`?)" if near else ""
        spaces = " (spaces count in its name)" if env.strip() != env else ""
        formula.error(i, f"unknown environment `{env}`{spaces}{tip}")
    if env in EQUATION_ENVS:
        if lv.equation:
            formula.error(
                i,
                f"`\\begin{{{env}}}` cannot follow or sit inside another numbered "
                "environment: MathJax shows “Erroneous nesting of equation structures”; "
                "use `aligned` or `gathered`",
            )
        lv.equation = True
    lv.stack.append(frame)
    k = formula.take(lv, arg[2], i, f"begin{{{env}}}", ENV_SPECS.get(env, ""))
    return lv.end if k is None else k


def end_env(formula: TexParser, lv: Level, i: int, j: int, name: str) -> int:
    arg = formula.argument(j, lv.end, i, name, 0, 1)
    if arg is None:
        return lv.end
    formula.close(lv, i, "env", formula.s[arg[0] : arg[1]])
    return arg[2]


def left(formula: TexParser, lv: Level, i: int, j: int, name: str) -> int:
    k = formula.delimiter(j, lv.end, i, name)
    lv.stack.append(Frame("left", i))
    return j if k is None else k


def right(formula: TexParser, lv: Level, i: int, j: int, name: str) -> int:
    k = formula.delimiter(j, lv.end, i, name)
    formula.close(lv, i, "left")
    return j if k is None else k


def middle(formula: TexParser, lv: Level, i: int, j: int, name: str) -> int:
    k = formula.delimiter(j, lv.end, i, name)
    if lv.top.kind != "left":
        formula.error(i, "`\\middle` outside a `\\left ... \\right` pair")
    else:
        formula.dangling(lv.top)
        formula.atom(lv.top)
    return j if k is None else k


def over(formula: TexParser, lv: Level, i: int, j: int, name: str) -> int:
    frame = lv.top
    if frame.over:
        formula.error(
            i, f"ambiguous `{as_written(name)}`: a second fraction in the same group; add braces"
        )
    formula.dangling(frame)
    frame.over, frame.last, frame.cell_empty = True, None, False
    k = formula.take(lv, j, i, name, OVER[name])
    return lv.end if k is None else k


def limits(formula: TexParser, lv: Level, i: int, j: int, name: str) -> int:
    last = lv.top.last
    if last is not None and last.op:
        last.limits = name == "limits"
    else:
        formula.error(
            i,
            f"`{as_written(name)}` is allowed only on operators such as `\\sum`, "
            "`\\int`, `\\lim` or `\\operatorname*{...}`",
        )
    return j


def newline(formula: TexParser, lv: Level, i: int, j: int, name: str) -> int:
    s, end = formula.s, lv.end
    formula.dangling(lv.top)
    if name == "\\":
        if j < end and s[j] == "*":
            j += 1
        if j < end and s[j] == "[":
            got = formula.brackets(j, end, i, name)
            if got is None:
                return end
            if got[1] > got[0] and not DIMEN_WHOLE.fullmatch(s, got[0], got[1]):
                formula.error(
                    j,
                    "`\\\\[...]` takes a dimension such as `\\\\[4pt]`; put a space "
                    "or braces before a `[` that starts the next line",
                )
            j = got[2]
    if lv.top.tabs or lv.top.kind == "env":
        formula.next_cell(lv, i, row=True)
    elif name == "cr":
        formula.error(i, "misplaced `\\cr`: outside an alignment environment")
    else:
        lv.top.last = Atom()
        formula.warn(
            i,
            f"`{as_written(name)}` outside an environment: MathJax 3 does not break "
            "the line here; use `\\begin{gathered} ... \\end{gathered}`",
        )
    return j


def hline(formula: TexParser, lv: Level, i: int, j: int, name: str) -> int:
    if not lv.top.tabs:
        formula.error(i, f"misplaced `{as_written(name)}`: only inside an array or matrix")
    elif not lv.top.cell_empty:
        formula.error(i, f"misplaced `{as_written(name)}`: it must start a row")
    return j


def tag(formula: TexParser, lv: Level, i: int, j: int, name: str) -> int:
    scope = lv.stack.envs[-1] if lv.stack.envs else lv.stack[0]
    if name == "tag" and scope.kind == "env" and scope.name in NO_TAG_ENVS:
        formula.error(i, f"`\\tag` is not allowed in the `{scope.name}` environment")
    elif name[0] in scope.tags:
        formula.error(i, f"more than one `{as_written(name)}` for the same line")
    scope.tags += name[0]
    k = formula.take(lv, j, i, name, "sT" if name == "tag" else "t")
    return lv.end if k is None else k


def verb(formula: TexParser, lv: Level, i: int, j: int, name: str) -> int:
    if j >= lv.end:
        formula.error(i, "missing argument: `\\verb` needs a delimiter, as in `\\verb|x|`")
        return j
    k = formula.s.find(formula.s[j], j + 1, lv.end)
    if k < 0:
        formula.error(i, f"`\\verb{formula.s[j]}` is never closed by `{formula.s[j]}`")
        return lv.end
    formula.atom(lv.top)
    return k + 1


def up_to(formula: TexParser, lv: Level, i: int, j: int, name: str) -> int:
    """\\root ... \\of x, \\buildrel ... \\over x, \\toggle ... \\endtoggle."""
    token = {"root": "of", "buildrel": "over", "toggle": "endtoggle"}[name]
    k = j
    while k < lv.end:
        if formula.s[k] == "\\":
            cname, after = formula.cs_end(k + 1, lv.end)
            if cname == token:
                formula.parse(j, k, tabs=False)
                spec = "" if name == "toggle" else "m"
                got = formula.take(lv, after, i, name, spec) if spec else after
                formula.atom(lv.top)
                return lv.end if got is None else got
            k = after
        else:
            k += 1
    formula.error(i, f"`\\{name}` needs a matching `\\{token}`")
    return lv.end


def guarded(formula: TexParser, lv: Level, i: int, j: int, name: str) -> int:
    """A command that reaches attributes (`safety`): refused, or its arguments checked."""
    if name in REFUSED:
        refuse(formula, i, name)
        if name in DEFINITIONS:
            return define(formula, lv, i, j, name)  # read on, so the rest is still checked
    else:
        vet(formula, lv, i, j, name)
    return formula.ordinary(lv, i, j, name)


SPECIAL = {
    "begin": begin,
    "end": end_env,
    "left": left,
    "right": right,
    "middle": middle,
    "limits": limits,
    "nolimits": limits,
    "\\": newline,
    "cr": newline,
    "newline": newline,
    "hline": hline,
    "hdashline": hline,
    "tag": tag,
    "label": tag,
    "verb": verb,
    "root": up_to,
    "buildrel": up_to,
    "toggle": up_to,
}
SPECIAL.update((name, over) for name in OVER)
SPECIAL.update((name, guarded) for name in [*REFUSED, *VETTED])
