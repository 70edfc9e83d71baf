"""`ankigen import DECK.apkg`: an existing Anki deck adopted as markdown notes.

The pipeline: read the package safely (`package`), map each note to a card or a refusal with
its reason (`notes`, with `markdown` for the fields' HTML), then write one markdown file per
top-level deck, the pictures its cards show and the folder's settings (`files`), all or none.
Every note keeps its GUID, so a build of the folder imported over the collection the deck came
from updates those notes instead of adding new ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..model import media_file
from .files import MAX_SUBDECK_DEPTH, NOTES_FOLDER, deck_files, unwritable, write_all
from .markdown import MEDIA_FOLDER
from .notes import AdoptedNote, Refusal, adopt_note
from .package import read_anki_package


@dataclass(frozen=True)
class Adoption:
    """What an import wrote, and every note it could not adopt, with why."""

    notes: int  # adopted
    kinds: dict[str, int]  # adopted notes by kind: basic, reversed, type, cloze
    refused: tuple[Refusal, ...]
    allow_html: bool  # whether the notes keep raw HTML, so the settings allow it


def adopt(package: Path, folder: Path) -> Adoption:
    """The deck in `package` written into `folder` as a project: `ankigen.toml` and the notes
    folder; ValueError for a package that cannot be read, FileExistsError when a file it would
    write exists (then nothing is written)."""
    contents = read_anki_package(package)
    paths = {  # every picture the package holds, by its name there
        name: f"{MEDIA_FOLDER}/{media_file(data, Path(name).suffix).name}"
        for name, data in contents.media.items()
    }
    adopted: list[AdoptedNote] = []
    refused: list[Refusal] = []
    for note in contents.notes:
        result = adopt_note(note, paths, frozenset(contents.refused_media))
        if isinstance(result, AdoptedNote) and (
            problem := _deck_problem(note.deck) or unwritable(result)
        ):
            result = Refusal(note.guid, problem)
        if isinstance(result, AdoptedNote):
            adopted.append(result)
        else:
            refused.append(result)
    allow_html = any(note.kept_html for note in adopted)
    files = {f"{NOTES_FOLDER}/{name}": text.encode() for name, text in deck_files(adopted).items()}
    for name in sorted({name for note in adopted for name in note.media}):
        files[f"{NOTES_FOLDER}/{paths[name]}"] = contents.media[name]
    settings = f'source = "{NOTES_FOLDER}"\n' + ("allow_html = true\n" if allow_html else "")
    files["ankigen.toml"] = settings.encode()
    write_all(folder, files)
    kinds: dict[str, int] = {}
    for made in adopted:
        kinds[made.kind] = kinds.get(made.kind, 0) + 1
    return Adoption(len(adopted), kinds, tuple(refused), allow_html)


def _deck_problem(deck: str) -> str | None:
    """Why the build would refuse `deck` as a deck name, or None."""
    from ..errors import Location
    from ..rules.names import deck_name_problems

    if deck.count("::") > MAX_SUBDECK_DEPTH:
        return f"its deck {deck!r} is nested deeper than markdown's headings go"
    problem = next(deck_name_problems(deck, Location("")), None)
    return problem.message if problem else None
