"""The environments MathJax 3.2.2 knows with Anki's packages, and how each one is read.

`ENVIRONMENTS` names them, `ENV_SPECS` gives the arguments after `\\begin{...}` (in the letters
of `names.SPECS`), and the three sets say which number equations (`EQUATION_ENVS`), which take
no `&` (`NO_TAB_ENVS`) and which allow no `\\tag` (`NO_TAG_ENVS`). Taken, like `names`, from
MathJax 3.2.2 run with the configuration Anki's reviewer loads.
"""

from __future__ import annotations

from .names import words

ENVIRONMENTS = words(
    """Bmatrix Bmatrix* Bsmallmatrix Bsmallmatrix* CD Vmatrix Vmatrix* Vsmallmatrix Vsmallmatrix*
    align align* alignat alignat* aligned alignedat array bmatrix bmatrix* bsmallmatrix
    bsmallmatrix* cases cases* crampedsubarray dcases dcases* drcases drcases* empheq eqnarray
    eqnarray* equation equation* flalign flalign* gather gather* gathered lgathered matrix
    matrix* multline multline* multlined numcases pmatrix pmatrix* prooftree psmallmatrix
    psmallmatrix* rcases rcases* rgathered smallmatrix smallmatrix* split spreadlines subarray
    subnumcases vmatrix vmatrix* vsmallmatrix vsmallmatrix* xalignat xalignat* xxalignat"""
)
ENV_SPECS = {
    "array": "ot",
    "subarray": "t",
    "crampedsubarray": "t",
    "multlined": "oo",
    "spreadlines": "t",
    "empheq": "ot",
    "numcases": "t",
    "subnumcases": "t",
    "alignat": "n",
    "alignat*": "n",
    "alignedat": "no",
    "aligned": "o",
    "gathered": "o",
    "xalignat": "n",
    "xalignat*": "n",
    "xxalignat": "n",
}
ENV_SPECS.update((name, "o") for name in ENVIRONMENTS if name.endswith("matrix*"))
# Environments that number equations: one per formula, not inside another.
EQUATION_ENVS = words(
    """equation equation* eqnarray eqnarray* align align* multline multline* gather gather*
    alignat alignat* xalignat xalignat* xxalignat flalign flalign*"""
)
NO_TAB_ENVS = words("equation equation* multline multline*")
NO_TAG_ENVS = words("aligned alignedat gathered split lgathered rgathered")
