"""The walk through history, kept sealed in the build's cache for the commit, tags and code it
was made for, in two files: each card's line and time, which every build reads, and the cards'
digests, which only a build whose note files differ from HEAD's needs. Both are sealed and
written as the run's `Storage` says."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..storage import Storage, read_regular
from .cards import WHOLE_FILE, Key

# a card's digest at HEAD, its time, its heading's line at HEAD
Timed = tuple[str, int, int]


@dataclass
class KeptFile:
    """One note file's cards at HEAD with their times."""

    whole: tuple[str, int] | None  # the digest of the file as a whole, and its time
    lines: list[int]  # each card's heading line at HEAD and its time, one after the other
    cards: dict[Key, Timed] | None  # every card by its key; None until read (read_cards)


History = dict[str, KeptFile]  # by path inside the notes folder


def kept_file(cards: dict[Key, Timed]) -> KeptFile:
    whole = cards.get(WHOLE_FILE)
    detail = {key: timed for key, timed in cards.items() if key != WHOLE_FILE}
    lines = [number for _, when, line in detail.values() for number in (line, when)]
    return KeptFile(None if whole is None else (whole[0], whole[1]), lines, detail)


def read_kept(path: Path | None, key: str, storage: Storage) -> History | None:
    """The lines and times kept for this key, if this machine sealed them."""
    record = _read(path, key, storage)
    if record is None:
        return None
    return {
        rel: KeptFile(None if whole is None else (whole, when), lines, None)
        for rel, (whole, when, lines) in record.items()
    }


def read_cards(path: Path | None, key: str, history: History, storage: Storage) -> bool:
    """Fill in every file's cards from what was kept with `history`; False if it cannot."""
    record = _read(_cards_path(path), key, storage)
    if record is None or record.keys() != history.keys():
        return False
    for rel, cards in record.items():
        history[rel].cards = {
            tuple(card): (digest, when, line) for card, digest, when, line in cards
        }
    return True


def keep(path: Path | None, key: str, history: History, storage: Storage) -> None:
    """Keep `history` (with its cards) for the next build."""
    cards = {
        rel: [[list(card), *timed] for card, timed in (kept.cards or {}).items()]
        for rel, kept in history.items()
    }
    _write(_cards_path(path), key, cards, storage)  # first: times without cards would be read
    times = {rel: [*(kept.whole or (None, None)), kept.lines] for rel, kept in history.items()}
    _write(path, key, times, storage)


def _cards_path(path: Path | None) -> Path | None:
    return None if path is None else path.with_suffix(".cards.json")


def _read(path: Path | None, key: str, storage: Storage) -> dict[str, list[Any]] | None:
    if path is None:
        return None
    try:
        data = storage.unseal(read_regular(path))
        record = json.loads(data) if data else None
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("key") != key:
        return None
    files = record.get("files")
    return files if isinstance(files, dict) else None


def _write(path: Path | None, key: str, files: dict[str, list[Any]], storage: Storage) -> None:
    if path is None:
        return
    sealed = storage.seal(json.dumps({"key": key, "files": files}, sort_keys=True).encode())
    if sealed is not None:
        with contextlib.suppress(OSError):  # without it, the next build walks again
            storage.write(path, sealed)
