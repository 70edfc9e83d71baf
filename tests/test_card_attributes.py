"""A heading's attribute list in a real collection: per-card tags and a pinned GUID."""

from __future__ import annotations

from .conftest import Project, import_apkg


def _tags(collection, front: str) -> list[str]:  # type: ignore[no-untyped-def]
    (note_id,) = collection.find_notes(f'"Front:{front}"')
    return sorted(collection.get_note(note_id).tags)


def test_card_tags_join_the_file_and_section_tags_and_follow_edits(
    collection,  # type: ignore[no-untyped-def]
    project: Project,
) -> None:
    notes = (
        "---\ntags: [dl]\n---\n# D\n\n## Loss\n\n### Hinge {{#hinge tags='{}'}}\n\nmax(0, 1-y)\n"
    )
    project.write("source_notes/d.md", notes.format("exam::2024 hard"))
    assert project.build(epoch=1_700_000_000).exit_code == 0
    import_apkg(collection, project.apkg("d"))
    assert _tags(collection, "Hinge") == ["Loss", "dl", "exam::2024", "hard"]

    project.write("source_notes/d.md", notes.format("exam::2025"))
    assert project.build(epoch=1_700_000_100).exit_code == 0
    log = import_apkg(collection, project.apkg("d"))
    assert len(log.updated) == 1 and len(log.new) == 0
    assert _tags(collection, "Hinge") == ["Loss", "dl", "exam::2025"]


def test_a_pinned_guid_updates_the_note_that_has_it(collection, project: Project) -> None:  # type: ignore[no-untyped-def]
    project.write("source_notes/d.md", "# D\n\n## Old name\n\nbody\n")
    assert project.build(epoch=1_700_000_000).exit_code == 0
    import_apkg(collection, project.apkg("d"))
    (note_id,) = collection.find_notes("")
    guid = collection.get_note(note_id).guid

    pinned = f'# D\n\n## A new name {{#new guid="{guid}"}}\n\nbody, edited\n'
    project.write("source_notes/d.md", pinned)
    assert project.build(epoch=1_700_000_100).exit_code == 0
    log = import_apkg(collection, project.apkg("d"))
    assert len(log.updated) == 1 and len(log.new) == 0
    assert collection.find_notes("") == [note_id]
    assert collection.get_note(note_id)["Front"] == "A new name"


def test_check_reports_every_bad_attribute(project: Project) -> None:
    project.write("source_notes/d.md", "# D\n\n## A {#a .flip}\n\nx\n\n## B {tags='a::'}\n\ny\n")
    result = project.run("check")
    assert result.exit_code == 1
    assert "d.md:3:10: error: unknown card kind `.flip`" in result.stderr + result.stdout
    assert (
        "d.md:7:7: error: tag 'a::': a part between `::` is empty" in result.stderr + result.stdout
    )


def test_diff_shows_a_card_tag_change(project: Project) -> None:
    notes = "# D\n\n## Hinge {{#hinge tags='{}'}}\n\nmax(0, 1-y)\n"
    project.write("source_notes/d.md", notes.format("draft"))
    assert project.build("-o", "old.apkg").exit_code == 0
    project.write("source_notes/d.md", notes.format("reviewed exam::2024"))
    assert project.build("-o", "new.apkg", epoch=1_700_000_100).exit_code == 0
    lines = project.run("diff", "old.apkg", "new.apkg").stdout.splitlines()
    assert "    tags: [-draft-] {+exam::2024+} {+reviewed+}" in lines


def test_two_headings_pinning_one_guid_are_told_to_change_a_guid(project: Project) -> None:
    project.write("source_notes/d.md", '# D\n\n## A {guid="g1"}\n\nx\n\n## B {guid="g1"}\n\ny\n')
    result = project.run("check")
    assert result.exit_code == 1
    assert (
        "d.md:7:4: error: duplicate GUID 'g1' of 'b' and 'a'; the first is at "
        'source_notes/d.md:3:4. Change or remove one of their `guid="…"`'
    ) in result.stderr
