"""A year of releases into one student's collection: the acceptance test of issue 11.

The maintainer changes a notes repository for a year and tags twelve releases; each is built as
`.github/workflows/release.yml` builds it (its own step text), in a fresh clone of the tag made
when the tag is. One student imports every release into one collection with Anki's backend and
reviews, edits fields, adds tags and restyles a note type between releases. After each import the
collection is compared with the release's package as Anki reads it (imported into an empty
collection) and with what the collection held before. From v1.8.0 the maintainer builds with an
upgraded ankigen whose card CSS changed. A contributor's build of an untagged commit, without
SOURCE_DATE_EPOCH, is imported into a copy of the collection at the end.

The clock: tags, commits, imports and the student's edits share one calendar that starts next
week. It lies after today, so after any date written into ankigen's code (a note type's time, a
rendering floor), as a real year of releases made with this version does. Within a cycle the
maintainer commits both before the student imports the last release and after the student has
studied, as happens. The student acts through the backend; the test then stamps the note or note
type with the moment of the action on that calendar, days after the import and before the next
tag. Reviews keep the real clock: only their survival is checked.

Two clients: Anki 25.02 and later keep an updated note's incoming time; older desktops and
AnkiDroid stamp it with the time of the import, which the test does by hand after each import.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import REPO, import_apkg
from .test_render import PNG
from .test_workflows import (
    Runner,
    clean_environ,
    git,
    png,
    release_jobs,
    run_steps,
    step_running,
    write,
)

if TYPE_CHECKING:
    from anki.collection import Collection

DAY = 86_400
START = (int(time.time()) // DAY + 7) * DAY + 10 * 3600  # 10:00 UTC, a week from today
CYCLE = 30 * DAY  # from one tag to the next
IMPORTED = 3 * DAY  # the student imports a release three days after its tag
STUDIED = 5 * DAY  # and studies, edits and restyles two days after that
LOCAL = 9 * DAY  # the contributor's commit, after the last tag, built without a release
UPGRADE = 8  # from v1.8.0 on, the maintainer builds with an ankigen whose CSS changed
NEW_CLIENT, OLD_CLIENT = "anki-25.02+", "anki-before-25.02"
LENS = REPO / "tests" / "preview" / "lab" / "notes" / "optics" / "lens.png"
NOTES = "source_notes"


# --- the maintainer's year ------------------------------------------------------------------------

PROBABILITY = r"""
---
tags: [prob]
---
# Year Deck

## Probability

### Sum Rule {#sum-rule}

For mutually exclusive events: $P(A \cup B) = P(A) + P(B)$.

### Bayes Rule

$P(A \mid B) = \frac{P(B \mid A) P(A)}{P(B)}$

### Product Rule

For independent events: $P(A B) = P(A) P(B)$.

### Expectation

The probability-weighted mean: $E[X] = \sum_x x P(x)$.

## Distributions

### Gaussian

The bell curve, with mean $\mu$ and variance $\sigma^2$.

### Bernouli

One trial that succeeds with probability $p$.

### Poisson {#poisson}

Counts of rare events: $P(k) = \lambda^k e^{-\lambda} / k!$.

### Binomial

The number of successes in $n$ independent trials.
"""

TRAINING = """
---
tags: [training]
---
# Year Deck

## Optimisation

### SGD

Step against the gradient of a mini-batch's loss.

### Momentm {#momentum}

Keeps a running average of past gradients.

### Adam

Momentum plus a per-parameter step size.

## Regularisation

### Regularizers

1. ==dropout==
2. ==weight decay==

### Dropout {.type}

Zeroes random units while training.

### Early Stopping

Stop when the validation loss stops improving.

## Pictures

### Softmax Temperature

```plot softmax
logits: [2.0, 1.0, 0.1]
temperatures: [0.5, 1, 2]
```

### A Dot

![a dot](pictures/dot.png)
"""

MODELS = r"""
---
tags: [models]
---
# Year Deck

## Architectures

### CNN {.reversed}

Shares weights across positions with convolutions.

### Transformer

{{c1::Self-attention}} with {{c2::positional encodings}}.

### Attention

A weighted sum of values, weighted by query-key similarity.

## Losses

### Cross Entropy

$-\sum_c y_c \log p_c$

### Hinge

$\max(0, 1 - y f(x))$

### Mean Squared Error

The mean of the squared residuals.
"""


def path(root: Path, name: str) -> Path:
    return root / NOTES / name


def swap(name: str, old: str, new: str) -> Callable[[Path], None]:
    """A change replacing the one `old` in a note file with `new`."""

    def change(root: Path) -> None:
        text = path(root, name).read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{name}: {old!r} is not there once"
        path(root, name).write_text(text.replace(old, new), encoding="utf-8")

    return change


def cut(root: Path, name: str, heading: str) -> str:
    """Remove the block that starts with the line `heading` from a note file: up to the next
    heading of its level or above; return it."""
    text = path(root, name).read_text(encoding="utf-8")
    level = heading.split(" ")[0]
    start = text.index(heading + "\n")
    stops = [m.start() for m in re.finditer(rf"^#{{1,{len(level)}}} ", text, re.M)]
    end = min([s for s in stops if s > start], default=len(text))
    path(root, name).write_text(text[:start] + text[end:], encoding="utf-8")
    return text[start:end].rstrip("\n") + "\n"


def paste(root: Path, name: str, block: str, before: str | None = None) -> None:
    """Put a block at the end of a note file, or before the line `before`."""
    text = path(root, name).read_text(encoding="utf-8")
    if before is None:
        text = text.rstrip("\n") + "\n\n" + block
    else:
        at = text.index(before + "\n")
        text = text[:at] + block + "\n" + text[at:]
    path(root, name).write_text(text, encoding="utf-8")


def move(
    source: str, heading: str, target: str, before: str | None = None, rename: str | None = None
) -> Callable[[Path], None]:
    """A change moving a card (or section) to another place, optionally with a new heading."""

    def change(root: Path) -> None:
        block = cut(root, source, heading)
        if rename is not None:
            block = block.replace(heading, rename, 1)
        paste(root, target, block, before)

    return change


def delete(name: str, *headings: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        for heading in headings:
            cut(root, name, heading)

    return change


def split_losses(root: Path) -> None:
    section = cut(root, "models.md", "## Loss Functions")
    write(root, f"{NOTES}/losses.md", "---\ntags: [models]\n---\n# Year Deck\n\n" + section)


def merge_losses(root: Path) -> None:
    text = path(root, "losses.md").read_text(encoding="utf-8")
    paste(root, "probability.md", text[text.index("## Loss Functions") :])
    path(root, "losses.md").unlink()


def picture(name: str, data: bytes) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        folder = root / NOTES / "pictures"
        folder.mkdir(exist_ok=True)
        (folder / name).write_bytes(data)

    return change


def both(*changes: Callable[[Path], None]) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        for each in changes:
            each(root)

    return change


@dataclass(frozen=True)
class Commit:
    day: int  # days after the previous tag: before day 3 the student has not imported it yet
    message: str
    change: Callable[[Path], None]


BAYES_V1 = r"$P(A \mid B) = \frac{P(B \mid A) P(A)}{P(B)}$"
BAYES_V2 = BAYES_V1 + ": the posterior from the likelihood and the prior."

# Releases v1.1.0 to v1.11.0, each a list of commits; v1.0.0 is the first commit.
CHANGES: list[list[Commit]] = [
    [
        Commit(1, "Bayes Rule: say what it computes", swap("probability.md", BAYES_V1, BAYES_V2)),
        Commit(12, "Fix the Momentum heading", swap("training.md", "Momentm {#", "Momentum {#")),
    ],
    [
        Commit(2, "Fix the Bernoulli heading", swap("probability.md", "Bernouli", "Bernoulli")),
        Commit(
            15,
            "Regularizers: a third",
            swap("training.md", "decay==\n", "decay==\n3. ==early stopping==\n"),
        ),
    ],
    [
        Commit(
            1,
            "Tag the training notes for deep learning",
            swap("training.md", "tags: [training]", "tags: [training, deep-learning]"),
        ),
        Commit(
            18, "Softmax: a hotter temperature", swap("training.md", "[0.5, 1, 2]", "[0.5, 1, 4]")
        ),
    ],
    [
        Commit(
            2,
            "Rename Losses, keeping Cross Entropy's id",
            both(
                swap("models.md", "## Losses", "## Loss Functions"),
                swap("models.md", "### Cross Entropy", "### Cross Entropy {#losses/cross-entropy}"),
            ),
        ),
        Commit(16, "CNN: pooling", swap("models.md", "convolutions.", "convolutions, then pools.")),
    ],
    [
        Commit(
            3,
            "Adam as a cloze",
            swap("training.md", "a per-parameter step size.", "a ==per-parameter step size==."),
        ),
        Commit(
            14,
            'Revert "Bayes Rule: say what it computes"',
            swap("probability.md", BAYES_V2, BAYES_V1),
        ),
    ],
    [
        Commit(
            4,
            "Early Stopping belongs to Optimisation",
            move(
                "training.md",
                "### Early Stopping",
                "training.md",
                before="## Regularisation",
                rename="### Early Stopping {#regularisation/early-stopping}",
            ),
        ),
        Commit(
            20,
            "Attention moves to the training notes",
            both(
                move("models.md", "### Attention", "training.md"),
                swap("training.md", "### Attention", "## Architectures\n\n### Attention"),
            ),
        ),
    ],
    [
        Commit(2, "Split the losses into their own file", split_losses),
        Commit(
            10,
            "Adam as a plain card again, with bias correction",
            swap(
                "training.md",
                "a ==per-parameter step size==.",
                "a per-parameter step size, bias-corrected.",
            ),
        ),
        Commit(
            15,
            "Transformer as a plain card with its own id",
            swap(
                "models.md",
                "### Transformer\n\n{{c1::Self-attention}} with {{c2::positional encodings}}.",
                "### Transformer {#transformer-basic}\n\nSelf-attention with positional encodings.",
            ),
        ),
    ],
    [
        Commit(
            1,
            "Drop Poisson and Hinge",
            both(
                delete("probability.md", "### Poisson {#poisson}"),
                delete("losses.md", "### Hinge"),
            ),
        ),
        Commit(12, "A sharper dot", picture("dot.png", PNG)),
        Commit(
            13,
            "Regularizers: weight decay is not one",
            swap("training.md", "2. ==weight decay==\n", ""),
        ),
    ],
    [
        Commit(3, "Merge the losses into the probability notes", merge_losses),
        Commit(
            18,
            "Clearer SGD and Gaussian",
            both(
                swap(
                    "training.md",
                    "mini-batch's loss.",
                    "mini-batch's loss, scaled by the learning rate.",
                ),
                swap("probability.md", "The bell curve", "The normal distribution's bell curve"),
            ),
        ),
    ],
    [
        Commit(
            7,
            "A picture for Expectation",
            both(
                picture("lens.png", LENS.read_bytes()),
                swap(
                    "probability.md",
                    "\\sum_x x P(x)$.",
                    "\\sum_x x P(x)$.\n\n![a lens](pictures/lens.png)",
                ),
            ),
        ),
        Commit(
            20,
            "Binomial before Gaussian",
            move(
                "probability.md",
                "### Binomial",
                "probability.md",
                before="### Gaussian",
            ),
        ),
    ],
    [
        Commit(
            2,
            "Retag the probability notes",
            swap("probability.md", "tags: [prob]", "tags: [stats]"),
        ),
        Commit(
            6,
            "Variance",
            swap(
                "probability.md",
                "## Distributions",
                "### Variance\n\nThe mean squared deviation from the mean.\n\n## Distributions",
            ),
        ),
        Commit(
            8,
            "Gaussian both ways",  # a kind change: refused with the default options
            swap("probability.md", "### Gaussian\n", "### Gaussian {.reversed}\n"),
        ),
        Commit(
            10,
            "Regularizers: batch norm",
            swap("training.md", "stopping==\n", "stopping==\n3. ==batch norm==\n"),
        ),
    ],
]

# The contributor's commit after the last release: two cards changed, one added.
LOCAL_CHANGE = Commit(
    LOCAL // DAY,
    "Sharper Dropout and Expectation; Label Smoothing",
    both(
        swap("training.md", "Zeroes random units", "Zeroes random units (and rescales the rest)"),
        swap("probability.md", "probability-weighted mean", "probability-weighted average"),
        swap(
            "training.md",
            "## Pictures",
            "### Label Smoothing\n\nSoftens the one-hot targets.\n\n## Pictures",
        ),
    ),
)


# --- what Anki holds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """A note as a collection holds it."""

    nid: int
    kind: str  # the note type's name
    fields: tuple[str, ...]
    tags: frozenset[str]
    mod: int
    ords: frozenset[int]  # of its cards

    @property
    def content(self) -> tuple[object, ...]:
        """What the maintainer changes: the note type, the fields and the tags."""
        return (self.kind, self.fields, self.tags)

    @property
    def label(self) -> str:
        heading = self.fields[1] if self.kind == "ankigen Cloze" else self.fields[0]
        return re.sub(r"<[^>]+>", "", heading).strip()[:40]


@dataclass(frozen=True)
class Snapshot:
    notes: dict[str, Held]  # by GUID
    cards: dict[int, tuple[Any, ...]]  # id -> note, deck, ordinal and scheduling
    revlog: frozenset[tuple[Any, ...]]
    css: dict[str, str]  # ankigen's note types by name

    @classmethod
    def of(cls, col: Collection) -> Snapshot:
        col.models._clear_cache()
        names = {m["id"]: m["name"] for m in col.models.all()}
        cards = {
            row[0]: tuple(row[1:])
            for row in col.db.all(
                "SELECT id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses, left"
                " FROM cards"
            )
        }
        ords: dict[int, set[int]] = {}
        for nid, _, ord_, *_ in cards.values():
            ords.setdefault(nid, set()).add(ord_)
        notes = {}
        for nid, guid, mid, mod, tags, flds in col.db.all(
            "SELECT id, guid, mid, mod, tags, flds FROM notes"
        ):
            assert guid not in notes, f"two notes share the GUID {guid}"
            notes[guid] = Held(
                nid,
                names[mid],
                tuple(flds.split("\x1f")),
                frozenset(col.tags.split(tags)),
                mod,
                frozenset(ords.get(nid, ())),
            )
        revlog = frozenset(tuple(row) for row in col.db.all("SELECT * FROM revlog"))
        css = {m["name"]: m["css"] for m in col.models.all() if m["name"].startswith("ankigen")}
        return cls(notes, cards, revlog, css)


def open_collection(folder: Path) -> Collection:
    from anki.collection import Collection

    folder.mkdir(parents=True)
    return Collection(str(folder / "collection.anki2"))


@dataclass(frozen=True)
class Release:
    tag: str
    time: int  # the tag's date
    packages: tuple[Path, ...]
    notes: dict[str, Held]  # the packages as an empty collection takes them
    css: dict[str, str]


def read_release(tag: str, when: int, packages: list[Path], where: Path) -> Release:
    assert packages, f"{tag}: the build wrote no package"
    col = open_collection(where)
    try:
        for package in packages:
            import_apkg(col, package)
        held = Snapshot.of(col)
    finally:
        col.close()
    return Release(tag, when, tuple(packages), held.notes, held.css)


# --- building the releases ------------------------------------------------------------------------


# ankigen as it is after an upgrade to a version that restyled the cards: new card CSS, and the
# note types' time moved to the day of that change, as notetypes.py asks of whoever changes them
# (an ankigen whose note types have no time of their own gives them the package's).
UPGRADED_ANKIGEN = """\
#!{python}
from dataclasses import replace

from ankigen import notetypes

notetypes._CARD_CSS += ".ankigen-source {{ font-style: italic; }}\\n"
for kind, note_type in list(getattr(notetypes, "NOTE_TYPES", {{}}).items()):
    notetypes.NOTE_TYPES[kind] = replace(note_type, changed={changed})

from ankigen.cli import main

main()
"""


def upgraded_ankigen(folder: Path, changed: int) -> Path:
    """A folder with an `ankigen` command that is the upgraded ankigen, to put first on PATH."""
    folder.mkdir()
    command = folder / "ankigen"
    command.write_text(UPGRADED_ANKIGEN.format(python=sys.executable, changed=changed))
    command.chmod(0o755)
    return folder


def release_build(clone: Path, tag: str, temp: Path, upgraded: Path | None) -> list[Path]:
    """release.yml's build job, its shell steps as written, in a clone of the tag; with the
    upgraded ankigen when given."""
    steps = release_jobs()["build"]
    install = step_running(steps, "python -m pip install")
    # ankigen is installed here already
    assert install["run"] == "python -m pip install -c constraints.txt ."
    runner = Runner(
        clone,
        temp,
        GITHUB_EVENT_NAME="push",
        GITHUB_REF=f"refs/tags/{tag}",
        GITHUB_REF_NAME=tag,
        GITHUB_REF_TYPE="tag",
    )
    path = runner.env["PATH"] if upgraded is None else f"{upgraded}{os.pathsep}{runner.env['PATH']}"
    for step in run_steps(steps):
        if step is not install:
            assert "${{" not in step["run"]
            runner.must(step, env={"PATH": path})
    return sorted((clone / "build").glob("*.apkg"))


def local_build(clone: Path, upgraded: Path) -> list[Path]:
    """A contributor's `ankigen build` with the upgraded ankigen: no SOURCE_DATE_EPOCH, no CI."""
    done = subprocess.run(
        [str(upgraded / "ankigen"), "build"],
        cwd=clone,
        env=clean_environ(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"ankigen build: {done.stderr}"
    return sorted((clone / "build").glob("*.apkg"))


@dataclass(frozen=True)
class Year:
    releases: list[Release]
    local: Release  # the contributor's build of the untagged commit after the last tag


def make_year(tmp: Path) -> Year:
    """The maintainer's repository, tagged twelve times; each tag cloned when it is made, as CI
    would (full history and tags), and built afterwards, in order. release.yml keeps no cache;
    here each build starts with the plot pictures the builds before it drew
    (build/.cache/pictures), which saves seconds a build and changes no byte: a picture's cache
    key is its kind, parameters and renderer, and a release whose plot changed draws anew."""
    upstream = tmp / "upstream"
    upstream.mkdir()
    git(upstream, "init", "--quiet", "--initial-branch=main")
    write(upstream, f"{NOTES}/probability.md", PROBABILITY)
    write(upstream, f"{NOTES}/training.md", TRAINING)
    write(upstream, f"{NOTES}/models.md", MODELS)
    picture("dot.png", png())(upstream)
    git(upstream, "add", "-A")
    git(upstream, "commit", "--quiet", "-m", "Notes", time=START)

    builds: list[tuple[str, int, Path, Callable[[], list[Path]]]] = []
    upgraded = upgraded_ankigen(
        tmp / "upgraded", START + 2 * DAY + (UPGRADE - 1) * CYCLE + 10 * DAY
    )

    def release(number: int, when: int) -> None:
        tag = f"v1.{number}.0"
        git(upstream, "tag", "-a", tag, "-m", f"Release {tag}", time=when)
        clone = tmp / tag / "clone"
        git(tmp, "clone", "--quiet", "--branch", tag, str(upstream), str(clone))
        with_ = upgraded if number >= UPGRADE else None
        builds.append(
            (tag, when, clone, lambda: release_build(clone, tag, tmp / tag / "runner", with_))
        )

    tag_time = START + 2 * DAY
    release(0, tag_time)
    for number, commits in enumerate(CHANGES, start=1):
        for commit in commits:
            commit.change(upstream)
            git(upstream, "add", "-A")
            git(
                upstream,
                "commit",
                "--quiet",
                "-m",
                commit.message,
                time=tag_time + commit.day * DAY,
            )
        tag_time += CYCLE
        release(number, tag_time)
    LOCAL_CHANGE.change(upstream)
    git(upstream, "commit", "--quiet", "-am", LOCAL_CHANGE.message, time=tag_time + LOCAL)
    contributor = tmp / "local" / "clone"
    git(tmp, "clone", "--quiet", str(upstream), str(contributor))
    builds.append(
        ("local", tag_time + LOCAL, contributor, lambda: local_build(contributor, upgraded))
    )

    built, drawn = [], None
    for _, _, clone, run in builds:
        if drawn is not None:  # the pictures drawn so far; drawing itself is tested elsewhere
            shutil.copytree(drawn, clone / "build" / ".cache" / "pictures")
        built.append(run())
        drawn = clone / "build" / ".cache" / "pictures"
    read = [
        read_release(tag, when, packages, tmp / tag / "read")
        for (tag, when, _, _), packages in zip(builds, built, strict=True)
    ]
    return Year(read[:-1], read[-1])


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Year:
    return make_year(tmp_path_factory.mktemp("year"))


# --- the student's year ---------------------------------------------------------------------------


@dataclass
class Outcome:
    """What went wrong over the year, by promise, one line per release; and what was checked."""

    lost: list[str] = field(default_factory=list)  # notes, cards, scheduling, reviews
    edits: list[str] = field(default_factory=list)  # the student's fields and tags
    arrivals: list[str] = field(default_factory=list)  # the maintainer's changes
    css: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)
    checked: Counter[str] = field(default_factory=Counter)


@dataclass
class Student:
    """One collection, and what the student made of it that the releases must leave alone."""

    col: Collection
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)  # GUID -> as edited
    tags: dict[str, set[str]] = field(default_factory=dict)  # GUID -> own tags
    css: dict[str, str] = field(default_factory=dict)  # note type -> the student's CSS
    touched: set[str] = field(default_factory=set)  # notes touched since the last import

    def import_release(self, release: Release, client: str) -> list[Any]:
        logs = [import_apkg(self.col, package) for package in release.packages]
        if client == OLD_CLIENT:  # Anki before 25.02 stamps what it updates with the import's time
            updated = [note.id.nid for log in logs for note in log.updated]  # type: ignore[attr-defined]
            for nid in updated:
                self.col.db.execute(
                    "UPDATE notes SET mod = ? WHERE id = ?", release.time + IMPORTED, nid
                )
        return logs

    def study(self, round_: int, release: Release, at: int) -> None:
        """Review some cards, edit three notes' fields, tag three notes, and in three rounds
        restyle a note type; everything through the backend, then stamped with `at`."""
        col, rng = self.col, random.Random(round_)
        for cid in rng.sample(sorted(col.find_cards("")), 6):
            card = col.get_card(cid)
            card.start_timer()
            col.sched.answerCard(card, 3)
        current = sorted(release.notes)
        self.touched = set()
        for guid in rng.sample(current, 3):
            note = col.get_note(col.db.scalar("SELECT id FROM notes WHERE guid = ?", guid))
            index = 0 if note.note_type()["name"] == "ankigen Cloze" else 1
            note.fields[index] += f"<br><i>Mine, round {round_}</i>"
            col.update_note(note)
            self.fields[guid] = tuple(note.fields)
            self.touched.add(guid)
        for guid in rng.sample(current, 3):
            note = col.get_note(col.db.scalar("SELECT id FROM notes WHERE guid = ?", guid))
            tag = f"mine::round-{round_}"
            note.add_tag(tag)
            col.update_note(note)
            self.tags.setdefault(guid, set()).add(tag)
            self.touched.add(guid)
        for guid in self.touched:
            self.col.db.execute("UPDATE notes SET mod = ? WHERE guid = ?", at, guid)
        restyled = {2: "ankigen Basic", 7: "ankigen Cloze", 9: "ankigen Basic"}.get(round_)
        if restyled is not None:
            model = col.models.by_name(restyled)
            assert model is not None
            model["css"] += f"\n.card {{ background: #fdf6e3; }} /* mine, round {round_} */\n"
            col.models.update_dict(model)
            col.db.execute("UPDATE notetypes SET mtime_secs = ? WHERE id = ?", at, model["id"])
            col.models._clear_cache()
            self.css[restyled] = model["css"]


def names(notes: list[Held]) -> str:
    return ", ".join(sorted(note.label for note in notes))


def check_nothing_lost(tag: str, before: Snapshot, after: Snapshot, out: Outcome) -> None:
    """No note, card, scheduling or review the collection had is gone or changed by an import."""
    gone = [
        held
        for guid, held in before.notes.items()
        if guid not in after.notes or after.notes[guid].nid != held.nid
    ]
    changed = [cid for cid, row in before.cards.items() if after.cards.get(cid) != row]
    reviews = before.revlog - after.revlog
    if gone:
        out.lost.append(f"{tag}: {len(gone)} notes lost: {names(gone)}")
    if changed:
        out.lost.append(f"{tag}: {len(changed)} cards lost or rescheduled")
    if reviews:
        out.lost.append(f"{tag}: {len(reviews)} reviews lost")
    out.checked["notes kept"] += len(before.notes)
    out.checked["reviews kept"] += len(before.revlog)


def check_release(
    student: Student,
    release: Release,
    previous: Release | None,
    shipped: dict[str, Held],
    before: Snapshot,
    out: Outcome,
) -> None:
    """One import, against the release's package and the student's work before it."""
    after = Snapshot.of(student.col)
    tag = release.tag
    check_nothing_lost(tag, before, after, out)
    missing = [guid for guid in release.notes if guid not in after.notes]
    assert not missing, f"{tag}: notes of the package are not in the collection: {missing}"
    changed = {
        guid
        for guid, note in release.notes.items()
        if guid not in shipped or shipped[guid].content != note.content
    }

    # The student's work on notes the maintainer did not change in this release.
    kept = [g for g in student.fields if g not in changed]
    lost = [after.notes[g] for g in kept if after.notes[g].fields != student.fields[g]]
    if lost:
        out.edits.append(
            f"{tag}: student field edits lost on {len(lost)} of {len(kept)} notes the maintainer"
            f" did not change: {names(lost)}"
        )
    owned = [(g, t) for g in student.tags if g not in changed for t in student.tags[g]]
    dropped = [(g, t) for g, t in owned if t not in after.notes[g].tags]
    if dropped:
        out.edits.append(
            f"{tag}: {len(dropped)} of {len(owned)} student tags removed from notes the"
            f" maintainer did not change: {names([after.notes[g] for g in dict(dropped)])}"
        )
    out.checked["student field edits"] += len(kept)
    out.checked["student tags"] += len(owned)

    # The maintainer's changes, where the student did not touch the note after the last import.
    late, refused = [], 0
    media = Path(student.col.media.dir())
    for guid in sorted(changed - student.touched):
        held, wanted = after.notes[guid], release.notes[guid]
        if held.kind != wanted.kind:
            refused += 1  # Anki refuses a note type change: docs/releases.md
            continue
        pictures = re.findall(r'src="([^"]+)"', "".join(held.fields))
        if (
            held.fields != wanted.fields
            or held.tags != wanted.tags
            or not wanted.ords <= held.ords
            or not all((media / name).is_file() for name in pictures)
        ):
            late.append(held)
    if late:
        out.arrivals.append(
            f"{tag}: {len(late)} of {len(changed - student.touched) - refused} changed notes"
            f" did not arrive: {names(late)}"
        )
    out.checked["maintainer changes"] += len(changed - student.touched) - refused
    out.checked["type changes refused"] += refused

    # ankigen's new CSS arrives; the student's stays through releases that keep ankigen's.
    for name, css in release.css.items():
        if previous is not None and css != previous.css[name]:
            out.checked["ankigen CSS changes"] += 1
            if after.css[name] != css:
                out.css.append(f"{tag}: ankigen's new CSS of {name} did not arrive")
            student.css.pop(name, None)  # replacing the student's is expected here
    for name, css in list(student.css.items()):
        out.checked["student CSS"] += 1
        if after.css[name] != css:
            out.css.append(f"{tag}: the student's CSS of {name} was replaced")
            del student.css[name]

    # What the import replaced is the student's no more: each loss is reported once.
    for guid in list(student.fields):
        if after.notes[guid].fields != student.fields[guid]:
            del student.fields[guid]
    for guid, tags in student.tags.items():
        tags &= after.notes[guid].tags
    shipped.update(release.notes)


def check_local_build(student: Student, local: Release, last: Release, out: Outcome) -> None:
    """The contributor's package updates exactly the notes that differ from the last release."""
    before = Snapshot.of(student.col)
    logs = student.import_release(local, NEW_CLIENT)
    after = Snapshot.of(student.col)
    check_nothing_lost("local build", before, after, out)
    differ = [
        guid
        for guid, note in local.notes.items()
        if guid in last.notes and note.content != last.notes[guid].content
    ]
    expected = {before.notes[g].nid for g in differ if before.notes[g].kind == local.notes[g].kind}
    updated = {note.id.nid for log in logs for note in log.updated}  # type: ignore[attr-defined]
    by_id = {held.nid: held for held in after.notes.values()}
    if updated != expected:
        extra = [by_id[nid] for nid in updated - expected]
        out.local.append(
            f"the local build updated {len(updated)} notes where {len(expected)} differ from"
            f" {last.tag}; also updated: {names(extra)}"
        )
    out.checked["local differences"] += len(expected)


def student_year(year: Year, client: str, tmp: Path) -> Outcome:
    student = Student(open_collection(tmp / "student"))
    out = Outcome()
    shipped: dict[str, Held] = {}
    previous: Release | None = None
    try:
        for round_, release in enumerate(year.releases, start=1):
            before = Snapshot.of(student.col)
            student.import_release(release, client)
            check_release(student, release, previous, shipped, before, out)
            student.study(round_, release, release.time + STUDIED)
            previous = release
    finally:
        student.col.close()
    copy = tmp / "copy" / "collection.anki2"
    copy.parent.mkdir()
    shutil.copy(tmp / "student" / "collection.anki2", copy)
    from anki.collection import Collection

    contributor = Student(Collection(str(copy)))
    try:
        check_local_build(contributor, year.local, year.releases[-1], out)
    finally:
        contributor.col.close()
    return out


@pytest.fixture(scope="module", params=[NEW_CLIENT, OLD_CLIENT])
def outcome(
    request: pytest.FixtureRequest, year: Year, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Outcome]:
    yield student_year(year, request.param, tmp_path_factory.mktemp(request.param))


# --- the promises ---------------------------------------------------------------------------------


def test_the_year_exercises_every_check(year: Year, outcome: Outcome) -> None:
    """The harness: a year of at least ten tags, each releasing changes, and every promise
    checked many times over, so that the tests below passing means something."""
    assert len(year.releases) >= 10
    for earlier, later in zip(year.releases, year.releases[1:], strict=False):
        differ = [
            g
            for g, n in later.notes.items()
            if earlier.notes.get(g, n).content != n.content or g not in earlier.notes
        ]
        assert differ, f"{later.tag} changes nothing"
        assert max(n.mod for n in later.notes.values()) <= later.time, "later than its tag"
    checked = outcome.checked
    assert checked["notes kept"] >= 250 and checked["reviews kept"] >= 300, checked
    assert checked["student field edits"] >= 20 and checked["student tags"] >= 20, checked
    assert checked["maintainer changes"] >= 40 and checked["type changes refused"] >= 2, checked
    assert checked["student CSS"] >= 3 and checked["ankigen CSS changes"] >= 2, checked
    assert checked["local differences"] >= 2, checked


def test_no_note_card_or_review_is_lost(outcome: Outcome) -> None:
    assert not outcome.lost, "\n".join(outcome.lost)


def test_the_students_edits_and_tags_survive_releases_that_leave_their_notes(
    outcome: Outcome,
) -> None:
    assert not outcome.edits, "\n".join(outcome.edits)


def test_every_change_reaches_notes_the_student_left_alone(outcome: Outcome) -> None:
    assert not outcome.arrivals, "\n".join(outcome.arrivals)


def test_the_students_css_survives_releases_that_keep_ankigens(outcome: Outcome) -> None:
    assert not outcome.css, "\n".join(outcome.css)


def test_a_local_build_updates_only_the_notes_that_differ(outcome: Outcome) -> None:
    assert not outcome.local, "\n".join(outcome.local)
