"""The two registries of checks: every rule is named, and each one's problems are placed where
the thing it reports is written (each rule run alone on a note that trips it)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from ankigen import rules
from ankigen.config import Config
from ankigen.parse import parse_source

from .helpers import source

# For every registered rule, a note that trips it and where (`line:col: severity`) its problems
# are: a new rule needs a line here.
TRIPPED_AT = {
    "characters": ("## Q\n\nA\n\nnul \0 here\n", ["5:5: error"]),
    "front-matter": ("---\nfoo: 1\n---\n\n## Q\n\nA\n", ["2:1: error"]),
    "one-title": ("# T\n\n# U\n\n## Q\n\nA\n", ["3:1: error"]),
    "deck-name": ("---\ndeck: A::<b>\n---\n\n## Q\n\nA\n", ["2:1: error"]),
    "text-on-no-card": ("# T\n\nintro\n\n## Q\n\nA\n", ["3:1: warning"]),
    "attribute-lists": (
        "## Q {#bad! .flip}\n\nA\n\n## S {.reversed}\n\n### C\n\nB\n",
        ["1:6: error", "1:13: error", "5:6: warning"],
    ),
    "headings-without-cards": ("## Q\n\nA\n\n##\n\n## E\n", ["5:1: error", "7:4: warning"]),
    "section-names": ("## A <b>\n\n### Q\n\nA\n", ["1:1: error"]),
    "no-headings": ("just text\n", ["1:1: warning"]),
    "markup": ("## Q\n\nsee [x](javascript:alert(1))\n", ["3:8: error"]),
    "sound": ("## Q\n\nplay [sound:a.mp3]\n", ["3:6: error"]),
    "clozes": ("## Q\n\nx {{c0::y}}\n", ["3:3: error"]),
    "open-display-math": ("## Q\n\ntext\n\n$$ x\n", ["5:1: error"]),
    "formulas": ("## Q\n\nso $\\frac{1}$\n", ["3:5: error"]),
    "shorthand-numbers": ("## Q\n\n{{c65535::x}} ==y==\n", ["3:15: error"]),
    "clozes-once-rendered": ("## Q\n\nx \\{\\{c0::y}}\n", ["1:4: error"]),
    "text-made-formulas": ("## Q\n\nx \\\\(\\href{javascript:x}{a}\\\\)\n", ["1:4: error"]),
    "code-languages": ("## Q\n\ntext\n\n```nolang\nx\n```\n", ["5:1: warning"]),
    "cloze-answers": ("## FLOPS\n\nops ({{c1::FLOPS}})\n", ["3:6: warning"]),
    "card-kinds": (
        "## Q {.type .reversed}\n\nA\n\n## R {.type}\n\nan *x*\n",
        ["1:7: error", "7:4: error"],
    ),
}


def _named() -> list[tuple[str, Callable[..., object]]]:
    return [*rules.FILE_RULES, *rules.CARD_RULES]


def test_every_rule_has_its_own_name_and_says_what_it_checks() -> None:
    names = [name for name, _ in _named()]
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", name) for name in names), names
    assert len(names) == len(set(names))
    assert all(callable(rule) and (rule.__doc__ or "").strip() for _, rule in _named())
    assert set(TRIPPED_AT) == set(names)


@pytest.mark.parametrize("name", list(TRIPPED_AT))
def test_a_rules_problems_are_where_the_note_says_it(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for registry in ("FILE_RULES", "CARD_RULES"):
        alone = tuple((n, rule) for n, rule in getattr(rules, registry) if n == name)
        monkeypatch.setattr(rules, registry, alone)
    text, expected = TRIPPED_AT[name]
    problems = sorted(parse_source(source(text), Config()).problems)
    assert [f"{p.location.line}:{p.location.col}: {p.severity}" for p in problems] == expected
    assert all(p.location.path == "deck.md" for p in problems)
