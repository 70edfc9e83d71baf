"""Hostile input that once broke the package or raised a traceback: each is now a located error,
the same from `check` and `build`, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Project, import_apkg

DIGITS = "9" * 5000  # more than Python converts from text to an integer
SOUND = "`[sound:…]` plays a file from Anki's media folder"
CONTROL = (
    "control character U+001F: a note holds tabs and newlines, no other control characters "
    "(U+001F splits Anki's fields)"
)


def refused(project: Project, files: dict[str, str], config: str = "") -> list[str]:
    """The problems of a project that `check` and `build` must both refuse, alike."""
    for name, text in files.items():
        path = project.root / "source_notes" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if config:
        (project.root / "ankigen.toml").write_text(config, encoding="utf-8")
    checked, built = project.run("check"), project.build()
    assert (checked.exit_code, built.exit_code) == (1, 1), checked.stderr + built.stderr
    assert "Traceback" not in checked.stderr + built.stderr
    assert checked.problems == built.problems
    assert not list(project.root.glob("build/*.apkg"))
    return checked.problems


# --- characters Anki cannot store in a field ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# D\n\n## A\n\nx\x1fy\n", f"d.md:5:2: error: {CONTROL}"),
        ("# D\n\n## A\x1fB\n\nx\n", f"d.md:3:5: error: {CONTROL}"),
        ("# D\x1f\n\n## A\n\nx\n", f"d.md:1:4: error: {CONTROL}"),
        ("# D\n\n## A\n\n[a\x1fb](https://example.org)\n", f"d.md:5:3: error: {CONTROL}"),
        (
            '# D\n\n## A\n\n```plot softmax\nlogits: [1, 2]\ntitle: "a\\x1fb"\n```\n',
            f"d.md:7:10: error: plot softmax: {CONTROL}",
        ),
        (
            '---\ndeck: "a\\x1fb"\n---\n\n## A\n\nx\n',
            f"d.md:2:1: error: front matter: 'deck': {CONTROL}",
        ),
        (
            '---\ntags: ["a\\x1fb"]\n---\n\n## A\n\nx\n',
            f"d.md:2:1: error: front matter: `tags`: {CONTROL}",
        ),
        (
            '# D\n\n## A\n\n```plot softmax\nlogits: [1, 2]\ntitle: "\\ud800"\n```\n',
            "d.md:7:9: error: plot softmax: U+D800 is half of a surrogate pair, not a character",
        ),
        (
            '---\ndeck: "\\ud800"\n---\n\n## A\n\nx\n',
            "d.md:2:1: error: front matter: 'deck': U+D800 is half of a surrogate pair, not a "
            "character",
        ),
    ],
)
def test_characters_anki_cannot_store_are_located_errors(
    project: Project, text: str, expected: str
) -> None:
    assert refused(project, {"d.md": text}) == [f"source_notes/{expected}"]


def test_every_line_with_a_control_character_is_reported(project: Project) -> None:
    problems = refused(project, {"d.md": "# D\n\n## A\n\n\x01 and \x02\n\n\x7f\x00\n\n\x85\n"})
    assert [p.split(": error: ")[0] for p in problems] == [
        "source_notes/d.md:5:1",
        "source_notes/d.md:7:1",
        "source_notes/d.md:9:1",
    ]
    assert "U+0085" in problems[2]


def test_a_file_name_with_a_control_character_is_refused(project: Project) -> None:
    problems = refused(project, {"a\x1fb.md": "# D\n\n## A\n\nx\n"})
    assert problems == [f"source_notes/a\x1fb.md:1:1: error: the file's name: {CONTROL}"]


def test_a_file_name_that_is_not_utf8_is_refused(project: Project) -> None:
    import os

    notes = project.root / "source_notes"
    notes.mkdir(parents=True)
    (notes / os.fsdecode(b"a\xff.md")).write_text("# D\n\n## A\n\nx\n", encoding="utf-8")
    assert refused(project, {"b.md": "# D\n\n## B\n\ny\n"}) == [
        "source_notes/a\\udcff.md:1:1: error: the file's name is not UTF-8: rename it"
    ]
    assert project.run("check", "--format", "github").exit_code == 1


# --- numbers too large, nesting too deep, and a note that goes away ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "# D\n\n## A\n\n{{c" + DIGITS + "::x}}\n",
            "d.md:5:1: error: cloze number '9999999999'… (5000 characters) is above 65535, "
            "the largest Anki stores",
        ),
        (
            "# D\n\n## A\n\n{{c99999999999999999999::x}}\n",
            "d.md:5:1: error: cloze number '99999999999999999999' is above 65535, the largest "
            "Anki stores",
        ),
        (
            "---\ndeck: " + DIGITS + "\n---\n\n## A\n\nx\n",
            "d.md:2:7: error: front matter: a number far too long",
        ),
        (
            "# D\n\n## A\n\n```plot softmax\nlogits: [1, " + DIGITS + "]\n```\n",
            "d.md:6:13: error: plot softmax: logits: item 2 (99999999999999999999… (5000 "
            "characters)) is not a finite number",
        ),
        (
            "---\ndeck: " + "[" * 5000 + "]" * 5000 + "\n---\n\n## A\n\nx\n",
            "d.md:2:1: error: front matter: nested too deeply",
        ),
    ],
)
def test_huge_numbers_and_deep_nesting_are_located_errors(
    project: Project, text: str, expected: str
) -> None:
    assert refused(project, {"d.md": text}) == [f"source_notes/{expected}"]


def test_a_note_removed_after_it_was_listed_is_a_located_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ankigen import sources

    project.write("source_notes/a.md", "# D\n\n## A\n\nx\n")
    project.write("source_notes/b.md", "# D\n\n## B\n\ny\n")
    listed = sources._acceptable

    def rename_after_listing(path: Path, *args: object) -> object:
        status = listed(path, *args)  # type: ignore[arg-type]
        if path.name == "b.md":
            path.rename(path.with_name("c.md"))
        return status

    monkeypatch.setattr(sources, "_acceptable", rename_after_listing)
    result = project.run("check")
    assert result.exit_code == 1
    assert result.problems == [
        "source_notes/b.md:1:1: error: cannot read the file: No such file or directory"
    ]


# --- cloze numbers Anki cannot store ---


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{{c70000::x}}", "5:1: error: cloze number '70000' is above 65535"),
        ("{{c65536::x}}", "5:1: error: cloze number '65536' is above 65535"),
        ("{{c65535::x}} and ==y==", "5:19: error: this card's `==…==` deletions are numbered"),
        ("{{c65534::x}} ==y== and ==z==", "5:15: error: this card's `==…==` deletions are"),
    ],
)
def test_cloze_numbers_above_what_anki_stores_are_refused(
    project: Project, body: str, expected: str
) -> None:
    problems = refused(project, {"d.md": f"# D\n\n## A\n\n{body}\n"})
    assert len(problems) == 1
    assert problems[0].startswith(f"source_notes/d.md:{expected}")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("\\{\\{c70000::x}}", "cloze number '70000' is above 65535, the largest Anki stores"),
        ("&#123;&#123;c0::x}}", "cloze number '0' must be a positive integer"),
    ],
)
def test_a_cloze_only_once_rendered_is_checked_by_check_too(
    project: Project, body: str, expected: str
) -> None:
    assert refused(project, {"d.md": f"# D\n\n## A\n\n{body} and `\\{{\\{{c0::code}}`\n"}) == [
        f"source_notes/d.md:3:4: error: {expected}"
    ]


def test_the_largest_cloze_number_imports_into_anki(project: Project, collection: object) -> None:
    """Measured with the backend: {{c65535:: is card ord 65534 and shows its deletion;
    {{c65536:: imports as a card showing an error, and an ord of 65536 is refused."""
    project.write("source_notes/d.md", "# D\n\n## A\n\n{{c65534::x}}\tand ==y==\n")
    assert project.build().exit_code == 0
    log = import_apkg(collection, project.apkg("d"))
    assert len(log.new) == 1  # type: ignore[attr-defined]
    cards = [collection.get_card(c) for c in collection.find_cards("")]  # type: ignore[attr-defined]
    assert sorted(card.ord for card in cards) == [65533, 65534]
    shown = {card.ord: card.render_output().question_text for card in cards}
    assert 'data-ordinal="65535"' in shown[65534]


# --- references to media the package does not hold ---


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[sound:x.mp3]", f"5:1: error: {SOUND}"),
        ("&#91;sound:x.mp3]", f"5:1: error: {SOUND}"),
        ("&#x5B;sound:x.mp3]", f"5:1: error: {SOUND}"),
        ("&#91sound:x.mp3]", f"5:1: error: {SOUND}"),
        ("\\[sound:x.mp3]", f"5:1: error: {SOUND}"),
        ("`[sound:x.mp3]` in code", f"5:2: error: {SOUND}"),
        (
            '```plot softmax\nlogits: [1, 2]\ntitle: "\\x5bsound:x.mp3]"\n```',
            f"7:9: error: plot softmax: {SOUND}",
        ),
    ],
)
def test_sound_tags_are_refused(project: Project, body: str, expected: str) -> None:
    problems = refused(project, {"d.md": f"# D\n\n## A\n\n{body}\n"})
    assert len(problems) == 1
    assert problems[0].startswith(f"source_notes/d.md:{expected}")


def test_allowed_html_may_not_name_a_media_file(project: Project) -> None:
    name = "ankigen-0123456789abcdef01234567.png"
    problems = refused(
        project,
        {
            "d.md": f"# D\n\n## A\n\nsee <IMG alt=x SRC='{name}'> and `<img src=\"{name}\">`\n\n"
            f'<img\nsrc="&#97;{name[1:]}">\n'
        },
        config="allow_html = true\n",
    )
    message = f"`<img>` names the media file '{name}' itself, which the package may not hold: "
    assert problems == [
        f"source_notes/d.md:5:5: error: {message}show a picture with ![alt](file)",
        f"source_notes/d.md:7:1: error: {message}show a picture with ![alt](file)",
    ]


def test_allowed_html_may_not_refer_to_a_control_character(project: Project) -> None:
    """The HTML cleaner writes `&#31;` in an attribute as the character itself; with raw HTML
    kept, such a reference is refused anywhere (in code too, for a simple rule)."""
    problems = refused(
        project,
        {"d.md": '# D\n\n## A\n\n<span title="a&#31;b">x</span> `&#31;` &#x85; &#x81;\n'},
        config="allow_html = true\n",
    )
    assert problems == [
        f"source_notes/d.md:5:15: error: `&#31;` stands for a {CONTROL}",
        f"source_notes/d.md:5:33: error: `&#31;` stands for a {CONTROL}",
        "source_notes/d.md:5:47: error: `&#x81;` stands for a control character U+0081: a note "
        "holds tabs and newlines, no other control characters (U+001F splits Anki's fields)",
    ]


def test_the_last_check_on_the_fields_refuses_what_would_be_missing() -> None:
    from ankigen.render import _storable_problems

    name = "ankigen-0123456789abcdef01234567.png"
    fields = (f'<img src="{name}"> [sound:a.mp3]', "x\x1fy")
    assert _storable_problems(fields, {}) == [
        "the card refers to the media file 'a.mp3', not in the package",
        f"the card refers to the media file '{name}', not in the package",
        CONTROL,
    ]


# --- deck names Anki would change ---


def test_deck_names_that_differ_only_in_case_name_every_place(project: Project) -> None:
    problems = refused(
        project,
        {
            "a.md": "# Deck\n\n## A\n\nx\n",
            "b.md": "# deck\n\n## B\n\ny\n",
            "c.md": "# Other\n\n## Sub\n\n### C\n\nz\n\n## sub\n\n### D\n\nw\n",
        },
    )
    assert problems == [
        "source_notes/a.md:3:4: error: this card's deck 'Deck' differs only in case from 'deck' "
        "(its first card at source_notes/b.md:3:4): Anki takes them for one deck and renames one "
        "of them. Spell them alike",
        "source_notes/b.md:3:4: error: this card's deck 'deck' differs only in case from 'Deck' "
        "(its first card at source_notes/a.md:3:4): Anki takes them for one deck and renames one "
        "of them. Spell them alike",
        "source_notes/c.md:5:5: error: this card's deck 'Other::Sub' differs only in case from "
        "'Other::sub' (its first card at source_notes/c.md:11:5): Anki takes them for one deck "
        "and renames one of them. Spell them alike",
        "source_notes/c.md:11:5: error: this card's deck 'Other::sub' differs only in case from "
        "'Other::Sub' (its first card at source_notes/c.md:5:5): Anki takes them for one deck "
        "and renames one of them. Spell them alike",
    ]


def test_deck_names_with_an_empty_part_are_refused(project: Project) -> None:
    problems = refused(
        project,
        {
            "a.md": '---\ndeck: "E:: ::F"\n---\n\n## A\n\nx\n',
            "b.md": "# B\n\n## ::\n\n### C\n\nz\n",
            "c.md": "# C:: \n\n## D\n\nw\n",
        },
    )
    assert problems == [
        "source_notes/a.md:2:1: error: deck name 'E:: ::F' has an empty part (Anki would call "
        "it `blank`)",
        "source_notes/b.md:3:1: error: section '::' names a deck with nothing in it (Anki would "
        "call it `blank`): give the section a name",
        "source_notes/c.md:1:1: error: deck name 'C::' has an empty part (Anki would call it "
        "`blank`)",
    ]


def test_what_may_stay_imports_into_anki_whole(project: Project, collection: object) -> None:
    """Tabs, newlines and the format characters that are not control characters are kept, and
    the package imports with three fields per note and nothing missing from its media."""
    project.write(
        "source_notes/d.md",
        "# D\n\n## Tab\tand \u200f\u2028 marks\n\n```\na\tb\n```\n\n"
        "## Cloze\n\n==x== and \u00a0 [sound ok] &#31; &#x1f; and \\x1f\n",
    )
    assert project.build().exit_code == 0
    log = import_apkg(collection, project.apkg("d"))
    assert len(log.new) == 2  # type: ignore[attr-defined]
    notes = [collection.get_note(n) for n in collection.find_notes("")]  # type: ignore[attr-defined]
    assert all(len(note.fields) == 3 for note in notes)
    assert all("\x1f" not in field for note in notes for field in note.fields)
    check = collection.media.check()  # type: ignore[attr-defined]
    assert not check.missing and not check.unused
