"""The tracks store: GeoParquet files partitioned by local day and town, made visible per import.

Layout under ``$MIYUN_DATA_DIR/tracks``::

    date=2026-11-21/town=溪翁庄/<import id, 16 hex>-<options, 8 hex>.parquet
    imports.sqlite   imports   one row per import (a source file's sha256, or any other id): its options
                     manifest  the files of each import: the only files readers trust
                     audit     who imported or replaced what, when

The day is the Asia/Shanghai calendar day of the fix; the town is the town the fix lies in
(``区外`` outside every town).

:func:`write_import` is the one place fixes are written (the file importer, the simulator and
live intake all come through it).  It

* checks the fix invariant first (:func:`check_fixes`: finite coordinates inside the storage CRS's
  area of use, one valid staff code per fix, UTC times) and refuses the whole batch otherwise;
* writes every partition under a name of its own (a temporary name renamed into place), then lists
  them in the manifest in one SQLite transaction: an import becomes visible all at once, across every
  partition it touches, or not at all (a process killed half-way leaves unlisted files that readers
  ignore and the next write of that import overwrites or sweeps);
* stores an import once: the same id with the same options again changes nothing; the same id with
  other options (a file imported again with ``--crs gcj02`` or another ``--staff``) replaces the
  earlier fixes in that same transaction, with an audit line saying who replaced what.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from pyproj import CRS

from gis.atomic import STALE_AFTER_S, replacing, sweep
from gis.errors import InputError
from gis.schema import LOCAL_TZ, STAFF_CODE, STORAGE_CRS
from gis.tracks.clean import AREA_OF_USE, sorted_categorical

_STORAGE_PROJJSON = CRS.from_user_input(STORAGE_CRS).to_json_dict()
OUTSIDE_TOWNS = "区外"
WRITE_THREADS = min(4, os.cpu_count() or 1)  # partitions written side by side
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


_SCHEMA = """
create table if not exists imports (
    sha256 text primary key, file_name text not null, imported_at_utc text not null,
    fixes integer not null, flagged integer not null, staff integer not null, days text not null);
create table if not exists manifest (
    import_id text not null, path text not null primary key);
create index if not exists manifest_import on manifest(import_id);
create table if not exists audit (
    at_utc text not null, user text not null, import_id text not null, file_name text not null,
    action text not null, old text, new text);
"""


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
    db = sqlite3.connect(root / "imports.sqlite", timeout=30, isolation_level=None)
    db.execute("pragma journal_mode=wal")
    fresh = db.execute("select 1 from sqlite_master where name = 'manifest'").fetchone() is None
    db.executescript(_SCHEMA)
    columns = {r[1] for r in db.execute("pragma table_info(imports)")}
    if "options" not in columns:
        db.execute("alter table imports add column options text not null default ''")
    if fresh:
        _adopt_legacy_files(db, root)
    return db


def _adopt_legacy_files(db: sqlite3.Connection, root: Path) -> None:
    """A store written before manifests: its ``<16 hex>.parquet`` files of registered imports (registered
    only once all their files were in place) go into the manifest; an unregistered one was left by a
    killed import and stays invisible."""
    registered = {sha[:16]: sha for (sha,) in db.execute("select sha256 from imports")}
    rows = [(registered[p.stem], str(p.relative_to(root))) for p in root.glob("date=*/town=*/*.parquet")
            if p.stem in registered]
    db.executemany("insert or ignore into manifest values (?, ?)", rows)


def options_key(options: dict | None) -> str:
    """A short stable key of the options an import was made with (empty for none).

    Examples
    --------
    >>> options_key(None), options_key({"crs": None})
    ('', '')
    >>> len(options_key({"crs": "gcj02"})), options_key({"crs": "gcj02", "staff": None}) == options_key({"crs": "gcj02"})
    (8, True)
    """
    if not options:
        return ""
    text = json.dumps({k: v for k, v in sorted(options.items()) if v is not None}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:8] if text != "{}" else ""


@dataclass(frozen=True)
class ImportRecord:
    """An import as registered: when, with which options, how many fixes."""
    import_id: str
    file_name: str
    imported_at_utc: str
    fixes: int
    options: str


def import_record(data_dir: Path, import_id: str) -> ImportRecord | None:
    """The registered import with this id (a source file's sha256), or None.

    Examples
    --------
    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp())
    >>> import_record(data, "ab" * 32) is None
    True
    >>> _ = write_fixes(data, _example_fixes(), "ab" * 32, "a.csv")
    >>> record = import_record(data, "ab" * 32)
    >>> record.file_name, record.fixes, record.options
    ('a.csv', 3, '')
    """
    db = _registry(data_dir)
    try:
        row = db.execute("select sha256, file_name, imported_at_utc, fixes, options from imports where sha256 = ?",
                         (import_id,)).fetchone()
    finally:
        db.close()
    return ImportRecord(*row) if row else None


def already_imported(data_dir: Path, sha256: str, options: dict | None = None) -> str | None:
    """When the import with this id was made with these options, or None (not at all, or with others).

    Examples
    --------
    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp())
    >>> already_imported(data, "ab" * 32) is None
    True
    >>> _ = write_fixes(data, _example_fixes(), "ab" * 32, "a.csv")
    >>> already_imported(data, "ab" * 32)[:4] >= "2026"
    True
    >>> already_imported(data, "ab" * 32, {"crs": "gcj02"}) is None  # other options: not this import
    True
    """
    record = import_record(data_dir, sha256)
    return record.imported_at_utc if record and record.options == options_key(options) else None


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


def check_fixes(fixes: pd.DataFrame, file_name: str) -> None:
    """The invariant every stored fix keeps, whatever path it came by: raises
    :class:`~gis.errors.InputError` naming the file and the first bad fix, and nothing is written.

    * every stored column is there;
    * ``lon``, ``lat``, ``x``, ``y`` are finite and ``lon``/``lat`` lie inside the storage CRS's area
      of use (:data:`AREA_OF_USE`), where EPSG:4548 coordinates mean something;
    * each fix has one staff code (not missing, of the form ``gis.schema.STAFF_CODE``);
    * ``time`` is a UTC time, never missing.

    Examples
    --------
    >>> check_fixes(_example_fixes(), "a.csv") is None
    True
    >>> check_fixes(_example_fixes().assign(lon=float("nan")), "a.csv")
    Traceback (most recent call last):
    ...
    gis.errors.InputError: ...3 个轨迹点坐标不是有限值...
    """
    missing = [c for c in STORED_COLUMNS if c not in fixes.columns]
    if missing:
        raise InputError(f"轨迹点缺少字段 {', '.join(missing)}，未存储", file=file_name)
    problems = []
    coords = {c: fixes[c].to_numpy(dtype=float, na_value=np.nan) for c in ("lon", "lat", "x", "y")}
    finite = np.logical_and.reduce([np.isfinite(v) for v in coords.values()]) if len(fixes) else np.ones(0, bool)
    minx, miny, maxx, maxy = AREA_OF_USE
    with np.errstate(invalid="ignore"):
        inside = (coords["lon"] >= minx) & (coords["lon"] <= maxx) & (coords["lat"] >= miny) & (coords["lat"] <= maxy)
    bad = ~(finite & inside)
    if bad.any():
        problems.append((bad, f"坐标不是有限值或不在 {STORAGE_CRS} 适用范围内（东经 {minx}°–{maxx}°，"
                              f"北纬 {miny}°–{maxy}°）"))
    staff = fixes["staff_id"]
    codes = staff.astype("category")
    valid = np.array([bool(STAFF_CODE.fullmatch(str(c))) for c in codes.cat.categories] + [False])
    bad = ~valid[codes.cat.codes.to_numpy()]
    if bad.any():
        problems.append((bad, "保水员编号缺失或不合规"))
    time = fixes["time"]
    if not (isinstance(time.dtype, pd.DatetimeTZDtype) and str(time.dt.tz) == "UTC"):
        raise InputError("轨迹点时间不是 UTC 时间，未存储", file=file_name, field="time")
    bad = time.isna().to_numpy()
    if bad.any():
        problems.append((bad, "轨迹点缺少时间"))
    if problems:
        bad, message = problems[0]
        count = int(bad.sum())
        first = int(np.flatnonzero(bad)[0])
        row = fixes["row"].iat[first] if "row" in fixes.columns else None
        raise InputError(f"{count} 个轨迹点{message}（第一个：{_describe(fixes, first)}），整个文件未存储",
                         file=file_name, row=None if row is None or pd.isna(row) else int(row))


def _describe(fixes: pd.DataFrame, i: int) -> str:
    return "，".join(f"{c}={fixes[c].iat[i]}" for c in ("staff_id", "time", "lon", "lat") if c in fixes.columns)


def _file_stem(import_id: str, key: str) -> str:
    short = import_id[:16] if len(import_id) == 64 and all(c in "0123456789abcdef" for c in import_id) \
        else hashlib.sha256(import_id.encode()).hexdigest()[:16]
    return f"{short}-{key}" if key else short


def _write_partitions(root: Path, fixes: pd.DataFrame, stem: str) -> tuple[list[Path], np.ndarray, np.ndarray]:
    """Each (day, town) of the fixes as one GeoParquet file named ``stem`` (temporary name, then
    renamed); returns the files and the day codes and labels."""
    day_codes, day_labels = local_days(fixes["time"])
    town_codes, town_labels = pd.factorize(fixes["town"], sort=True)
    key = day_codes.astype(np.int64) * len(town_labels) + town_codes
    order = np.argsort(key, kind="stable")
    key = key[order]
    table = pa.Table.from_pandas(fixes, preserve_index=False).take(order)
    bounds = np.r_[0, np.flatnonzero(np.diff(key)) + 1, len(key)]
    text = [f.name for f in table.schema if pa.types.is_dictionary(f.type) or pa.types.is_string(f.type)
            or pa.types.is_large_string(f.type)]

    def write(lo: int, hi: int) -> Path:
        day, town = day_labels[key[lo] // len(town_labels)], town_labels[key[lo] % len(town_labels)]
        folder = root / f"date={day}" / f"town={town}"
        folder.mkdir(parents=True, exist_ok=True)
        sweep(folder)  # what an earlier import killed half-way left here
        target = folder / f"{stem}.parquet"
        with replacing(target) as tmp:
            # dictionary pages for text only: times and coordinates are nearly all distinct
            pq.write_table(geoparquet_points(table.slice(lo, hi - lo)), tmp, use_dictionary=text)
        return target

    with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:  # Arrow writes outside the GIL
        written = list(pool.map(write, bounds[:-1], bounds[1:]))
    return written, day_codes, day_labels


@dataclass
class Written:
    """What :func:`write_import` did: ``stored`` (a new import), ``replaced`` (an earlier import of the
    same id with other options, now gone), or neither (the same import again: nothing written)."""
    import_id: str
    files: list[Path] = field(default_factory=list)
    stored: bool = False
    replaced: ImportRecord | None = None
    already: ImportRecord | None = None


def write_import(data_dir: Path, fixes: pd.DataFrame, import_id: str, *, file_name: str,
                 options: dict | None = None, user: str = "system") -> Written:
    """Store one import's fixes (a file's, a simulated day's, a batch of live fixes'): the one place
    fixes are written.

    ``fixes`` has :data:`STORED_COLUMNS` (``town`` may be missing: outside every town); within a
    partition they keep their order (by staff and time, as ``gis.tracks.importer.prepare`` leaves
    them).  ``import_id`` names the import (a source file's sha256; for other sources any stable
    text); ``options`` are what decided the fixes besides the source (CRS, staff code, speed limit…;
    ``None`` values left out).

    * The invariant (:func:`check_fixes`) is checked first; a bad batch raises
      :class:`~gis.errors.InputError` and nothing is written.
    * The same ``import_id`` with the same ``options`` again writes nothing (``already`` says when).
    * The same ``import_id`` with other ``options`` replaces the earlier fixes: the new files and the
      manifest swap land in one transaction with an audit line (``user``, old → new options and
      counts), then the earlier files are removed.
    * Readers (:func:`day_files`, :func:`read_day`) see only manifested files: a process killed at any
      moment leaves the import wholly visible or not at all; writing it again completes it.

    Examples
    --------
    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp())
    >>> first = write_import(data, _example_fixes(), "day-1", file_name="a.csv")
    >>> first.stored, len(first.files)
    (True, 3)
    >>> again = write_import(data, _example_fixes(), "day-1", file_name="a.csv")
    >>> again.stored, again.already.fixes
    (False, 3)
    >>> other = write_import(data, _example_fixes(), "day-1", file_name="a.csv", options={"crs": "gcj02"})
    >>> other.stored, other.replaced.options
    (True, '')
    """
    data_dir = Path(data_dir)
    root = tracks_dir(data_dir)
    key = options_key(options)
    before = import_record(data_dir, import_id)
    if before is not None and before.options == key:
        return Written(import_id, already=before)
    fixes = fixes.assign(town=_with_outside(fixes["town"] if "town" in fixes else pd.Series(None, index=fixes.index,
                                                                                          dtype=object)))
    check_fixes(fixes, file_name)
    fixes = fixes[STORED_COLUMNS]
    written, day_codes, day_labels = _write_partitions(root, fixes, _file_stem(import_id, key))
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    paths = [str(p.relative_to(root)) for p in written]
    flagged = int((fixes["flag"] != "").sum())
    db = _registry(data_dir)
    try:
        db.execute("begin immediate")
        old = [r[0] for r in db.execute("select path from manifest where import_id = ?", (import_id,))]
        previous = db.execute("select sha256, file_name, imported_at_utc, fixes, options from imports "
                              "where sha256 = ?", (import_id,)).fetchone()
        db.execute("delete from manifest where import_id = ?", (import_id,))
        db.executemany("insert or replace into manifest values (?, ?)", [(import_id, p) for p in paths])
        db.execute("insert or replace into imports (sha256, file_name, imported_at_utc, fixes, flagged, staff, days,"
                   " options) values (?, ?, ?, ?, ?, ?, ?, ?)", (
                       import_id, file_name, now, len(fixes), flagged, fixes["staff_id"].nunique(),
                       ",".join(day_labels[np.unique(day_codes)]), key))
        replaced = ImportRecord(*previous) if previous else None
        db.execute("insert into audit values (?, ?, ?, ?, ?, ?, ?)", (
            now, user, import_id, file_name, "replaced" if replaced else "imported",
            json.dumps({"file": replaced.file_name, "options": replaced.options, "fixes": replaced.fixes,
                        "at": replaced.imported_at_utc}, ensure_ascii=False) if replaced else None,
            json.dumps({"options": options or {}, "fixes": len(fixes)}, ensure_ascii=False, default=str)))
        db.execute("commit")
    except BaseException:
        if db.in_transaction:
            db.execute("rollback")
        raise
    finally:
        db.close()
    for path in set(old) - set(paths):  # the replaced import's files, no longer in the manifest
        (root / path).unlink(missing_ok=True)
    _sweep_unlisted(data_dir, {p.parent for p in written})
    return Written(import_id, files=written, stored=True, replaced=replaced)


def _sweep_unlisted(data_dir: Path, folders: set[Path], older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove the files of imports killed before they were listed (never part of the store) from
    ``folders``, once they are older than any write takes: this only gives the space back."""
    root = tracks_dir(data_dir)
    limit = time.time() - older_than_s
    db = _registry(data_dir)
    try:
        listed = {r[0] for r in db.execute("select path from manifest")}
    finally:
        db.close()
    gone = []
    for folder in folders:
        for path in folder.glob("*.parquet"):
            try:
                if str(path.relative_to(root)) not in listed and path.stat().st_mtime < limit:
                    path.unlink()
                    gone.append(path)
            except FileNotFoundError:
                continue
    return gone


def write_fixes(data_dir: Path, fixes: pd.DataFrame, sha256: str, file_name: str, *,
                options: dict | None = None, user: str = "system") -> list[Path]:
    """Store one file's fixes (see :func:`write_import`, which this calls); returns the files written.

    Examples
    --------
    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp())
    >>> [p.suffix for p in write_fixes(data, _example_fixes(), "ab" * 32, "a.csv")]
    ['.parquet', '.parquet', '.parquet']
    >>> write_fixes(data, _example_fixes(), "ab" * 32, "a.csv")  # the same import again: nothing written
    []
    """
    return write_import(data_dir, fixes, sha256, file_name=file_name, options=options, user=user).files


def import_audit(data_dir: Path) -> list[dict]:
    """Every import and replacement, oldest first: at_utc, user, import_id, file_name, action, old, new.

    Examples
    --------
    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp())
    >>> _ = write_fixes(data, _example_fixes(), "ab" * 32, "a.csv")
    >>> _ = write_fixes(data, _example_fixes(), "ab" * 32, "a.csv", options={"crs": "gcj02"}, user="admin")
    >>> [(a["user"], a["action"]) for a in import_audit(data)]
    [('system', 'imported'), ('admin', 'replaced')]
    """
    db = _registry(data_dir)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("select * from audit order by rowid")]
    finally:
        db.close()


def day_files(data_dir: Path, day: str) -> list[Path]:
    """Every stored file of one local day: the files in the manifest (not the temporary files of a write
    in progress, nor the files of an import killed before it was listed: those never became part of
    the store).

    Examples
    --------
    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp())
    >>> _ = write_fixes(data, _example_fixes(), "ab" * 32, "a.csv")
    >>> [p.parent.name for p in day_files(data, "2026-11-21")], day_files(data, "2026-11-22")
    (['town=区外', 'town=溪翁庄'], [])
    """
    root = tracks_dir(data_dir)
    if not (root / "imports.sqlite").exists():
        return []
    db = _registry(data_dir)
    try:
        prefix = f"date={day}/"
        rows = db.execute("select path from manifest where substr(path, 1, ?) = ?", (len(prefix), prefix)).fetchall()
    finally:
        db.close()
    return sorted(p for p in (root / r[0] for r in rows) if p.exists())


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
    """The local days with stored (manifested) fixes, in order.

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
    if not (tracks_dir(data_dir) / "imports.sqlite").exists():
        return []
    db = _registry(data_dir)
    try:
        paths = [r[0] for r in db.execute("select path from manifest")]
    finally:
        db.close()
    return sorted({p.split("/", 1)[0].split("=", 1)[1] for p in paths})
