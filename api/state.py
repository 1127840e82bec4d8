"""What the app keeps between requests: its workspace, and objects built from the layers.

The app's :class:`ServedWorkspace` is made once at start (the FastAPI ``lifespan``, from the
workspace ``miyun-gis serve`` hands over or from the validated settings), kept on
``app.state.workspace`` and given to routes with ``Depends`` (:data:`Served`).  Objects are
rebuilt when the GeoPackage changes on disk (a new import, a QGIS save) and only after the new
file validates; until then the last valid version keeps serving.

The module functions (``layer_set()``, ``ledger()``, ``grid_index()`` …) are thin wrappers over
the running app's workspace, for routes and helpers that do not take it as a dependency.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from gis.layers import gpkg
from gis.errors import LayerError
from gis.join import GridIndex
from gis.ledger.cases import Cases
from gis.ledger.db import Ledger
from gis.layers.validate import ensure_valid
from gis.workspace import Workspace
from maps.printout import Atlas


@dataclass
class LayerSet:
    """The validated layers in memory, whether they are sample data, and the hillshade basemap."""

    frames: dict
    sample: bool
    hillshade: tuple[str, list] | None


def _version(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


class ServedWorkspace:
    """The app's workspace and what it builds from it, rebuilt per version of the layer file."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self._lock = threading.RLock()  # re-entrant: one cached object may be built from another
        self._cache: dict[str, tuple[tuple[int, int], object]] = {}
        self._ledger: Ledger | None = None

    @property
    def layers(self) -> Path:
        return self.workspace.layers

    @property
    def data_dir(self) -> Path:
        return Path(self.workspace.data_dir)

    @property
    def settings(self):
        return self.workspace.settings

    @property
    def cache_dir(self) -> Path:
        return self.workspace.cache_dir

    def built_for_layers(self, kind: str, build):
        """The object built by ``build(path)`` for the current layers, rebuilt when they change."""
        path = self.layers
        with self._lock:
            current = self._cache.get(kind)
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
            self._cache[kind] = (version, value)
            return value

    def _load(self, path: Path) -> LayerSet:
        from maps.web import STATIC_PREFIX, hillshade_png

        frames = gpkg.read_layers(ensure_valid(path))
        dem = gpkg.dem_path(path)
        hillshade = None
        if dem.exists():
            bounds = hillshade_png(dem, self.cache_dir / "hillshade.png")
            hillshade = (f"{STATIC_PREFIX}/cache/hillshade.png", bounds)
        return LayerSet(frames, any(gpkg.is_synthetic(f) for f in frames.values()), hillshade)

    def layer_set(self) -> LayerSet:
        return self.built_for_layers("layers", self._load)

    def grid_index(self) -> GridIndex:
        return self.built_for_layers("grid_index", GridIndex.from_layers)

    def atlas(self) -> Atlas:
        return self.built_for_layers("atlas", lambda path: Atlas(path, frames=self.layer_set().frames, data_dir=self.data_dir))

    def ledger(self) -> Ledger:
        """The ledger of the data directory (one object; connections per thread)."""
        with self._lock:
            if self._ledger is None:
                self._ledger = Ledger.in_dir(self.data_dir.resolve())
            return self._ledger

    def case_store(self) -> Cases:
        return Cases(self.ledger(), self.grid_index)


_LOCK = threading.RLock()
_CURRENT: ServedWorkspace | None = None  # the running app's (set at start); else one from the settings


def open_workspace(app, workspace: Workspace) -> ServedWorkspace:
    """Make ``workspace`` the app's (``app.state.workspace``) and the module functions' — at start."""
    global _CURRENT
    served = ServedWorkspace(workspace)
    served.cache_dir.mkdir(parents=True, exist_ok=True)
    app.state.workspace = served
    with _LOCK:
        _CURRENT = served
    return served


def current() -> ServedWorkspace:
    """The running app's workspace (outside an app: one from the settings, made once)."""
    global _CURRENT
    with _LOCK:
        if _CURRENT is None:
            _CURRENT = ServedWorkspace(Workspace.from_settings())
        return _CURRENT


def get_workspace(request: Request) -> ServedWorkspace:
    """The dependency routes declare: ``ws: Served``."""
    served = getattr(request.app.state, "workspace", None)
    return served if served is not None else current()


Served = Annotated[ServedWorkspace, Depends(get_workspace)]


# --- thin wrappers over the running app's workspace ------------------------------------------

def layers_path() -> Path:
    return current().layers


def data_dir() -> Path:
    return current().data_dir


def built_for_layers(kind: str, build):
    """The object built by ``build(path)`` for the current layers, rebuilt when they change."""
    return current().built_for_layers(kind, build)


def atlas_for() -> Atlas:
    return current().atlas()


def cache_dir() -> Path:
    return current().cache_dir


def layer_set() -> LayerSet:
    return current().layer_set()


def ledger() -> Ledger:
    """The ledger of the configured data directory (one object; connections per thread)."""
    return current().ledger()


def grid_index() -> GridIndex:
    return current().grid_index()


def case_store() -> Cases:
    return current().case_store()
