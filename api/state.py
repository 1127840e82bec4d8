"""What the app keeps between requests: the layers' path and objects built from them.

Objects are rebuilt when the GeoPackage changes on disk (a new import, a QGIS
save) and only after the new file validates; until then the last valid
version keeps serving.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path

from gis import store
from gis.errors import LayerError
from gis.join import GridIndex
from gis.ledger.cases import Cases
from gis.ledger.db import Ledger
from gis.settings import get_settings
from gis.validate import ensure_valid
from maps.printout import Atlas

_LOCK = threading.RLock()  # re-entrant: one cached object may be built from another
_CACHE: dict[str, tuple[tuple[int, int], object]] = {}


def layers_path() -> Path:
    return get_settings().layers


def _version(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def cached(kind: str, build):
    """The object built by ``build(path)`` for the current layers, rebuilt when they change."""
    path = layers_path()
    with _LOCK:
        current = _CACHE.get(kind)
        try:
            version = _version(path)
        except FileNotFoundError:
            if current:
                return current[1]
            raise LayerError("图层文件不存在 (layer file not found)", file=str(path)) from None
        if current and current[0] == version:
            return current[1]
        try:
            value = build(path)
        except LayerError:
            if current:  # keep serving the last valid layers
                return current[1]
            raise
        _CACHE[kind] = (version, value)
        return value


def atlas_for() -> Atlas:
    return cached("atlas", lambda path: Atlas(path, frames=layer_set().frames, data_dir=get_settings().data_dir))


@dataclass
class LayerSet:
    """The validated layers in memory, whether they are sample data, and the hillshade basemap."""

    frames: dict
    sample: bool
    hillshade: tuple[str, list] | None


def _load(path: Path) -> LayerSet:
    from maps.web import STATIC_PREFIX, hillshade_png

    frames = store.read_layers(ensure_valid(path))
    dem = store.dem_path(path)
    hillshade = None
    if dem.exists():
        bounds = hillshade_png(dem, cache_dir() / "hillshade.png")
        hillshade = (f"{STATIC_PREFIX}/cache/hillshade.png", bounds)
    return LayerSet(frames, any(store.is_synthetic(f) for f in frames.values()), hillshade)


def cache_dir() -> Path:
    return Path(get_settings().data_dir) / "cache"


def layer_set() -> LayerSet:
    return cached("layers", _load)


@functools.lru_cache(maxsize=4)
def _ledger_at(data_dir: Path) -> Ledger:
    return Ledger.in_dir(data_dir)


def ledger() -> Ledger:
    """The ledger of the configured data directory (one object; connections per thread)."""
    return _ledger_at(Path(get_settings().data_dir).resolve())


def grid_index() -> GridIndex:
    return cached("grid_index", GridIndex.from_layers)


def case_store() -> Cases:
    return Cases(ledger(), grid_index)
