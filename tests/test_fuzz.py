"""Fuzzing: generated note projects, hostile pieces included, through `check`, `build` and Anki's
own importer. Every case must end in a diagnosis or a package, never a traceback; `check` must
not pass what `build` refuses; every package must import with an empty media check.

The suite runs 200 cases; before a release, run thousands with a seed you note down, as
CONTRIBUTING.md shows (ANKIGEN_FUZZ_EXAMPLES and --hypothesis-seed).
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ankigen.cli import main

EXAMPLES = int(os.environ.get("ANKIGEN_FUZZ_EXAMPLES", "200"))
# The suite's run is the same every time, so that CI judges the change and not the luck of the
# draw; a long run (ANKIGEN_FUZZ_EXAMPLES set) draws anew from its --hypothesis-seed.
DERANDOMIZE = "ANKIGEN_FUZZ_EXAMPLES" not in os.environ

# Pieces most notes are made of; a card heading is always followed by words.
BENIGN = [
    "## Card\n\nwords ",
    "## Card {#pinned}\n\nwords ",
    "### Sub {#sub.id}\n\nwords ",
    "## Section\n\n### Inner\n\nwords ",
    "#### Deep\n\nwords ",
    "text ",
    "words and more words ",
    "$x^2$ ",
    "$$\\frac{a}{b}$$ ",
    "==cloze== ",
    "{{c1::one}} ",
    "{{c2::two::hint}} ",
    "{{c1::{{c2::nested}}}} ",
    "```python\nprint('$x$')\n```\n",
    "    indented code\n",
    "\t* tab bullet\n",
    "- item\n",
    "1. one\n",
    "> quote ",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "<b>bold</b> ",
    "<!-- comment -->",
    "[link](https://example.org) ",
    "[ref][r] ",
    "[r]: https://example.org/r\n",
    "![pic](dot.png) ",
    "\u200b",
    "é ü 中文 🙂 ",
    "\\$ escaped ",
    "**bold** _em_ ",
    "\n",
    "\n\n",
    "x" * 3000 + " ",
    "```plot softmax\nlogits: [1, 2, 3]\n```\n",
    "```plot function\nexpr: x**2\nrange: [0, 1]\n```\n",
]
# Pieces a hostile or careless contributor adds: each must be refused at its place, or be
# harmless in the package.
HOSTILE = [
    "## ::\n\n",
    "## a{#{#{#\n\n",
    "# Second title\n\n",
    "## Card\n\nwords\n\n## Card\n\nwords ",
    "## <b>Section</b>\n\n### Card\n\nx ",
    "$$ ",
    "$",
    "$\\href{javascript:alert(1)}{x}$ ",
    "$\\let\\h\\href \\h{javascript:x}{y}$ ",
    "$\\bbox[background:url(x)]{y}$ ",
    "$\\left( x \\right.$ ",
    "==a==b== ",
    "{{c65536::big}} ",
    "{{c99999999999999999999::huge}} ",
    "{{c1::",
    "}} ",
    "```\n",
    "~~~\n",
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    '<img src="ankigen-0123456789abcdef01234567.png">',
    "[bad](javascript:alert(1)) ",
    "![gone](missing.png) ",
    "![out](../outside.png) ",
    "[sound:x.mp3] ",
    "&#31; ",
    "\x1f",
    "\x00",
    "\x0b",
    "\ud7ff",
    "\r\n",
    "```plot function\nexpr: 3**(10**9)\n```\n",
    '```plot nms\ntitle: "a\\x1fb"\n```\n',
    "```plot pr-curve\n[[[[\n```\n",
    "```plot unknown\na: 1\n```\n",
]

FRONT_MATTER = [
    "",
    "---\ntags: [fuzz, deep::learning]\n---\n",
    "---\ndeck: Fuzz::Sub\n---\n",
    "---\nnamespace: fuzz\ncode_language: python\n---\n",
    "---\ndeck: 'E:: ::F'\n---\n",
    "---\ntags: not-a-list\n---\n",
    "---\n: [\n---\n",
    '---\ndeck: "\\ud800"\n---\n',
    "---\ndeck: 1" + "0" * 5000 + "\n---\n",
]


_HEADING = re.compile(
    r"^#{2,6} (?:Card|Section|Inner|Deep)(?= |$)|\{#(?:pinned|sub\.id)(?=\})", re.M
)


@st.composite
def projects(draw: st.DrawFn) -> dict[str, bytes]:
    """One to three note files: front matter, a title or none, pieces; odd encodings."""
    files = {}
    counter = itertools.count()
    for number in range(draw(st.integers(1, 3))):
        front = draw(st.sampled_from(FRONT_MATTER[:4] * 12 + FRONT_MATTER[4:]))
        title = draw(st.sampled_from(["# Fuzz\n\n", "# Other Deck\n\n", ""] * 5 + ["# fuzz\n\n"]))
        pieces = draw(st.lists(st.sampled_from(BENIGN), min_size=1, max_size=25))
        for _ in range(draw(st.sampled_from([0] * 6 + [1, 1, 2]))):  # most files: none
            pieces.insert(draw(st.integers(0, len(pieces))), draw(st.sampled_from(HOSTILE)))
        body = "## Card\n\nwords " + "".join(pieces)
        # Headings and ids of their own, as in real notes (repeats are tried by HOSTILE).
        body = _HEADING.sub(lambda m: f"{m[0]}{' -'[m[0][0] == '{']}{next(counter)}", body)
        text = front + title + body
        if draw(st.sampled_from([False] * 4 + [True])):
            text = text.replace("\n", "\r\n")
        data = text.encode("utf-8", "surrogatepass")
        if draw(st.sampled_from([False] * 9 + [True])):
            data = b"\xef\xbb\xbf" + data  # a byte order mark
        if draw(st.sampled_from([False] * 39 + [True])):
            data += b"\xff\xfe not UTF-8"
        files[f"part-{number}.md"] = data
    return files


def _run(root: Path, *args: str) -> tuple[int, list[str]]:
    old = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(main, list(args), env={"SOURCE_DATE_EPOCH": "1800000000"})
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback is a bug, whatever the note
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    return result.exit_code, errors


@given(projects(), st.booleans())
@settings(
    max_examples=EXAMPLES,
    derandomize=DERANDOMIZE,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_generated_projects_are_diagnosed_or_build_packages_anki_imports(
    tmp_path_factory: object, files: dict[str, bytes], allow_html: bool
) -> None:
    from anki.collection import (
        Collection,
        ImportAnkiPackageOptions,
        ImportAnkiPackageRequest,
    )

    root = tmp_path_factory.mktemp("fuzz")  # type: ignore[attr-defined]
    (root / "ankigen.toml").write_text(f"allow_html = {str(allow_html).lower()}\n")
    notes = root / "source_notes"
    notes.mkdir()
    (notes / "dot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    (root / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    for name, data in files.items():
        (notes / name).write_bytes(data)

    checked, check_errors = _run(root, "check")
    built, build_errors = _run(root, "build", "-q")
    assert checked in (0, 1) and built in (0, 1), (checked, built)
    assert set(check_errors) <= set(build_errors), "check reports what build does not"
    assert built == 1 or checked == 0, "check refuses what build packages"
    packages = sorted((root / "build").glob("*.apkg"))
    event("built a package" if packages else "refused")
    for line in build_errors:
        event(line.split(": error: ")[1][:50])
    assert (built == 0) == bool(packages)
    for package in packages:
        folder = root / f"collection-{package.stem}"
        folder.mkdir()
        col = Collection(str(folder / "collection.anki2"))
        try:
            log = col.import_anki_package(
                ImportAnkiPackageRequest(
                    package_path=str(package), options=ImportAnkiPackageOptions()
                )
            ).log
            assert len(log.new) > 0
            media = col.media.check()
            assert not media.missing and not media.unused, (media.missing, media.unused)
        finally:
            col.close()
