"""Benchmark: ankigen build (cold, warm, one card changed) and check, against the genanki floor.

Usage:
    python bench/run.py                 # the full table (takes a few minutes)
    python bench/run.py --quick         # 1,000 and 10,000 cards only, one repeat
    python bench/run.py --sizes 2000 --pictures 50 --repeat 5
    python bench/run.py --history 1000  # the notes' times from 1,000 commits of history
    python bench/run.py --hostile       # crafted notes at two sizes each: linear growth
    python bench/run.py --sizes 10000 --one-per-file 0 --pictures 0 --history 0
                                        # flat 10,000 cards beside the deep deck trees

Every figure is the median of --repeat runs, each in a fresh process: wall time, peak memory
(resident set size) and the ratio to the floor measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import CARDS_PER_FILE, write_corpus, write_sectioned_file
from hostile import hostile_rows

FLOOR = Path(__file__).parent / "floor.py"
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}


@dataclass
class Figure:
    scenario: str
    command: str
    seconds: float
    peak_mib: float
    ratio: float | None = None


def measure(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one command in a fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=cwd, env=env or ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{process.stderr.read().decode()}")  # type: ignore[union-attr]
    return seconds, usage.ru_maxrss / 1024


def median_of(repeat: int, run) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    results = [run() for _ in range(repeat)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def ankigen(*args: str) -> list[str]:
    return [sys.executable, "-m", "ankigen", *args]


def text_scenario(
    root: Path,
    cards: int,
    repeat: int,
    pictures: int = 0,
    per_file: int = CARDS_PER_FILE,
    subdecks: int = 0,
) -> list[Figure]:
    label = f"{cards:,} cards" + (f", {pictures} pictures" if pictures else "")
    label += ", 1 per file" if per_file == 1 else ""
    label += f", {subdecks:,} decks" if subdecks else ""
    notes = write_corpus(
        root, cards, pictures=pictures, images=cards // 100, per_file=per_file, subdecks=subdecks
    )
    build_dir = root / "build"
    figures: list[Figure] = []

    def cold() -> tuple[float, float]:
        shutil.rmtree(build_dir, ignore_errors=True)
        return measure(ankigen("build", "notes", "-q"), root)

    def warm() -> tuple[float, float]:
        return measure(ankigen("build", "notes", "-q"), root)

    first = sorted(notes.glob("*.md"))[0]
    original = first.read_text(encoding="utf-8")
    counter = iter(range(1_000_000))

    def one_changed() -> tuple[float, float]:
        first.write_text(original.replace("is ", f"is (edit {next(counter)}) ", 1), "utf-8")
        return measure(ankigen("build", "notes", "-q"), root)

    floor = median_of(
        repeat, lambda: measure([sys.executable, str(FLOOR), "notes", "f.apkg"], root)
    )
    figures.append(Figure(label, "floor (genanki, no rendering)", *floor))

    def check_cold() -> tuple[float, float]:
        shutil.rmtree(build_dir, ignore_errors=True)
        return measure(ankigen("check", "notes"), root)

    figures.append(Figure(label, "ankigen check, cold", *median_of(repeat, check_cold)))
    figures.append(Figure(label, "ankigen build, cold", *median_of(repeat, cold)))
    if pictures:
        one_core = {**ENV, "ANKIGEN_JOBS": "1"}

        def cold_one_core() -> tuple[float, float]:
            shutil.rmtree(build_dir, ignore_errors=True)
            return measure(ankigen("build", "notes", "-q"), root, one_core)

        figures.append(
            Figure(label, "ankigen build, cold, one core", *median_of(repeat, cold_one_core))
        )
    cold()
    figures.append(Figure(label, "ankigen build, warm", *median_of(repeat, warm)))
    figures.append(
        Figure(label, "ankigen build, one card changed", *median_of(repeat, one_changed))
    )
    first.write_text(original, encoding="utf-8")
    figures.append(
        Figure(
            label,
            "ankigen check, warm",
            *median_of(repeat, lambda: measure(ankigen("check", "notes"), root)),
        )
    )
    for figure in figures:
        figure.ratio = figure.seconds / floor[0]
    return figures


def history_scenario(root: Path, cards: int, commits: int, repeat: int) -> list[Figure]:
    """The same notes built with and without their git history (`commits` commits, each
    editing one card, a release tag every 100): what working out the notes' times costs."""
    import random

    label = f"{cards:,} cards, {commits:,} commits"
    notes = write_corpus(root / "repo", cards)
    repo = notes.parent
    env = {
        **ENV,
        **{
            f"GIT_{who}_{what}": value
            for who in ("AUTHOR", "COMMITTER")
            for what, value in (("NAME", "bench"), ("EMAIL", "bench@example.org"))
        },
    }

    def git(*args: str, when: int) -> None:
        stamp = {"GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}
        subprocess.run(
            ["git", *args], cwd=repo, env={**env, **stamp}, check=True, stdout=subprocess.DEVNULL
        )

    start = 1_600_000_000
    git("init", "-q", when=start)
    (repo / ".gitignore").write_text("build/\n")
    git("add", "-A", when=start)
    git("commit", "-qm", "notes", when=start)
    rng = random.Random(commits)
    files = sorted(notes.glob("*.md"))
    for number in range(1, commits):
        path = rng.choice(files)
        text = path.read_text(encoding="utf-8")
        at = rng.randrange(len(text) // 2, len(text))
        at = text.index("\n", at) if "\n" in text[at:] else len(text)
        path.write_text(text[:at] + f" (edit {number})" + text[at:], encoding="utf-8")
        git("commit", "-qam", f"edit {number}", when=start + number * 3600)
        if number % 100 == 0:
            git("tag", "-a", f"v{number // 100}", "-m", "release", when=start + number * 3600)
    plain = root / "plain"  # the same notes with no history: every note takes its file's time
    shutil.copytree(notes, plain / "notes")
    figures: list[Figure] = []
    for where, name in ((plain, "no history"), (repo, "with history")):

        def cold(where: Path = where) -> tuple[float, float]:
            shutil.rmtree(where / "build", ignore_errors=True)
            return measure(ankigen("build", "notes", "-q"), where)

        def warm(where: Path = where) -> tuple[float, float]:
            return measure(ankigen("build", "notes", "-q"), where)

        figures.append(Figure(label, f"build, cold, {name}", *median_of(repeat, cold)))
        cold()
        figures.append(Figure(label, f"build, warm, {name}", *median_of(repeat, warm)))
    for figure, base in zip(figures[2:], figures[:2], strict=True):
        figure.ratio = figure.seconds / base.seconds  # against the same build without history
    figures[0].ratio = figures[1].ratio = 1.0
    return figures


def sections_scenario(root: Path, cards: int, shapes: list[int], repeat: int) -> list[Figure]:
    """The same `cards` cards in one note file of each number of sections (subdecks) in
    `shapes`, built cold and warm, side by side: a deep deck tree should cost what a shallow
    one does. Each ratio is to the same build of the first shape."""
    figures: list[Figure] = []
    for sections in shapes:
        where = root / f"sections-{sections}"
        write_sectioned_file(where, cards, sections)

        def cold(where: Path = where) -> tuple[float, float]:
            shutil.rmtree(where / "build", ignore_errors=True)
            return measure(ankigen("build", "notes", "-q"), where)

        def warm(where: Path = where) -> tuple[float, float]:
            return measure(ankigen("build", "notes", "-q"), where)

        label = f"1 file, {sections:,} sections"
        figures.append(Figure(label, "ankigen build, cold", *median_of(repeat, cold)))
        cold()
        figures.append(Figure(label, "ankigen build, warm", *median_of(repeat, warm)))
    for at, figure in enumerate(figures):
        figure.ratio = figure.seconds / figures[at % 2].seconds
    return figures


def _compile_ankigen() -> None:
    """Byte-compile ankigen as an installation does, so that no run pays for compiling it
    (an editable install with PYTHONDONTWRITEBYTECODE set would compile it in every run)."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import ankigen, compileall, pathlib; "
            "compileall.compile_dir(pathlib.Path(ankigen.__file__).parent, quiet=1)",
        ],
        check=True,
        env={**ENV, "PYTHONDONTWRITEBYTECODE": ""},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--pictures", type=int, default=200, help="pictures in a 1,000-card deck")
    parser.add_argument(
        "--one-per-file", type=int, default=10000, help="cards in a deck of one file per card"
    )
    parser.add_argument(
        "--history", type=int, default=1000, help="commits of history for a 10,000-card deck"
    )
    parser.add_argument("--history-cards", type=int, default=10000, help=argparse.SUPPRESS)
    parser.add_argument(
        "--subdecks", type=int, default=1000, help="subdecks of a 10,000-card deck (0: none)"
    )
    parser.add_argument("--subdeck-cards", type=int, default=10000, help=argparse.SUPPRESS)
    parser.add_argument(
        "--sections",
        default="10,1000,3000",
        help="numbers of sections of one file of 3,000 cards, side by side ('': none)",
    )
    parser.add_argument("--section-cards", type=int, default=3000, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--hostile", action="store_true", help="crafted notes, two sizes each")
    parser.add_argument("--hostile-scale", type=float, default=1.0, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.hostile:
        _compile_ankigen()
        with tempfile.TemporaryDirectory(prefix="ankigen-bench-") as folder:
            rows = hostile_rows(Path(folder), options.hostile_scale)
        print(f"{'pattern':<26} {'command, size':<20} {'seconds':>8}")
        for pattern, size, seconds in rows:
            print(f"{pattern:<26} {size:<20} {seconds:8.3f}")
        return
    sizes = [int(s) for s in options.sizes.split(",")]
    repeat = options.repeat
    if options.quick:
        sizes, repeat = [1000, 10000], 1
    figures: list[Figure] = []
    _compile_ankigen()
    help_time = median_of(5, lambda: measure(ankigen("--help"), Path.cwd()))
    figures.append(Figure("start-up", "ankigen --help", *help_time))
    with tempfile.TemporaryDirectory(prefix="ankigen-bench-") as folder:
        for size in sizes:
            figures += text_scenario(Path(folder, f"text-{size}"), size, repeat)
        if options.one_per_file:
            files = Path(folder, "files")
            figures += text_scenario(files, options.one_per_file, repeat, per_file=1)
        if options.subdecks:
            deep = Path(folder, "subdecks")
            figures += text_scenario(deep, options.subdeck_cards, repeat, subdecks=options.subdecks)
        if options.sections:
            shapes = [int(s) for s in options.sections.split(",")]
            root = Path(folder, "sections")
            figures += sections_scenario(root, options.section_cards, shapes, repeat)
        if options.pictures:
            figures += text_scenario(Path(folder, "pictures"), 1000, repeat, options.pictures)
        if options.history:
            root = Path(folder, "history")
            figures += history_scenario(root, options.history_cards, options.history, repeat)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}"
    )
    print(f"{'scenario':<26} {'command':<34} {'seconds':>8} {'peak MiB':>9} {'x floor':>8}")
    # The history rows' ratio is to the same build of the same notes without their history,
    # the sections rows' to the same build of the first number of sections.
    for f in figures:
        ratio = f"{f.ratio:8.2f}" if f.ratio is not None else f"{'':>8}"
        print(f"{f.scenario:<26} {f.command:<34} {f.seconds:8.3f} {f.peak_mib:9.1f} {ratio}")


if __name__ == "__main__":
    main()
