"""``miyun-gis tracks daily``: per grid and per staff figures of one day, with evidence.

A *segment* joins two consecutive good fixes of one staff member at most
``MAX_GAP_S`` apart; it counts for the grid its first fix lies in.  Flagged
fixes (jumps, poor accuracy) are left out of every figure.

Per grid: patrol length and time inside, staff present, the local hours with
nobody in it (the 24-hour rule), the share of its area within 50 m of a
track, boundary markers and fence gates passed within 30 m, and staff who
spent most of their time outside their own grid.

Per staff: distance, time on duty, grids visited, share of time in their own
grid, and evidence against fake patrols — jumps, long stretches at constant
speed in a straight line, a track shared with another staff member, a track
identical to one of an earlier day.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from rasterio.features import rasterize
from rasterio.transform import from_origin
from scipy.ndimage import distance_transform_edt
from scipy.spatial import cKDTree

from gis.atomic import replacing
from gis.join import GridIndex, cells_of, ranks
from gis.reports import write_csv, write_excel
from gis.roster import grid_of_staff
from gis.schema import DAILY_GRID_COLUMNS, DAILY_STAFF_COLUMNS, LOCAL_TZ
from gis.tracks.clean import FLAG_JUMP, epoch_seconds
from gis.tracks.store import tracks_dir

MAX_GAP_S = 600.0
COVER_RADIUS_M = 50.0
COVER_CELL_M = 10.0
PASS_RADIUS_M = 30.0
STRAIGHT_MIN_SEGMENTS = 20  # about five minutes of fixes
STRAIGHT_SPEED_TOLERANCE = 0.05
STRAIGHT_TURN_DEG = 3.0
SAME_TRACK_CELL_M = 30.0
SAME_TRACK_SHARE = 0.8
IDENTICAL_SHARE = 0.5
FINGERPRINT_SAMPLE = 8  # keep one coordinate key in eight (chosen by the key, so days compare)
LOOKBACK_DAYS = 30


@dataclass
class Reference:
    """What the figures need from the layers, prepared once."""

    index: GridIndex
    marker_grid: np.ndarray  # grid row of each boundary marker (-1: none)
    marker_xy: np.ndarray
    gate_grid: np.ndarray
    gate_xy: np.ndarray
    cover_labels: np.ndarray  # grid row + 1 per 10 m cell (0: no grid)
    cover_origin: tuple[float, float]

    @classmethod
    def build(cls, index: GridIndex, markers, gates) -> "Reference":
        def placed(frame):
            xy = shapely.get_coordinates(frame.geometry.array)
            got = index.assign_xy(xy[:, 0], xy[:, 1], nearest=True, distances=False)
            row = index.grids.reset_index(drop=True).reset_index().set_index("grid_id")["index"]
            gid = got["grid_id"].astype(object).fillna(got["nearest_grid_id"].astype(object))
            return gid.map(row).fillna(-1).astype(int).to_numpy(), xy

        marker_grid, marker_xy = placed(markers)
        gate_grid, gate_xy = placed(gates)
        minx, miny, maxx, maxy = index.grids.total_bounds
        pad = COVER_RADIUS_M * 2
        minx, maxy = minx - pad, maxy + pad
        shape = (int(np.ceil((maxy - miny + pad) / COVER_CELL_M)), int(np.ceil((maxx - minx + pad) / COVER_CELL_M)))
        labels = rasterize(((g, i + 1) for i, g in enumerate(index.grids.geometry)), out_shape=shape,
                           transform=from_origin(minx, maxy, COVER_CELL_M, COVER_CELL_M), fill=0, dtype="int32")
        return cls(index, marker_grid, marker_xy, gate_grid, gate_xy, labels, (minx, maxy))


def segments(fixes: pd.DataFrame) -> pd.DataFrame:
    """Consecutive good fixes of one staff member at most MAX_GAP_S apart."""
    good = fixes[fixes["flag"] == ""].reset_index(drop=True)
    staff = good["staff_id"].to_numpy()
    t = epoch_seconds(good["time"])
    x, y = good["x"].to_numpy(), good["y"].to_numpy()
    dt = np.diff(t)
    keep = (staff[1:] == staff[:-1]) & (dt > 0) & (dt <= MAX_GAP_S)
    start = np.flatnonzero(keep)
    return pd.DataFrame({
        "staff_id": staff[start], "grid_id": good["grid_id"].to_numpy()[start],
        "x0": x[start], "y0": y[start], "x1": x[start + 1], "y1": y[start + 1],
        "dt": dt[start], "length": np.hypot(x[start + 1] - x[start], y[start + 1] - y[start]),
    })


def _coverage(ref: Reference, segs: pd.DataFrame) -> np.ndarray:
    """Share of each grid's area within COVER_RADIUS_M of a track (rows of ref.index.grids)."""
    n = np.maximum(np.ceil(segs["length"].to_numpy() / COVER_CELL_M).astype(int), 1)
    frac = ranks(n) / np.repeat(n, n)
    x = np.repeat(segs["x0"].to_numpy(), n) + frac * np.repeat((segs["x1"] - segs["x0"]).to_numpy(), n)
    y = np.repeat(segs["y0"].to_numpy(), n) + frac * np.repeat((segs["y1"] - segs["y0"]).to_numpy(), n)
    labels = ref.cover_labels
    minx, maxy = ref.cover_origin
    _, row, col = cells_of(x, y, minx, maxy, COVER_CELL_M, labels.shape)
    visited = np.zeros(labels.shape, bool)
    visited[row, col] = True
    near = distance_transform_edt(~visited) * COVER_CELL_M <= COVER_RADIUS_M
    total = np.bincount(labels.ravel(), minlength=len(ref.index.grids) + 1)
    covered = np.bincount(labels[near], minlength=len(ref.index.grids) + 1)
    return (covered / np.maximum(total, 1))[1:]


def _passed(points_xy: np.ndarray, tree: cKDTree | None) -> np.ndarray:
    if tree is None or not len(points_xy):
        return np.zeros(len(points_xy), bool)
    dist, _ = tree.query(points_xy, distance_upper_bound=PASS_RADIUS_M)
    return np.isfinite(dist)


def _hours_list(hours: list[int]) -> str:
    """[0, 1, 2, 5] → '0–2时, 5时'."""
    out, run = [], []
    for h in hours + [None]:
        if run and (h is None or h != run[-1] + 1):
            out.append(f"{run[0]}–{run[-1]}时" if len(run) > 1 else f"{run[0]}时")
            run = []
        if h is not None:
            run.append(h)
    return "，".join(out)


def grid_figures(day: str, fixes: pd.DataFrame, segs: pd.DataFrame, ref: Reference,
                 staff_table: pd.DataFrame) -> pd.DataFrame:
    grids = ref.index.grids
    good = fixes[(fixes["flag"] == "") & fixes["grid_id"].notna()]
    row_of = pd.Series(np.arange(len(grids)), index=grids["grid_id"].to_numpy())
    rows_present = row_of.reindex(good["grid_id"].to_numpy()).to_numpy()
    hours = good["time"].dt.tz_convert(LOCAL_TZ).dt.hour.to_numpy()
    seen_hours = np.zeros((len(grids), 24), bool)
    known = ~np.isnan(rows_present)
    seen_hours[rows_present[known].astype(int), hours[known]] = True
    staff_present = good.groupby("grid_id")["staff_id"].nunique()
    by_grid = segs.dropna(subset=["grid_id"]).groupby("grid_id")[["length", "dt"]].sum()
    tree = cKDTree(np.column_stack([good["x"], good["y"]])) if len(good) else None
    markers_ok = _passed(ref.marker_xy, tree)
    gates_ok = _passed(ref.gate_xy, tree)
    coverage = _coverage(ref, segs) if len(segs) else np.zeros(len(grids))
    away = staff_table[staff_table["share_own_grid"] < 0.5].groupby("own_grid")["staff_id"].agg(
        lambda s: "，".join(sorted(s)))
    rows = []
    for i, (grid_id, town, kind) in enumerate(zip(grids["grid_id"], grids["town"], grids["kind"])):
        empty = [int(h) for h in np.flatnonzero(~seen_hours[i])]
        rows.append({
            "date": day, "grid_id": grid_id, "town": town, "kind": kind,
            "staff_present": int(staff_present.get(grid_id, 0)),
            "patrol_km": round(float(by_grid["length"].get(grid_id, 0.0)) / 1000, 2),
            "hours_inside": round(float(by_grid["dt"].get(grid_id, 0.0)) / 3600, 2),
            "uncovered_hours": len(empty), "uncovered_list": _hours_list(empty),
            "coverage_50m": round(float(coverage[i]), 3),
            "markers_passed": int(markers_ok[ref.marker_grid == i].sum()),
            "markers_total": int((ref.marker_grid == i).sum()),
            "gates_passed": int(gates_ok[ref.gate_grid == i].sum()),
            "gates_total": int((ref.gate_grid == i).sum()),
            "staff_away": away.get(grid_id, ""),
        })
    return pd.DataFrame(rows)


def _straight_runs(fixes: pd.DataFrame) -> pd.Series:
    """Per staff: runs of STRAIGHT_MIN_SEGMENTS or more steps at constant speed and heading."""
    good = fixes[fixes["flag"] == ""]
    staff = good["staff_id"].to_numpy()
    x, y = good["x"].to_numpy(), good["y"].to_numpy()
    t = epoch_seconds(good["time"])
    if len(good) < 3:
        return pd.Series(dtype=int)
    dx, dy, dt = np.diff(x), np.diff(y), np.diff(t)
    same = staff[1:] == staff[:-1]
    speed = np.hypot(dx, dy) / np.where(dt > 0, dt, np.nan)
    heading = np.degrees(np.arctan2(dy, dx))
    turn = np.abs((np.diff(heading) + 180) % 360 - 180)
    change = np.abs(np.diff(speed)) / np.maximum(speed[1:], 1e-9)
    steady = same[1:] & same[:-1] & (turn < STRAIGHT_TURN_DEG) & (change < STRAIGHT_SPEED_TOLERANCE) & (speed[1:] > 0.3)
    # run lengths of True
    edges = np.diff(np.r_[0, steady.astype(np.int8), 0])
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long = (stops - starts) >= STRAIGHT_MIN_SEGMENTS
    return pd.Series(staff[1:-1][starts[long]]).value_counts()


def _minute_cells(good: pd.DataFrame) -> pd.DataFrame:
    minute = (epoch_seconds(good["time"]) // 60).astype(np.int64)
    cell_x = np.floor(good["x"].to_numpy() / SAME_TRACK_CELL_M).astype(np.int64)
    cell_y = np.floor(good["y"].to_numpy() / SAME_TRACK_CELL_M).astype(np.int64)
    keys = pd.DataFrame({"staff_id": good["staff_id"].to_numpy(), "minute": minute, "cx": cell_x, "cy": cell_y})
    return keys.drop_duplicates(["staff_id", "minute"])


def _same_tracks(fixes: pd.DataFrame) -> dict[str, str]:
    """Staff whose positions coincide minute by minute with another's for most of their time."""
    keys = _minute_cells(fixes[fixes["flag"] == ""])
    minutes = keys.groupby("staff_id").size()
    shared = keys.merge(keys, on=["minute", "cx", "cy"])
    shared = shared[shared["staff_id_x"] < shared["staff_id_y"]]
    pairs = shared.groupby(["staff_id_x", "staff_id_y"]).size()
    out: dict[str, list[str]] = {}
    for (a, b), count in pairs.items():
        if count >= SAME_TRACK_SHARE * min(minutes[a], minutes[b]):
            out.setdefault(a, []).append(b)
            out.setdefault(b, []).append(a)
    return {k: "，".join(sorted(v)) for k, v in out.items()}


def fingerprints(fixes: pd.DataFrame) -> pd.DataFrame:
    """Exact-coordinate keys (to 0.1 m) of good fixes, one in FINGERPRINT_SAMPLE kept by value."""
    good = fixes[fixes["flag"] == ""]
    key = (np.round(good["x"].to_numpy() * 10).astype(np.int64) * 1_000_003
           + np.round(good["y"].to_numpy() * 10).astype(np.int64))
    keep = key % FINGERPRINT_SAMPLE == 0
    return pd.DataFrame({"staff_id": good["staff_id"].to_numpy()[keep], "key": key[keep]})


def fingerprint_path(data_dir: Path, day: str) -> Path:
    return tracks_dir(data_dir) / "fingerprints" / f"{day}.parquet"


def _identical_days(data_dir: Path | None, day: str, prints: pd.DataFrame) -> dict[str, str]:
    """Staff whose track today repeats the exact coordinates of an earlier day's."""
    if data_dir is None or prints.empty:
        return {}
    today = pd.Timestamp(day)
    found: dict[str, list[str]] = {}
    counts = prints.groupby("staff_id").size()
    for back in range(1, LOOKBACK_DAYS + 1):
        earlier = (today - pd.Timedelta(days=back)).strftime("%Y-%m-%d")
        path = fingerprint_path(data_dir, earlier)
        if not path.exists():
            continue
        old = pd.read_parquet(path)
        hits = prints.merge(old, on=["staff_id", "key"]).groupby("staff_id").size()
        for staff_id, n in hits.items():
            if n >= IDENTICAL_SHARE * counts[staff_id]:
                found.setdefault(staff_id, []).append(earlier)
    return {k: "，".join(v) for k, v in found.items()}


def staff_figures(day: str, fixes: pd.DataFrame, segs: pd.DataFrame, data_dir: Path | None,
                  prints: pd.DataFrame | None = None) -> pd.DataFrame:
    if fixes.empty:
        return pd.DataFrame(columns=list(DAILY_STAFF_COLUMNS))
    base = fixes.assign(bad=fixes["flag"] != "", jump=fixes["flag"] == FLAG_JUMP).groupby("staff_id").agg(
        fixes=("time", "size"), flagged=("bad", "sum"), jumps=("jump", "sum"),
        first_fix=("time", "min"), last_fix=("time", "max"))
    dist = segs.groupby("staff_id")[["length", "dt"]].sum()
    own = pd.Series({s: grid_of_staff(s) for s in base.index})
    seg_own = segs.assign(own=segs["staff_id"].map(own))
    in_own = seg_own[seg_own["grid_id"] == seg_own["own"]].groupby("staff_id")["dt"].sum()
    good = fixes[fixes["flag"] == ""]
    pairs = good.dropna(subset=["grid_id"]).drop_duplicates(["staff_id", "grid_id"]).sort_values(["staff_id", "grid_id"])
    visited = pairs.groupby("staff_id")["grid_id"].agg("，".join)
    town_counts = good.dropna(subset=["town"]).groupby(["staff_id", "town"]).size()
    town_of = town_counts.reset_index().sort_values(0, ascending=False, kind="stable").drop_duplicates(
        "staff_id").set_index("staff_id")["town"]
    straight = _straight_runs(fixes)
    same = _same_tracks(fixes)
    identical = _identical_days(data_dir, day, fingerprints(fixes) if prints is None else prints)
    on_duty = dist["dt"].reindex(base.index).fillna(0.0)
    out = pd.DataFrame({
        "date": day, "staff_id": base.index, "own_grid": own.reindex(base.index).fillna("").to_numpy(),
        "town": town_of.reindex(base.index).fillna("").to_numpy(),
        "fixes": base["fixes"].to_numpy(), "flagged": base["flagged"].astype(int).to_numpy(),
        "distance_km": (dist["length"].reindex(base.index).fillna(0.0) / 1000).round(2).to_numpy(),
        "on_duty_hours": (on_duty / 3600).round(2).to_numpy(),
        "first_fix": base["first_fix"].dt.tz_convert(LOCAL_TZ).dt.strftime("%H:%M").to_numpy(),
        "last_fix": base["last_fix"].dt.tz_convert(LOCAL_TZ).dt.strftime("%H:%M").to_numpy(),
        "grids_visited": visited.reindex(base.index).fillna("").to_numpy(),
        "share_own_grid": (in_own.reindex(base.index).fillna(0.0) / on_duty.where(on_duty > 0)).fillna(0.0)
        .round(3).to_numpy(),
        "jumps": base["jumps"].astype(int).to_numpy(),
        "straight_runs": straight.reindex(base.index).fillna(0).astype(int).to_numpy(),
        "same_track_as": [same.get(s, "") for s in base.index],
        "same_as_day": [identical.get(s, "") for s in base.index],
    })
    return out.reset_index(drop=True)


def daily_figures(day: str, fixes: pd.DataFrame, ref: Reference, data_dir: Path | None = None,
                  prints: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per grid, per staff) figures of one local day; ``prints`` are the day's fingerprints if known."""
    segs = segments(fixes)
    staff = staff_figures(day, fixes, segs, data_dir, prints)
    grid = grid_figures(day, fixes, segs, ref, staff)
    return grid, staff


def save_fingerprints(data_dir: Path, day: str, prints: pd.DataFrame) -> None:
    with replacing(fingerprint_path(data_dir, day)) as tmp:
        prints.to_parquet(tmp, index=False)


def write_reports(out_dir: Path, day: str, grid: pd.DataFrame, staff: pd.DataFrame) -> list[Path]:
    """Excel (two sheets, Chinese headers) and two CSV files."""
    grid_cn = grid.rename(columns=DAILY_GRID_COLUMNS)
    staff_cn = staff.rename(columns=DAILY_STAFF_COLUMNS)
    paths = [write_excel(out_dir / f"tracks-daily-{day}.xlsx", {"网格日报": grid_cn, "保水员日报": staff_cn})]
    for name, frame in (("grids", grid_cn), ("staff", staff_cn)):
        paths.append(write_csv(out_dir / f"tracks-daily-{day}-{name}.csv", frame))
    return paths
