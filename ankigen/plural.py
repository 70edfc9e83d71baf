"""English plurals for counts in messages: `1 note`, `2 notes`."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """`number` with `noun`, or with its plural (`noun` + "s" unless given) when not 1."""
    if number == 1:
        return f"{number} {noun}"
    return f"{number} {plural if plural is not None else noun + 's'}"
