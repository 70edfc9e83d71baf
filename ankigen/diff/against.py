"""The working tree's notes compared with those of a git revision (`diff --against`, `check
--against`): the revision's built with its own settings (`git.revision`), matched by GUID."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..config import Config
from ..context import Context
from ..model import RenderedNote
from .compare import DeckDiff, diff_contents
from .packages import contents_from_notes, origins_from_notes


def notes_at(ref: str, config: Config, root: Path, context: Context) -> list[RenderedNote]:
    """The notes of the project in `root` (whose settings `config` holds) at git revision `ref`.

    The revision is built from a copy of its tree, which carries none of its history, so its
    notes have no release times. Raises ValueError when the project is not in git or the
    revision cannot be read.
    """
    from ..git import run_git
    from ..git.revision import notes_at_revision

    if run_git(root, "rev-parse", "--show-toplevel") is None:
        from ..config import shown

        where = "this folder is" if root == context.cwd else f"the project {shown(root)}/ is"
        raise ValueError(
            f"--against {ref} compares with the notes' git history, but {where} not in a git "
            "repository: run it in a clone of the notes' repository"
        )
    return notes_at_revision(ref, root, config.output, context=context)


def diff_notes(old: Sequence[RenderedNote], new: Sequence[RenderedNote], folder: Path) -> DeckDiff:
    """The notes of a revision, `old` (from the notes folder `folder`), against the working
    tree's, `new`: the import is judged by what changed, as `old` has no release times."""
    return diff_contents(
        contents_from_notes(old),
        contents_from_notes(new),
        old_ids=origins_from_notes(old, folder=folder),
        new_ids=origins_from_notes(new),
    )
