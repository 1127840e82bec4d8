"""Stored track fixes as a GeoPackage Debian's GDAL 3.6 and QGIS 3.22 open (they cannot read GeoParquet).

Two layers, styled: ``track_fixes`` (every fix, its staff member, grid, town and flag) and
``track_lines`` (each staff member's day as one line through the good fixes).  Reads the store
only through :func:`gis.tracks.store.read_day`.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.layers import outputs
from gis.errors import InputError, NotFound
from gis.schema import STORAGE_CRS, TRACK_FIX_COLUMNS
from gis.tracks.store import read_day

MAX_DAYS = 31
_READ = ["staff_id", "time", "x", "y", *[c for c in TRACK_FIX_COLUMNS if c not in ("staff_id", "time")]]


def _days(first: str, last: str) -> list[str]:
    days = [d.strftime("%Y-%m-%d") for d in pd.date_range(first, last)]
    if not days:
        raise InputError(f"--to {last} 早于 --date {first}", field="--to", value=last)
    if len(days) > MAX_DAYS:
        raise InputError(f"一次最多导出 {MAX_DAYS} 天，收到 {len(days)} 天", field="--to", value=last)
    return days


def _lines(day: str, fixes: pd.DataFrame) -> gpd.GeoDataFrame:
    """One line per staff member through the day's good fixes, with counts and first/last times."""
    rows, lines = [], []
    for staff_id, one in fixes.groupby("staff_id", sort=True, observed=True):
        good = one.loc[one["flag"] == ""]
        if len(good) < 2:
            continue
        line = shapely.linestrings(np.column_stack([good["x"], good["y"]]))
        where = good["grid_id"].astype(str)
        rows.append({"staff_id": str(staff_id), "date": day,
                     "grid_id": where[where != ""].mode().iloc[0] if (where != "").any() else None,
                     "town": str(good["town"].astype(str).mode().iloc[0]), "fixes": len(good),
                     "flagged": len(one) - len(good), "distance_km": round(line.length / 1000, 3),
                     "first_fix": good["time"].min(), "last_fix": good["time"].max()})
        lines.append(line)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=gpd.GeoSeries(lines, crs=STORAGE_CRS))


def export_tracks(data_dir: Path, first: str, last: str | None, out: Path) -> tuple[int, int]:
    """Write the fixes and per-staff-day lines of ``first``…``last`` to ``out``; (fixes, lines) written."""
    points, lines = [], []
    for day in _days(first, last or first):
        fixes = read_day(data_dir, day, columns=_READ)
        if fixes.empty:
            continue
        points.append(gpd.GeoDataFrame(fixes.drop(columns=["x", "y"]), crs=STORAGE_CRS,
                                       geometry=shapely.points(fixes["x"].to_numpy(), fixes["y"].to_numpy())))
        lines.append(_lines(day, fixes))
    if not points:
        raise NotFound(f"{first}{'…' + last if last and last != first else ''} 没有巡查轨迹", field="--date", value=first)
    out.parent.mkdir(parents=True, exist_ok=True)
    fixes_layer = pd.concat(points, ignore_index=True)
    lines_layer = pd.concat(lines, ignore_index=True)
    outputs.write(out, {"track_fixes": (outputs.TRACK_FIXES, fixes_layer),
                              "track_lines": (outputs.TRACK_LINES, lines_layer)})
    return len(fixes_layer), len(lines_layer)
