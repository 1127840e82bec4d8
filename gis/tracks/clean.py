"""Clean fixes: coordinates to WGS84, implausible points out, duplicates out, jumps flagged.

Flagged fixes are kept in the store (they are evidence) but left out of the
daily figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyproj import CRS

from gis import crs as crs_mod
from gis.schema import STORAGE_CRS
from gis.tracks.notices import Notices

# lon/lat bounds where the storage CRS is defined (EPSG:4548: 115.5°E–118.5°E, 22.6°N–49.88°N); the store
# refuses any fix outside them
AREA_OF_USE = tuple(CRS.from_user_input(STORAGE_CRS).area_of_use.bounds)

CHINA_LONLAT = (73.0, 18.0, 135.5, 54.0)
MAX_SPEED_MS = 25.0  # above this between two fixes a jump is impossible on patrol (90 km/h)
MAX_ACCURACY_M = 50.0
FLAG_JUMP = "jump"
FLAG_ACCURACY = "accuracy"
FLAGS = ["", FLAG_ACCURACY, FLAG_JUMP]  # a fix's flag ('' for a good fix), in sorted order


def to_wgs84(frame: pd.DataFrame, declared: str | None, name: str, notices: Notices) -> pd.DataFrame:
    """Convert lon/lat columns from the declared CRS (EPSG code, gcj02, bd09) to WGS84."""
    if crs_mod.is_wgs84(declared):
        return frame
    frame = frame.copy()
    frame["lon"], frame["lat"] = crs_mod.to_wgs84(frame["lon"].to_numpy(), frame["lat"].to_numpy(), declared)
    notices.add(name, f"坐标已由 {declared} 转换为 WGS84", level="info")
    return frame


def drop_implausible(frame: pd.DataFrame, name: str, notices: Notices) -> pd.DataFrame:
    """Swap latitude/longitude given the wrong way round; drop points outside China or outside the area
    where the storage CRS is defined (``gis.tracks.store.AREA_OF_USE``)."""
    lon, lat = frame["lon"].to_numpy(dtype=float, copy=True), frame["lat"].to_numpy(dtype=float, copy=True)
    minx, miny, maxx, maxy = CHINA_LONLAT
    inside = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    swapped = ~inside & (lat >= minx) & (lat <= maxx) & (lon >= miny) & (lon <= maxy)
    if swapped.any():
        # new arrays from copies: assigning the two columns from a view of the frame's own block
        # overwrote the longitude before it was read as the latitude (both ended up the same)
        frame = frame.assign(lon=np.where(swapped, lat, lon), lat=np.where(swapped, lon, lat))
        lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
        notices.add(name, f"{int(swapped.sum())} 个点经纬度顺序颠倒，已交换 (lat/lon swapped)")
        inside |= swapped
    notices.rows(name, frame.loc[~inside, "row"], "坐标不在中国境内，已跳过 (outside China)")
    ax, ay, bx, by = AREA_OF_USE
    usable = inside & (lon >= ax) & (lon <= bx) & (lat >= ay) & (lat <= by)
    notices.rows(name, frame.loc[inside & ~usable, "row"],
                 f"坐标不在存储坐标系适用范围内（东经 {ax}°–{bx}°，北纬 {ay}°–{by}°），已跳过 (outside the CRS area of use)")
    return frame[usable].reset_index(drop=True)


def staff_codes(frame: pd.DataFrame) -> np.ndarray:
    """An integer per fix that is equal exactly when the staff codes are (the categorical codes)."""
    staff = frame["staff_id"]
    if isinstance(staff.dtype, pd.CategoricalDtype):
        return staff.cat.codes.to_numpy()
    return pd.factorize(staff)[0]


def by_staff_and_time(frame: pd.DataFrame) -> pd.DataFrame:
    """Sorted by staff and time, file order kept among equals; a frame already in that order (as phone
    exports are) is returned as it is, without a sort."""
    staff = frame["staff_id"]
    if isinstance(staff.dtype, pd.CategoricalDtype) and staff.cat.categories.is_monotonic_increasing \
            and len(frame) > 1:
        step = np.diff(staff_codes(frame))
        later = np.diff(frame["time"].array.asi8) >= 0
        if ((step > 0) | ((step == 0) & later)).all():
            return frame.reset_index(drop=True)
    return frame.sort_values(["staff_id", "time"], kind="stable").reset_index(drop=True)


def drop_duplicates(frame: pd.DataFrame, name: str, notices: Notices) -> pd.DataFrame:
    """The same staff member at the same time twice: keep the first.  Returns the fixes sorted by
    staff and time."""
    frame = by_staff_and_time(frame)
    staff, time = staff_codes(frame), frame["time"].array.asi8
    dup = np.r_[False, (staff[1:] == staff[:-1]) & (time[1:] == time[:-1])]
    if dup.any():
        notices.add(name, f"{int(dup.sum())} 个重复轨迹点（同一保水员同一时间），已去重", level="info")
        return frame[~dup].reset_index(drop=True)
    return frame


PER_SECOND = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


def epoch_seconds(times: pd.Series) -> np.ndarray:
    """Seconds since 1970 of tz-aware times, whatever their resolution."""
    return times.array.asi8 / PER_SECOND[times.dt.unit]


def sorted_categorical(values: pd.Series) -> pd.Series:
    """The values as a categorical whose categories sort as the values do (so codes sort as values)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("category")
    if values.cat.categories.is_monotonic_increasing:
        return values
    return values.cat.reorder_categories(sorted(values.cat.categories))


def step_metrics(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) and time (s) from each fix's previous fix of the same staff (NaN for the first).

    ``frame`` must be sorted by staff and time and have storage-CRS ``x``, ``y``.
    """
    staff = staff_codes(frame)
    same = staff[1:] == staff[:-1]
    dist = np.hypot(np.diff(frame["x"].to_numpy()), np.diff(frame["y"].to_numpy()))
    dt = np.diff(epoch_seconds(frame["time"]))
    dist = np.r_[np.nan, np.where(same, dist, np.nan)]
    dt = np.r_[np.nan, np.where(same, dt, np.nan)]
    return dist, dt


def _speed_from(frame: pd.DataFrame, lag: int) -> np.ndarray:
    """Speed (m/s) from the fix ``lag`` places earlier of the same staff (NaN where none)."""
    staff = staff_codes(frame)
    x, y = frame["x"].to_numpy(), frame["y"].to_numpy()
    t = epoch_seconds(frame["time"])
    out = np.full(len(frame), np.nan)
    if len(frame) > lag:
        same = staff[lag:] == staff[:-lag]
        dt = t[lag:] - t[:-lag]
        speed = np.hypot(x[lag:] - x[:-lag], y[lag:] - y[:-lag]) / np.where(dt > 0, dt, np.nan)
        out[lag:] = np.where(same, speed, np.nan)
    return out


def flag_fixes(frame: pd.DataFrame, max_speed: float = MAX_SPEED_MS,
               max_accuracy: float = MAX_ACCURACY_M) -> pd.DataFrame:
    """Add ``flag``: 'jump', 'accuracy' (worse than ``max_accuracy`` metres), or ''.

    A fix is a jump when it could only be reached faster than ``max_speed`` from
    both the fix before it and the one before that: a lone outlier is flagged,
    but not the good fix after it, which is consistent with the fixes before.
    """
    frame = by_staff_and_time(frame)
    from_previous = np.nan_to_num(_speed_from(frame, 1), nan=0.0)
    from_second = _speed_from(frame, 2)
    from_second = np.where(np.isnan(from_second), np.inf, from_second)
    flag = np.zeros(len(frame), dtype=np.int8)
    flag[frame["accuracy_m"].to_numpy(dtype=float) > max_accuracy] = FLAGS.index(FLAG_ACCURACY)
    flag[(from_previous > max_speed) & (from_second > max_speed)] = FLAGS.index(FLAG_JUMP)
    frame["flag"] = pd.Categorical.from_codes(flag, categories=FLAGS)
    return frame
