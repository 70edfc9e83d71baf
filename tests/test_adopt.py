"""`ankigen import`: an Anki deck adopted as markdown, built, and imported back over the
collection it came from, with the official backend."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import pytest

from ankigen.attributes import split_heading
from ankigen.diff.packages import PackagedNote, read_package
from ankigen.html_text import field_words

from .conftest import Project, import_apkg

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


def _add(col, note_type: str, deck: str, tags: list[str], **fields: str) -> None:  # type: ignore[no-untyped-def]
    note = col.new_note(col.models.by_name(note_type))
    for name, value in fields.items():
        note[name.replace("_", " ")] = value
    note.tags = tags
    col.add_note(note, col.decks.id(deck))


def _review_all(col) -> None:  # type: ignore[no-untyped-def]
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        card.start_timer()
        col.sched.answerCard(card, 3)


def _export(col, path: Path, legacy: bool = False) -> Path:  # type: ignore[no-untyped-def]
    from anki.collection import ExportAnkiPackageOptions

    options = ExportAnkiPackageOptions(with_scheduling=True, with_media=True, legacy=legacy)
    col.export_anki_package(out_path=str(path), options=options, limit=None)
    return path


def _state(col) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    """Notes, cards with their scheduling, and the review log: what a re-import must keep."""
    notes = sorted(col.db.all("select id, guid, mid, flds, tags from notes"))
    cards = sorted(col.db.all("select id, nid, did, ord, ivl, due, reps, lapses from cards"))
    return notes, cards, col.db.scalar("select count() from revlog")


def _words(html: str, media: dict[str, str]) -> list[str]:
    """A field's words as Anki reads them, after the documented normalisations: pictures by
    their content, space inside MathJax delimiters trimmed."""
    html = re.sub(r"\\([(\[])\s*(.*?)\s*\\([)\]])", r"\\\1\2\\\3", html, flags=re.S)
    for name, digest in media.items():
        html = html.replace(f'src="{name}"', f'src="{digest}"')
    return field_words(html)


def _adopt_and_build(tmp_path: Path, apkg: Path) -> tuple[Project, list[Path]]:
    outer = Project(tmp_path)
    done = outer.run("import", str(apkg), "-o", "adopted")
    assert done.exit_code in (0, 1), done.stderr
    adopted = Project(tmp_path / "adopted")
    built = adopted.build()
    assert built.exit_code == 0, built.stderr + built.stdout
    assert "warning" not in built.stderr, built.stderr
    return adopted, sorted((adopted.root / "build").glob("*.apkg"))


def _built_notes(packages: list[Path]) -> tuple[dict[str, PackagedNote], dict[str, str]]:
    notes: dict[str, PackagedNote] = {}
    media: dict[str, str] = {}
    for package in packages:
        contents = read_package(package)
        notes |= contents.notes
        media |= {name: digest for name, digest in contents.media.items()}
    return notes, media


def test_an_exported_collection_comes_back_with_every_note_and_review(  # type: ignore[no-untyped-def]
    collection, tmp_path: Path
) -> None:
    col = collection
    (tmp_path / "pic.png").write_bytes(PNG)
    picture = col.media.add_file(str(tmp_path / "pic.png"))
    _add(
        col,
        "Basic",
        "Top",
        ["t1", "a::b"],
        Front="Hello <b>x</b>",
        Back=f'Two<br>lines <img src="{picture}">',
    )
    _add(col, "Basic", "Top::Sub", ["t1"], Front="Sum rule", Back=r"\( P(A) + P(B) \)")
    _add(
        col,
        "Cloze",
        "Top::Sub",
        ["t1"],
        Text="{{c1::Paris}} is in {{c2::France}}",
        Back_Extra="geo",
    )
    _add(col, "Basic (and reversed card)", "Top", ["t1"], Front="dog", Back="chien")
    _add(col, "Basic (optional reversed card)", "Other", [], Front="a", Back="b", Add_Reverse="y")
    _add(col, "Basic (type in the answer)", "Other", [], Front="2 + 2", Back="4")
    _review_all(col)
    before = _state(col)
    originals = {guid: (mid, flds, tags) for _, guid, mid, flds, tags in before[0]}

    adopted, packages = _adopt_and_build(tmp_path, _export(col, tmp_path / "deck.apkg"))
    top = (adopted.root / "notes" / "top.md").read_text()
    other = (adopted.root / "notes" / "other.md").read_text()
    assert re.search(r'^## dog \{#dog \.reversed guid="[^"]+"\}$', top, re.M)
    assert re.search(r"^## a \{#a \.reversed guid=", other, re.M)
    assert re.search(r"^## 2 \\\+ 2 \{#2-2 \.type guid=", other, re.M)
    assert 'tags: ["t1"]' in top and re.search(
        r'^## Hello \*\*x\*\* \{#hello-x tags="a::b" guid=', top, re.M
    )
    assert re.search(r"^## Sub\n\n### Sum rule \{#sum-rule guid=", top, re.M)

    built, media = _built_notes(packages)
    assert set(built) == set(originals)
    original_media = {picture: hashlib.sha256(PNG).hexdigest()}
    for guid, note in built.items():
        mid, flds, tags = originals[guid]
        fields = flds.split("\x1f")
        name = col.models.get(mid)["name"]
        if name == "Cloze":  # the text and its Back Extra, under a heading of the text's words
            shown = note.fields["Text"].split('<div class="ankigen-body">', 1)[1]
            assert _words(shown, media) == _words(f"{fields[0]} <hr> {fields[1]}", original_media)
        else:
            assert _words(note.fields["Front"], media) == _words(fields[0], original_media)
            # a type-in note's answer is ankigen Type-in's Answer, and its Back what follows it
            back = f"{note.fields.get('Answer', '')} {note.fields['Back']}"
            assert _words(back, media) == _words(fields[1], original_media)
        sections = ["Sub"] if note.deck == "Top::Sub" else []
        assert sorted(note.tags) == sorted([*tags.split(), *sections])

    for package in packages:
        log = import_apkg(col, package)
        assert len(log.new) == 0 and len(log.duplicate) == 0
    assert _state(col) == before  # every note, card, schedule and review as it was


def test_a_deck_of_varied_html_round_trips(collection, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    col = collection
    (tmp_path / "cell diagram.png").write_bytes(PNG)
    picture = col.media.add_file(str(tmp_path / "cell diagram.png"))
    backs = [
        "<ul><li>one<ul><li>nested <i>two</i></li></ul></li><li>three</li></ul>"
        "<ol><li>first</li></ol>",
        "<table><tr><th>x</th><th>y</th></tr><tr><td>1</td><td>a | b</td></tr></table>",
        '<a href="https://example.org/a_b">a <b>bold</b> link</a> and&nbsp;space<br>next line',
        f'<div>see <img src="{picture}" alt="cell"></div><div>H<sub>2</sub>O, <u>under</u></div>',
        r"\(x_1 < y^{2}\) and \[\sum_i x_i\] cost 5$ # not a heading == not a cloze",
        "<pre>def f(x_1):\n    return x_1 * 2</pre>"
        "<code>a*b</code> <span style='color:red'>red</span>",
    ]
    for number, back in enumerate(backs):
        _add(col, "Basic", "Unseen::Part", ["imported"], Front=f"Card <i>{number}</i>", Back=back)
    _add(
        col,
        "Cloze",
        "Unseen",
        [],
        Text=r"The {{c1::mitochondria}} makes {{c2::\(ATP\)}}<br>in cells",
    )
    _add(col, "Image Occlusion", "Unseen", [], Occlusion="{{c1::image-occlusion:rect:left=.1}}")
    _review_all(col)
    before = _state(col)

    apkg = _export(col, tmp_path / "unseen.apkg", legacy=True)
    outer = Project(tmp_path)
    listed = outer.run("import", str(apkg), "-o", "adopted")
    assert listed.exit_code == 1
    (line,) = [line for line in listed.stderr.splitlines() if "note GUID" in line]
    assert "note type 'Image Occlusion' has fields 'Occlusion', 'Image'" in line
    assert "allow_html = true" in (tmp_path / "adopted" / "ankigen.toml").read_text()

    built = Project(tmp_path / "adopted").build()
    assert built.exit_code == 0, built.stderr + built.stdout
    notes, media = _built_notes(sorted((tmp_path / "adopted" / "build").glob("*.apkg")))
    assert len(notes) == len(backs) + 1
    original_media = {picture: hashlib.sha256(PNG).hexdigest()}
    by_front = {n.fields.get("Front", ""): n for n in notes.values()}
    for number, back in enumerate(backs):
        note = by_front[f"Card <em>{number}</em>"]
        assert _words(note.fields["Back"], media) == _words(back, original_media)
    for package in sorted((tmp_path / "adopted" / "build").glob("*.apkg")):
        log = import_apkg(col, package)
        assert len(log.new) == 0 and len(log.duplicate) == 0
    assert _state(col) == before


def test_it_writes_over_nothing(collection, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _add(collection, "Basic", "D", [], Front="f", Back="b")
    apkg = _export(collection, tmp_path / "d.apkg")
    outer = Project(tmp_path)
    (tmp_path / "adopted" / "notes").mkdir(parents=True)
    (tmp_path / "adopted" / "notes" / "d.md").write_text("mine")
    refused = outer.run("import", str(apkg), "-o", "adopted")
    assert refused.exit_code == 2 and "exist already" in refused.stderr
    assert (tmp_path / "adopted" / "notes" / "d.md").read_text() == "mine"
    assert sorted(p.name for p in (tmp_path / "adopted").rglob("*")) == ["d.md", "notes"]


def test_media_names_that_are_paths_are_never_written(collection, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _add(collection, "Basic", "D", [], Front="f", Back='<img src="../../evil.png">')
    exported = _export(collection, tmp_path / "d.apkg", legacy=True)
    apkg = tmp_path / "evil.apkg"
    with zipfile.ZipFile(exported) as source, zipfile.ZipFile(apkg, "w") as archive:
        for name in source.namelist():
            if name != "media":
                archive.writestr(name, source.read(name))
        archive.writestr("media", json.dumps({"0": "../../evil.png"}))
        archive.writestr("0", PNG)
    (tmp_path / "deep" / "er").mkdir(parents=True)
    done = Project(tmp_path / "deep" / "er").run("import", str(apkg), "-o", "a")
    assert done.exit_code == 1
    assert "a picture '../../evil.png' whose name is no plain file name" in done.stderr
    assert [p.name for p in tmp_path.rglob("evil.png")] == []


def test_a_guid_with_braces_is_read_whole() -> None:
    text, attributes, _ = split_heading('Term {#t guid="a{b}c"}')
    assert (text, attributes.guid, attributes.problems) == ("Term", "a{b}c", ())
    assert split_heading("Sets {a, b}")[0] == "Sets {a, b}"


OWN_NOTES = """\
---
tags: [dl]
---
# Own Deck

## Maths

### Sum Rule {#sum-rule tags="exam::2024"}

For *exclusive* events: $P(A \\cup B) = P(A) + P(B)$, and

$$\\sum_i p_i = 1$$

### Regularisation

1. ==dropout==
2. {{c2::weight decay::a penalty}}

- nested
  - list with `code`

## Code

### A loop

```python
for i in range(3):
    print(i)
```

A [link](https://example.org) and ![a picture](pic.png).

| a | b |
|---|---|
| 1 | 2 |

## Kinds

### Softmax {#softmax .reversed}

Turns logits into probabilities.

### No gradients {#no-grad .type}

`torch.no_grad()`

A *context manager*.
"""


def test_an_ankigen_deck_comes_back_as_it_was(collection, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    original = Project(tmp_path / "original")
    original.write("source_notes/own-deck.md", OWN_NOTES)
    (original.root / "source_notes" / "pic.png").write_bytes(PNG)
    assert original.build().exit_code == 0
    import_apkg(collection, original.apkg("own-deck"))
    _review_all(collection)
    before = _state(collection)

    adopted, packages = _adopt_and_build(tmp_path, _export(collection, tmp_path / "own.apkg"))
    assert (
        "Regularisation {#regularisation guid=" in (adopted.root / "notes/own-deck.md").read_text()
    )
    (package,) = packages
    old, new = read_package(original.apkg("own-deck")), read_package(package)
    assert old.media == new.media and set(old.notes) == set(new.notes)
    for guid, note in old.notes.items():
        again = new.notes[guid]
        assert (again.note_type, again.tags, again.deck) == (note.note_type, note.tags, note.deck)
        for name, value in note.fields.items():
            if 'class="highlight"' in value:  # highlighted code comes back without its language
                assert field_words(again.fields[name]) == field_words(value)
            else:
                assert again.fields[name] == value

    log = import_apkg(collection, package)
    # Anki's log calls a note it skips as already up to date a "duplicate": the same note
    assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 0, 0)
    assert len(log.duplicate) == len(old.notes)
    assert _state(collection) == before


def test_adopted_notes_update_once_their_note_type_is_changed(  # type: ignore[no-untyped-def]
    collection, tmp_path: Path
) -> None:
    col = collection
    _add(col, "Basic", "D", ["t"], Front="Term", Back="its definition")
    _review_all(col)
    reviews = col.db.scalar("select count() from revlog")
    adopted, (package,) = _adopt_and_build(tmp_path, _export(col, tmp_path / "d.apkg"))
    log = import_apkg(col, package)
    assert (len(log.new), len(log.conflicting)) == (0, 1)  # Anki never changes a note's type

    (note_id,) = col.find_notes("")
    ankigen_basic = col.models.by_name("ankigen Basic")
    request = col.models.change_notetype_info(
        old_notetype_id=col.get_note(note_id).mid, new_notetype_id=ankigen_basic["id"]
    ).input
    request.note_ids.extend([note_id])
    col.models.change_notetype_of_notes(request)

    notes = adopted.root / "notes" / "d.md"
    notes.write_text(notes.read_text().replace("its definition", "its better definition"))
    assert adopted.build(epoch=2_000_000_000).exit_code == 0
    log = import_apkg(col, package)
    assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 1, 0)
    assert col.find_notes("") == [note_id]
    assert col.get_note(note_id)["Back"] == "<p>its better definition</p>"
    assert col.db.scalar("select count() from revlog") == reviews


def test_the_notes_written_are_checked_at_their_lines(collection, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _add(collection, "Basic", "D", [], Front="Greek", Back=r"\(\alpah\)")
    done = Project(tmp_path).run("import", str(_export(collection, tmp_path / "d.apkg")), "-o", "a")
    assert done.exit_code == 1
    assert re.search(r"notes/d\.md:8:2: error: .*\\alpah", done.stderr), done.stderr
    assert "1 problem to fix before `ankigen build`" in done.stderr
    assert "$\\alpah$" in (tmp_path / "a" / "notes" / "d.md").read_text()  # kept, to fix


def test_a_collection_past_the_cap_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ankigen.adopt import package

    monkeypatch.setattr(package, "MAX_COLLECTION_BYTES", 1000)
    apkg = tmp_path / "bomb.apkg"
    with zipfile.ZipFile(apkg, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("collection.anki2", b"\0" * 1_000_000)
    with pytest.raises(ValueError, match="larger than 1000 bytes"):
        package.read_anki_package(apkg)


def test_plain_fields_read_as_the_html_parser_reads_them() -> None:
    from ankigen.adopt.markdown import Conversion, field_markdown

    plain = ["a * b_c", "  # 1. x  - y", "- y", "5$ and \\(x_1\\) {{c1::a::b}} == [x]", "a|b `c`"]
    for text in plain:
        quick = field_markdown(text, {}, Conversion())
        assert quick == field_markdown(f"<span>{text}</span>", {}, Conversion()), text


def _rewritten(exported: Path, apkg: Path, *statements: str) -> Path:
    """`exported` (a legacy package) with SQL run on its collection, saved as `apkg`."""
    import sqlite3

    with zipfile.ZipFile(exported) as source:
        entries = {name: source.read(name) for name in source.namelist()}
    db_path = apkg.with_suffix(".db")
    db_path.write_bytes(entries["collection.anki21"])
    db = sqlite3.connect(db_path)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()
    entries["collection.anki21"] = db_path.read_bytes()
    with zipfile.ZipFile(apkg, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return apkg


def test_a_note_short_of_fields_reads_the_rest_as_empty(collection, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _add(collection, "Basic", "D", [], Front="only a front", Back="gone")
    exported = _export(collection, tmp_path / "d.apkg", legacy=True)
    apkg = _rewritten(exported, tmp_path / "short.apkg", "update notes set flds = 'only a front'")
    done = Project(tmp_path).run("import", str(apkg), "-o", "a")
    assert done.exit_code == 0, done.stderr
    assert re.search(
        r"^## only a front \{#only-a-front guid=", (tmp_path / "a/notes/d.md").read_text(), re.M
    )


@pytest.mark.parametrize("column", ["tags", "flds"])
def test_text_stored_as_bytes_is_refused_naming_the_package(  # type: ignore[no-untyped-def]
    collection, tmp_path: Path, column: str
) -> None:
    _add(collection, "Basic", "D", [], Front="f", Back="b")
    exported = _export(collection, tmp_path / "d.apkg", legacy=True)
    apkg = _rewritten(exported, tmp_path / "blob.apkg", f"update notes set {column} = x'6120'")
    done = Project(tmp_path).run("import", str(apkg), "-o", "a")
    assert done.exit_code == 2 and f"{apkg}: unreadable collection" in done.stderr
    assert "not text" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "a").exists()


def test_a_deck_name_stored_as_bytes_is_refused(collection, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    import zstandard

    _add(collection, "Basic", "D", [], Front="f", Back="b")
    exported = _export(collection, tmp_path / "d.apkg")
    with zipfile.ZipFile(exported) as source:
        entries = {name: source.read(name) for name in source.namelist()}
    db_path = tmp_path / "c.db"
    db_path.write_bytes(
        zstandard.ZstdDecompressor().decompressobj().decompress(entries["collection.anki21b"])
    )
    db = sqlite3.connect(db_path)
    db.create_collation("unicase", lambda a, b: (a.lower() > b.lower()) - (a.lower() < b.lower()))
    db.execute("update decks set name = cast(name as blob)")
    db.commit()
    db.close()
    entries["collection.anki21b"] = zstandard.ZstdCompressor().compress(db_path.read_bytes())
    apkg = tmp_path / "blobdeck.apkg"
    with zipfile.ZipFile(apkg, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    done = Project(tmp_path).run("import", str(apkg), "-o", "a")
    assert (
        done.exit_code == 2 and f"{apkg}:" in done.stderr and "deck name is not text" in done.stderr
    )


@pytest.mark.parametrize(
    ("offsets", "value", "why"),
    [
        ((8, 10), (99).to_bytes(2, "little"), "compression method"),  # method: AES, unsupported
        ((6, 8), (1).to_bytes(2, "little"), "encrypted"),  # flags: bit 0, encrypted
    ],
)
def test_zip_entries_it_cannot_open_are_refused(  # type: ignore[no-untyped-def]
    collection, tmp_path: Path, offsets: tuple[int, int], value: bytes, why: str
) -> None:
    _add(collection, "Basic", "D", [], Front="f", Back="b")
    data = bytearray(_export(collection, tmp_path / "d.apkg", legacy=True).read_bytes())
    for signature, offset in ((b"PK\x03\x04", offsets[0]), (b"PK\x01\x02", offsets[1])):
        position = data.find(signature)
        while position >= 0:
            data[position + offset : position + offset + 2] = value
            position = data.find(signature, position + 4)
    apkg = tmp_path / "locked.apkg"
    apkg.write_bytes(bytes(data))
    done = Project(tmp_path).run("import", str(apkg), "-o", "a")
    assert done.exit_code == 2, done.stderr
    assert f"{apkg}: not a readable Anki package" in done.stderr and why in done.stderr.lower()


def test_a_media_name_that_is_not_utf8_is_refused(collection, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import zstandard

    _add(collection, "Basic", "D", [], Front="f", Back="b")
    exported = _export(collection, tmp_path / "d.apkg")
    name = b"\xff.png"
    entry = b"\x0a" + bytes([len(name)]) + name
    media = zstandard.ZstdCompressor().compress(b"\x0a" + bytes([len(entry)]) + entry)
    apkg = tmp_path / "latin.apkg"
    with zipfile.ZipFile(exported) as source, zipfile.ZipFile(apkg, "w") as archive:
        for member in source.namelist():
            archive.writestr(member, media if member == "media" else source.read(member))
        archive.writestr("0", zstandard.ZstdCompressor().compress(PNG))
    done = Project(tmp_path).run("import", str(apkg), "-o", "a")
    assert done.exit_code == 2, done.stderr
    assert f"{apkg}: not a readable Anki package" in done.stderr and "not UTF-8" in done.stderr


def test_decks_whose_names_a_heading_would_change_are_listed(collection, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    changed = ["Top::a_b_c", "Top::*Important* notes", "Top::C# {#x}", "Top::Closing ##"]
    for number, deck in enumerate([*changed, "Top::Fine (C#)", " Spaced"]):
        _add(collection, "Basic", deck, [], Front=f"q{number}", Back="a")
    done = Project(tmp_path).run("import", str(_export(collection, tmp_path / "d.apkg")), "-o", "a")
    assert done.exit_code == 1
    listed = [line for line in done.stderr.splitlines() if "note GUID" in line]
    assert len(listed) == len(changed)
    for deck in changed:
        name = deck.split("::")[1]
        assert any(f"subdeck name {name!r} would not come back" in line for line in listed), name
    text = (tmp_path / "a/notes/top.md").read_text()
    assert "## Fine (C#)\n" in text and "q0" not in text
    built = Project(tmp_path / "a").build()
    assert built.exit_code == 0, built.stderr
    decks = {
        note.deck
        for p in (tmp_path / "a/build").glob("*.apkg")
        for note in read_package(p).notes.values()
    }
    assert "Top::Fine (C#)" in decks


def test_guids_and_tags_an_attribute_list_cannot_hold_are_listed(
    collection, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    bad_guids = ["ab\"c'd", "has space", "caf\u00e9", "x" * 65, "\x1b[31mred"]
    for guid in bad_guids:
        _add(collection, "Basic", "D", [], Front=f"g {len(guid)}", Back="b")
    _add(collection, "Basic", "D", ['say"it', "it's"], Front="quoted tags", Back="b")
    _add(collection, "Basic", "D", ["a\"b'c"], Front="bad tag", Back="b")
    _add(collection, "Basic", "D", [], Front="no tags", Back="b")  # so no tag is the file's
    for number, guid in enumerate(bad_guids):
        collection.db.execute(
            "update notes set guid = ? where id = ?", guid, collection.find_notes("")[number]
        )
    done = Project(tmp_path).run("import", str(_export(collection, tmp_path / "d.apkg")), "-o", "a")
    assert done.exit_code == 1
    listed = [line for line in done.stderr.splitlines() if "note GUID" in line]
    assert len(listed) == len(bad_guids) + 1
    for guid in bad_guids:
        assert any(f"note GUID {guid!r}: its GUID cannot be pinned" in line for line in listed)
    assert any("its tag 'a\"b\\'c' cannot be written" in line for line in listed)
    assert "\x1b" not in done.stderr  # a GUID is printed as a Python string, escaped
    (line,) = [
        x for x in (tmp_path / "a/notes/d.md").read_text().splitlines() if "quoted tags" in x
    ]
    assert split_heading(line.removeprefix("## "))[1].tags == ("it's", 'say"it')


def test_code_holding_a_fence_keeps_it() -> None:
    from ankigen.adopt.markdown import Conversion, field_markdown
    from ankigen.markdown import markdown_parser

    code = "before\n```\ninside ````\nafter"
    text = field_markdown(f"<pre>{code}</pre><p>next</p>", {}, Conversion())
    tokens = markdown_parser(False).parse(text)
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1 and fences[0].content == code + "\n"
    assert "next" in tokens[-2].content
