"""Labelled days for measuring the fake-patrol evidence: honest simulated days, fakes injected.

Honest staff walk their grid's loop as :mod:`gis.tracks.simulate` has them (rests, GPS noise of
a few metres, varying intervals and reported accuracy, GPS spikes for some, a few straying into
a neighbouring grid) — without the simulator's seeded copies and replays, so that every fake in
a labelled day is one injected here and labelled with its kind.  Tracker apps' ``mock`` column
is present (False) for every fix, as an app that sends it would.

Each injected kind, as a cheat would make it:

* ``teleport``: part of the shift is recorded 2–5 km away, then the track jumps into the grid;
* ``drawn``: straight lines between 4–8 points of the grid at one constant walking speed, 0.3 m
  of scatter;
* ``mock``: the honest path with a constant accuracy, or resampled at an exact interval with no
  fix lost, or with the app's mock-location flag set;
* ``copy``: a colleague's track of the day shifted by their shift difference plus 5–40 minutes,
  3 m of noise added;
* ``replay``: one's own track of 2–30 days ago shifted to today ± 60 minutes, 3 m of noise;
* ``still``: the whole shift at one point with 1.5–5 m of jitter;
* ``edge``: back and forth along the 30 % (at most 600 m) of the grid's edge nearest a village
  (where the road is), at walking speed with rests;
* ``vehicle``: driving a winding road through the grid at 25–50 km/h for the shift.

Everything made here is synthetic.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import shapely

from gis.join import GridIndex
from gis.staff.codes import SHIFT_HOURS, roster_from_grids
from gis.schema import FAKE_KINDS, LOCAL_TZ
from gis.tracks.clean import flag_fixes
from gis.tracks.simulate import INTERVAL_S, neighbour_of, patrol_loops, walk

SEED = 1919
ABSENT_SHARE = 0.02
STRAY_SHARE = 0.03
JUMPY_SHARE = 0.05
MIN_EDGE_M = 600.0  # an edge stretch means something only on a grid whose edge is longer than this


def rng_of(*keys) -> np.random.Generator:
    return np.random.default_rng([SEED, *(zlib.crc32(str(k).encode()) for k in keys)])


class World:
    """The layers' grids prepared once: loops, neighbours, roster, villages."""

    def __init__(self, grids, villages=None):
        self.grids = grids.reset_index(drop=True)
        self.geom = dict(zip(self.grids["grid_id"], self.grids.geometry))
        self.loops = patrol_loops(self.grids)
        self.neighbour = neighbour_of(self.grids)
        self.roster = roster_from_grids(self.grids)
        self.villages = None if villages is None else shapely.get_coordinates(villages.geometry.array)

    def shift_start(self, day: str, shift: int) -> pd.Timestamp:
        return pd.Timestamp(day).tz_localize(LOCAL_TZ).tz_convert("UTC") + pd.Timedelta(hours=SHIFT_HOURS * shift)

    def honest(self, day: str, staff_ids=None, spikes: bool = True) -> dict[str, pd.DataFrame]:
        """Honest tracks of a day: per staff, time (UTC), x, y, accuracy_m (GPS spikes unless not ``spikes``)."""
        roster = self.roster if staff_ids is None else self.roster[self.roster["staff_id"].isin(set(staff_ids))]
        out = {}
        for staff_id, grid_id, shift in zip(roster["staff_id"], roster["grid_id"], roster["shift"]):
            fate = rng_of(staff_id, day, "fate").random(3)
            if fate[0] < ABSENT_SHARE:
                continue
            rng = rng_of(staff_id, day)
            loop = self.loops[self.neighbour[grid_id]] if fate[1] < STRAY_SHARE else self.loops[grid_id]
            track = walk(loop, self.shift_start(day, shift), rng)
            if spikes and fate[2] < JUMPY_SHARE and len(track) > 10:
                where = rng.choice(len(track), size=rng.integers(1, 4), replace=False)
                angle = rng.uniform(0, 2 * np.pi, len(where))
                distance = rng.uniform(1500, 3000, len(where))
                track.loc[track.index[where], "x"] += distance * np.cos(angle)
                track.loc[track.index[where], "y"] += distance * np.sin(angle)
            out[staff_id] = track
        return out


def _times(start: pd.Timestamp, seconds: float, rng) -> np.ndarray:
    steps = rng.integers(*INTERVAL_S, size=int(seconds / INTERVAL_S[0]) + 1)
    t = np.cumsum(steps) - steps[0] + rng.integers(0, 600)
    return t[t < seconds].astype(float)


def _frame(start: pd.Timestamp, t: np.ndarray, xy: np.ndarray, rng, accuracy=None) -> pd.DataFrame:
    return pd.DataFrame({"time": start + pd.to_timedelta(t, unit="s"), "x": xy[:, 0], "y": xy[:, 1],
                         "accuracy_m": accuracy if accuracy is not None else np.round(rng.uniform(3, 12, len(t)), 1)})


def _along(path: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Points at distances ``s`` along a polyline (ping-pong past its end)."""
    seg = np.hypot(*np.diff(path, axis=0).T)
    along = np.r_[0.0, np.cumsum(seg)]
    s = np.mod(s, 2 * along[-1])
    s = np.where(s > along[-1], 2 * along[-1] - s, s)
    return np.column_stack([np.interp(s, along, path[:, 0]), np.interp(s, along, path[:, 1])])


def inject(world: World, kind: str, staff_id: str, day: str, honest: dict[str, pd.DataFrame],
           earlier: dict[str, dict[str, pd.DataFrame]] | None = None, avoid=frozenset()) -> pd.DataFrame | None:
    """A fake track of ``kind`` for ``staff_id`` on ``day`` (None when this staff cannot fake it so)."""
    if kind not in FAKE_KINDS:
        raise ValueError(kind)
    row = world.roster.set_index("staff_id").loc[staff_id]
    grid_id, shift = row["grid_id"], int(row["shift"])
    rng = rng_of(staff_id, day, kind)
    start = world.shift_start(day, shift)
    seconds = SHIFT_HOURS * 3600
    own = honest.get(staff_id)
    if own is None:
        own = walk(world.loops[grid_id], start, rng)
    if kind == "teleport":
        track = own.copy()
        cut = int(len(track) * rng.uniform(0.2, 0.8))
        angle, dist = rng.uniform(0, 2 * np.pi), rng.uniform(2000, 5000)
        track.loc[track.index[:cut], "x"] += dist * np.cos(angle)
        track.loc[track.index[:cut], "y"] += dist * np.sin(angle)
        return track
    if kind == "drawn":
        geom = world.geom[grid_id]
        minx, miny, maxx, maxy = geom.bounds
        points = []
        while len(points) < rng.integers(4, 9):
            p = rng.uniform([minx, miny], [maxx, maxy])
            if geom.contains(shapely.Point(p)):
                points.append(p)
        t = _times(start, seconds, rng)
        xy = _along(np.array(points), t * rng.uniform(1.0, 1.4)) + rng.normal(0, 0.3, (len(t), 2))
        return _frame(start, t, xy, rng)
    if kind == "mock":
        variant = rng.integers(3)
        track = own.copy()
        if variant == 0:
            track["accuracy_m"] = float(rng.choice([3.0, 5.0, 10.0]))
        elif variant == 1:
            step = float(rng.choice([5, 10, 15]))
            tt = (track["time"] - start).dt.total_seconds().to_numpy()
            grid = np.arange(tt[0], tt[-1], step)
            xy = np.column_stack([np.interp(grid, tt, track["x"]), np.interp(grid, tt, track["y"])])
            track = _frame(start, grid, xy, rng)
        else:
            track["mock"] = True
        return track
    if kind == "copy":
        mates = world.roster[(world.roster["grid_id"] == grid_id) & (world.roster["staff_id"] != staff_id)
                             & (world.roster["shift"] <= shift)
                             & world.roster["staff_id"].isin(set(honest) - set(avoid))]
        if mates.empty:
            return None
        mate = mates.iloc[int(rng.integers(len(mates)))]
        delta = pd.Timedelta(hours=SHIFT_HOURS * (shift - int(mate["shift"]))) \
            + pd.Timedelta(minutes=rng.uniform(5, 40))
        source = honest[mate["staff_id"]]
        track = source.assign(time=source["time"] + delta, x=source["x"] + rng.normal(0, 3, len(source)),
                              y=source["y"] + rng.normal(0, 3, len(source)))
        end = pd.Timestamp(day).tz_localize(LOCAL_TZ).tz_convert("UTC") + pd.Timedelta(days=1)
        return track[track["time"] < end].reset_index(drop=True)
    if kind == "replay":
        back = [d for d in (earlier or {})
                if staff_id in earlier[d] and 2 <= (pd.Timestamp(day) - pd.Timestamp(d)).days <= 30]
        if not back:
            return None
        old_day = back[int(rng.integers(len(back)))]
        source = earlier[old_day][staff_id]
        delta = pd.Timestamp(day) - pd.Timestamp(old_day) + pd.Timedelta(minutes=rng.uniform(-60, 60))
        track = source.assign(time=source["time"] + delta, x=source["x"] + rng.normal(0, 3, len(source)),
                              y=source["y"] + rng.normal(0, 3, len(source)))
        lo = pd.Timestamp(day).tz_localize(LOCAL_TZ).tz_convert("UTC")
        return track[(track["time"] >= lo) & (track["time"] < lo + pd.Timedelta(days=1))].reset_index(drop=True)
    if kind == "still":
        geom = world.geom[grid_id]
        t = _times(start, seconds, rng)
        p = np.array(geom.representative_point().coords[0])
        return _frame(start, t, p + rng.normal(0, rng.uniform(1.5, 5), (len(t), 2)), rng)
    if kind == "edge":
        loop = world.loops[grid_id]
        if loop.length < MIN_EDGE_M:
            return None
        road = world.villages if world.villages is not None and len(world.villages) else \
            np.array([loop.centroid.coords[0]])
        vertices = shapely.get_coordinates(loop)
        gap = np.hypot(road[:, 0, None] - vertices[None, :, 0], road[:, 1, None] - vertices[None, :, 1])
        nearest = road[np.argmin(gap.min(axis=1))]
        s0 = loop.project(shapely.Point(nearest))
        stretch = min(600.0, 0.3 * loop.length)
        along = np.mod(s0 + np.linspace(0, stretch, 60), loop.length)
        path = shapely.get_coordinates(shapely.line_interpolate_point(loop, along))
        t = _times(start, seconds, rng)
        moving = np.repeat(rng.random(len(t) // 40 + 1) > 0.15, 40)[: len(t)]
        s = np.cumsum(np.diff(t, prepend=t[0]) * rng.uniform(0.9, 1.4) * moving)
        return _frame(start, t, _along(path, s) + rng.normal(0, 4.0, (len(t), 2)), rng)
    # vehicle: a winding road through the grid, driven back and forth
    origin = np.array(shapely.get_coordinates(world.loops[grid_id])[0])
    heading = rng.uniform(0, 2 * np.pi)
    points = [origin]
    for _ in range(12):
        heading += rng.uniform(-0.7, 0.7)
        points.append(points[-1] + rng.uniform(500, 1500) * np.array([np.cos(heading), np.sin(heading)]))
    t = _times(start, seconds, rng)
    xy = _along(np.array(points), t * rng.uniform(7, 14)) + rng.normal(0, 4.0, (len(t), 2))
    return _frame(start, t, xy, rng)


def as_fixes(tracks: dict[str, pd.DataFrame], index: GridIndex) -> pd.DataFrame:
    """Tracks → a day's fixes as the store holds them: flagged (the import's rules) and placed."""
    frames = [tr.assign(staff_id=s) for s, tr in tracks.items()]
    fixes = pd.concat(frames, ignore_index=True)
    if "mock" not in fixes:
        fixes["mock"] = False
    fixes["mock"] = fixes["mock"].fillna(False).astype(bool)
    fixes = flag_fixes(fixes)
    where = index.assign_xy(fixes["x"].to_numpy(), fixes["y"].to_numpy(), nearest=False, distances=False)
    fixes["grid_id"] = where["grid_id"].array
    fixes["town"] = where["town"].array
    return fixes.reset_index(drop=True)


def labelled_day(world: World, day: str, share: float, earlier: dict[str, dict[str, pd.DataFrame]] | None = None,
                 staff_ids=None) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """An honest day with ``share`` of its staff faking, the kinds taken in turn: (tracks, kind per faker)."""
    honest = world.honest(day, staff_ids)
    names = sorted(honest)
    rng = rng_of(day, "who")
    fakers = rng.choice(names, size=max(len(FAKE_KINDS), int(round(share * len(names)))), replace=False)
    tracks, labels = dict(honest), {}
    kinds = list(FAKE_KINDS)
    for i, staff_id in enumerate(fakers):
        for attempt in range(len(kinds)):
            kind = kinds[(i + attempt) % len(kinds)]
            fake = inject(world, kind, staff_id, day, honest, earlier, avoid=set(fakers))
            if fake is not None and len(fake) > 20:
                tracks[staff_id], labels[staff_id] = fake, kind
                break
    return tracks, labels


def detect(day: str, tracks: dict[str, pd.DataFrame], index: GridIndex, edges, earlier=None) -> pd.DataFrame:
    """The evidence of a labelled day, as ``tracks daily`` computes it from stored fixes."""
    from gis.tracks import fakes
    from gis.tracks.daily import DayFixes

    fixes = as_fixes(tracks, index)
    good = DayFixes.from_frame(fixes, index.grids["grid_id"]).good()
    found, _ = fakes.day_evidence(day, good, edges, fixes[["staff_id", "time", "accuracy_m", "mock"]], earlier)
    return found


def confusion(found: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Per kind: injected, caught (flagged with that kind), recall, flagged, precision, honest flagged."""
    kinds_of = dict(zip(found["staff_id"], found["fake_kinds"].map(lambda k: set(filter(None, k.split("，"))))))
    rows = []
    honest = [s for s in kinds_of if s not in labels]
    for kind in FAKE_KINDS:
        injected = [s for s, k in labels.items() if k == kind]
        caught = sum(kind in kinds_of.get(s, set()) for s in injected)
        flagged = [s for s, k in kinds_of.items() if kind in k]
        right = sum(labels.get(s) == kind for s in flagged)
        rows.append({"kind": kind, "injected": len(injected), "caught": caught,
                     "recall": caught / len(injected) if injected else float("nan"),
                     "flagged": len(flagged), "precision": right / len(flagged) if flagged else float("nan"),
                     "other_fakes_flagged": sum(s in labels and labels[s] != kind for s in flagged),
                     "honest_flagged": sum(s not in labels for s in flagged)})
    table = pd.DataFrame(rows)
    table.attrs["honest"] = len(honest)
    table.attrs["false_positive_rate"] = sum(bool(kinds_of[s]) for s in honest) / max(len(honest), 1)
    table.attrs["missed_any"] = sum(not kinds_of.get(s) for s in labels)
    return table
