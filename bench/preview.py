"""Benchmark of `ankigen preview` on big decks, in headless Chromium (tests/preview/chromium.py).

Usage:
    python bench/preview.py                    # the seed deck, 10,000 and 50,000 cards
    python bench/preview.py --cards 2000 --memory-cards 5000 --repeat 1
    python bench/preview.py --only serve --repeat 5   # just the --serve row, at 10,000 cards
    python bench/preview.py --scroll-only         # the scrolling rows of 10,000 cards

Rows, side by side in one run (medians of --repeat):
- the time the page takes to open, from the browser's navigation to its first screen painted,
  the formulas on it typeset and the filter's index loaded (<html data-mathjax="done">), each
  in a fresh Chromium: the seed deck (51 cards) and the big deck; the ratio is to the seed;
- the filter: from typing a deep card's GUID to that card shown and typeset, the slowest of three;
- scrolling: the longest task of the page's main thread (the worst of --repeat; 0: none over
  50 ms) while it scrolls 60 screens down, while it scrolls at a reader's pace (100 px 20 times
  a second), and while it follows links to five cards deep in the deck (--scroll-only: these
  rows alone);
- `preview` and `build` after one changed card, each in a fresh process; the ratio is to build;
- `--serve`: from the save of a changed card to the change shown in the open page, on the big
  deck, on as many cards kept a card to a file, and on as many in one file (a section to ten);
- peak memory (resident set size) of `preview`, cold and warm, and of `--serve` through one
  rebuild, on the memory deck.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from corpus import write_corpus, write_sectioned_file
from run import ENV, _compile_ankigen, ankigen, measure

from tests.preview.chromium import Browser

SEED = Path(__file__).parent.parent / "source_notes"
Row = tuple[str, str, float, str]  # scenario, what, value, unit and ratio

_WHEN_DONE = """new Promise((resolve) => {
  const root = document.documentElement;
  const check = () => root.dataset.mathjax ? resolve([root.dataset.mathjax, performance.now()])
                                            : requestAnimationFrame(check);
  check();
})"""


def open_ms(index: Path, profile: Path) -> float:
    """Milliseconds from navigation to the page's first screen ready, in a fresh Chromium."""
    browser = Browser(profile)
    try:
        browser.open(index.as_uri(), timeout=120)
        state, at = browser.evaluate(_WHEN_DONE)
        assert state == "done", state
        return float(at)
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)


def filter_ms(browser: Browser, text: str) -> float:
    """Milliseconds from typing `text` in the filter to its one card shown and typeset."""
    return float(
        browser.evaluate(
            f"""new Promise((resolve) => {{
      const box = document.getElementById('pv-filter');
      box.value = ''; box.dispatchEvent(new Event('input'));
      requestAnimationFrame(() => {{
        const start = performance.now();
        box.value = {text!r}; box.dispatchEvent(new Event('input'));
        const check = () => {{
          const tile = [...document.querySelectorAll('.pv-tile')].find(t => t.offsetParent);
          if (tile && tile.hasAttribute('data-typeset')) resolve(performance.now() - start);
          else requestAnimationFrame(check);
        }};
        check();
      }});
    }})"""
        )
    )


_LONGEST_TASK = """new Promise((resolve) => {{
  let longest = 0;
  const watch = new PerformanceObserver((list) => {{
    for (const entry of list.getEntries()) longest = Math.max(longest, entry.duration);
  }});
  watch.observe({{entryTypes: ['longtask']}});
  window.scrollTo(0, 0);
  let step = 0;
  const timer = setInterval(() => {{
    {move}
    if (++step === {steps}) {{
      clearInterval(timer);
      setTimeout(() => {{ watch.disconnect(); resolve(longest); }}, {rest});
    }}
  }}, {every});
}})"""


def longest_scroll_task_ms(browser: Browser, screens: int) -> float:
    """The longest main-thread task while the page scrolls `screens` screens, 100 ms apart."""
    move = "window.scrollBy(0, innerHeight);"
    task = _LONGEST_TASK.format(move=move, steps=screens, every=100, rest=1000)
    return float(browser.evaluate(task))


def longest_reading_task_ms(browser: Browser, steps: int) -> float:
    """The longest main-thread task while the page scrolls at a reader's pace: 100 px at a time,
    20 times a second (a wheel's notches), `steps` times."""
    move = "window.scrollBy(0, 100);"
    task = _LONGEST_TASK.format(move=move, steps=steps, every=50, rest=1000)
    return float(browser.evaluate(task))


def longest_jump_task_ms(browser: Browser, cards: list[int]) -> float:
    """The longest main-thread task while the page follows links to `cards` (#card-N), one a
    second, from the top."""
    targets = "[" + ", ".join(str(card) for card in cards) + "]"
    move = f"location.hash = '#card-' + {targets}[step];"
    task = _LONGEST_TASK.format(move=move, steps=len(cards), every=1000, rest=2000)
    return float(browser.evaluate(task))


def scroll_rows(index: Path, profile: Path, cards: int, repeat: int) -> list[Row]:
    """The scrolling rows: the longest task of `repeat` runs, each in a fresh Chromium. A task is
    told only when it is over 50 ms (the browser's 'longtask'): 0 is none over 50 ms."""
    fast, reading, jump = [], [], []
    deep = [cards * 9 // 10, cards // 2, cards * 3 // 4, cards // 8, cards]
    for number in range(repeat):
        browser = Browser(profile / str(number))
        try:
            browser.open(index.as_uri(), timeout=120)
            browser.evaluate(_WHEN_DONE)
            fast.append(longest_scroll_task_ms(browser, 60))
            reading.append(longest_reading_task_ms(browser, 200))
            jump.append(longest_jump_task_ms(browser, deep))
        finally:
            browser.close()
    label = f"{cards:,} cards"
    return [
        (label, "scroll 60 screens: longest task, ms", max(fast), ""),
        (label, "scroll at a reader's pace: longest task, ms", max(reading), ""),
        (label, "follow 5 links deep: longest task, ms", max(jump), ""),
    ]


def edit(note: Path, counter: list[int]) -> None:
    """Change one card's text in `note`."""
    counter[0] += 1
    text = note.read_text(encoding="utf-8")
    note.write_text(text.replace("is ", f"is (edit {counter[0]}) ", 1), encoding="utf-8")


def _serve(root: Path) -> tuple[subprocess.Popen[str], str]:
    """`preview --serve` of the notes in `root`, started; and the address it serves at."""
    process = subprocess.Popen(
        ankigen("preview", "notes", "--serve", "--port", "0"),
        cwd=root,
        env={**ENV, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = next(line for line in process.stdout if "Serving the preview at" in line)
    return process, line.split(" at ", 1)[1].split()[0]


def serve_latency(root: Path, profile: Path) -> float:
    """Seconds from saving a changed heading to the open page showing it, under --serve."""
    process, address = _serve(root)
    browser = None
    try:
        browser = Browser(profile)
        browser.open(address, timeout=120)
        browser.evaluate(_WHEN_DONE)
        time.sleep(1)  # the page and the watch are both looking
        note = sorted((root / "notes").glob("*.md"))[0]
        text = note.read_text(encoding="utf-8")
        # the first card's heading: under sections, or the file's own
        found = re.search(r"^(###) (.+)$", text, re.M) or re.search(r"^(##) (.+)$", text, re.M)
        assert found is not None
        marks, heading = found.groups()
        changed = f"Renamed {time.time_ns()}"
        wait = f"""new Promise((resolve) => {{
          const check = () => {{
            const titles = [...document.querySelectorAll('.pv-title')];
            if (titles.some(t => t.textContent === {changed!r})) resolve(true);
            else setTimeout(check, 10);
          }};
          check();
          setTimeout(() => resolve(false), 30000);
        }})"""
        started = time.monotonic()
        note.write_text(text.replace(f"{marks} {heading}\n", f"{marks} {changed}\n", 1), "utf-8")
        assert browser.evaluate(wait), "the open page did not show the change within 30 s"
        return time.monotonic() - started
    finally:
        if browser is not None:
            browser.close()
        shutil.rmtree(profile, ignore_errors=True)
        process.send_signal(signal.SIGTERM)  # as Ctrl-C: a background job ignores SIGINT
        process.wait(30)


SERVE_FILE_PER_CARD = "--serve, a card per file: save to page shows it, s"
SERVE_ONE_FILE = "--serve, one file of 1 section in 10: save to page, s"


def a_file_per_card(tmp: Path, cards: int, repeat: int) -> list[float]:
    """`--serve`'s latency on `cards` cards kept a card to a file, as some people keep them."""
    root = tmp / "a-file-per-card"
    write_corpus(root, cards, images=cards // 100, per_file=1)
    return _serve_latencies(root, tmp / "profile-serve-files", repeat)


def one_file(tmp: Path, cards: int, repeat: int) -> list[float]:
    """`--serve`'s latency on `cards` cards in one file, a section (a subdeck) to ten cards."""
    root = tmp / "one-file"
    write_sectioned_file(root, cards, max(1, cards // 10))
    return _serve_latencies(root, tmp / "profile-serve-one-file", repeat)


def _serve_latencies(root: Path, profile: Path, repeat: int) -> list[float]:
    measure(ankigen("preview", "notes"), root)
    return [serve_latency(root, profile.with_name(f"{profile.name}-{n}")) for n in range(repeat)]


def serve_peak_mib(root: Path) -> float:
    """Peak resident MiB of --serve: start, one rebuild after a changed card, stop."""
    process, _ = _serve(root)
    assert process.stdout is not None
    time.sleep(2)  # as an author would, between opening the page and saving
    edit(sorted((root / "notes").glob("*.md"))[0], [1000])
    next(line for line in process.stdout if "index.html:" in line)  # the rebuild's summary
    process.send_signal(signal.SIGTERM)  # as Ctrl-C: a background job ignores SIGINT
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10000)
    parser.add_argument("--memory-cards", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=["serve"], help="only this row: --serve's latency")
    parser.add_argument(
        "--scroll-only", action="store_true", help="only the big deck's scrolling rows"
    )
    options = parser.parse_args()
    repeat = options.repeat
    _compile_ankigen()
    rows = Rows()
    with tempfile.TemporaryDirectory(prefix="ankigen-bench-preview-") as folder:
        tmp = Path(folder)
        if options.only == "serve":
            big = tmp / "big"
            write_corpus(big, options.cards, images=options.cards // 100)
            measure(ankigen("preview", "notes"), big)
            profiles = (tmp / f"profile-serve-{number}" for number in range(repeat))
            latencies = [serve_latency(big, next(profiles)) for _ in range(repeat)]
            label = f"{options.cards:,} cards"
            every = " ".join(f"{s:.2f}" for s in latencies)
            rows.append(
                (label, "--serve: save to page shows it, s", statistics.median(latencies), every)
            )
            for label, what, shape in (
                (f"{options.cards:,} files", SERVE_FILE_PER_CARD, a_file_per_card),
                (f"{options.cards:,} cards", SERVE_ONE_FILE, one_file),
            ):
                latencies = shape(tmp, options.cards, repeat)
                every = " ".join(f"{s:.2f}" for s in latencies)
                rows.append((label, what, statistics.median(latencies), every))
            _print(rows)
            return
        if options.scroll_only:
            big = tmp / "big"
            write_corpus(big, options.cards, images=options.cards // 100)
            measure(ankigen("preview", "notes"), big)
            index = big / "build" / "preview" / "index.html"
            rows.extend(scroll_rows(index, tmp / "profile-scroll", options.cards, repeat))
            _print(rows)
            return
        seed = tmp / "seed"
        shutil.copytree(SEED, seed / "notes")
        big = tmp / "big"
        write_corpus(big, options.cards, images=options.cards // 100)
        for root in (seed, big):
            measure(ankigen("preview", "notes"), root)
        seed_index, big_index = (r / "build" / "preview" / "index.html" for r in (seed, big))
        seed_ms, big_ms = [], []
        for number in range(repeat):  # side by side, in turn
            seed_ms.append(open_ms(seed_index, tmp / f"profile-seed-{number}"))
            big_ms.append(open_ms(big_index, tmp / f"profile-big-{number}"))
        seed_open, big_open = statistics.median(seed_ms), statistics.median(big_ms)
        label = f"{options.cards:,} cards"
        rows.append(("the seed deck", "open: first screen typeset, ms", seed_open, "1.00"))
        rows.append((label, "open: first screen typeset, ms", big_open, _x(big_open, seed_open)))

        browser = Browser(tmp / "profile-filter")
        try:
            browser.open(big_index.as_uri(), timeout=120)
            browser.evaluate(_WHEN_DONE)
            cards = options.cards
            deep = [cards * 9 // 10, cards - 1, cards // 2]
            texts = _guids(big_index.parent, deep)
            slowest = max(filter_ms(browser, text) for text in texts)
            rows.append((label, "filter to a deep card, ms (slowest of 3)", slowest, ""))
        finally:
            browser.close()
        rows.extend(scroll_rows(big_index, tmp / "profile-scroll", options.cards, repeat))

        note = sorted((big / "notes").glob("*.md"))[0]
        counter = [0]
        preview_s, build_s = [], []
        measure(ankigen("build", "notes", "-q"), big)
        for _ in range(repeat):
            edit(note, counter)
            preview_s.append(measure(ankigen("preview", "notes"), big)[0])
            edit(note, counter)
            build_s.append(measure(ankigen("build", "notes", "-q"), big)[0])
        after_preview, after_build = statistics.median(preview_s), statistics.median(build_s)
        rows.append((label, "build, one card changed, s", after_build, "1.00"))
        changed = _x(after_preview, after_build)
        rows.append((label, "preview, one card changed, s", after_preview, changed))
        profiles = (tmp / f"profile-serve-{number}" for number in range(repeat))
        latency = statistics.median([serve_latency(big, next(profiles)) for _ in range(repeat)])
        rows.append((label, "--serve: save to page shows it, s", latency, ""))
        latency = statistics.median(a_file_per_card(tmp, options.cards, repeat))
        rows.append((f"{options.cards:,} files", SERVE_FILE_PER_CARD, latency, ""))
        latency = statistics.median(one_file(tmp, options.cards, repeat))
        rows.append((label, SERVE_ONE_FILE, latency, ""))

        memory = tmp / "memory"
        write_corpus(memory, options.memory_cards, images=options.memory_cards // 100)
        mem_label = f"{options.memory_cards:,} cards"
        cold = measure(ankigen("preview", "notes"), memory)
        rows.append((mem_label, "preview, cold: s / peak MiB", cold[0], f"{cold[1]:.0f} MiB"))
        warm = measure(ankigen("preview", "notes"), memory)
        rows.append((mem_label, "preview, warm: s / peak MiB", warm[0], f"{warm[1]:.0f} MiB"))
        peak = serve_peak_mib(memory)
        rows.append((mem_label, "--serve, one rebuild: peak MiB", peak, ""))
    _print(rows)


def _print(rows: list[Row]) -> None:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}; "
        f"load average {' '.join(f'{n:.2f}' for n in os.getloadavg())}"
    )
    print(f"{'scenario':<18} {'measure':<54} {'value':>10} {'ratio':>8}")
    for scenario, what, value, ratio in rows:
        print(f"{scenario:<18} {what:<54} {value:10.3f} {ratio:>8}")


class Rows(list[Row]):
    """The table's rows, each also told on stderr as soon as it is measured."""

    def append(self, row: Row) -> None:
        scenario, what, value, ratio = row
        print(f"{scenario}: {what}: {value:.3f} {ratio}", file=sys.stderr, flush=True)
        super().append(row)


def _x(value: float, base: float) -> str:
    return f"{value / base:.2f}"


def _guids(folder: Path, numbers: list[int]) -> list[str]:
    """The GUIDs of the cards at those places of the page (from 0), from the filter's index."""
    import json
    import re

    page = (folder / "index.html").read_text(encoding="utf-8")
    name = re.search(r'<script defer src="(cards/[0-9a-f]+\.js)"></script>', page)
    assert name is not None
    data = (folder / name.group(1)).read_text(encoding="utf-8")
    index = json.loads(data[data.index(",") + 1 : data.rindex(")")])
    # a card's text ends with its identity, GUID and tags: the GUID is its own, but for the
    # cards of a cloze note
    words = [text.split() for text in index["text"]]
    counts: dict[str, int] = {}
    for card in words:
        for word in set(card):
            counts[word] = counts.get(word, 0) + 1
    found = []
    for number in numbers:  # the card there, or the nearest before it with a word of its own
        while not any(counts[word] == 1 for word in words[number]):
            number -= 1
        found.append(next(word for word in reversed(words[number]) if counts[word] == 1))
    return found


if __name__ == "__main__":
    main()
