"""``miyun-gis simulate-tracks``: a believable synthetic patrol day on the sample layers.

Each staff member of the roster walks their grid's patrol loop (a ring just
inside the grid's edge) during their 8-hour shift at 0.9–1.4 m/s with rests,
with a fix every 10–20 s, GPS noise of a few metres and a reported accuracy.
Seeded mischief makes the figures worth looking at: a few staff absent, a few
straying into a neighbouring grid, GPS jumps, one pair sharing one track,
and a few replaying yesterday's track.  Every fix is marked synthetic.
"""

from __future__ import annotations

import zlib
from datetime import date as Date

import numpy as np
import pandas as pd
import shapely

from gis.crs import to_web
from gis.staff.codes import SHIFT_HOURS, roster_from_grids
from gis.schema import LOCAL_TZ

SEED = 2150
ABSENT_SHARE = 0.02
STRAY_SHARE = 0.03
JUMPY_SHARE = 0.05
REPLAY_SHARE = 0.005
INTERVAL_S = (10, 20)


def _rng(*keys) -> np.random.Generator:
    return np.random.default_rng([SEED, *(zlib.crc32(str(k).encode()) for k in keys)])


def patrol_loops(grids) -> dict[str, shapely.LineString]:
    """A closed walking loop inside each grid (its largest part, a little in from the edge).

    Examples
    --------
    >>> from gis.join import _example_frames
    >>> grids = _example_frames()["grids"]                    # 2 km × 2 km and 2 km × 1 km squares
    >>> {grid: round(loop.length) for grid, loop in patrol_loops(grids).items()}
    {'XWZ-K01': 7904, 'MJY-K01': 7904, 'XWZ-H01': 5904}
    """
    loops = {}
    for grid_id, geom in zip(grids["grid_id"], grids.geometry):
        part = max(getattr(geom, "geoms", [geom]), key=lambda p: p.area)
        inner = part.buffer(-12)
        inner = max(getattr(inner, "geoms", [inner]), key=lambda p: p.area) if not inner.is_empty else part
        loops[grid_id] = inner.exterior
    return loops


def neighbour_of(grids) -> dict[str, str]:
    """A neighbouring grid of each grid (itself when it has none within 50 m): where a straying staff walks.

    Examples
    --------
    >>> from gis.join import _example_frames
    >>> neighbour_of(_example_frames()["grids"])
    {'XWZ-K01': 'MJY-K01', 'MJY-K01': 'XWZ-K01', 'XWZ-H01': 'XWZ-K01'}
    """
    tree = shapely.STRtree(grids.geometry.array)
    ids = grids["grid_id"].to_numpy()
    out = {}
    for i, geom in enumerate(grids.geometry.array):
        near = [j for j in tree.query(geom.buffer(50)) if j != i]
        out[ids[i]] = ids[near[0]] if near else ids[i]
    return out


def walk(loop: shapely.LineString, start: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    """One shift on one loop: times (UTC) and storage-CRS positions.

    Examples
    --------
    >>> loop = shapely.box(0, 0, 500, 500).exterior
    >>> shift = walk(loop, pd.Timestamp("2026-11-21T00:00Z"), np.random.default_rng(1))
    >>> list(shift.columns), shift["time"].is_monotonic_increasing
    (['time', 'x', 'y', 'accuracy_m'], True)
    >>> bool((shift["time"] < pd.Timestamp("2026-11-21T08:00Z")).all() and shift["accuracy_m"].between(3, 12).all())
    True
    """
    seconds = SHIFT_HOURS * 3600
    steps = rng.integers(*INTERVAL_S, size=int(seconds / INTERVAL_S[0]) + 1)
    t = np.cumsum(steps) - steps[0] + rng.integers(0, 600)
    t = t[t < seconds]
    speed = rng.uniform(0.9, 1.4)
    moving = np.repeat(rng.random(len(t) // 40 + 1) > 0.15, 40)[: len(t)]  # rests in blocks
    gaps = np.diff(t, prepend=t[0])
    s = rng.uniform(0, loop.length) + np.cumsum(gaps * speed * moving) * rng.choice([-1, 1])
    vertices = shapely.get_coordinates(loop)
    along = np.r_[0.0, np.cumsum(np.hypot(*np.diff(vertices, axis=0).T))]
    s = np.mod(s, along[-1])
    xy = np.column_stack([np.interp(s, along, vertices[:, 0]), np.interp(s, along, vertices[:, 1])])
    xy += rng.normal(0, 4.0, (len(t), 2))
    times = start + pd.to_timedelta(t, unit="s")
    return pd.DataFrame({"time": times, "x": xy[:, 0], "y": xy[:, 1],
                         "accuracy_m": np.round(rng.uniform(3, 12, len(t)), 1)})


def simulate_day(grids, day: Date | str, n_staff: int | None = None) -> pd.DataFrame:
    """Fixes of one local day for ``n_staff`` staff (all of the roster when None).

    Deterministic: the same grids and day give the same fixes.  Some staff are absent, some stray
    into a neighbouring grid, some tracks jump and a few replay yesterday's track or copy another's.

    Examples
    --------
    >>> from gis.join import _example_frames
    >>> grids = _example_frames()["grids"].assign(staff_quota=3)
    >>> fixes = simulate_day(grids, "2026-11-21")
    >>> list(fixes.columns)
    ['staff_id', 'time', 'lon', 'lat', 'accuracy_m', 'row']
    >>> fixes.equals(simulate_day(grids, "2026-11-21")), fixes["staff_id"].nunique() <= 9
    (True, True)
    """
    day = pd.Timestamp(str(day)).date()
    roster = roster_from_grids(grids)
    if n_staff is not None and n_staff < len(roster):
        roster = roster.sample(n_staff, random_state=SEED).sort_values("staff_id")
    loops = patrol_loops(grids)
    neighbour = neighbour_of(grids)
    midnight = pd.Timestamp(day).tz_localize(LOCAL_TZ).tz_convert("UTC")
    frames = []
    first_of_grid: dict[tuple[str, int], pd.DataFrame] = {}
    for staff_id, grid_id, shift in zip(roster["staff_id"], roster["grid_id"], roster["shift"]):
        fate = _rng(staff_id, "fate").random(4)
        if fate[0] < ABSENT_SHARE:
            continue
        replay = fate[3] < REPLAY_SHARE
        track_day = day - pd.Timedelta(days=1) if replay else day
        rng = _rng(staff_id, track_day)
        loop = loops[neighbour[grid_id]] if fate[1] < STRAY_SHARE else loops[grid_id]
        start = pd.Timestamp(track_day).tz_localize(LOCAL_TZ).tz_convert("UTC") + pd.Timedelta(hours=SHIFT_HOURS * shift)
        track = walk(loop, start, rng)
        if replay:
            track["time"] = track["time"] + (midnight - pd.Timestamp(track_day).tz_localize(LOCAL_TZ).tz_convert("UTC"))
        key = (grid_id, shift)
        if key in first_of_grid and _rng(grid_id, shift, day, "copy").random() < 0.02:
            copied = first_of_grid[key]
            track = copied.assign(x=copied["x"] + rng.normal(0, 0.5, len(copied)),
                                  y=copied["y"] + rng.normal(0, 0.5, len(copied)))
        first_of_grid.setdefault(key, track)
        if fate[2] < JUMPY_SHARE and len(track) > 10:
            spikes = rng.choice(len(track), size=rng.integers(1, 4), replace=False)
            angle = rng.uniform(0, 2 * np.pi, len(spikes))
            distance = rng.uniform(1500, 3000, len(spikes))
            track.loc[track.index[spikes], "x"] += distance * np.cos(angle)
            track.loc[track.index[spikes], "y"] += distance * np.sin(angle)
        frames.append(track.assign(staff_id=staff_id))
    fixes = pd.concat(frames, ignore_index=True)
    fixes["lon"], fixes["lat"] = to_web(fixes["x"].to_numpy(), fixes["y"].to_numpy())
    fixes["row"] = np.arange(len(fixes)) + 1
    return fixes[["staff_id", "time", "lon", "lat", "accuracy_m", "row"]]
