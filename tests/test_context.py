"""The run's outside inputs, read once into a Context and passed down: the pipeline takes the
epoch, the worker count, the key's place and the working folder from the context it is given,
not from the process, nor from another run's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ankigen.build import build
from ankigen.config import Config
from ankigen.context import Context
from ankigen.errors import Diagnostics
from ankigen.storage import Storage

from .conftest import Project, spy_on_parses


def test_the_environment_is_read_into_the_context(tmp_path: Path) -> None:
    environ = {"SOURCE_DATE_EPOCH": "1700000000", "ANKIGEN_JOBS": "3", "XDG_CACHE_HOME": "/c"}
    context = Context.from_environment(environ, cwd=tmp_path)
    assert (context.cwd, context.epoch, context.jobs) == (tmp_path, 1_700_000_000, 3)
    assert context.key_file == Path("/c/ankigen/cache-key")
    unset = Context.from_environment({"SOURCE_DATE_EPOCH": "soon", "ANKIGEN_JOBS": "many"})
    assert unset.epoch is None and unset.jobs == (os.cpu_count() or 1)
    assert unset.key_file == Path.home() / ".cache" / "ankigen" / "cache-key"
    assert Context.from_environment({"ANKIGEN_JOBS": "0"}).jobs == 1


def test_a_build_takes_its_inputs_from_the_context_given(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "process-cache"))
    project.write("source_notes/d.md", "# D\n\n## Question\n\nAnswer.\n")
    monkeypatch.chdir(project.root)
    key = tmp_path / "given-cache" / "cache-key"
    context = Context(cwd=project.root, epoch=1_234_567_890, jobs=1, key_file=key)
    config = Config()
    result = build(config, [config.source], config.output, Diagnostics(), context=context)
    assert result.written
    assert {note.modified for package in result.packages for note in package.notes} == {
        1_234_567_890
    }
    assert key.is_file()
    assert not (tmp_path / "process-cache").exists()


def test_contexts_with_different_keys_do_not_trust_each_others_records(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each run seals with its own context's key, even when two run in one process: what one
    sealed (notes, pictures) is not trusted by the other, and is read again by its own."""
    parsed = spy_on_parses(monkeypatch)
    plot = "```plot softmax\nlogits: [2, 1, 0]\n```\n"
    project.write("source_notes/d.md", f"# D\n\n## Question\n\n{plot}\n")
    monkeypatch.chdir(project.root)
    first, second = (
        Context(cwd=project.root, epoch=1_700_000_000, jobs=1, key_file=tmp_path / name / "key")
        for name in ("first", "second")
    )
    config = Config()

    def build_in(context: Context) -> None:
        assert build(config, [config.source], config.output, Diagnostics(), context=context).written

    build_in(first)
    build_in(first)
    assert parsed == ["d.md"]  # the second build took the first's notes
    build_in(second)
    assert parsed == ["d.md"] * 2  # sealed under another key: parsed again
    build_in(second)
    assert parsed == ["d.md"] * 2
    build_in(first)
    assert parsed == ["d.md"] * 3  # the second run's records are not the first's either

    ours, theirs = Storage.of(first), Storage.of(second)
    assert ours.key is not None and theirs.key is not None and ours.key != theirs.key
    sealed = ours.seal(b"record")
    assert sealed is not None
    assert (ours.unseal(sealed), theirs.unseal(sealed)) == (b"record", None)
    pictures = list((config.output / ".cache" / "pictures").glob("*.json"))
    assert pictures  # drawn under the first key last, so only it reads them
    for picture in pictures:
        meta = picture.read_bytes()
        assert ours.unseal(meta) is not None and theirs.unseal(meta) is None
