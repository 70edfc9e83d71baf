"""Pictures for `plot` blocks: drawn once, cached in the output folder, on every core.

The cache key names the kind, the parameters, the renderer's version and the format, so a
cached picture is never stale; an unchanged deck draws nothing on its next build.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .diagrams import Picture, PlotSpec

PARALLEL_FROM = 3  # below this, starting worker processes costs more than it saves


def draw_all(specs: Iterable[PlotSpec], fmt: str, cache_dir: Path) -> dict[str, Picture]:
    """Pictures for every spec, keyed by `spec.cache_key(fmt)`: from the cache or drawn now."""
    wanted = {spec.cache_key(fmt): spec for spec in specs}
    pictures = {key: picture for key in wanted if (picture := _load(cache_dir, key)) is not None}
    missing = sorted(key for key in wanted if key not in pictures)
    for key, picture in zip(missing, _draw([wanted[k] for k in missing], fmt), strict=True):
        _store(cache_dir, key, picture)
        pictures[key] = picture
    return pictures


def _draw(specs: list[PlotSpec], fmt: str) -> list[Picture]:
    from .diagrams import draw

    workers = min(len(specs), os.cpu_count() or 1)
    if len(specs) < PARALLEL_FROM or workers < 2:
        return [draw(spec, fmt) for spec in specs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(draw, specs, [fmt] * len(specs)))


def _paths(cache_dir: Path, key: str) -> tuple[Path, Path]:
    folder = cache_dir / "plots"
    return folder / f"{key}.bin", folder / f"{key}.json"


def _load(cache_dir: Path, key: str) -> Picture | None:
    data_path, meta_path = _paths(cache_dir, key)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return Picture(data_path.read_bytes(), meta["ext"], meta["alt"], meta["title"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store(cache_dir: Path, key: str, picture: Picture) -> None:
    data_path, meta_path = _paths(cache_dir, key)
    meta = {"ext": picture.ext, "alt": picture.alt, "title": picture.title}
    try:
        data_path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(data_path, picture.data)
        _write_atomically(meta_path, json.dumps(meta, sort_keys=True).encode("utf-8"))
    except OSError:
        pass  # a cache that cannot be written only costs time on the next build


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    os.replace(temporary, path)
