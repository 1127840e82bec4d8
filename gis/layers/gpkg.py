"""The reference-layer GeoPackage: read layers, write a whole set, swap atomically.

Writes never touch the live file: a new GeoPackage is written (or the live
one copied and changed) beside it under a temporary name, checked, and then
renamed over the live file in one step (``os.replace``), so a reader —
QGIS, the web app — sees either the old set or the new one, never half.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path

import geopandas as gpd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from gis.atomic import replacing
from gis.errors import LayerError
from gis.schema import GEOPACKAGE_VERSION, LAYER_BY_NAME, LAYERS, STORAGE_CRS, SYNTHETIC_PREFIX

DEM_SUFFIX = "_dem.tif"


def dem_path(gpkg: str | Path) -> Path:
    """The DEM kept beside a GeoPackage: ``layers/miyun.gpkg`` → ``layers/miyun_dem.tif``."""
    gpkg = Path(gpkg)
    return gpkg.with_name(gpkg.stem + DEM_SUFFIX)


def list_layers(path: str | Path) -> dict[str, str | None]:
    """Layer name → geometry type of every layer in a GeoPackage."""
    path = Path(path)
    if not path.exists():
        raise LayerError(f"图层文件不存在 (layer file not found)：在目录 {path.resolve().parent} 中没有 {path.name}；"
                         "用 --layers PATH 或环境变量 MIYUN_LAYERS 指定图层文件，或先运行 miyun-gis build-sample",
                         file=str(path))
    try:
        return {name: gtype for name, gtype in pyogrio.list_layers(path)}
    except DataSourceError as exc:
        raise LayerError(f"无法打开图层文件 (cannot open): {exc}", file=str(path)) from None


def read_layer(path: str | Path, name: str, **kwargs) -> gpd.GeoDataFrame:
    """One layer as a GeoDataFrame (fid kept as the index)."""
    try:
        return pyogrio.read_dataframe(path, layer=name, fid_as_index=True, **kwargs)
    except (DataLayerError, DataSourceError) as exc:
        raise LayerError(f"无法读取图层 {name} (cannot read layer): {exc}", file=str(path)) from None


def read_layers(path: str | Path, names=None) -> dict[str, gpd.GeoDataFrame]:
    """Every schema layer present in the file (or the named ones)."""
    present = list_layers(path)
    names = names or [layer.name for layer in LAYERS]
    return {name: read_layer(path, name) for name in names if name in present}


def _write_one(path: Path, name: str, frame: gpd.GeoDataFrame, *, first: bool) -> None:
    layer = LAYER_BY_NAME[name]
    frame = frame.to_crs(STORAGE_CRS)
    columns = [f for f in layer.field_names if f in frame.columns]
    extra = [c for c in frame.columns if c not in columns and c != frame.geometry.name]
    frame = frame[columns + extra + [frame.geometry.name]]
    options = {"dataset_options": {"VERSION": GEOPACKAGE_VERSION}} if first else {}
    pyogrio.write_dataframe(
        frame, path, layer=name, driver="GPKG", geometry_type=layer.geometry,
        promote_to_multi=layer.geometry.startswith("Multi"),
        layer_options={"OVERWRITE": "YES", "DESCRIPTION": layer.title, "IDENTIFIER": layer.title},
        **options,
    )
    write_data_columns(path, name, {f.name: f.alias for f in layer.fields})


_DATA_COLUMNS_DDL = (
    "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, "
    "title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, "
    "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name))",
    "CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (constraint_name TEXT NOT NULL, constraint_type TEXT "
    "NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, "
    "description TEXT, CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))",
)
_SCHEMA_EXTENSION = "http://www.geopackage.org/spec/#extension_schema"


def write_data_columns(path: str | Path, table: str, aliases: Mapping[str, str],
                       descriptions: Mapping[str, str] | None = None) -> None:
    """Field aliases in ``gpkg_data_columns`` (the GeoPackage schema extension), for any GeoPackage reader:
    ``name`` is the Chinese alias (GDAL's field alternative name), ``title`` the same."""
    import sqlite3

    with sqlite3.connect(path) as db:
        present = {row[1] for row in db.execute(f'PRAGMA table_info("{table}")')}
        for ddl in _DATA_COLUMNS_DDL:
            db.execute(ddl)
        for extension in ("gpkg_data_columns", "gpkg_data_column_constraints"):
            if not db.execute("SELECT 1 FROM gpkg_extensions WHERE table_name = ? AND extension_name = "
                              "'gpkg_schema'", (extension,)).fetchone():
                db.execute("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
                           "VALUES (?, NULL, 'gpkg_schema', ?, 'read-write')", (extension, _SCHEMA_EXTENSION))
        db.execute("DELETE FROM gpkg_data_columns WHERE table_name = ?", (table,))
        db.executemany("INSERT INTO gpkg_data_columns (table_name, column_name, name, title, description) "
                       "VALUES (?, ?, ?, ?, ?)",
                       [(table, column, alias, alias, (descriptions or {}).get(column))
                        for column, alias in aliases.items() if column in present])


def staged(path: str | Path, *, copy_existing: bool) -> AbstractContextManager[Path]:
    """A temporary GeoPackage beside ``path`` that replaces it atomically on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    """
    return replacing(path, copy_existing=copy_existing)


def write_layers(path: Path, frames: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Write a whole set of layers into a new GeoPackage at ``path`` (not atomic by
    itself: call inside :func:`staged`)."""
    for i, layer in enumerate(layer for layer in LAYERS if layer.name in frames):
        _write_one(path, layer.name, frames[layer.name], first=(i == 0 and not path.exists()))


def replace_layer(path: Path, name: str, frame: gpd.GeoDataFrame) -> None:
    """Overwrite one layer of an existing GeoPackage (call inside :func:`staged`)."""
    _write_one(path, name, frame, first=False)


def is_synthetic(frame: gpd.GeoDataFrame) -> bool:
    """Whether any feature of a layer is marked synthetic in its ``source``."""
    return "source" in frame and frame["source"].astype(str).str.startswith(SYNTHETIC_PREFIX).any()


def is_sample(path: str | Path) -> bool:
    """Whether any layer of the set still holds synthetic (sample) features (reads only ``source``)."""
    present = list_layers(path)
    return any(is_synthetic(pyogrio.read_dataframe(path, layer=layer.name, columns=["source"], read_geometry=False))
               for layer in LAYERS if layer.name in present)


def write_output_gpkg(path: str | Path, layers: Mapping[str, tuple[str, gpd.GeoDataFrame]], *,
                      aliases: Mapping[str, Mapping[str, str]] | None = None,
                      finish: Callable[[Path], None] | None = None) -> Path:
    """A new GeoPackage of product output (reconciliation, case export, tracks) for QGIS, written atomically.

    ``layers`` maps a layer name to its Chinese title and frame; frames are stored in EPSG:4548.
    ``aliases`` (layer → column → Chinese alias) go into ``gpkg_data_columns``; ``finish`` runs on the
    new file before it replaces ``path`` (the QGIS styles).
    """
    path = Path(path)
    with replacing(path) as tmp:
        for i, (name, (title, frame)) in enumerate(layers.items()):
            options = {"dataset_options": {"VERSION": GEOPACKAGE_VERSION}} if i == 0 else {}
            pyogrio.write_dataframe(frame.to_crs(STORAGE_CRS), tmp, layer=name, driver="GPKG",
                                    layer_options={"DESCRIPTION": title, "IDENTIFIER": title,
                                                   "DATETIME_PRECISION": "MILLISECOND"},  # as GPKG 1.3 readers want
                                    **options)
            if aliases and name in aliases:
                write_data_columns(tmp, name, aliases[name])
        if finish is not None:
            finish(tmp)
    return path
