"""Check a TeX formula the way Anki's MathJax 3 reads it, so a broken one fails the build.

A small re-implementation of the part of MathJax's TeX parser that raises errors: braces,
arguments, ``\\left``/``\\right``, environments, alignment tabs, scripts and the names MathJax
knows. Anki's reviewer loads MathJax 3's ``tex-chtml-full`` build (every TeX package but
``physics``) without ``textmacros``; the tables below were taken from MathJax 3.2.2 run with that
configuration, and the test formulas were typeset by it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text`."""
    return frozenset(text.split())


# Commands MathJax 3.2.2 defines with Anki's packages (base, ams, amssymbols, mathtools, mhchem,
# newcommand, boldsymbol, braket, cancel, color, html, unicode, upgreek, textcomp, ...).
_KNOWN = _words(
    """
    AXC Aboxed And ArrowBetweenLines Arrowvert Axiom AxiomC BIC Bbb Bbbk Big Bigg Biggl Biggm
    Biggr Bigl Bigm Bigr BinaryInf BinaryInfC Box Bra Braket Bumpeq Cap Colonapprox Coloneq
    Coloneqq Colonsim Cup DeclareMathOperator DeclarePairedDelimiter DeclarePairedDelimiterX
    DeclarePairedDelimiterXPP DeclarePairedDelimiters DeclarePairedDelimitersX
    DeclarePairedDelimitersXPP Delta Diamond Doteq Downarrow Eqcolon Eqqcolon Finv Game Gamma Huge
    Im Join Ket Ketbra LARGE LL LaTeX Lambda Large LeftLabel Leftarrow Leftrightarrow Lleftarrow
    Longleftarrow Longleftrightarrow Longrightarrow Lsh MTFlushSpaceAbove MTFlushSpaceBelow
    MTThinColon MoveEqLeft Newextarrow Omega Phi Pi Pr Psi QuaternaryInf QuaternaryInfC QuinaryInf
    QuinaryInfC RL Re RightLabel Rightarrow Rrightarrow Rsh Rule S Set Sigma Space Subset Supset
    TIC TeX Theta Tiny TrinaryInf TrinaryInfC UIC UnaryInf UnaryInfC Uparrow Updelta Updownarrow
    Upgamma Uplambda Upomega Upphi Uppi Uppsi Upsigma Upsilon Uptheta Upupsilon Upxi Vdash Vert
    Vvdash Xi above abovewithdelims acute adjustlimits aleph alpha alwaysDashedLine alwaysNoLine
    alwaysRootAtBottom alwaysRootAtTop alwaysSingleLine alwaysSolidLine amalg angle approx
    approxeq arccos arcsin arctan arg array arrowvert ast asymp atop atopwithdelims backepsilon
    backprime backsim backsimeq backslash bar barwedge bbFont bbox bcancel because begin beta beth
    between bf big bigcap bigcirc bigcup bigg biggl biggm biggr bigl bigm bigodot bigoplus
    bigotimes bigr bigsqcup bigstar bigtimes bigtriangledown bigtriangleup biguplus bigvee
    bigwedge binom blacklozenge blacksquare blacktriangle blacktriangledown blacktriangleleft
    blacktriangleright bmod boldsymbol bot bowtie boxdot boxed boxminus boxplus boxtimes bra brace
    bracevert brack braket breve buildrel bullet bumpeq cal cancel cancelto cap cases cdot cdotp
    cdots ce cellcolor celsius centerOver centercolon centerdot centernot cfrac check checkmark
    chi choose circ circeq circlearrowleft circlearrowright circledR circledS circledast
    circledcirc circleddash clap class clubsuit colon colonapprox coloneq coloneqq colonsim color
    colorbox columncolor complement cong coprod cos cosh cot coth cr cramped crampedclap
    crampedllap crampedrlap crampedsubstack csc cssId cup curlyeqprec curlyeqsucc curlyvee
    curlywedge curvearrowleft curvearrowright dagger daleth dashedLine dashleftarrow
    dashrightarrow dashv dbinom dblcolon ddagger ddddot dddot ddot ddots def definecolor deg
    degree delta det dfrac diagdown diagup diamond diamondsuit digamma dim displaylines
    displaystyle div divideontimes divsymbol dot doteq doteqdot dotplus dots dotsb dotsc dotsi
    dotsm dotso doublebarwedge doublecap doublecup downarrow downdownarrows downharpoonleft
    downharpoonright ell empheqbigl empheqbiglVert empheqbiglangle empheqbiglbrace empheqbiglbrack
    empheqbiglceil empheqbiglfloor empheqbiglparen empheqbiglvert empheqbigr empheqbigrVert
    empheqbigrangle empheqbigrbrace empheqbigrbrack empheqbigrceil empheqbigrfloor empheqbigrparen
    empheqbigrvert empheql empheqlVert empheqlangle empheqlbrace empheqlbrack empheqlceil
    empheqlfloor empheqlparen empheqlvert empheqr empheqrVert empheqrangle empheqrbrace
    empheqrbrack empheqrceil empheqrfloor empheqrparen empheqrvert emptyset enclose end enspace
    epsilon eqalign eqalignno eqcirc eqcolon eqqcolon eqref eqsim eqslantgtr eqslantless equiv eta
    eth exists exp fCenter fallingdotseq fbox fcolorbox flat forall frac frak framebox frown gamma
    gcd ge genfrac geq geqq geqslant gets gg ggg gggtr gimel gnapprox gneq gneqq gnsim grave gt
    gtrapprox gtrdot gtreqless gtreqqless gtrless gtrsim gvertneqq hat hbar hbox hdashline
    heartsuit hfil hfill hfilll hline hom hookleftarrow hookrightarrow hphantom href hskip hslash
    hspace huge idotsint iff iiiint iiint iint imath impliedby implies in inf infty injlim int
    intercal intop iota it jmath kappa ker kern ket ketbra lVert label lambda land langle large
    lbrace lbrack lceil ldotp ldots le leadsto left leftarrow leftarrowtail leftharpoondown
    leftharpoonup leftleftarrows leftrightarrow leftrightarrows leftrightharpoons
    leftrightsquigarrow leftroot leftthreetimes leq leqalignno leqq leqslant lessapprox lessdot
    lesseqgtr lesseqqgtr lessgtr lesssim let lfloor lg lgroup lhd lim liminf limits limsup ll llap
    llcorner lll llless lmoustache ln lnapprox lneq lneqq lnot lnsim log longLeftrightharpoons
    longRightleftharpoons longleftarrow longleftrightarrow longleftrightarrows longmapsto
    longrightarrow longrightleftharpoons looparrowleft looparrowright lor lower lozenge lparen
    lrcorner lt ltimes lvert lvertneqq maltese mapsto mathbb mathbf mathbfcal mathbffrak mathbfit
    mathbfscr mathbfsf mathbfsfit mathbfsfup mathbfup mathbin mathcal mathchoice mathclap
    mathclose mathfrak mathinner mathit mathllap mathmakebox mathmbox mathnormal mathop mathopen
    mathord mathpunct mathrel mathring mathrlap mathrm mathscr mathsf mathsfit mathsfup mathstrut
    mathtip mathtoolsset mathtt mathup matrix max mbox measuredangle mho micro mid middle min
    minCDarrowheight minCDarrowwidth mit mkern mmlToken mod models moveleft moveright mp mskip
    mspace mu multimap nLeftarrow nLeftrightarrow nRightarrow nVDash nVdash nabla natural ncong
    ndownarrow ne nearrow neg negmedspace negthickspace negthinspace neq newcommand newenvironment
    newline newtagform nexists ngeq ngeqq ngeqslant ngtr ni nleftarrow nleftrightarrow nleq nleqq
    nleqslant nless nmid noLine nobreakspace nolimits nonscript nonumber normalsize not notChar
    notag notin nparallel nprec npreceq nrightarrow nshortmid nshortparallel nsim nsubseteq
    nsubseteqq nsucc nsucceq nsupseteq nsupseteqq ntriangleleft ntrianglelefteq ntriangleright
    ntrianglerighteq nu nuparrow nvDash nvdash nwarrow odot ohm oint oldstyle omega omicron ominus
    operatorname oplus ordinarycolon oslash otimes over overbrace overbracket overleftarrow
    overleftrightarrow overline overparen overrightarrow overset overunderset overwithdelims owns
    parallel partial perp perthousand phantom phi pi pitchfork pm pmatrix pmb pmod pod prec
    precapprox preccurlyeq preceq precnapprox precneqq precnsim precsim prescript prime prod
    projlim propto psi pu qquad quad rVert raise rangle rbrace rbrack rceil ref refeq renewcommand
    renewenvironment renewtagform require restriction rfloor rgroup rhd rho right rightarrow
    rightarrowtail rightharpoondown rightharpoonup rightleftarrows rightleftharpoons
    rightrightarrows rightsquigarrow rightthreetimes risingdotseq rlap rm rmoustache root
    rootAtBottom rootAtTop rowcolor rparen rtimes rule rvert scr scriptscriptstyle scriptsize
    scriptstyle searrow sec set setminus sf sharp shortmid shortparallel shortvdotswithin
    shoveleft shoveright sideset sigma sim simeq sin singleLine sinh skew small smallfrown
    smallint smallsetminus smallsmile smash smile solidLine space spadesuit sphericalangle
    splitdfrac splitfrac sqcap sqcup sqrt sqsubset sqsubseteq sqsupset sqsupseteq square stackbin
    stackrel star strut style subset subseteq subseteqq subsetneq subsetneqq substack succ
    succapprox succcurlyeq succeq succnapprox succneqq succnsim succsim sum sup supset supseteq
    supseteqq supsetneq supsetneqq surd swarrow symbb symbf symbfcal symbffrak symbfit symbfscr
    symbfsf symbfsfit symbfsfup symbfup symcal symfrak symit symnormal symrm symscr symsf symsfit
    symsfup symtt symup tag tan tanh tau tbinom text textacutedbl textasciiacute textasciibreve
    textasciicaron textasciicircum textasciidieresis textasciimacron textasciitilde
    textasteriskcentered textbackslash textbaht textbar textbardbl textbf textbigcircle textblank
    textborn textbraceleft textbraceright textbrokenbar textbullet textcelsius textcent
    textcentoldstyle textcircledP textclap textcolonmonetary textcolor textcompwordmark
    textcopyleft textcopyright textcurrency textdagger textdaggerdbl textdegree textdied
    textdiscount textdiv textdivorced textdollar textdollaroldstyle textdong textdownarrow
    texteightoldstyle textellipsis textemdash textendash textestimated texteuro textexclamdown
    textfiveoldstyle textflorin textfouroldstyle textfractionsolidus textgravedbl textgreater
    textguarani textinterrobang textinterrobangdown textit textlangle textlbrackdbl textleftarrow
    textless textlira textllap textlnot textlquill textmarried textmho textminus textmu
    textmusicalnote textnaira textnineoldstyle textnormal textnumero textohm textonehalf
    textoneoldstyle textonequarter textonesuperior textopenbullet textordfeminine textordmasculine
    textparagraph textperiodcentered textpertenthousand textperthousand textpeso textpm
    textquestiondown textquotedblleft textquotedblright textquoteleft textquoteright textrangle
    textrbrackdbl textrecipe textreferencemark textregistered textrightarrow textrlap textrm
    textrquill textsection textservicemark textsevenoldstyle textsf textsixoldstyle textsterling
    textstyle textsurd textthreeoldstyle textthreequarters textthreesuperior texttildelow
    texttimes texttip texttrademark texttt texttwooldstyle texttwosuperior textunderscore textup
    textuparrow textvisiblespace textwon textyen textzerooldstyle tfrac therefore theta
    thickapprox thicksim thinspace tilde times tiny to toggle top triangle triangledown
    triangleleft trianglelefteq triangleq triangleright trianglerighteq tripledash tt
    twoheadleftarrow twoheadrightarrow ulcorner underbrace underbracket underleftarrow
    underleftrightarrow underline underparen underrightarrow underset unicode unlhd unrhd upalpha
    uparrow upbeta upchi updelta updownarrow upepsilon upeta upgamma upharpoonleft upharpoonright
    upiota upkappa uplambda uplus upmu upnu upomega upomicron upphi uppi uppsi uprho uproot
    upsigma upsilon uptau uptheta upuparrows upupsilon upvarepsilon upvarphi upvarpi upvarrho
    upvarsigma upvartheta upxi upzeta urcorner usetagform vDash varDelta varGamma varLambda
    varOmega varPhi varPi varPsi varSigma varTheta varUpsilon varXi varepsilon varinjlim varkappa
    varliminf varlimsup varnothing varphi varpi varprojlim varpropto varrho varsigma varsubsetneq
    varsubsetneqq varsupsetneq varsupsetneqq vartheta vartriangle vartriangleleft vartriangleright
    vcenter vdash vdots vdotswithin vec vee veebar verb vert vphantom wedge widehat widetilde wp
    wr xLeftarrow xLeftrightarrow xLeftrightharpoons xRightarrow xRightleftharpoons xcancel
    xhookleftarrow xhookrightarrow xi xleftarrow xleftharpoondown xleftharpoonup xleftrightarrow
    xleftrightharpoons xlongequal xmapsto xmathstrut xrightarrow xrightharpoondown xrightharpoonup
    xrightleftharpoons xtofrom xtwoheadleftarrow xtwoheadrightarrow yen zeta
    """
) | frozenset(" !#$%&,:;>\\_{|}\xa0")

# How a command reads what follows it, one letter per argument: m math argument, t argument
# read as text (not parsed), T text in which `$...$` is math, a math argument whose `&` and `\\`
# separate cells, b macro body (only its command names are checked), n whole number, o / O
# optional `[...]` (O parsed as math), s optional star, d delimiter, D dimension. A command not
# listed takes no argument.
_SPEC_GROUPS = {
    "m": """Aboxed Bbb Bra Braket Ket Set acute bar boldsymbol boxed bra braket breve centernot
        check clap ddddot dddot ddot dot grave hat hphantom ket llap mathbb mathbf mathbfcal
        mathbffrak mathbfit mathbfscr mathbfsf mathbfsfit mathbfsfup mathbfup mathbin mathcal
        mathclose mathfrak mathinner mathit mathmbox mathnormal mathop mathopen mathord mathpunct
        mathrel mathring mathrm mathscr mathsf mathsfit mathsfup mathtt mathup mod overbrace
        overleftarrow overleftrightarrow overline overparen overrightarrow phantom pmb pmod pod
        rlap set symbb symbf symbfcal symbffrak symbfit symbfscr symbfsf symbfsfit symbfsfup
        symbfup symcal symfrak symit symnormal symrm symscr symsf symsfit symsfup symtt symup
        tilde underbrace underleftarrow underleftrightarrow underline underparen underrightarrow
        vcenter vec vphantom widehat widetilde""",
    "om": """bbox bcancel cancel cramped crampedclap crampedllap crampedrlap mathclap mathllap
        mathrlap shoveleft shoveright smash xcancel""",
    "Om": """sqrt xLeftarrow xLeftrightarrow xLeftrightharpoons xRightarrow xRightleftharpoons
        xhookleftarrow xhookrightarrow xleftarrow xleftharpoondown xleftharpoonup xleftrightarrow
        xleftrightharpoons xlongequal xmapsto xrightarrow xrightharpoondown xrightharpoonup
        xrightleftharpoons xtofrom xtwoheadleftarrow xtwoheadrightarrow""",
    "oom": "mathmakebox overbracket underbracket",
    "ooT": "framebox",
    "a": """array cases crampedsubstack displaylines eqalign eqalignno leqalignno matrix pmatrix
        substack""",
    "t": """ce eqref label mathtoolsset pu ref refeq require shortvdotswithin usetagform
        vdotswithin""",
    "T": """fbox hbox mbox text textbf textclap textit textllap textnormal textrlap textrm textsf
        texttt textup""",
    "sT": "tag",
    "sm": "operatorname",
    "mm": """Ketbra binom centerOver dbinom dfrac frac ketbra mathtip overset splitdfrac splitfrac
        stackbin stackrel tbinom tfrac underset""",
    "omm": "cancelto cfrac",
    "tm": "class cssId href style",
    "mt": "texttip",
    "tT": "colorbox",
    "ttT": "fcolorbox",
    "ttt": "definecolor",
    "ot": "cellcolor color columncolor rowcolor unicode xmathstrut",
    "otm": "textcolor",
    "tom": "enclose",
    "tot": "mmlToken",
    "mmm": "overunderset prescript sideset",
    "mmmm": "mathchoice",
    "ttttmm": "genfrac",
    "ttm": "skew",
    "tott": "newtagform renewtagform",
    "D": "hskip hspace kern minCDarrowheight minCDarrowwidth mkern mskip mspace",
    "Dm": "lower moveleft moveright raise",
    "oDD": "rule",
    "DDD": "Rule Space",
    "d": """Big Bigg Biggl Biggm Biggr Bigl Bigm Bigr big bigg biggl biggm biggr bigl bigm bigr
        empheqbigl empheqbigr empheql empheqr""",
    "o": "ArrowBetweenLines MoveEqLeft",
}
_SPECS = {name: spec for spec, names in _SPEC_GROUPS.items() for name in names.split()}

# Operators that accept \limits and \nolimits.
_OPS = _words(
    """Pr arccos arcsin arctan arg bigcap bigcup bigodot bigoplus bigotimes bigsqcup bigtimes
    biguplus bigvee bigwedge coprod cos cosh cot coth csc deg det dim exp gcd hom idotsint iiiint
    iiint iint inf injlim int intop ker lg lim liminf limsup ln log mathop max min oint
    operatorname overbrace overbracket prod projlim sec sin sinh smallint sum sup tan tanh
    underbrace underbracket varinjlim varliminf varlimsup varprojlim"""
)
# Operators whose scripts MathJax sets above and below (a prime after them is no double exponent).
_MOVABLE = _words(
    """Pr bigcap bigcup bigodot bigoplus bigotimes bigsqcup bigtimes biguplus bigvee bigwedge
    coprod det gcd inf injlim lim liminf limsup mathop max min operatorname overbrace overbracket
    prod projlim sum sup underbrace underbracket varinjlim varliminf varlimsup varprojlim"""
)
# Commands after which `^` still attaches to the atom before them.
_TRANSPARENT = _words(
    """rm mit oldstyle cal it bf bbFont scr frak sf tt label tag nonumber notag limits nolimits
    newcommand renewcommand def let DeclareMathOperator newenvironment renewenvironment
    DeclarePairedDelimiter DeclarePairedDelimiters DeclarePairedDelimiterX DeclarePairedDelimitersX
    DeclarePairedDelimiterXPP DeclarePairedDelimitersXPP require"""
)
# Commands that cannot stand as a bare superscript or subscript: `x^\\sin` must be `x^{\\sin}`.
_NOT_A_SCRIPT = _words(
    """arccos arcsin arctan arg cos cosh cot coth csc deg dim exp hom ker lg ln log sec sin sinh
    tan tanh tiny Tiny scriptsize small normalsize large Large LARGE huge Huge displaystyle
    textstyle scriptstyle scriptscriptstyle not newline nonscript dots bigtimes mathop matrix
    pmatrix cases array eqalign eqalignno leqalignno displaylines substack crampedsubstack set Set
    braket Braket varinjlim varliminf varlimsup varprojlim color begin over atop choose brace
    brack above abovewithdelims atopwithdelims overwithdelims \\"""
)
_DELIMITERS = _words(
    r"""( ) . / < > [ ] | \Arrowvert \Downarrow \Uparrow \Updownarrow \Vert \\ \arrowvert
    \backslash \bracevert \downarrow \gt \lVert \langle \lbrace \lbrack \lceil \lfloor \lgroup
    \llcorner \lmoustache \lparen \lrcorner \lt \lvert \rVert \rangle \rbrace \rbrack \rceil
    \rfloor \rgroup \rmoustache \rparen \rvert \ulcorner \uparrow \updownarrow \urcorner \vert
    \{ \| \}"""
)
_OVER = {
    "over": "",
    "atop": "",
    "choose": "",
    "brace": "",
    "brack": "",
    "above": "D",
    "abovewithdelims": "ddD",
    "atopwithdelims": "dd",
    "overwithdelims": "dd",
}

_ENVIRONMENTS = _words(
    """Bmatrix Bmatrix* Bsmallmatrix Bsmallmatrix* CD Vmatrix Vmatrix* Vsmallmatrix Vsmallmatrix*
    align align* alignat alignat* aligned alignedat array bmatrix bmatrix* bsmallmatrix
    bsmallmatrix* cases cases* crampedsubarray dcases dcases* drcases drcases* empheq eqnarray
    eqnarray* equation equation* flalign flalign* gather gather* gathered lgathered matrix
    matrix* multline multline* multlined numcases pmatrix pmatrix* prooftree psmallmatrix
    psmallmatrix* rcases rcases* rgathered smallmatrix smallmatrix* split spreadlines subarray
    subnumcases vmatrix vmatrix* vsmallmatrix vsmallmatrix* xalignat xalignat* xxalignat"""
)
_ENV_SPECS = {
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
_ENV_SPECS.update((name, "o") for name in _ENVIRONMENTS if name.endswith("matrix*"))
# Environments that number equations: one per formula, not inside another.
_EQUATION_ENVS = _words(
    """equation equation* eqnarray eqnarray* align align* multline multline* gather gather*
    alignat alignat* xalignat xalignat* xxalignat flalign flalign*"""
)
_NO_TAB_ENVS = _words("equation equation* multline multline*")
_NO_TAG_ENVS = _words("aligned alignedat gathered split lgathered rgathered")

_HINTS = {
    "bm": "\\boldsymbol{...}",
    "argmax": "\\operatorname*{arg\\,max}",
    "argmin": "\\operatorname*{arg\\,min}",
    "abs": "\\lvert x \\rvert",
    "norm": "\\lVert x \\rVert",
    "mathds": "\\mathbb{...}",
    "mathbbm": "\\mathbb{...}",
    "R": "\\mathbb{R}",
    "N": "\\mathbb{N}",
    "Z": "\\mathbb{Z}",
    "Q": "\\mathbb{Q}",
    "C": "\\mathbb{C}",
    "E": "\\mathbb{E}",
    "dv": "\\frac{d}{dx}",
    "pdv": "\\frac{\\partial}{\\partial x}",
    "degree": "^\\circ",
    "textsubscript": "_{\\text{...}}",
    "textsuperscript": "^{\\text{...}}",
}
for _name in _words("Var Cov tr Tr sgn sign diag rank softmax relu ReLU erf KL"):
    _HINTS[_name] = f"\\operatorname{{{_name}}}"

_NUMBER = re.compile(r"[0-9]+(?:\{,\}[0-9]{3})*(?:\.[0-9]*)?|\.[0-9]+")
_DIMEN = r"\s*[-+]?(?:[.,]\d+|\d+(?:[.,]\d*)?)\s*(?:pt|em|ex|mu|px|mm|cm|in|pc)"
_DIMEN_WHOLE = re.compile(_DIMEN + r"\s*")
_DIMEN_START = re.compile(_DIMEN)
_CLOZE_OPEN = re.compile(r"\{\{c(\d{1,5})::")
_ORDINALS = ("1st", "2nd", "3rd", "4th", "5th", "6th")
_TOO_DEEP = "arguments nested more than 100 deep: not checked further"
_MOST = 20  # problems reported for one formula


@dataclass(frozen=True)
class TexProblem:
    """One thing in a formula that MathJax would show as red error text, or a likely slip."""

    offset: int
    message: str
    severity: str  # "error" or "warning"


def check_tex(tex: str, display: bool = False) -> list[TexProblem]:
    """Every problem MathJax would show as red error text; empty list for a formula it typesets.

    Anki cloze markup inside the formula is read as Anki reads it: the answer side and the
    question side of each cloze number are checked, with offsets into `tex` itself. `display`
    is accepted for symmetry: MathJax raises the same errors in inline and display mode.
    """
    del display
    found: dict[tuple[int, str], TexProblem] = {}
    for side, text, where in _cloze_sides(tex):
        for problem in _Formula(text, where).check():
            key = (problem.offset, problem.message)
            if key in found:
                continue
            if side:
                early = "`}` has no matching" in problem.message
                note = "; a `}}` inside the cloze ended it early: write `} }`" if early else ""
                message = (
                    f"{problem.message} (on the front of card {side}, where the cloze "
                    f"reads `[...]`{note})"
                )
                problem = TexProblem(problem.offset, message, problem.severity)
            found[key] = problem
    return sorted(found.values(), key=lambda p: (p.offset, p.severity != "error"))[:_MOST]


# --- Anki cloze deletions ---------------------------------------------------------------------


@dataclass
class _Cloze:
    """One `{{cN::...::hint}}` as Anki's cloze parser reads it; parts are spans or inner clozes."""

    ordinal: int
    start: int
    head_end: int
    parts: list[_Cloze | tuple[int, int]] = field(default_factory=list)
    hint: tuple[int, int] | None = None


def _parse_clozes(tex: str) -> list[_Cloze | tuple[int, int]]:
    """Split `tex` into text spans and clozes exactly where Anki's tokenizer splits it."""
    out: list[_Cloze | tuple[int, int]] = []
    open_: list[_Cloze] = []

    def text(a: int, b: int) -> None:
        if a >= b:
            return
        if not open_:
            out.append((a, b))
            return
        k = tex.find("::", a, b)
        if k >= 0:
            open_[-1].hint = (k, b)
            b = k
        open_[-1].parts.append((a, b))

    i = start = 0
    while i < len(tex):
        m = _CLOZE_OPEN.match(tex, i)
        if m and int(m.group(1)) <= 0xFFFF:
            text(start, i)
            if len(open_) < 10:
                open_.append(_Cloze(int(m.group(1)), i, m.end()))
            i = start = m.end()
        elif tex.startswith("}}", i):
            text(start, i)
            if open_:
                cloze = open_.pop()
                (open_[-1].parts if open_ else out).append(cloze)
            else:
                out.append((i, i + 2))
            i = start = i + 2
        else:
            i += 1
    text(start, len(tex))
    while open_:  # an unterminated cloze is plain text for Anki
        cloze = open_.pop()
        spans = [(cloze.start, cloze.head_end), *cloze.parts]
        if cloze.hint:
            spans.append(cloze.hint)
        (open_[-1].parts if open_ else out).extend(spans)
    return out


def _cloze_sides(tex: str) -> list[tuple[str, str, list[int]]]:
    """The formula as MathJax receives it on each side of each card: (label, text, offsets)."""
    nodes = _parse_clozes(tex)
    ordinals = sorted(_ordinals(nodes))
    sides = [("", None)] + [(f"c{n}", n) for n in ordinals[:20]]
    result = []
    for label, hidden in sides:
        chars: list[str] = []
        where: list[int] = []
        _render_side(tex, nodes, hidden, chars, where)
        result.append((label, "".join(chars), where))
    return result


def _ordinals(nodes: list[_Cloze | tuple[int, int]]) -> set[int]:
    """The cloze numbers used anywhere in `nodes`."""
    found: set[int] = set()
    for node in nodes:
        if isinstance(node, _Cloze):
            found.add(node.ordinal)
            found |= _ordinals(node.parts)
    return found


def _render_side(
    tex: str,
    nodes: list[_Cloze | tuple[int, int]],
    hidden: int | None,
    chars: list[str],
    where: list[int],
) -> None:
    """Append the text MathJax sees, with the original offset of every character."""
    for node in nodes:
        if isinstance(node, tuple):
            chars.extend(tex[node[0] : node[1]])
            where.extend(range(node[0], node[1]))
        elif node.ordinal == hidden:
            shown = f"[{tex[node.hint[0] + 2 : node.hint[1]]}]" if node.hint else "[...]"
            chars.extend(shown)
            where.extend([node.start] * len(shown))
        else:
            _render_side(tex, node.parts, hidden, chars, where)


# --- the TeX reader ------------------------------------------------------------------------------


@dataclass
class _Atom:
    """The last thing typeset in a list: what a following `^`, `_`, `'` or \\limits attaches to."""

    op: bool = False
    limits: bool = False  # an operator whose scripts go above and below
    sup: str = ""  # "", "prime" or "full"
    sub: bool = False


@dataclass
class _Frame:
    """An open `{`, \\left or \\begin on one parser's stack."""

    kind: str  # "top", "group", "left" or "env"
    start: int
    name: str = ""
    tabs: bool = False  # `&` and `\\` separate cells here
    last: _Atom | None = None
    script: int = -1  # index of a `^` or `_` still waiting for its argument
    over: bool = False
    cell_empty: bool = True
    tags: str = ""  # "t" for each \tag and "l" for each \label on the current line


class _Level:
    """One MathJax parser: MathJax reads every argument with a fresh parser of its own."""

    def __init__(self, end: int, tabs: bool) -> None:
        self.end = end
        self.stack = [_Frame("top", 0, tabs=tabs)]
        self.equation = False

    @property
    def top(self) -> _Frame:
        return self.stack[-1]


class _Formula:
    """Reads one formula and collects its problems."""

    def __init__(self, text: str, where: list[int]) -> None:
        self.s = text
        self.where = where
        self.found: list[TexProblem] = []
        self.macros: dict[str, str] = {}
        self.ops: set[str] = set()
        self.envs: set[str] = set()
        self.lenient = False
        self.bodies: list[tuple[int, int]] = []
        self.warned_comment = False
        self.depth = 0

    def check(self) -> list[TexProblem]:
        """Parse the whole formula and return what was found."""
        self.parse(0, len(self.s), tabs=False)
        for start, stop in self.bodies:
            self.scan_names(start, stop)
        return self.found

    def scan_names(self, i: int, end: int) -> None:
        """Report unknown commands in a macro body, which MathJax reads only where it is used."""
        while i < end:
            if self.s[i] != "\\":
                i += 1
                continue
            name, k = self.cs_end(i + 1, end)
            if name not in _KNOWN and name not in _SPECIAL and name not in self.macros:
                self.unknown(i, k, name)
            i = k

    # reporting

    def at(self, i: int) -> int:
        if i < len(self.where):
            return self.where[i]
        return self.where[-1] + 1 if self.where else 0

    def error(self, i: int, message: str) -> None:
        self.found.append(TexProblem(self.at(i), message, "error"))

    def warn(self, i: int, message: str) -> None:
        self.found.append(TexProblem(self.at(i), message, "warning"))

    # low-level readers, after MathJax's TexParser

    def skip_spaces(self, i: int, end: int) -> int:
        while i < end and self.s[i].isspace():
            i += 1
        return i

    def cs_end(self, i: int, end: int) -> tuple[str, int]:
        """Read a command name starting after its backslash: (name, index after it)."""
        s = self.s
        if i >= end or s[i] in "\n\r\u2028\u2029":
            return " ", min(i + 1, end)
        j = i
        while j < end and s[j].isascii() and s[j].isalpha():
            j += 1
        if j == i:
            return s[i], i + 1
        name = s[i:j]
        return name, j + 1 if j < end and s[j] == " " else j

    def match_brace(self, i: int, end: int) -> int:
        """Index of the `}` closing the `{` at i, or -1."""
        depth, i = 0, i
        while i < end:
            c = self.s[i]
            if c == "\\":
                i += 1
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        return -1

    def argument(
        self, i: int, end: int, cs: int, name: str, nth: int, total: int
    ) -> tuple[int, int, int] | None:
        """The next argument after i as (start, stop, index after it); None once reported."""
        j = self.skip_spaces(i, end)
        what = f"`{_show(name)}` needs {total} argument{'s' if total > 1 else ''}"
        if j >= end:
            self.error(cs, f"missing argument: {what}, the {_ORDINALS[nth]} is missing")
            return None
        c = self.s[j]
        if c == "}":
            self.error(cs, f"missing argument: {what}, found `}}` instead of the {_ORDINALS[nth]}")
            return None
        if c == "\\":
            _, k = self.cs_end(j + 1, end)
            return j, k, k
        if c == "{":
            k = self.match_brace(j, end)
            if k < 0:
                self.error(j, "unbalanced brace: `{` is never closed")
                return None
            return j + 1, k, k + 1
        return j, j + 1, j + 1

    def brackets(self, i: int, end: int, cs: int, name: str) -> tuple[int, int, int] | None:
        """An optional `[...]` after i as (start, stop, after); (i, i, i) when absent."""
        j = self.skip_spaces(i, end)
        if j >= end or self.s[j] != "[":
            return i, i, i
        depth, k = 0, j + 1
        while k < end:
            c = self.s[k]
            if c == "\\":
                k += 1
            elif c == "{":
                depth += 1
            elif c == "}":
                if depth == 0:
                    self.error(k, f"unbalanced brace: `}}` inside the `[...]` of `{_show(name)}`")
                    return None
                depth -= 1
            elif c == "]" and depth == 0:
                return j + 1, k, k + 1
            k += 1
        self.error(j, f"`[` after `{_show(name)}` is never closed by `]`")
        return None

    def delimiter(self, i: int, end: int, cs: int, name: str) -> int | None:
        """Read the delimiter after \\left, \\right, \\big...; index after it or None."""
        j = self.skip_spaces(i, end)
        if j < end and self.s[j] == "\\":
            cname, k = self.cs_end(j + 1, end)
            token = "\\" + cname
        elif j < end:
            token, k = self.s[j], j + 1
        else:
            token, k = "", j
        if token in _DELIMITERS:
            return k
        found = f"`{token}`" if token.strip() else "nothing"
        self.error(
            cs,
            f"missing or unknown delimiter after `{_show(name)}` (found {found}); "
            "use one of ( ) [ ] \\{ \\} | \\| . \\langle \\rangle \\lvert ...",
        )
        return None

    def dimension(self, i: int, end: int, cs: int, name: str) -> int | None:
        """Read a dimension such as `3pt` or `{1em}`; index after it or None."""
        j = self.skip_spaces(i, end)
        if j < end and self.s[j] == "{":
            k = self.match_brace(j, end)
            if k >= 0 and _DIMEN_WHOLE.fullmatch(self.s, j + 1, k):
                return k + 1
        else:
            m = _DIMEN_START.match(self.s, j, end)
            if m:
                k = m.end()
                return k + 1 if k < end and self.s[k] == " " else k
        self.error(
            cs,
            f"missing dimension or its unit after `{_show(name)}` (write e.g. `2pt`, `1em`, `3mu`)",
        )
        return None

    def take(self, lv: _Level, i: int, cs: int, name: str, spec: str) -> int | None:
        """Read the arguments `spec` describes; index after them, or None once reported."""
        end = lv.end
        total = sum(1 for k in spec if k in "mtTabdDn")
        nth = 0
        for kind in spec:
            if kind == "s":
                j = self.skip_spaces(i, end)
                i = j + 1 if j < end and self.s[j] == "*" else i
            elif kind in "oO":
                got = self.brackets(i, end, cs, name)
                if got is None:
                    return None
                if kind == "O" and got[2] > i:
                    self.parse(got[0], got[1], tabs=False)
                i = got[2]
            elif kind == "d":
                k = self.delimiter(i, end, cs, name)
                if k is None:
                    return None
                i, nth = k, nth + 1
            elif kind == "D":
                k = self.dimension(i, end, cs, name)
                if k is None:
                    return None
                i, nth = k, nth + 1
            else:
                arg = self.argument(i, end, cs, name, nth, total)
                if arg is None:
                    return None
                if name == "sqrt" and self.s[arg[0] : arg[1]].rstrip() == "\\frac":
                    after = self.take(lv, arg[2], arg[0], "frac", "mm")  # MathJax allows \sqrt\frac
                    if after is None:
                        return None
                    arg = (arg[0], arg[1], after)
                elif kind in "ma":
                    self.parse(arg[0], arg[1], tabs=kind == "a")
                elif kind == "b":
                    self.bodies.append((arg[0], arg[1]))
                elif kind == "T":
                    self.text_math(arg[0], arg[1])
                elif kind == "n" and re.search("[^0-9]", self.s[arg[0] : arg[1]]):
                    self.error(cs, f"`{_show(name)}` needs a positive whole number argument")
                i, nth = arg[2], nth + 1
        return i

    def text_math(self, i: int, end: int) -> None:
        """Parse the `$...$` and `\\(...\\)` inside a text box, as MathJax's internalMath does."""
        s, match, braces, start, opener = self.s, "", 0, i, i
        while i < end:
            c, i = s[i], i + 1
            if c == "$" and match == "$" and not braces:
                self.parse(start, i - 1, tabs=False)
                match = ""
            elif c == "$" and not match:
                match, start, opener = "$", i, i - 1
            elif c == "{" and match:
                braces += 1
            elif c == "}" and match == "}" and not braces:
                match = ""
            elif c == "}" and match and braces:
                braces -= 1
            elif c == "\\":
                ref = re.compile(r"(eq)?ref\s*\{").match(s, i, end)
                if ref and not match:
                    match, opener, i = "}", i - 1, ref.end()
                    continue
                c, i = s[i : i + 1], i + 1
                if c == "(" and not match:
                    match, start, opener = ")", i, i - 2
                elif c == ")" and match == ")" and not braces:
                    self.parse(start, i - 2, tabs=False)
                    match = ""
        if match:
            closer = {"$": "`$`", ")": "`\\)`", "}": "`}`"}[match]
            self.error(opener, f"math in a text box is never closed by {closer}")

    # the parser proper

    def parse(self, i: int, end: int, tabs: bool) -> None:
        """Read s[i:end] as one MathJax parser, reporting problems as they are met."""
        s = self.s
        if self.depth >= 100:
            if not self.found or self.found[-1].message != _TOO_DEEP:
                self.warn(i, _TOO_DEEP)
            return
        self.depth += 1
        lv = _Level(end, tabs)
        lv.top.start = i
        while i < end:
            c = s[i]
            if c.isspace():
                i += 1
            elif c == "%":
                if not self.warned_comment:
                    self.warned_comment = True
                    self.warn(
                        i,
                        "`%` starts a TeX comment: MathJax hides the rest of the line; "
                        "write `\\%` for a percent sign",
                    )
                while i < end and s[i] != "\n":
                    i += 1
            elif c == "{":
                lv.stack.append(_Frame("group", i))
                i += 1
            elif c == "}":
                self.close(lv, i, "group")
                i += 1
            elif c in "^_":
                self.script(lv, i, c)
                i += 1
            elif c in "'\u2019":
                self.prime(lv, i)
                i += 1
            elif c == "&":
                if lv.top.tabs:
                    self.next_cell(lv, i)
                else:
                    self.error(
                        i,
                        "misplaced `&`: outside an alignment environment (such as "
                        "`aligned`, `cases`, `pmatrix`) MathJax shows “Misplaced &”",
                    )
                i += 1
            elif c == "#":
                self.error(i, "`#` is only allowed in a macro definition; write `\\#`")
                i += 1
            elif c == "\\":
                i = self.command(lv, i)
            else:
                m = _NUMBER.match(s, i, end)
                i = m.end() if m and (lv.top.script < 0 or c == ".") else i + 1
                self.atom(lv.top)
        self.finish(lv)
        self.depth -= 1

    def atom(self, frame: _Frame, op: bool = False, limits: bool = False) -> None:
        """Something was typeset in `frame`: it fills a waiting script or becomes the new base."""
        frame.cell_empty = False
        if frame.script >= 0:
            frame.script = -1
        else:
            frame.last = _Atom(op=op, limits=limits)

    def script(self, lv: _Level, i: int, c: str) -> None:
        frame = lv.top
        if frame.script >= 0:
            before = self.s[frame.script]
            word = "superscript" if before == "^" else "subscript"
            self.error(i, f"`{c}` right after `{before}`: the {word} is missing; use braces")
            return
        base = frame.last if frame.last is not None else _Atom()
        frame.last = base
        frame.cell_empty = False
        if c == "^":
            if base.sup == "full":
                self.error(
                    i,
                    "double superscript: MathJax shows “Double exponent: use braces "
                    "to clarify”; write `x^{a^b}` or `{x^a}^b`",
                )
            base.sup = "full"
        else:
            if base.sub:
                self.error(
                    i,
                    "double subscript: MathJax shows “Double subscripts: use braces "
                    "to clarify”; write `x_{a_b}` or `{x_a}_b`",
                )
            base.sub = True
            if base.sup == "prime":  # primes merge with a `^` only straight after them
                base.sup = "full"
        frame.script = i

    def prime(self, lv: _Level, i: int) -> None:
        frame = lv.top
        if frame.script >= 0:
            self.error(
                i, f"prime `'` right after `{self.s[frame.script]}`: use braces, e.g. `x^{{'}}`"
            )
            frame.script = -1
            return
        base = frame.last if frame.last is not None else _Atom()
        frame.last = base
        frame.cell_empty = False
        if base.sup == "full" and not base.limits:
            self.error(
                i,
                "prime after a superscript: MathJax shows “Prime causes double "
                "exponent”; write `x'^2` or `{x^2}'`",
            )
        else:
            base.sup = "prime"

    def dangling(self, frame: _Frame) -> None:
        """Report a `^` or `_` whose argument never came."""
        if frame.script >= 0:
            word = "superscript" if self.s[frame.script] == "^" else "subscript"
            self.error(
                frame.script, f"`{self.s[frame.script]}` has nothing after it: missing {word}"
            )
            frame.script = -1

    def next_cell(self, lv: _Level, i: int, row: bool = False) -> None:
        frame = lv.top
        self.dangling(frame)
        frame.last, frame.over, frame.cell_empty = None, False, True
        if row:
            frame.tags = ""

    def unclosed(self, frame: _Frame) -> None:
        """Report a frame still open where it had to be closed."""
        self.dangling(frame)
        if frame.kind == "group":
            self.error(frame.start, "unbalanced brace: `{` is never closed")
        elif frame.kind == "left":
            self.error(
                frame.start,
                "`\\left` without a matching `\\right` (write `\\right.` for an invisible one)",
            )
        elif frame.kind == "env":
            self.error(frame.start, f"`\\begin{{{frame.name}}}` without `\\end{{{frame.name}}}`")

    def close(self, lv: _Level, i: int, kind: str, name: str = "") -> None:
        """Close the innermost open `kind` frame at i; report what is left open or stray."""
        depth = next(
            (
                k
                for k in range(len(lv.stack) - 1, 0, -1)
                if lv.stack[k].kind == kind and (kind != "env" or lv.stack[k].name == name)
            ),
            0,
        )
        if kind == "env" and depth == 0 and lv.top.kind == "env":
            top = lv.top
            self.error(i, f"`\\begin{{{top.name}}}` is ended by `\\end{{{name}}}`")
            depth = len(lv.stack) - 1
        elif depth == 0:
            if kind == "group":
                self.error(i, "unbalanced brace: `}` has no matching `{`")
            elif kind == "left":
                self.error(i, "`\\right` without a matching `\\left` before it")
            else:
                self.error(i, f"`\\end{{{name}}}` without `\\begin{{{name}}}`")
            return
        while len(lv.stack) - 1 > depth:
            self.unclosed(lv.stack.pop())
        frame = lv.stack.pop()
        self.dangling(frame)
        self.atom(lv.top)

    def finish(self, lv: _Level) -> None:
        while len(lv.stack) > 1:
            self.unclosed(lv.stack.pop())
        self.dangling(lv.top)

    # commands

    def command(self, lv: _Level, i: int) -> int:
        """Handle the command whose backslash is at i; return the index after it."""
        name, j = self.cs_end(i + 1, lv.end)
        script = lv.top.script
        if script >= 0 and name in _NOT_A_SCRIPT:
            self.error(
                i,
                f"`{_show(name)}` cannot directly follow `{self.s[script]}`: "
                f"put it in braces, as in `{self.s[script]}{{{_show(name)}}}`",
            )
            lv.top.script = -1
        special = _SPECIAL.get(name)
        if special is not None:
            return special(self, lv, i, j, name)
        spec = self.macros.get(name)
        if spec is None:
            spec = _SPECS.get(name, "")
            if name not in _KNOWN and name not in _SPECIAL:
                self.unknown(i, j, name)
        k = self.take(lv, j, i, name, spec) if spec else j
        if name not in _TRANSPARENT:
            op = name in _OPS or name in self.ops
            self.atom(lv.top, op=op, limits=op and name in _MOVABLE)
        return lv.end if k is None else k

    def unknown(self, i: int, j: int, name: str) -> None:
        if self.lenient:
            return
        where = self.where[i:j]
        if len(set(where)) == len(where) > 1 and where[-1] - where[0] != j - i - 1:
            self.error(
                i,
                f"unknown command `{_show(name)}`: Anki removes the cloze markers, which "
                "joins the command to the letters of the cloze; put a space or braces "
                "around the cloze, as in `\\sqrt{ {{c1::x}} }`",
            )
            return
        hint = _HINTS.get(name)
        if hint is None:
            close = difflib.get_close_matches(name, _KNOWN | set(self.macros), n=1, cutoff=0.75)
            hint = "\\" + close[0] if close else None
        tip = f" (did you mean `{hint}`?)" if hint else ""
        self.error(i, f"unknown command `{_show(name)}`: MathJax does not define it{tip}")

    def begin(self, lv: _Level, i: int, j: int, name: str) -> int:
        arg = self.argument(j, lv.end, i, name, 0, 1)
        if arg is None:
            return lv.end
        env = self.s[arg[0] : arg[1]]
        frame = _Frame("env", i, name=env, tabs=env not in _NO_TAB_ENVS)
        if env not in _ENVIRONMENTS and env not in self.envs:
            near = difflib.get_close_matches(env.strip(), _ENVIRONMENTS, n=1, cutoff=0.75)
            tip = f" (did you mean `{near[0]}`?)" if near else ""
            spaces = " (spaces count in its name)" if env.strip() != env else ""
            self.error(i, f"unknown environment `{env}`{spaces}{tip}")
        if env in _EQUATION_ENVS:
            if lv.equation:
                self.error(
                    i,
                    f"`\\begin{{{env}}}` cannot follow or sit inside another numbered "
                    "environment: MathJax shows “Erroneous nesting of equation structures”; "
                    "use `aligned` or `gathered`",
                )
            lv.equation = True
        lv.stack.append(frame)
        k = self.take(lv, arg[2], i, f"begin{{{env}}}", _ENV_SPECS.get(env, ""))
        return lv.end if k is None else k

    def end_env(self, lv: _Level, i: int, j: int, name: str) -> int:
        arg = self.argument(j, lv.end, i, name, 0, 1)
        if arg is None:
            return lv.end
        self.close(lv, i, "env", self.s[arg[0] : arg[1]])
        return arg[2]

    def left(self, lv: _Level, i: int, j: int, name: str) -> int:
        k = self.delimiter(j, lv.end, i, name)
        lv.stack.append(_Frame("left", i))
        return j if k is None else k

    def right(self, lv: _Level, i: int, j: int, name: str) -> int:
        k = self.delimiter(j, lv.end, i, name)
        self.close(lv, i, "left")
        return j if k is None else k

    def middle(self, lv: _Level, i: int, j: int, name: str) -> int:
        k = self.delimiter(j, lv.end, i, name)
        if lv.top.kind != "left":
            self.error(i, "`\\middle` outside a `\\left ... \\right` pair")
        else:
            self.dangling(lv.top)
            self.atom(lv.top)
        return j if k is None else k

    def over(self, lv: _Level, i: int, j: int, name: str) -> int:
        frame = lv.top
        if frame.over:
            self.error(
                i, f"ambiguous `{_show(name)}`: a second fraction in the same group; add braces"
            )
        self.dangling(frame)
        frame.over, frame.last, frame.cell_empty = True, None, False
        k = self.take(lv, j, i, name, _OVER[name])
        return lv.end if k is None else k

    def limits(self, lv: _Level, i: int, j: int, name: str) -> int:
        last = lv.top.last
        if last is not None and last.op:
            last.limits = name == "limits"
        else:
            self.error(
                i,
                f"`{_show(name)}` is allowed only on operators such as `\\sum`, "
                "`\\int`, `\\lim` or `\\operatorname*{...}`",
            )
        return j

    def newline(self, lv: _Level, i: int, j: int, name: str) -> int:
        s, end = self.s, lv.end
        self.dangling(lv.top)
        if name == "\\":
            if j < end and s[j] == "*":
                j += 1
            if j < end and s[j] == "[":
                got = self.brackets(j, end, i, name)
                if got is None:
                    return end
                if got[1] > got[0] and not _DIMEN_WHOLE.fullmatch(s, got[0], got[1]):
                    self.error(
                        j,
                        "`\\\\[...]` takes a dimension such as `\\\\[4pt]`; put a space "
                        "or braces before a `[` that starts the next line",
                    )
                j = got[2]
        if lv.top.tabs or lv.top.kind == "env":
            self.next_cell(lv, i, row=True)
        elif name == "cr":
            self.error(i, "misplaced `\\cr`: outside an alignment environment")
        else:
            lv.top.last = _Atom()
            self.warn(
                i,
                f"`{_show(name)}` outside an environment: MathJax 3 does not break "
                "the line here; use `\\begin{gathered} ... \\end{gathered}`",
            )
        return j

    def hline(self, lv: _Level, i: int, j: int, name: str) -> int:
        if not lv.top.tabs:
            self.error(i, f"misplaced `{_show(name)}`: only inside an array or matrix")
        elif not lv.top.cell_empty:
            self.error(i, f"misplaced `{_show(name)}`: it must start a row")
        return j

    def tag(self, lv: _Level, i: int, j: int, name: str) -> int:
        envs = [f for f in lv.stack if f.kind == "env"]
        scope = envs[-1] if envs else lv.stack[0]
        if name == "tag" and scope.kind == "env" and scope.name in _NO_TAG_ENVS:
            self.error(i, f"`\\tag` is not allowed in the `{scope.name}` environment")
        elif name[0] in scope.tags:
            self.error(i, f"more than one `{_show(name)}` for the same line")
        scope.tags += name[0]
        k = self.take(lv, j, i, name, "sT" if name == "tag" else "t")
        return lv.end if k is None else k

    def verb(self, lv: _Level, i: int, j: int, name: str) -> int:
        if j >= lv.end:
            self.error(i, "missing argument: `\\verb` needs a delimiter, as in `\\verb|x|`")
            return j
        k = self.s.find(self.s[j], j + 1, lv.end)
        if k < 0:
            self.error(i, f"`\\verb{self.s[j]}` is never closed by `{self.s[j]}`")
            return lv.end
        self.atom(lv.top)
        return k + 1

    def up_to(self, lv: _Level, i: int, j: int, name: str) -> int:
        """\\root ... \\of x, \\buildrel ... \\over x, \\toggle ... \\endtoggle."""
        token = {"root": "of", "buildrel": "over", "toggle": "endtoggle"}[name]
        k = j
        while k < lv.end:
            if self.s[k] == "\\":
                cname, after = self.cs_end(k + 1, lv.end)
                if cname == token:
                    self.parse(j, k, tabs=False)
                    spec = "" if name == "toggle" else "m"
                    got = self.take(lv, after, i, name, spec) if spec else after
                    self.atom(lv.top)
                    return lv.end if got is None else got
                k = after
            else:
                k += 1
        self.error(i, f"`\\{name}` needs a matching `\\{token}`")
        return lv.end

    def define(self, lv: _Level, i: int, j: int, name: str) -> int:
        """\\newcommand and friends: remember the new name, skip its body."""
        s, end = self.s, lv.end
        if name == "require":
            self.lenient = True
            k = self.take(lv, j, i, name, "t")
            return end if k is None else k
        if name in ("newenvironment", "renewenvironment"):
            arg = self.argument(j, end, i, name, 0, 3)
            if arg is None:
                return end
            self.envs.add(s[arg[0] : arg[1]].strip())
            k = self.take(lv, arg[2], i, name, "oobb")
            return end if k is None else k
        star = self.skip_spaces(j, end)
        if name == "DeclareMathOperator" and star < end and s[star] == "*":
            j = star + 1
        k = self.skip_spaces(j, end)
        if k < end and s[k] == "\\":
            new, j = self.cs_end(k + 1, end)
        elif k >= end or name in ("def", "let"):
            self.error(i, f"`{_show(name)}` must be followed by the `\\name` it defines")
            return end
        elif s[k] == "{":
            close = self.match_brace(k, end)
            if close < 0:
                self.error(k, "unbalanced brace: `{` is never closed")
                return end
            new, j = s[k + 1 : close].strip().lstrip("\\"), close + 1
        else:
            new, j = s[k], k + 1
        if name == "def":
            body = s.find("{", j, end)
            if body < 0:
                self.error(i, f"`\\def\\{new}` needs its replacement text in braces")
                return end
            params = s[j:body].strip()
            self.macros[new] = "t" * params.count("#") if re.fullmatch(r"(#\d)*", params) else ""
            k = self.take(lv, body, i, name, "b")
        elif name == "let":
            k = self.skip_spaces(j, end)
            k = self.skip_spaces(k + 1, end) if k < end and s[k] == "=" else k
            if k < end and s[k] == "\\":
                other, k = self.cs_end(k + 1, end)
                self.macros[new] = self.macros.get(other, _SPECS.get(other, ""))
                if other in _OPS:
                    self.ops.add(new)
            else:
                k = min(k + 1, end)
        elif name == "DeclareMathOperator":
            self.macros[new] = ""
            self.ops.add(new)
            k = self.take(lv, j, i, name, "b")
        elif name.startswith("DeclarePairedDelimiter"):
            self.macros[new] = "sot"
            more = {
                "DeclarePairedDelimiter": "bb",
                "DeclarePairedDelimiters": "bb",
                "DeclarePairedDelimiterX": "obbb",
                "DeclarePairedDelimitersX": "obbb",
            }
            k = self.take(lv, j, i, name, more.get(name, "obbbbbb"))
        elif name == "Newextarrow":
            self.macros[new] = "Om"
            k = self.take(lv, j, i, name, "tt")
        else:  # newcommand, renewcommand
            count = self.brackets(j, end, i, name)
            if count is None:
                return end
            default = self.brackets(count[2], end, i, name)
            if default is None:
                return end
            n = s[count[0] : count[1]].strip()
            n_args = int(n) if n.isdigit() else 0
            self.macros[new] = (
                "o" + "t" * (n_args - 1) if default[2] > count[2] and n_args else "t" * n_args
            )
            k = self.take(lv, default[2], i, name, "b")
        return end if k is None else k


def _show(name: str) -> str:
    """A command name as the user wrote it."""
    return name if name.startswith("begin{") else "\\" + name


_SPECIAL = {
    "begin": _Formula.begin,
    "end": _Formula.end_env,
    "left": _Formula.left,
    "right": _Formula.right,
    "middle": _Formula.middle,
    "limits": _Formula.limits,
    "nolimits": _Formula.limits,
    "\\": _Formula.newline,
    "cr": _Formula.newline,
    "newline": _Formula.newline,
    "hline": _Formula.hline,
    "hdashline": _Formula.hline,
    "tag": _Formula.tag,
    "label": _Formula.tag,
    "verb": _Formula.verb,
    "root": _Formula.up_to,
    "buildrel": _Formula.up_to,
    "toggle": _Formula.up_to,
}
_SPECIAL.update((name, _Formula.over) for name in _OVER)
_DEFINITIONS = _words(
    """newcommand renewcommand def let DeclareMathOperator newenvironment renewenvironment
    DeclarePairedDelimiter DeclarePairedDelimiters DeclarePairedDelimiterX DeclarePairedDelimitersX
    DeclarePairedDelimiterXPP DeclarePairedDelimitersXPP Newextarrow require"""
)
_SPECIAL.update((name, _Formula.define) for name in _DEFINITIONS)
