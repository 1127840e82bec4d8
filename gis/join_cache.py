"""Grid indexes kept on disk, keyed by the content of the layer file and of the code that builds them.

Building a :class:`~gis.join.GridIndex` takes 5–7 s (validation, rasters, distance fields); every
command, server and Dask worker that needs the index of layers already seen loads it in a fraction
of that instead.  Only indexes of layer sets that passed validation are stored, so a hit needs no
validation either.  A changed layer file or a changed ``gis/join.py`` or ``gis/composite.py`` gives another key; the newest
``KEEP`` entries are kept, older ones removed.  An unreadable entry is removed and the index built.
Set ``MIYUN_INDEX_CACHE=0`` to always build.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from gis.atomic import replacing
from gis.cache import cache_dir

KEEP = 2  # an entry is about 350 MB for the sample layers
_CODE = [Path(__file__).with_name(name) for name in ("join.py", "composite.py")]


def enabled() -> bool:
    """``MIYUN_INDEX_CACHE`` through the settings (read now: a test or a worker may change it)."""
    from gis.settings import Settings

    return Settings().index_cache


def key_of(layers: Path, **options) -> str:
    """A key for the index of ``layers`` built with ``options`` by the current code."""
    digest = hashlib.sha256()
    with open(layers, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    for code in _CODE:
        digest.update(code.read_bytes())
    digest.update(repr(sorted(options.items())).encode())
    return digest.hexdigest()[:32]


def _folder() -> Path:
    return cache_dir() / "grid-index"


def load(key: str) -> Any | None:
    path = _folder() / f"{key}.pickle"
    try:
        with open(path, "rb") as fh:
            value = pickle.load(fh)  # our own cache folder, written only by save() below
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 — a truncated or outdated entry of any kind: build again
        path.unlink(missing_ok=True)
        return None
    os.utime(path)  # recently used: kept longest
    return value


def save(key: str, value: Any) -> None:
    """Store atomically, then remove all but the KEEP most recently used entries."""
    folder = _folder()
    try:
        with replacing(folder / f"{key}.pickle") as tmp, open(tmp, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:  # a full or read-only disk: the index still works, only not cached
        return
    entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)
