"""`counted`: a number with its noun, plural unless the number is 1."""

from __future__ import annotations

from ankigen.plural import counted


def test_one_is_singular_and_every_other_number_plural() -> None:
    assert counted(1, "note") == "1 note"
    assert [counted(n, "note") for n in (0, 2)] == ["0 notes", "2 notes"]


def test_an_irregular_plural_is_given() -> None:
    assert counted(1, "media file added", "media files added") == "1 media file added"
    assert counted(3, "media file added", "media files added") == "3 media files added"
