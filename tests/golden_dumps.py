"""Golden dumps of everything ankigen produces, taken through its public command line only.

A behaviour-preserving refactor (issue 14) must leave every byte of these unchanged.
tests/test_golden.py regenerates each dump in a temporary folder and compares it with the
committed file in tests/golden/dumps/. To rewrite the goldens after an intended change:

    python -m tests.golden_dumps --write            # from the repository's root
    ANKIGEN_UPDATE_GOLDENS=1 pytest tests/test_golden.py

A normal test run never writes them. `python -m tests.golden_dumps` alone only compares.

What is dumped (one generator per group, each in a fresh temporary folder):
- corpus-*.txt: `ankigen build` of a corpus, read back from the .apkg (not from ankigen's own
  structures): the package's sha256, its note types and decks, the media files with their
  sha256, and every note sorted by GUID (note type, tags, time, each card's deck, every field's
  exact HTML). Corpora: the seed deck (source_notes/: basic, cloze, formulas, the four plot
  kinds), a small bench corpus (bench/corpus.py, fixed seed: clozes, formulas, code, a plot,
  PNG pictures) and the preview lab (tests/preview/lab: nested and hinted clozes, clozes in
  formulas and code, a table, a link).
- check-broken.{json,txt}: `ankigen check` on tests/broken/notes, in json and text formats.
- preview-*.html / preview-*-index.json / preview-*-files.txt: `ankigen preview` of the seed
  deck and of the lab: index.html with each chunk's cards put in its placeholder (as the page's
  script does), the filter's index, and the folder's files with their sha256 (MathJax's files
  only counted: they come from the django-static-mathjax package, not from ankigen).
- diff-*.{txt,md,json}: `ankigen diff` between two builds of a fixed pair of note folders (an
  edit, an added and a removed card, a deck move by `{#id}`, a removed cloze number, a basic
  card turned cloze, a deck renamed), in every format.

Determinism and normalisation:
- every project is a copy in a temporary folder that is not in a git repository
  (GIT_CEILING_DIRECTORIES stops git from looking above it), so note times are
  SOURCE_DATE_EPOCH (fixed below) and notetimes.RENDERING_CHANGED, which only applies to
  committed notes, plays no part;
- ankigen runs as a separate process (`python -m ankigen`, this checkout first on the import
  path), with its own XDG_CACHE_HOME in the temporary folder, so no cache or key of the
  machine is read;
- the temporary folder's path, wherever it appears in output, is replaced by `<tmp>`; commands
  run inside the project with relative paths, so nothing else is path-dependent;
- nothing else is normalised: the preview's build id is a digest of the page itself.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOLDEN_DIR = Path(__file__).resolve().parent / "golden" / "dumps"
SEED_NOTES = REPO / "source_notes"
BROKEN = REPO / "tests" / "broken"
LAB_NOTES = REPO / "tests" / "preview" / "lab" / "notes"
EPOCH = 1_700_000_000
NEW_EPOCH = EPOCH + 86_400  # the diff's newer package: Anki updates what changed

Dumps = dict[str, str]  # file name in GOLDEN_DIR -> its text


# --- running the CLI --------------------------------------------------------------------------


def run(root: Path, *args: str, epoch: int = EPOCH, expect: int | None = 0) -> str:
    """`python -m ankigen ARGS` in `root`; stdout + stderr with the temporary folder's path
    replaced by `<tmp>`."""
    tmp = root.parent
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GIT_") and key not in {"SOURCE_DATE_EPOCH", "PYTHONPATH"}
    }
    env |= {
        "SOURCE_DATE_EPOCH": str(epoch),
        "XDG_CACHE_HOME": str(tmp / "xdg-cache"),
        "GIT_CEILING_DIRECTORIES": str(tmp),
        "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "LC_ALL": "C.UTF-8",
    }
    done = subprocess.run(
        [sys.executable, "-m", "ankigen", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if expect is not None and done.returncode != expect:
        raise AssertionError(
            f"ankigen {' '.join(args)}: exit {done.returncode}, not {expect}\n{done.stderr}"
        )
    out = f"exit status: {done.returncode}\n--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
    return normalise(out, tmp)


def normalise(text: str, tmp: Path) -> str:
    for path in {str(tmp.resolve()), str(tmp)}:
        text = text.replace(path, "<tmp>")
    return text


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sources(notes: Path) -> str:
    """The corpus's files with their sha256: a changed corpus shows here first."""
    lines = ["sources:"]
    for path in sorted(p for p in notes.rglob("*") if p.is_file()):
        lines.append(f"  {path.relative_to(notes).as_posix()} {sha256(path.read_bytes())}")
    return "\n".join(lines) + "\n"


# --- reading a package back -------------------------------------------------------------------


def dump_apkg(apkg: Path) -> str:
    """A package as text, read from its zip and its collection alone."""
    out = [f"package: {apkg.name}", f"sha256: {sha256(apkg.read_bytes())}"]
    with zipfile.ZipFile(apkg) as archive:
        entries = archive.namelist()
        db = sqlite3.connect(":memory:")
        db.deserialize(archive.read("collection.anki2"))
        media_map: dict[str, str] = json.loads(archive.read("media"))
        media = {name: sha256(archive.read(key)) for key, name in media_map.items()}
    out.append(f"zip entries: {' '.join(entries)}")
    models_json, decks_json, col_mod, crt = db.execute(
        "SELECT models, decks, mod, crt FROM col"
    ).fetchone()
    out.append(f"collection: mod {col_mod}, crt {crt}")
    models = json.loads(models_json)
    decks = {int(k): v["name"] for k, v in json.loads(decks_json).items()}
    out.append("note types:")
    for mid, model in sorted(models.items(), key=lambda item: item[1]["name"]):
        fields = ", ".join(f["name"] for f in model["flds"])
        out.append(f"  {model['name']} (id {mid}, type {model['type']}): {fields}")
        out.append(f"    css sha256 {sha256(model['css'].encode())}")
        for template in model["tmpls"]:
            out.append(
                f"    template {template['name']!r}: qfmt sha256 "
                f"{sha256(template['qfmt'].encode())}, afmt sha256 "
                f"{sha256(template['afmt'].encode())}"
            )
    out.append("decks:")
    out += [f"  {did} {name}" for did, name in sorted(decks.items(), key=lambda d: d[1])]
    out.append(f"media ({len(media)}):")
    out += [f"  {name} {digest}" for name, digest in sorted(media.items())]
    cards: dict[int, list[tuple[int, int, int]]] = {}
    for cid, nid, did, ord_ in db.execute("SELECT id, nid, did, ord FROM cards ORDER BY id"):
        cards.setdefault(nid, []).append((ord_, did, cid))
    notes = db.execute("SELECT id, guid, mid, mod, tags, flds FROM notes").fetchall()
    out.append(f"notes ({len(notes)}), cards ({sum(len(c) for c in cards.values())}):")
    for nid, guid, mid, mod, tags, flds in sorted(notes, key=lambda n: n[1]):
        model = models[str(mid)]
        out.append("")
        out.append(f"=== note {guid}")
        out.append(f"id: {nid}  mod: {mod}")
        out.append(f"note type: {model['name']}")
        out.append(f"tags: {tags.strip()}")
        for ord_, did, cid in sorted(cards.get(nid, [])):
            out.append(f"card {ord_ + 1} (id {cid}): deck {decks.get(did, did)}")
        values = flds.split("\x1f")
        names = [f["name"] for f in model["flds"]]
        assert len(values) == len(names), guid
        for name, value in zip(names, values, strict=True):
            out.append(f"--- field {name} ({len(value)} characters)")
            out.append(value)
    db.close()
    return "\n".join(out) + "\n"


# --- the dumps --------------------------------------------------------------------------------


def _bench_corpus(root: Path) -> Path:
    spec = importlib.util.spec_from_file_location("bench_corpus", REPO / "bench" / "corpus.py")
    assert spec is not None and spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    notes: Path = corpus.write_corpus(root, cards=16, pictures=1, images=2, per_file=8)
    return notes


def _corpus(tmp: Path, name: str, fill: Callable[[Path], None]) -> str:
    root = tmp / name
    notes = root / "notes"
    fill(notes)
    sources = _sources(notes)
    log = run(root, "build", "notes", "-o", "out.apkg")
    return f"{sources}--- ankigen build notes -o out.apkg\n{log}\n{dump_apkg(root / 'out.apkg')}"


def corpus_dumps(tmp: Path) -> Dumps:
    def seed(notes: Path) -> None:
        shutil.copytree(SEED_NOTES, notes)

    def bench(notes: Path) -> None:
        _bench_corpus(notes.parent)

    def lab(notes: Path) -> None:
        shutil.copytree(LAB_NOTES, notes)

    return {
        "corpus-seed.txt": _corpus(tmp, "seed", seed),
        "corpus-bench.txt": _corpus(tmp, "bench", bench),
        "corpus-lab.txt": _corpus(tmp, "lab", lab),
    }


def check_dumps(tmp: Path) -> Dumps:
    root = tmp / "broken"
    shutil.copytree(BROKEN, root)
    return {
        "check-broken.json": run(root, "check", "--format", "json", "notes", expect=1),
        "check-broken.txt": run(root, "check", "notes", expect=1),
    }


def _folder_files(folder: Path) -> str:
    lines, mathjax = [], 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative.startswith("mathjax/"):
            mathjax += 1
        else:
            lines.append(f"{relative} {sha256(path.read_bytes())}")
    return "\n".join([*lines, f"mathjax/: {mathjax} files"]) + "\n"


def _preview(tmp: Path, name: str, notes: Path) -> Dumps:
    root = tmp / f"preview-{name}"
    shutil.copytree(notes, root / "notes")
    log = run(root, "preview", "notes", "-o", "pv")
    from .preview.folder_text import page_with_cards, search_index

    page = normalise(page_with_cards(root / "pv"), tmp)
    index = json.dumps(search_index(root / "pv"), indent=1, ensure_ascii=False) + "\n"
    return {
        f"preview-{name}.html": page,
        f"preview-{name}-index.json": normalise(index, tmp),
        f"preview-{name}-files.txt": f"{log}--- files\n{_folder_files(root / 'pv')}",
    }


def preview_dumps(tmp: Path) -> Dumps:
    return _preview(tmp, "seed", SEED_NOTES) | _preview(tmp, "lab", LAB_NOTES)


# One card per file, as in tests/test_diff_effects.py: every kind of change diff reports.
OLD_FILES = {
    "kept.md": "# D\n\n## Kept\n\nsame\n",
    "edited.md": "# D\n\n## Edited\n\nold words here, and $x^2$\n",
    "typed.md": "# D\n\n## Typed\n\nplain answer\n",
    "clozed.md": "# D\n\n## Clozed\n\n{{c1::one}} and {{c2::two}}\n",
    "moves.md": "# D\n\n## Moves {#moves}\n\nmoving card\n",
    "gone.md": "# D\n\n## Gone\n\nbye, this card goes away\n",
    "renamed.md": "# D\n\n## Old name of a card\n\na card whose heading is rewritten\n",
    "e1.md": "# E\n\n## One\n\nfirst\n",
    "e2.md": "# E\n\n## Two\n\nsecond\n",
}
NEW_FILES = {
    **OLD_FILES,
    "edited.md": "# D\n\n## Edited\n\nnew words here, and $x^3$\n",
    "typed.md": "# D\n\n## Typed\n\nnow {{c1::cloze}}\n",
    "clozed.md": "# D\n\n## Clozed\n\n{{c1::one}} and two\n",
    "moves.md": "# D\n\n## Sub\n\n### Moves {#moves}\n\nmoving card\n",
    "fresh.md": "# D\n\n## Fresh\n\nhello, a new card\n",
    "renamed.md": "# D\n\n## New name of a card\n\na card whose heading is rewritten\n",
    "e1.md": "# E renamed\n\n## One\n\nfirst\n",
    "e2.md": "# E renamed\n\n## Two\n\nsecond\n",
}
del NEW_FILES["gone.md"]


def diff_dumps(tmp: Path) -> Dumps:
    root = tmp / "diff"
    for folder, files in (("old", OLD_FILES), ("new", NEW_FILES)):
        for name, text in files.items():
            (root / folder).mkdir(parents=True, exist_ok=True)
            (root / folder / name).write_text(text, encoding="utf-8")
    builds = run(root, "build", "old", "-o", "old.apkg", epoch=EPOCH)
    builds += run(root, "build", "new", "-o", "new.apkg", epoch=NEW_EPOCH)
    dumps = {"diff-builds.txt": builds}
    for fmt, suffix in (("text", "txt"), ("markdown", "md"), ("json", "json")):
        dumps[f"diff-{fmt}.{suffix}"] = run(
            root, "diff", "old.apkg", "new.apkg", "--format", fmt, epoch=NEW_EPOCH
        )
    return dumps


GENERATORS: dict[str, Callable[[Path], Dumps]] = {
    "corpus": corpus_dumps,
    "check": check_dumps,
    "preview": preview_dumps,
    "diff": diff_dumps,
}


def generate(name: str) -> Dumps:
    """One generator's dumps, made in a fresh temporary folder outside any git repository."""
    with tempfile.TemporaryDirectory(prefix="ankigen-golden-") as tmp:
        return GENERATORS[name](Path(tmp))


# --- comparing and writing --------------------------------------------------------------------


def difference(name: str, expected: str, actual: str, limit: int = 60) -> str:
    """A short unified diff of a golden and its regenerated text; empty when equal."""
    if expected == actual:
        return ""
    lines = list(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            f"golden/{name}",
            f"regenerated/{name}",
            n=2,
        )
    )
    if not lines:  # only a final newline or line endings differ
        lines = [f"{name}: differs in line endings or the final newline\n"]
    cut = lines[:limit]
    if len(lines) > limit:
        cut.append(f"... {len(lines) - limit} more diff lines\n")
    return "".join(cut)


def write(dumps: Dumps) -> None:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in dumps.items():
        (GOLDEN_DIR / name).write_text(text, encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the golden files")
    args = parser.parse_args(argv)
    produced: Dumps = {}
    for name in GENERATORS:
        produced |= generate(name)
    if args.write:
        for stale in GOLDEN_DIR.glob("*"):
            if stale.name not in produced:
                stale.unlink()
        write(produced)
        print(f"wrote {len(produced)} golden files to {GOLDEN_DIR.relative_to(REPO)}")
        return 0
    failed = False
    for name, text in produced.items():
        path = GOLDEN_DIR / name
        golden = path.read_bytes().decode("utf-8") if path.is_file() else ""
        diff = difference(name, golden, text)
        if diff:
            failed = True
            sys.stdout.write(diff)
    print("goldens differ" if failed else f"{len(produced)} goldens unchanged")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
