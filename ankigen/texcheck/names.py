"""The commands MathJax 3.2.2 knows with Anki's packages, and how each reads its arguments.

`KNOWN` names them and `SPECS` says how each reads its arguments; `OPS`, `MOVABLE`,
`TRANSPARENT`, `NOT_A_SCRIPT`, `DELIMITERS` and `OVER` say how they behave with scripts,
`\\left`/`\\right` and fractions; `HINTS` suggests what to write for a name MathJax does not
know, and `DEFINITIONS` lists the commands that define new ones (and `\\require`). The
environments' tables are in `environments`. Taken from MathJax 3.2.2 run with the configuration
Anki's reviewer loads (`tex-chtml-full` without `physics` or `textmacros`).
"""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text`."""
    return frozenset(text.split())


# Commands MathJax 3.2.2 defines with Anki's packages (base, ams, amssymbols, mathtools, mhchem,
# newcommand, boldsymbol, braket, cancel, color, html, unicode, upgreek, textcomp, ...).
KNOWN = words(
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
SPECS = {name: spec for spec, names in _SPEC_GROUPS.items() for name in names.split()}

# Operators that accept \limits and \nolimits.
OPS = words(
    """Pr arccos arcsin arctan arg bigcap bigcup bigodot bigoplus bigotimes bigsqcup bigtimes
    biguplus bigvee bigwedge coprod cos cosh cot coth csc deg det dim exp gcd hom idotsint iiiint
    iiint iint inf injlim int intop ker lg lim liminf limsup ln log mathop max min oint
    operatorname overbrace overbracket prod projlim sec sin sinh smallint sum sup tan tanh
    underbrace underbracket varinjlim varliminf varlimsup varprojlim"""
)
# Operators whose scripts MathJax sets above and below (a prime after them is no double exponent).
MOVABLE = words(
    """Pr bigcap bigcup bigodot bigoplus bigotimes bigsqcup bigtimes biguplus bigvee bigwedge
    coprod det gcd inf injlim lim liminf limsup mathop max min operatorname overbrace overbracket
    prod projlim sum sup underbrace underbracket varinjlim varliminf varlimsup varprojlim"""
)
# Commands after which `^` still attaches to the atom before them.
TRANSPARENT = words(
    """rm mit oldstyle cal it bf bbFont scr frak sf tt label tag nonumber notag limits nolimits
    newcommand renewcommand def let DeclareMathOperator newenvironment renewenvironment
    DeclarePairedDelimiter DeclarePairedDelimiters DeclarePairedDelimiterX DeclarePairedDelimitersX
    DeclarePairedDelimiterXPP DeclarePairedDelimitersXPP require"""
)
# Commands that cannot stand as a bare superscript or subscript: `x^\\sin` must be `x^{\\sin}`.
NOT_A_SCRIPT = words(
    """arccos arcsin arctan arg cos cosh cot coth csc deg dim exp hom ker lg ln log sec sin sinh
    tan tanh tiny Tiny scriptsize small normalsize large Large LARGE huge Huge displaystyle
    textstyle scriptstyle scriptscriptstyle not newline nonscript dots bigtimes mathop matrix
    pmatrix cases array eqalign eqalignno leqalignno displaylines substack crampedsubstack set Set
    braket Braket varinjlim varliminf varlimsup varprojlim color begin over atop choose brace
    brack above abovewithdelims atopwithdelims overwithdelims \\"""
)
DELIMITERS = words(
    r"""( ) . / < > [ ] | \Arrowvert \Downarrow \Uparrow \Updownarrow \Vert \\ \arrowvert
    \backslash \bracevert \downarrow \gt \lVert \langle \lbrace \lbrack \lceil \lfloor \lgroup
    \llcorner \lmoustache \lparen \lrcorner \lt \lvert \rVert \rangle \rbrace \rbrack \rceil
    \rfloor \rgroup \rmoustache \rparen \rvert \ulcorner \uparrow \updownarrow \urcorner \vert
    \{ \| \}"""
)
OVER = {
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

HINTS = {
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
for _name in words("Var Cov tr Tr sgn sign diag rank softmax relu ReLU erf KL"):
    HINTS[_name] = f"\\operatorname{{{_name}}}"

# Commands that define new commands or environments (and \require): `definitions.define` reads them.
DEFINITIONS = words(
    """newcommand renewcommand def let DeclareMathOperator newenvironment renewenvironment
    DeclarePairedDelimiter DeclarePairedDelimiters DeclarePairedDelimiterX DeclarePairedDelimitersX
    DeclarePairedDelimiterXPP DeclarePairedDelimitersXPP Newextarrow require"""
)
