"""How the commands that define new commands and environments are read past: `define`.

`\\newcommand`, `\\def`, `\\let`, `\\DeclareMathOperator`, `\\DeclarePairedDelimiter` and its
kin, `\\Newextarrow`, `\\newenvironment` and `\\require` are refused (`safety`), but `define`
reads the arguments of each as MathJax would and records what it defines in the parser's
`macros`, `ops` and `envs`, so the rest of the formula is still checked as written.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .names import OPS, SPECS
from .reader import as_written

if TYPE_CHECKING:
    from .formula import TexParser
    from .frames import Level


def define(formula: TexParser, lv: Level, i: int, j: int, name: str) -> int:
    """\\newcommand and friends, refused (`guarded`): read past them, so the rest is checked."""
    s, end = formula.s, lv.end
    if name == "require":
        k = formula.take(lv, j, i, name, "t")
        return end if k is None else k
    if name in ("newenvironment", "renewenvironment"):
        arg = formula.argument(j, end, i, name, 0, 3)
        if arg is None:
            return end
        formula.envs.add(s[arg[0] : arg[1]].strip())
        k = formula.take(lv, arg[2], i, name, "oobb")
        return end if k is None else k
    star = formula.skip_spaces(j, end)
    if name == "DeclareMathOperator" and star < end and s[star] == "*":
        j = star + 1
    k = formula.skip_spaces(j, end)
    if k < end and s[k] == "\\":
        new, j = formula.cs_end(k + 1, end)
    elif k >= end or name in ("def", "let"):
        formula.error(i, f"`{as_written(name)}` must be followed by the `\\name` it defines")
        return end
    elif s[k] == "{":
        close = formula.match_brace(k, end)
        if close < 0:
            formula.error(k, "unbalanced brace: `{` is never closed")
            return end
        new, j = s[k + 1 : close].strip().lstrip("\\"), close + 1
    else:
        new, j = s[k], k + 1
    if name == "def":
        body = s.find("{", j, end)
        if body < 0:
            formula.error(i, f"`\\def\\{new}` needs its replacement text in braces")
            return end
        params = s[j:body].strip()
        formula.macros[new] = "t" * params.count("#") if re.fullmatch(r"(#\d)*", params) else ""
        k = formula.take(lv, body, i, name, "b")
    elif name == "let":
        k = formula.skip_spaces(j, end)
        k = formula.skip_spaces(k + 1, end) if k < end and s[k] == "=" else k
        if k < end and s[k] == "\\":
            other, k = formula.cs_end(k + 1, end)
            formula.macros[new] = formula.macros.get(other, SPECS.get(other, ""))
            if other in OPS:
                formula.ops.add(new)
        else:
            k = min(k + 1, end)
    elif name == "DeclareMathOperator":
        formula.macros[new] = ""
        formula.ops.add(new)
        k = formula.take(lv, j, i, name, "b")
    elif name.startswith("DeclarePairedDelimiter"):
        formula.macros[new] = "sot"
        more = {
            "DeclarePairedDelimiter": "bb",
            "DeclarePairedDelimiters": "bb",
            "DeclarePairedDelimiterX": "obbb",
            "DeclarePairedDelimitersX": "obbb",
        }
        k = formula.take(lv, j, i, name, more.get(name, "obbbbbb"))
    elif name == "Newextarrow":
        formula.macros[new] = "Om"
        k = formula.take(lv, j, i, name, "tt")
    else:  # newcommand, renewcommand
        count = formula.brackets(j, end, i, name)
        if count is None:
            return end
        default = formula.brackets(count[2], end, i, name)
        if default is None:
            return end
        n = s[count[0] : count[1]].strip()
        n_args = int(n) if n.isdigit() else 0
        formula.macros[new] = (
            "o" + "t" * (n_args - 1) if default[2] > count[2] and n_args else "t" * n_args
        )
        k = formula.take(lv, default[2], i, name, "b")
    return end if k is None else k
