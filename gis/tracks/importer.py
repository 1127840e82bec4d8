"""``miyun-gis tracks import``: read, clean, assign and store GPS files.

Each file is handled on its own: a file that cannot be read is reported and
skipped, the others go on.  Good rows are kept, bad rows named.  A file is
stored once per set of options: the same file with the same options again
changes nothing; with other options (``--crs gcj02`` after the warning,
another ``--staff``) its earlier fixes are replaced, atomically, and the
store's audit says who replaced what (``gis.tracks.store.write_import``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gis.crs import gcj02_to_wgs84, to_storage
from gis.errors import InputError
from gis.join import GridIndex
from gis.tracks import clean
from gis.tracks.notices import Notices
from gis.tracks.readers import read_fixes
from gis.tracks.store import import_record, options_key, write_import

GCJ02_SUSPECT_GAIN = 0.3  # share of fixes that land in or by a grid only once GCJ-02 is undone
NEAR_GRID_M = 30.0


@dataclass
class FileResult:
    file: str
    stored: int = 0
    flagged: int = 0
    skipped: bool = False
    failed: bool = False
    replaced: bool = False
    notices: Notices = field(default_factory=Notices)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex): the same file imported twice is stored once.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "empty.csv"
    >>> _ = path.write_bytes(b"")
    >>> file_sha256(path)[:16]
    'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def near_grids_share(index: GridIndex, lon: np.ndarray, lat: np.ndarray) -> float:
    """Share of WGS84 points inside a grid or within ``NEAR_GRID_M`` of one.

    Examples
    --------
    >>> from gis.join import _example_frames
    >>> index = GridIndex.from_frames(_example_frames())   # a toy layer set near 117° E, 40.55° N
    >>> near_grids_share(index, np.array([117.0, 117.2]), np.array([40.545, 40.545]))
    0.5
    """
    x, y = to_storage(lon, lat)
    got = index.assign_xy(x, y, nearest=True, distances=False)
    near = got["grid_id"].notna().to_numpy() | (got["nearest_grid_m"].to_numpy() < NEAR_GRID_M)
    return float(near.mean()) if len(near) else 0.0


def suspect_gcj02(index: GridIndex, fixes: pd.DataFrame) -> bool:
    """Whether undeclared GCJ-02 is likely: the points fit the grids far better once converted.

    Examples
    --------
    >>> from gis.join import _example_frames
    >>> index = GridIndex.from_frames(_example_frames())   # a toy layer set near 117° E, 40.55° N
    >>> from gis.crs import to_web, wgs84_to_gcj02
    >>> lon, lat = to_web(np.full(50, 502_900.0), np.linspace(4_489_100, 4_490_900, 50))  # along MJY-K01's east edge
    >>> suspect_gcj02(index, pd.DataFrame({"lon": lon, "lat": lat}))
    False
    >>> gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)        # the same walk as AMap records it: ~530 m east, off the grid
    >>> suspect_gcj02(index, pd.DataFrame({"lon": gcj_lon, "lat": gcj_lat}))
    True
    """
    sample = fixes.sample(min(len(fixes), 2000), random_state=0)
    lon, lat = sample["lon"].to_numpy(), sample["lat"].to_numpy()
    as_given = near_grids_share(index, lon, lat)
    converted = near_grids_share(index, *gcj02_to_wgs84(lon, lat))
    return converted - as_given >= GCJ02_SUSPECT_GAIN


def prepare(frame: pd.DataFrame, index: GridIndex, *, name: str, crs: str | None, notices: Notices,
            max_speed: float = clean.MAX_SPEED_MS) -> pd.DataFrame:
    """Raw fixes → cleaned, projected, flagged and assigned fixes.

    Parameters
    ----------
    frame : fixes as :func:`~gis.tracks.readers.read_fixes` returns them
    index : the grid index the fixes are assigned with
    name : the file's name, for the notices
    crs : the declared CRS of the coordinates (None: WGS84, and GCJ-02 suspected if it fits better)
    notices : what was converted, dropped or suspected
    max_speed : see :func:`~gis.tracks.clean.flag_fixes`

    Returns
    -------
    DataFrame
        The fixes with storage-CRS ``x``, ``y``, ``flag``, ``grid_id`` and ``town``.

    Examples
    --------
    >>> from gis.join import _example_frames
    >>> index = GridIndex.from_frames(_example_frames())   # a toy layer set near 117° E, 40.55° N
    >>> raw = pd.DataFrame({"staff_id": pd.Categorical(["XWZ-K01-01"] * 2), "lon": [117.0, 117.0],
    ...                     "lat": [40.541, 40.558], "accuracy_m": 5.0, "row": [2, 3],
    ...                     "time": pd.to_datetime(["2026-11-21T00:00Z", "2026-11-21T00:15Z"])})
    >>> prepare(raw, index, name="a.csv", crs=None, notices=Notices())[["grid_id", "town", "flag"]].values.tolist()
    [['XWZ-K01', '溪翁庄', ''], ['XWZ-H01', '溪翁庄', '']]
    """
    frame = clean.to_wgs84(frame, crs, name, notices)
    frame = clean.drop_implausible(frame, name, notices)
    frame = clean.drop_duplicates(frame, name, notices)
    if frame.empty:
        raise InputError("清理后没有可用的轨迹点", file=name)
    if crs is None and suspect_gcj02(index, frame):
        notices.add(name, "坐标疑似 GCJ-02（高德/腾讯，偏移约 500 米）而未声明；如确是，请用 --crs gcj02 重新导入")
    frame["x"], frame["y"] = to_storage(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    frame = clean.flag_fixes(frame, max_speed=max_speed)
    where = index.assign_xy(frame["x"].to_numpy(), frame["y"].to_numpy(), nearest=False, distances=False)
    frame["grid_id"] = where["grid_id"].array
    frame["town"] = where["town"].array
    outside = ~where["inside_district"].to_numpy()
    if outside.mean() > 0.5:
        notices.add(name, f"{outside.mean():.0%} 的点在密云区外，请核对坐标系")
    return frame


def import_options(*, staff: str | None, crs: str | None, max_speed: float, synthetic: bool) -> dict:
    """What decides a file's fixes besides its bytes (defaults left out, so that a store written before
    options were recorded still knows its files).

    Examples
    --------
    >>> import_options(staff=None, crs=" GCJ02 ", max_speed=clean.MAX_SPEED_MS, synthetic=False)
    {'staff': None, 'crs': 'gcj02', 'max_speed': None, 'synthetic': None}
    >>> import_options(staff="XWZ-K01-01", crs="", max_speed=5, synthetic=True)
    {'staff': 'XWZ-K01-01', 'crs': None, 'max_speed': 5.0, 'synthetic': True}
    """
    return {"staff": staff or None, "crs": None if crs is None or str(crs).strip() == "" else str(crs).strip().lower(),
            "max_speed": None if max_speed == clean.MAX_SPEED_MS else float(max_speed),
            "synthetic": True if synthetic else None}


def import_file(path: Path, index: GridIndex, data_dir: Path, *, staff: str | None = None,
                crs: str | None = None, synthetic: bool = False,
                max_speed: float = clean.MAX_SPEED_MS,
                check_staff: Callable[[set[str]], None] | None = None, user: str = "system") -> FileResult:
    """Import one file; never raises for bad input — the result says what happened.

    ``check_staff`` sees the staff codes of the file before anything is stored or said about the
    file (also before "already imported") and may refuse them (raising
    :class:`~gis.errors.Forbidden`, which is not caught here).  ``user`` goes into the store's audit.

    Examples
    --------
    >>> from gis.join import _example_frames
    >>> index = GridIndex.from_frames(_example_frames())   # a toy layer set near 117° E, 40.55° N
    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp())
    >>> path = data / "k01.csv"
    >>> _ = path.write_text("staff_id,time,lon,lat\\nXWZ-K01-01,2026-11-21T08:00+08:00,117.0,40.541\\n"
    ...                     "XWZ-K01-01,2026-11-21T08:01+08:00,117.001,40.541\\nXWZ-K01-01,soon,117.0,40.5\\n")
    >>> result = import_file(path, index, data)
    >>> result.stored, result.failed, [str(n) for n in result.notices]
    (2, False, ['k01.csv：时间没有时区，按北京时间 (Asia/Shanghai) 处理', 'k01.csv 第 4 行：缺少或无法识别时间 (time)，已跳过'])
    >>> again = import_file(path, index, data)
    >>> again.skipped, again.stored
    (True, 0)
    >>> import_file(data / "none.gpx", index, data).failed
    True
    """
    path = Path(path)
    result = FileResult(path.name)
    try:
        if not path.exists():
            raise InputError("文件不存在 (file not found)", file=str(path))
        sha = file_sha256(path)
        options = import_options(staff=staff, crs=crs, max_speed=max_speed, synthetic=synthetic)
        record = import_record(data_dir, sha)
        same = record is not None and record.options == options_key(options)
        if same and check_staff is None:
            return _already(result, path, record.imported_at_utc)
        raw = read_fixes(path, staff, result.notices)
        if check_staff is not None:
            check_staff(set(raw["staff_id"].dropna().astype(str)))
            if same:
                return _already(FileResult(path.name), path, record.imported_at_utc)
        fixes = prepare(raw, index, name=path.name, crs=crs, notices=result.notices, max_speed=max_speed)
        fixes["source_file"] = path.name
        fixes["synthetic"] = synthetic
        written = write_import(data_dir, fixes, sha, file_name=path.name, options=options, user=user)
        if written.already is not None:  # another process stored it meanwhile
            return _already(FileResult(path.name), path, written.already.imported_at_utc)
        if written.replaced is not None:
            result.replaced = True
            result.notices.add(path.name, f"已替换该文件 {written.replaced.imported_at_utc} 以其他选项导入的 "
                                          f"{written.replaced.fixes} 个点 (replaced the earlier import)", level="info")
        result.stored = len(fixes)
        result.flagged = int((fixes["flag"] != "").sum())
    except InputError as err:
        result.failed = True
        result.notices.add(path.name, err.message, row=err.row)
    return result


def _already(result: FileResult, path: Path, when: str) -> FileResult:
    result.skipped = True
    result.notices.add(path.name, f"该文件已于 {when} 以相同选项导入，未重复存储 (already imported)", level="info")
    return result
