"""Markdown -> cards: decks, sections, identities, tags, front matter and located problems."""

from __future__ import annotations

from pathlib import Path

from ankigen.config import Config

from .helpers import messages, parse


def test_headings_with_bodies_are_cards_and_bare_headings_are_sections() -> None:
    cards, diagnostics = parse(
        """
        # My Deck

        ## Probability

        ### Sum Rule

        add them

        ## Plain card

        body
        """
    )
    assert not diagnostics.items
    assert [(c.heading, c.deck, c.tags) for c in cards] == [
        ("Sum Rule", "My Deck::Probability", ("Probability",)),
        ("Plain card", "My Deck", ()),
    ]
    assert [c.identity for c in cards] == ["probability/sum-rule", "plain-card"]
    assert cards[0].location.line == 5 and cards[0].location.col == 5


def test_explicit_id_pins_identity_and_is_not_part_of_the_heading() -> None:
    cards, _ = parse("# D\n\n## Sum Rule {#sum-rule}\n\ntext\n")
    assert cards[0].identity == "sum-rule"
    assert cards[0].heading == "Sum Rule"


def test_a_derived_identity_can_be_pinned_to_survive_a_rename() -> None:
    before, _ = parse("# D\n\n## Probability\n\n### Sum Rule\n\nadd\n")
    after, diagnostics = parse(
        "# D\n\n## Probability\n\n### The Sum Rule {#probability/sum-rule}\n\nadd\n"
    )
    assert not diagnostics.items
    assert before[0].identity == after[0].identity == "probability/sum-rule"


def test_kramdown_toc_is_dropped_without_a_warning() -> None:
    cards, diagnostics = parse("# D\n\n1. TOC \n{:toc}\n\n## A\n\nbody\n")
    assert len(cards) == 1
    assert not diagnostics.items


def test_text_before_the_first_card_is_a_warning_with_its_line() -> None:
    _, diagnostics = parse("# D\n\nstray words\n\n## A\n\nbody\n")
    assert messages(diagnostics) == [
        "deck.md:3:1: warning: text before the first `##` heading is on no card"
    ]


def test_deck_name_precedence_front_matter_then_config_then_title_then_file_name() -> None:
    text = "---\ndeck: From Front Matter\n---\n# Title\n\n## A\n\nb\n"
    assert parse(text)[0][0].deck == "From Front Matter"
    assert parse("# Title\n\n## A\n\nb\n", Config(deck="Configured"))[0][0].deck == "Configured"
    assert parse("# Title\n\n## A\n\nb\n")[0][0].deck == "Title"
    assert parse("## A\n\nb\n", name="my-notes.md")[0][0].deck == "my-notes"


def test_namespace_defaults_to_deck_slug_and_can_be_pinned() -> None:
    assert parse("# Deep Learning\n\n## A\n\nb\n")[0][0].namespace == "deep-learning"
    pinned = "---\nnamespace: dl\n---\n# Renamed Deck\n\n## A\n\nb\n"
    assert parse(pinned)[0][0].namespace == "dl"


def test_front_matter_tags_apply_to_every_card() -> None:
    cards, _ = parse("---\ntags: [ml, deep learning]\n---\n## S\n\n### A\n\nb\n")
    assert cards[0].tags == ("ml", "deep_learning", "S")


def test_front_matter_problems_are_located() -> None:
    _, diagnostics = parse("---\ndeck: [unclosed\n---\n## A\n\nb\n")
    assert len(diagnostics.errors) == 1
    assert str(diagnostics.errors[0]).startswith("deck.md:2:16: error: front matter:")
    _, diagnostics = parse("---\ndeck: D\ncolour: red\n---\n## A\n\nb\n")
    assert messages(diagnostics)[0].startswith(
        "deck.md:3:1: error: front matter: unknown key 'colour'"
    )
    _, diagnostics = parse("---\ntags: 3\n---\n## A\n\nb\n")
    assert "`tags` must be a list" in messages(diagnostics)[0]


def test_empty_heading_and_bad_id_are_errors() -> None:
    _, diagnostics = parse("## {#only-id}\n\nbody\n\n## Fine {#bad!}\n\nbody\n")
    assert messages(diagnostics) == [
        "deck.md:1:4: error: card has an empty heading",
        "deck.md:5:9: error: invalid card id 'bad!': use letters, digits, '-', '_', '.', ':' "
        "or '/'",
    ]


def test_a_heading_attribute_list_sets_id_kind_tags_and_guid() -> None:
    cards, diagnostics = parse(
        "# D\n\n## Part\n\n### Term {#term .reversed tags='exam::2024 hard' guid=\"Ab1+%x\"}\n\n"
        "body\n\n## Plain {.type}\n\nbody\n"
    )
    assert not diagnostics.items
    assert [(c.heading, c.identity, c.classes, c.tags, c.guid) for c in cards] == [
        ("Term", "term", ("reversed",), ("Part", "exam::2024", "hard"), "Ab1+%x"),
        ("Plain", "plain", ("type",), (), cards[1].guid),
    ]
    assert cards[1].guid == parse("# D\n\n## Plain\n\nbody\n")[0][0].guid  # no pin


def test_every_problem_of_an_attribute_list_is_reported_at_its_column() -> None:
    heading = '## Term {#t .reverse colour=red tags="ok ::bad" guid="a b"}'
    _, diagnostics = parse(f"{heading}\n\nbody\n\n## Other {{#u !}}\n\nbody\n")
    assert messages(diagnostics) == [
        f"deck.md:1:{heading.index('.reverse') + 1}: error: unknown card kind `.reverse`: "
        "use `.reversed` or `.type`",
        f"deck.md:1:{heading.index('colour') + 1}: error: unknown attribute `colour`: "
        "use `tags` or `guid`",
        f"deck.md:1:{heading.index('tags') + 1}: error: tag '::bad': a part between `::` is "
        "empty, which Anki turns into `blank`",
        f"deck.md:1:{heading.index('guid') + 1}: error: guid 'a b': use up to 64 printable "
        "ASCII characters",
        "deck.md:5:14: error: cannot read the attribute '!': write `#id`, `.reversed`, `.type`, "
        '`tags="…"` or `guid="…"`',
    ]


def test_heading_without_body_or_children_is_a_warning() -> None:
    cards, diagnostics = parse("## Lonely\n\n## Real\n\nbody\n")
    assert [c.heading for c in cards] == ["Real"]
    assert messages(diagnostics) == [
        "deck.md:1:4: warning: heading has no body and no sub-headings, so it makes no card"
    ]


def test_second_title_is_an_error() -> None:
    _, diagnostics = parse("# One\n\n## A\n\nb\n\n# Two\n\n## B\n\nc\n")
    assert messages(diagnostics) == ["deck.md:7:1: error: a file has one `# Title`; cards use `##`"]


def test_heading_with_body_and_children_is_card_and_section() -> None:
    cards, _ = parse("# D\n\n## Parent\n\nintro\n\n### Child\n\nmore\n")
    assert [(c.heading, c.deck) for c in cards] == [("Parent", "D"), ("Child", "D::Parent")]


def test_unclosed_display_formula_is_located_and_swallows_no_cards() -> None:
    cards, diagnostics = parse("## A\n\ntext\n\n$$ x^2\n\nmore\n\n## B\n\n$$y$$\n")
    assert messages(diagnostics) == ["deck.md:5:1: error: formula opened with `$$` is never closed"]
    assert [c.heading for c in cards] == ["A", "B"]


def test_dollars_in_code_and_link_addresses_are_not_formulas() -> None:
    _, diagnostics = parse(
        "## A\n\ntext\n\n    echo $$\n\n"
        "[docs](https://x.org/a$\\frac$b) and <https://e.org/$\\left$> and $x^2$ and $$ y\n"
    )
    assert messages(diagnostics) == [
        "deck.md:7:75: error: formula opened with `$$` is never closed"
    ]


def test_parse_returns_the_files_its_cards_name_and_its_problems_as_data(tmp_path: Path) -> None:
    from ankigen.parse import parse_source

    from .helpers import source
    from .test_render import PNG

    (tmp_path / "here.png").write_bytes(PNG)
    text = """
        ## Pictures

        ![found](here.png) and ![lost](gone.png) and ![shared](//x.png)
        """
    parsed = parse_source(source(text, root=tmp_path), Config())
    assert parsed.consulted == {tmp_path / "here.png", tmp_path / "gone.png"}
    assert [src for src, _ in parsed.cards[0].images] == ["here.png"]
    assert sorted(str(p).split(": ", 1)[1] for p in parsed.problems) == [
        "error: image '//x.png' must be a file in the notes folder",
        "error: image 'gone.png' does not exist",
    ]


def test_a_stranger_s_list_of_many_bad_items_reports_a_few() -> None:
    from ankigen.attributes import MAX_PROBLEMS

    _, diagnostics = parse("## a {" + ". " * 20_000 + " " * 40_000 + "}\n\nx\n")
    found = messages(diagnostics)
    assert len(found) == MAX_PROBLEMS + 1
    assert found[-1].endswith("more problems in this attribute list are not reported")
