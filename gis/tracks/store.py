"""The tracks store: GeoParquet files partitioned by local day and town.

Layout under ``$MIYUN_DATA_DIR/tracks``::

    date=2026-11-21/town=溪翁庄/<sha256 of the source file, 16 hex>.parquet
    imports.sqlite      one row per imported file (its hash): importing the same file twice stores it once

The day is the Asia/Shanghai calendar day of the fix; the town is the town
the fix lies in (``区外`` outside every town).  Each file is written under a
temporary name and renamed into place; the import is registered only after
all its files are in place.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from pyproj import CRS

from gis.atomic import replacing, sweep
from gis.schema import LOCAL_TZ, STORAGE_CRS
from gis.tracks.clean import sorted_categorical

_STORAGE_PROJJSON = CRS.from_user_input(STORAGE_CRS).to_json_dict()
OUTSIDE_TOWNS = "区外"
EMPTY_DTYPES = {"time": "datetime64[ns, UTC]", "lon": "float64", "lat": "float64", "x": "float64", "y": "float64",
                "accuracy_m": "float64", "synthetic": "bool"}
STORED_COLUMNS = ["staff_id", "time", "lon", "lat", "x", "y", "accuracy_m", "flag", "grid_id", "town",
                  "source_file", "synthetic"]


def tracks_dir(data_dir: Path) -> Path:
    """The folder of the tracks store in a data directory.

    Examples
    --------
    >>> tracks_dir(Path("data")).as_posix()
    'data/tracks'
    """
    return Path(data_dir) / "tracks"


def _example_fixes() -> pd.DataFrame:
    """Three fixes of two staff across a local midnight, as :func:`write_fixes` takes them (for the examples)."""
    return pd.DataFrame({
        "staff_id": ["XWZ-K01-01", "XWZ-K01-01", "XWZ-K01-02"],
        "time": pd.to_datetime(["2026-11-20T15:59:00Z", "2026-11-20T16:01:00Z", "2026-11-20T16:02:00Z"]),
        "lon": [116.85, 116.86, 116.87], "lat": [40.38, 40.39, 40.40],
        "x": [487_300.0, 488_100.0, 489_000.0], "y": [4_469_800.0, 4_470_900.0, 4_472_000.0],
        "accuracy_m": 5.0, "flag": "", "grid_id": "XWZ-K01", "town": ["溪翁庄", "溪翁庄", None],
        "source_file": "a.csv", "synthetic": False})


def _registry(data_dir: Path) -> sqlite3.Connection:
    root = tracks_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(root / "imports.sqlite", timeout=30)
    db.execute("""create table if not exists imports (
        sha256 text primary key, file_name text not null, imported_at_utc text not null,
        fixes integer not null, flagged integer not null, staff integer not null, days text not null)""")
    return db


def already_imported(data_dir: Path, sha256: str) -> str | None:
    """When the file with this hash was imported, or None.

    Examples
    --------
    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp())
    >>> already_imported(data, "ab" * 32) is None
    True
    >>> _ = write_fixes(data, _example_fixes(), "ab" * 32, "a.csv")
    >>> already_imported(data, "ab" * 32)[:4] >= "2026"
    True
    """
    with _registry(data_dir) as db:
        row = db.execute("select imported_at_utc from imports where sha256 = ?", (sha256,)).fetchone()
    return row[0] if row else None


def local_days(times: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The Asia/Shanghai calendar day of each time: a code per time and the 'YYYY-MM-DD' labels
    (formatted once per distinct day).

    Examples
    --------
    >>> codes, labels = local_days(pd.Series(pd.to_datetime(["2026-11-20T15:59Z", "2026-11-20T16:01Z"])))
    >>> codes.tolist(), labels.tolist()
    ([0, 1], ['2026-11-20', '2026-11-21'])
    """
    codes, days = pd.factorize(times.dt.tz_convert(LOCAL_TZ).dt.normalize(), sort=True)
    return codes, np.asarray(days.strftime("%Y-%m-%d"), dtype=object)


def geoparquet_points(table: pa.Table) -> pa.Table:
    """The table with a GeoParquet 1.1 ``geometry`` column in native point encoding, built straight
    from its x, y columns (no geometry objects: millions of fixes write in a fraction of the time).

    Examples
    --------
    >>> table = geoparquet_points(pa.table({"x": [487_300.0, 488_100.0], "y": [4_469_800.0, 4_470_900.0]}))
    >>> table.column("geometry").to_pylist()[0]
    {'x': 487300.0, 'y': 4469800.0}
    >>> json.loads(table.schema.metadata[b"geo"])["columns"]["geometry"]["bbox"]
    [487300.0, 4469800.0, 488100.0, 4470900.0]
    """
    x, y = table.column("x"), table.column("y")
    geometry = pa.StructArray.from_arrays([x.combine_chunks(), y.combine_chunks()], names=["x", "y"])
    bbox = [pc.min(x).as_py(), pc.min(y).as_py(), pc.max(x).as_py(), pc.max(y).as_py()] if len(table) else []
    geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": {
        "encoding": "point", "geometry_types": ["Point"], "crs": _STORAGE_PROJJSON, "bbox": bbox}}}
    table = table.append_column("geometry", geometry)
    return table.replace_schema_metadata({**(table.schema.metadata or {}), b"geo": json.dumps(geo).encode()})


def _with_outside(towns: pd.Series) -> pd.Series:
    """Towns with the fixes outside every town named ``OUTSIDE_TOWNS``."""
    if not isinstance(towns.dtype, pd.CategoricalDtype):
        towns = towns.astype("category")
    if OUTSIDE_TOWNS not in towns.cat.categories:
        towns = towns.cat.add_categories([OUTSIDE_TOWNS])
    return towns.fillna(OUTSIDE_TOWNS)


def write_fixes(data_dir: Path, fixes: pd.DataFrame, sha256: str, file_name: str) -> list[Path]:
    """Store one file's fixes, partitioned, atomically per partition; then register the import.

    Within a partition the fixes keep their order (by staff and time, as :func:`prepare` leaves them).

    Parameters
    ----------
    data_dir : the data directory (the store is its ``tracks`` folder)
    fixes : the file's cleaned and assigned fixes, with every column of ``STORED_COLUMNS``
    sha256 : the source file's hash (names the partition files; registers the import)
    file_name : the source file's name, for the registry

    Returns
    -------
    list of Path
        One GeoParquet file per local day and town.

    Examples
    --------
    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp())
    >>> paths = write_fixes(data, _example_fixes(), "ab" * 32, "a.csv")
    >>> for path in paths:
    ...     print(path.relative_to(tracks_dir(data)).as_posix())
    date=2026-11-20/town=溪翁庄/abababababababab.parquet
    date=2026-11-21/town=溪翁庄/abababababababab.parquet
    date=2026-11-21/town=区外/abababababababab.parquet
    """
    root = tracks_dir(data_dir)
    fixes = fixes.assign(town=_with_outside(fixes["town"]))[STORED_COLUMNS]
    day_codes, day_labels = local_days(fixes["time"])
    town_codes, town_labels = pd.factorize(fixes["town"], sort=True)
    key = day_codes.astype(np.int64) * len(town_labels) + town_codes
    order = np.argsort(key, kind="stable")
    key = key[order]
    table = pa.Table.from_pandas(fixes, preserve_index=False).take(order)
    bounds = np.r_[0, np.flatnonzero(np.diff(key)) + 1, len(key)]
    written = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        day, town = day_labels[key[lo] // len(town_labels)], town_labels[key[lo] % len(town_labels)]
        folder = root / f"date={day}" / f"town={town}"
        folder.mkdir(parents=True, exist_ok=True)
        sweep(folder)  # what an earlier import killed half-way left here
        target = folder / f"{sha256[:16]}.parquet"
        with replacing(target) as tmp:
            pq.write_table(geoparquet_points(table.slice(lo, hi - lo)), tmp)
        written.append(target)
    with _registry(data_dir) as db:
        db.execute("insert or replace into imports values (?, ?, ?, ?, ?, ?, ?)", (
            sha256, file_name, datetime.now(timezone.utc).isoformat(timespec="seconds"), len(fixes),
            int((fixes["flag"] != "").sum()), fixes["staff_id"].nunique(),
            ",".join(day_labels[np.unique(day_codes)]),
        ))
    return written


def day_files(data_dir: Path, day: str) -> list[Path]:
    """Every stored file of one local day (not the hidden temporary files of a write in progress, or of
    one killed half-way: those never became part of the store).

    Examples
    --------
    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp())
    >>> _ = write_fixes(data, _example_fixes(), "ab" * 32, "a.csv")
    >>> [p.parent.name for p in day_files(data, "2026-11-21")], day_files(data, "2026-11-22")
    (['town=区外', 'town=溪翁庄'], [])
    """
    return sorted(p for p in (tracks_dir(data_dir) / f"date={day}").glob("town=*/*.parquet")
                  if not p.name.startswith("."))


CATEGORICAL = ("staff_id", "flag", "grid_id", "town", "source_file")


def read_day(data_dir: Path, day: str, columns: list[str] | None = None) -> pd.DataFrame:
    """All fixes of one local day (duplicates across files dropped), sorted by staff and time.

    Text columns come back as categoricals whose categories sort as the values do.

    Examples
    --------
    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp())
    >>> _ = write_fixes(data, _example_fixes(), "ab" * 32, "a.csv")
    >>> _ = write_fixes(data, _example_fixes(), "cd" * 32, "copy of a.csv")  # the same fixes again
    >>> read_day(data, "2026-11-21", ["staff_id", "town"]).values.tolist()
    [['XWZ-K01-01', '溪翁庄'], ['XWZ-K01-02', '区外']]
    >>> read_day(data, "2026-11-22", ["staff_id", "lon"]).dtypes.astype(str).tolist()
    ['category', 'float64']
    """
    files = day_files(data_dir, day)
    columns = columns or list(STORED_COLUMNS)
    wanted = list(dict.fromkeys(["staff_id", "time", *columns]))
    if not files:
        return tidy_day(None, columns)
    dataset = ds.dataset([str(f) for f in files], format=ds.ParquetFileFormat(
        read_options=ds.ParquetReadOptions(dictionary_columns=[c for c in wanted if c in CATEGORICAL])))
    return tidy_day(dataset.to_table(columns=wanted).to_pandas(), columns)


def tidy_day(frame: pd.DataFrame | None, columns: list[str]) -> pd.DataFrame:
    """A day's fixes gathered from its files (``None``: none) → ``columns`` of the fixes sorted by staff
    and time, the same staff member at the same time kept once (the first file's), text as
    categoricals whose categories sort as the values do.

    Examples
    --------
    >>> frame = pd.DataFrame({"staff_id": ["b", "a", "a"], "time": pd.to_datetime([5, 9, 9], unit="s", utc=True),
    ...                       "lon": [1.0, 2.0, 3.0]})
    >>> tidy_day(frame, ["staff_id", "lon"]).values.tolist()
    [['a', 2.0], ['b', 1.0]]
    >>> tidy_day(None, ["staff_id"]).empty
    True
    """
    if frame is None or frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=EMPTY_DTYPES.get(c, "category")) for c in columns})
    for column in frame.columns.intersection(list(CATEGORICAL)):
        frame[column] = sorted_categorical(frame[column])
    staff, time = frame["staff_id"].cat.codes.to_numpy(), frame["time"].array.asi8
    order = np.lexsort((time, staff))
    staff, time = staff[order], time[order]
    first = np.r_[True, (staff[1:] != staff[:-1]) | (time[1:] != time[:-1])]
    return frame.take(order[first])[columns].reset_index(drop=True)


def stored_days(data_dir: Path) -> list[str]:
    """The local days the store holds fixes of, in order.

    Examples
    --------
    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp())
    >>> stored_days(data)
    []
    >>> _ = write_fixes(data, _example_fixes(), "ab" * 32, "a.csv")
    >>> stored_days(data)
    ['2026-11-20', '2026-11-21']
    """
    return sorted(p.name.split("=", 1)[1] for p in tracks_dir(data_dir).glob("date=*") if p.is_dir())
