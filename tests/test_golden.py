"""Every byte ankigen produces, held against the committed dumps in tests/golden/dumps/.

The dumps are made by tests/golden_dumps.py (its docstring says what is dumped and what is
normalised). After an intended change of output, rewrite them deliberately with
    python -m tests.golden_dumps --write
or  ANKIGEN_UPDATE_GOLDENS=1 pytest tests/test_golden.py
and review the diff of tests/golden/dumps/ before committing it.
"""

from __future__ import annotations

import os
import warnings

import pytest

from . import golden_dumps

UPDATE = os.environ.get("ANKIGEN_UPDATE_GOLDENS") == "1"


@pytest.mark.parametrize("generator", list(golden_dumps.GENERATORS))
def test_output_is_byte_for_byte_the_golden(generator: str) -> None:
    produced = golden_dumps.generate(generator)
    if UPDATE:
        golden_dumps.write(produced)
        warnings.warn(f"rewrote the {generator} goldens", stacklevel=1)
    missing = [name for name in produced if not (golden_dumps.GOLDEN_DIR / name).is_file()]
    assert not missing, f"no golden for {missing}: run python -m tests.golden_dumps --write"
    diffs = [
        golden_dumps.difference(
            name, (golden_dumps.GOLDEN_DIR / name).read_bytes().decode("utf-8"), text
        )
        for name, text in produced.items()
    ]
    changed = "".join(diffs)
    assert not changed, (
        "ankigen's output changed; if intended, rewrite with python -m tests.golden_dumps --write"
        f"\n{changed}"
    )


def test_no_golden_is_left_without_its_generator() -> None:
    prefixes = tuple(f"{name}-" for name in golden_dumps.GENERATORS)
    stray = [p.name for p in golden_dumps.GOLDEN_DIR.iterdir() if not p.name.startswith(prefixes)]
    assert not stray
