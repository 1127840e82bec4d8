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
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from pyproj import CRS

from gis.atomic import replacing
from gis.schema import LOCAL_TZ, STORAGE_CRS

_STORAGE_PROJJSON = CRS.from_user_input(STORAGE_CRS).to_json_dict()
OUTSIDE_TOWNS = "区外"
EMPTY_DTYPES = {"time": "datetime64[ns, UTC]", "lon": "float64", "lat": "float64", "x": "float64", "y": "float64",
                "accuracy_m": "float64", "synthetic": "bool"}
STORED_COLUMNS = ["staff_id", "time", "lon", "lat", "x", "y", "accuracy_m", "flag", "grid_id", "town",
                  "source_file", "synthetic"]


def tracks_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "tracks"


def _registry(data_dir: Path) -> sqlite3.Connection:
    root = tracks_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(root / "imports.sqlite", timeout=30)
    db.execute("""create table if not exists imports (
        sha256 text primary key, file_name text not null, imported_at_utc text not null,
        fixes integer not null, flagged integer not null, staff integer not null, days text not null)""")
    return db


def already_imported(data_dir: Path, sha256: str) -> str | None:
    """When the file with this hash was imported, or None."""
    with _registry(data_dir) as db:
        row = db.execute("select imported_at_utc from imports where sha256 = ?", (sha256,)).fetchone()
    return row[0] if row else None


def local_day(times: pd.Series) -> pd.Series:
    """The Asia/Shanghai calendar day of each time, as 'YYYY-MM-DD' (formatted once per distinct day)."""
    codes, days = pd.factorize(times.dt.tz_convert(LOCAL_TZ).dt.normalize())
    labels = np.asarray(days.strftime("%Y-%m-%d"), dtype=object)
    return pd.Series(labels[codes], index=times.index)


def geoparquet_points(frame: pd.DataFrame) -> pa.Table:
    """A GeoParquet 1.1 table with native point encoding built straight from the x, y columns
    (no geometry objects: millions of fixes write in a fraction of the time)."""
    x, y = frame["x"].to_numpy(float), frame["y"].to_numpy(float)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.append_column("geometry", pa.StructArray.from_arrays([pa.array(x), pa.array(y)],
                                                                       names=["x", "y"]))
    geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": {
        "encoding": "point", "geometry_types": ["Point"], "crs": _STORAGE_PROJJSON,
        "bbox": [float(x.min()), float(y.min()), float(x.max()), float(y.max())] if len(x) else []}}}
    return table.replace_schema_metadata({**(table.schema.metadata or {}), b"geo": json.dumps(geo).encode()})


def write_fixes(data_dir: Path, fixes: pd.DataFrame, sha256: str, file_name: str) -> list[Path]:
    """Store one file's fixes, partitioned, atomically per partition; then register the import."""
    root = tracks_dir(data_dir)
    fixes = fixes.assign(town=fixes["town"].astype(object).fillna(OUTSIDE_TOWNS))[STORED_COLUMNS]
    days = local_day(fixes["time"])
    written = []
    for (day, town), part in fixes.groupby([days, fixes["town"]], sort=True):
        folder = root / f"date={day}" / f"town={town}"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{sha256[:16]}.parquet"
        with replacing(target) as tmp:
            pq.write_table(geoparquet_points(part), tmp)
        written.append(target)
    with _registry(data_dir) as db:
        db.execute("insert or replace into imports values (?, ?, ?, ?, ?, ?, ?)", (
            sha256, file_name, datetime.now(timezone.utc).isoformat(timespec="seconds"), len(fixes),
            int((fixes["flag"] != "").sum()), fixes["staff_id"].nunique(),
            ",".join(sorted(days.unique())),
        ))
    return written


def day_files(data_dir: Path, day: str) -> list[Path]:
    """Every stored file of one local day (not the hidden temporary files of a write in progress, or of
    one killed half-way: those never became part of the store)."""
    return sorted(p for p in (tracks_dir(data_dir) / f"date={day}").glob("town=*/*.parquet")
                  if not p.name.startswith("."))


def read_day(data_dir: Path, day: str, columns: list[str] | None = None) -> pd.DataFrame:
    """All fixes of one local day (duplicates across files dropped), sorted by staff and time."""
    files = day_files(data_dir, day)
    columns = columns or [c for c in STORED_COLUMNS]
    if not files:
        return pd.DataFrame({c: pd.Series(dtype=EMPTY_DTYPES.get(c, "object")) for c in columns})
    table = ds.dataset([str(f) for f in files], format="parquet", partitioning=None).to_table(columns=columns)
    frame = table.to_pandas()
    return (frame.drop_duplicates(["staff_id", "time"])
            .sort_values(["staff_id", "time"], kind="stable").reset_index(drop=True))


def stored_days(data_dir: Path) -> list[str]:
    return sorted(p.name.split("=", 1)[1] for p in tracks_dir(data_dir).glob("date=*") if p.is_dir())
