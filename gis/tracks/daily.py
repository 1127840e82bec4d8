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

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from rasterio.features import rasterize
from rasterio.transform import from_origin
from scipy.ndimage import distance_transform_edt

from gis.atomic import replacing
from gis.join import Buckets, GridIndex, cells_of, ranks
from gis.labels import FIELD_LABELS, with_labels
from gis.reports.writers import write_csv, write_excel
from gis.staff.codes import grid_of_staff
from gis.schema import DAILY_GRID_COLUMNS, DAILY_STAFF_COLUMNS, LOCAL_TZ
from gis.tracks import fakes
from gis.tracks.clean import FLAG_JUMP, FLAGS, PER_SECOND, by_staff_and_time, sorted_categorical
from gis.tracks.store import tracks_dir

MAX_GAP_S = 600.0
COVER_RADIUS_M = 50.0
COVER_CELL_M = 10.0
COVER_CHUNK = 250_000  # segments densified at a time (memory stays in the cache)
PASS_RADIUS_M = 30.0
PASS_BUCKET_M = 100.0
STRAIGHT_MIN_SEGMENTS = 20  # about five minutes of fixes
STRAIGHT_SPEED_TOLERANCE = 0.05
STRAIGHT_TURN_DEG = 3.0
SAME_TRACK_CELL_M = 30.0
SAME_TRACK_SHARE = 0.8
IDENTICAL_SHARE = 0.5
FINGERPRINT_SAMPLE = 8  # keep one coordinate key in eight (chosen by the key, so days compare)
LOOKBACK_DAYS = 30
DAILY_COLUMNS = ["staff_id", "time", "x", "y", "flag", "grid_id", "town"]  # what the figures read


def _example_day() -> tuple[pd.DataFrame, "Reference"]:
    """For the examples: an hour of one staff member walking east across XWZ-K01 of the toy layers
    (:func:`gis.join._example_frames`), past a fence gate, and the reference of those layers."""
    import geopandas as gpd

    from gis.join import _example_frames
    from gis.schema import STORAGE_CRS

    index = GridIndex.from_frames(_example_frames())
    markers = gpd.GeoDataFrame({"marker_id": ["J001"]}, geometry=[shapely.Point(500_000, 4_490_990)], crs=STORAGE_CRS)
    gates = gpd.GeoDataFrame({"gate_id": ["G01"]}, geometry=[shapely.Point(499_500, 4_490_000)], crs=STORAGE_CRS)
    fixes = pd.DataFrame({"staff_id": "XWZ-K01-01",
                          "time": pd.Timestamp("2026-11-21T00:00Z") + pd.to_timedelta(np.arange(60) * 60, unit="s"),
                          "x": 499_500 + np.arange(60) * 20.0, "y": 4_490_000.0, "flag": "", "grid_id": "XWZ-K01",
                          "town": "溪翁庄"})
    return fixes, Reference.build(index, markers, gates)


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
    near_xy: np.ndarray  # markers then gates
    near_points: Buckets  # each of near_xy filed under the buckets within PASS_RADIUS_M of it
    sample: bool = False  # built from the sample layers: the reports are marked 示例数据 SAMPLE DATA

    @classmethod
    def build(cls, index: GridIndex, markers, gates) -> "Reference":
        """From the grid index and the boundary-marker and fence-gate layers (storage CRS); each point
        counts for the grid it lies in, else the nearest.

        Examples
        --------
    >>> fixes, ref = _example_day()   # an hour's walk east across XWZ-K01 of the toy layers
        >>> ref.marker_grid.tolist(), ref.gate_grid.tolist(), ref.index.grids["grid_id"][2]
        ([2], [2], 'XWZ-K01')
        """
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
        points = np.vstack([marker_xy, gate_xy]).reshape(-1, 2)
        boxes = np.column_stack([points - PASS_RADIUS_M, points + PASS_RADIUS_M])
        extent = (*(boxes[:, :2].min(axis=0) if len(points) else (0.0, 0.0)),
                  *(boxes[:, 2:].max(axis=0) if len(points) else (1.0, 1.0)))
        return cls(index, marker_grid, marker_xy, gate_grid, gate_xy, labels, (minx, maxy), points,
                   Buckets(boxes, PASS_BUCKET_M, extent))


@dataclass
class DayFixes:
    """One day's fixes as arrays, sorted by staff and time; text held as integer codes.

    ``staff`` indexes ``staff_names`` and ``town`` indexes ``town_names`` (both sorted, so codes
    sort as names do); ``grid`` is the row of the reference's grids (-1 outside every grid);
    ``flag`` indexes :data:`~gis.tracks.clean.FLAGS` (0: a good fix).
    """

    staff_names: np.ndarray
    town_names: np.ndarray
    staff: np.ndarray
    instant: np.ndarray  # int64 in ``unit`` since 1970 (UTC)
    unit: str
    x: np.ndarray
    y: np.ndarray
    flag: np.ndarray
    grid: np.ndarray
    town: np.ndarray

    @classmethod
    def from_frame(cls, fixes: pd.DataFrame, grid_ids) -> "DayFixes":
        """From a table of fixes (as :func:`~gis.tracks.store.read_day` gives).

        Examples
        --------
    >>> fixes, ref = _example_day()   # an hour's walk east across XWZ-K01 of the toy layers
        >>> day = DayFixes.from_frame(fixes, ref.index.grids["grid_id"])
        >>> len(day), day.staff_names.tolist(), day.grid[:2].tolist(), day.town_names.tolist()
        (60, ['XWZ-K01-01'], [2, 2], ['溪翁庄'])
        """
        fixes = by_staff_and_time(fixes.assign(staff_id=sorted_categorical(fixes["staff_id"]),
                                               town=sorted_categorical(fixes["town"])))
        grid_ids = pd.Index(np.asarray(grid_ids, dtype=object))
        grid_cat = fixes["grid_id"].astype("category")
        grid_of_code = np.r_[grid_ids.get_indexer(grid_cat.cat.categories), -1]
        flag_cat = fixes["flag"].astype("category")
        flag_of_code = np.r_[pd.Index(FLAGS).get_indexer(flag_cat.cat.categories), 0]
        if (flag_of_code < 0).any():
            raise ValueError(f"unknown flags {sorted(set(flag_cat.cat.categories) - set(FLAGS))}")
        times = fixes["time"]
        return cls(
            staff_names=np.asarray(fixes["staff_id"].cat.categories, dtype=object),
            town_names=np.asarray(fixes["town"].cat.categories, dtype=object),
            staff=fixes["staff_id"].cat.codes.to_numpy().astype(np.int32),
            instant=np.asarray(times.array.asi8), unit=times.dt.unit if len(times) else "ns",
            x=fixes["x"].to_numpy(float), y=fixes["y"].to_numpy(float),
            flag=flag_of_code[flag_cat.cat.codes.to_numpy()].astype(np.int8),
            grid=grid_of_code[grid_cat.cat.codes.to_numpy()],
            town=fixes["town"].cat.codes.to_numpy().astype(np.int32),
        )

    def __len__(self) -> int:
        return len(self.staff)

    @property
    def t(self) -> np.ndarray:
        """Seconds since 1970 (UTC).

        Examples
        --------
    >>> fixes, ref = _example_day()   # an hour's walk east across XWZ-K01 of the toy layers
        >>> DayFixes.from_frame(fixes, ref.index.grids["grid_id"]).t[:2].tolist()
        [1795219200.0, 1795219260.0]
        """
        return self.instant / PER_SECOND[self.unit]

    def where(self, mask: np.ndarray) -> "DayFixes":
        """The fixes where ``mask`` holds (same names).

        Examples
        --------
    >>> fixes, ref = _example_day()   # an hour's walk east across XWZ-K01 of the toy layers
        >>> day = DayFixes.from_frame(fixes, ref.index.grids["grid_id"])
        >>> len(day.where(day.x > 500_000)), day.where(day.x > 500_000).staff_names.tolist()
        (34, ['XWZ-K01-01'])
        """
        return replace(self, **{k: getattr(self, k)[mask] for k in
                                ("staff", "instant", "x", "y", "flag", "grid", "town")})

    def good(self) -> "DayFixes":
        """The good fixes (no jump, no poor accuracy), which every figure counts.

        Examples
        --------
    >>> fixes, ref = _example_day()   # an hour's walk east across XWZ-K01 of the toy layers
        >>> fixes.loc[5, "flag"] = "jump"
        >>> len(DayFixes.from_frame(fixes, ref.index.grids["grid_id"]).good())
        59
        """
        return self.where(self.flag == 0)

    def local_hours(self) -> np.ndarray:
        """The Asia/Shanghai hour of each fix.

        Examples
        --------
    >>> fixes, ref = _example_day()   # an hour's walk east across XWZ-K01 of the toy layers
        >>> sorted(set(DayFixes.from_frame(fixes, ref.index.grids["grid_id"]).local_hours().tolist()))
        [8]
        """
        return pd.DatetimeIndex(pd.to_datetime(self.instant, unit=self.unit, utc=True)).tz_convert(LOCAL_TZ).hour \
            .to_numpy()

    def clock(self, positions: np.ndarray) -> np.ndarray:
        """Local HH:MM of the fixes at ``positions``.

        Examples
        --------
    >>> fixes, ref = _example_day()   # an hour's walk east across XWZ-K01 of the toy layers
        >>> DayFixes.from_frame(fixes, ref.index.grids["grid_id"]).clock(np.array([0, 59])).tolist()
        ['08:00', '08:59']
        """
        return np.asarray(pd.to_datetime(self.instant[positions], unit=self.unit, utc=True)
                          .tz_convert(LOCAL_TZ).strftime("%H:%M"), dtype=object)


@dataclass
class Segments:
    """Consecutive good fixes of one staff member at most MAX_GAP_S apart; a segment counts for the
    grid of its first fix."""

    staff: np.ndarray
    grid: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    dt: np.ndarray
    length: np.ndarray

    def __len__(self) -> int:
        return len(self.staff)


def segments(good: DayFixes) -> Segments:
    """The segments of the good fixes: consecutive fixes of one staff member at most ``MAX_GAP_S`` apart.

    Examples
    --------
    >>> fixes, ref = _example_day()   # an hour's walk east across XWZ-K01 of the toy layers
    >>> segs = segments(DayFixes.from_frame(fixes, ref.index.grids["grid_id"]).good())
    >>> len(segs), float(segs.length.sum()), float(segs.dt.sum())
    (59, 1180.0, 3540.0)
    """
    t = good.t
    dt = np.diff(t)
    start = np.flatnonzero((good.staff[1:] == good.staff[:-1]) & (dt > 0) & (dt <= MAX_GAP_S))
    x, y = good.x, good.y
    return Segments(good.staff[start], good.grid[start], x[start], y[start], x[start + 1], y[start + 1],
                    dt[start], np.hypot(x[start + 1] - x[start], y[start + 1] - y[start]))


def _coverage(ref: Reference, segs: Segments) -> np.ndarray:
    """Share of each grid's area within COVER_RADIUS_M of a track (rows of ref.index.grids)."""
    labels = ref.cover_labels
    minx, maxy = ref.cover_origin
    visited = np.zeros(labels.shape, bool)
    for lo in range(0, len(segs), COVER_CHUNK):  # points every cell along the segments, a chunk at a time
        part = slice(lo, lo + COVER_CHUNK)
        x0, y0, x1, y1 = segs.x0[part], segs.y0[part], segs.x1[part], segs.y1[part]
        n = np.maximum(np.ceil(segs.length[part] / COVER_CELL_M).astype(int), 1)
        frac = ranks(n) / np.repeat(n, n)
        x = np.repeat(x0, n) + frac * np.repeat(x1 - x0, n)
        y = np.repeat(y0, n) + frac * np.repeat(y1 - y0, n)
        _, row, col = cells_of(x, y, minx, maxy, COVER_CELL_M, labels.shape)
        visited[row, col] = True
    near = distance_transform_edt(~visited) * COVER_CELL_M <= COVER_RADIUS_M
    total = np.bincount(labels.ravel(), minlength=len(ref.index.grids) + 1)
    covered = np.bincount(labels[near], minlength=len(ref.index.grids) + 1)
    return (covered / np.maximum(total, 1))[1:]


def _passed(ref: Reference, good: DayFixes) -> np.ndarray:
    """Whether a good fix came within PASS_RADIUS_M of each marker, then each gate."""
    point, candidate = ref.near_points.candidates(good.x, good.y)
    xy = ref.near_xy
    near = np.hypot(good.x[point] - xy[candidate, 0], good.y[point] - xy[candidate, 1]) <= PASS_RADIUS_M
    return np.bincount(candidate[near], minlength=len(xy)) > 0


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


def _per(codes: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Sum (or count) per code 0…n-1; negative codes left out."""
    keep = codes >= 0
    return np.bincount(codes[keep], weights=None if weights is None else weights[keep], minlength=n)


def grid_figures(day: str, good: DayFixes, segs: Segments, ref: Reference,
                 staff_table: pd.DataFrame) -> pd.DataFrame:
    """Per grid: staff present, patrol length and time inside, hours with nobody (local), 50 m coverage,
    markers and gates passed, staff away from their own grid (from ``staff_table``, :func:`staff_figures`).

    Examples
    --------
    >>> fixes, ref = _example_day()   # an hour's walk east across XWZ-K01 of the toy layers
    >>> grid, staff = daily_figures("2026-11-21", fixes, ref)
    >>> row = grid.set_index("grid_id").loc["XWZ-K01"]
    >>> row[["staff_present", "patrol_km", "uncovered_hours", "uncovered_list", "gates_passed"]].map(str).tolist()
    ['1', '1.18', '23', '0–7时，9–23时', '1']
    """
    grids = ref.index.grids
    n = len(grids)
    inside = good.grid >= 0
    seen_hours = np.zeros((n, 24), bool)
    seen_hours[good.grid[inside], good.local_hours()[inside]] = True
    pairs = np.unique(good.grid[inside].astype(np.int64) * max(len(good.staff_names), 1) + good.staff[inside])
    staff_present = _per(pairs // max(len(good.staff_names), 1), n)
    length, hours_inside = _per(segs.grid, n, segs.length), _per(segs.grid, n, segs.dt)
    passed = _passed(ref, good)
    markers_ok, gates_ok = passed[:len(ref.marker_xy)], passed[len(ref.marker_xy):]
    coverage = _coverage(ref, segs) if len(segs) else np.zeros(n)
    away = staff_table[staff_table["share_own_grid"] < 0.5].groupby("own_grid")["staff_id"].agg(
        lambda s: "，".join(sorted(s)))
    suspects = staff_table[staff_table["fake_score"] > 0].groupby("own_grid")["staff_id"].agg(
        lambda s: "，".join(sorted(s))) if "fake_score" in staff_table else pd.Series(dtype=object)
    empty = [[int(h) for h in np.flatnonzero(~seen)] for seen in seen_hours]
    return pd.DataFrame({
        "date": day, "grid_id": grids["grid_id"].to_numpy(), "town": grids["town"].to_numpy(),
        "kind": grids["kind"].to_numpy(), "staff_present": staff_present.astype(int),
        "patrol_km": np.round(length / 1000, 2), "hours_inside": np.round(hours_inside / 3600, 2),
        "uncovered_hours": [len(e) for e in empty], "uncovered_list": [_hours_list(e) for e in empty],
        "coverage_50m": np.round(coverage, 3),
        "markers_passed": _per(ref.marker_grid, n, markers_ok.astype(float)).astype(int),
        "markers_total": _per(ref.marker_grid, n).astype(int),
        "gates_passed": _per(ref.gate_grid, n, gates_ok.astype(float)).astype(int),
        "gates_total": _per(ref.gate_grid, n).astype(int),
        "staff_away": away.reindex(grids["grid_id"]).fillna("").to_numpy(),
        "fake_suspects": suspects.reindex(grids["grid_id"]).fillna("").to_numpy(),
    })


def _straight_runs(good: DayFixes) -> np.ndarray:
    """Per staff code: runs of STRAIGHT_MIN_SEGMENTS or more steps at constant speed and heading."""
    n = len(good.staff_names)
    if len(good) < 3:
        return np.zeros(n, int)
    staff, x, y = good.staff, good.x, good.y
    dx, dy, dt = np.diff(x), np.diff(y), np.diff(good.t)
    same = staff[1:] == staff[:-1]
    speed = np.hypot(dx, dy) / np.where(dt > 0, dt, np.nan)
    heading = np.degrees(np.arctan2(dy, dx))
    turn = np.abs((np.diff(heading) + 180) % 360 - 180)
    change = np.abs(np.diff(speed)) / np.maximum(speed[1:], 1e-9)
    steady = same[1:] & same[:-1] & (turn < STRAIGHT_TURN_DEG) & (change < STRAIGHT_SPEED_TOLERANCE) & (speed[1:] > 0.3)
    edges = np.diff(np.r_[0, steady.astype(np.int8), 0])
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long = (stops - starts) >= STRAIGHT_MIN_SEGMENTS
    return np.bincount(staff[1:-1][starts[long]], minlength=n)


def _same_tracks(good: DayFixes) -> dict[str, str]:
    """Staff whose positions coincide minute by minute with another's for most of their time."""
    n = max(len(good.staff_names), 1)
    if not len(good):
        return {}
    minute = (good.t // 60).astype(np.int64)
    cx = np.floor(good.x / SAME_TRACK_CELL_M).astype(np.int64)
    cy = np.floor(good.y / SAME_TRACK_CELL_M).astype(np.int64)
    first = np.r_[True, (good.staff[1:] != good.staff[:-1]) | (minute[1:] != minute[:-1])]  # a staff minute's first fix
    staff, minute, cx, cy = good.staff[first], minute[first], cx[first], cy[first]
    minutes = np.bincount(staff, minlength=n)
    place = ((minute - minute.min()) * (cx.max() - cx.min() + 1) + (cx - cx.min())) * (cy.max() - cy.min() + 1) \
        + (cy - cy.min())
    order = np.lexsort((staff, place))
    place, staff = place[order], staff[order]
    bounds = np.flatnonzero(np.r_[True, place[1:] != place[:-1], True])
    size = np.diff(bounds)
    pair_keys = []
    for k in np.unique(size[size > 1]):  # groups of k staff in one place and minute: every pair
        lo = bounds[:-1][size == k]
        members = staff[lo[:, None] + np.arange(k)]
        a, b = np.triu_indices(k, 1)
        pair_keys.append(members[:, a].astype(np.int64).ravel() * n + members[:, b].ravel())
    if not pair_keys:
        return {}
    keys, counts = np.unique(np.concatenate(pair_keys), return_counts=True)
    a, b = keys // n, keys % n
    hit = counts >= SAME_TRACK_SHARE * np.minimum(minutes[a], minutes[b])
    out: dict[str, list[str]] = {}
    names = good.staff_names
    for i, j in zip(a[hit], b[hit]):
        out.setdefault(names[i], []).append(names[j])
        out.setdefault(names[j], []).append(names[i])
    return {k: "，".join(sorted(v)) for k, v in out.items()}


def fingerprints(day: DayFixes) -> pd.DataFrame:
    """Exact-coordinate keys (to 0.1 m) of good fixes, one in FINGERPRINT_SAMPLE kept by value.

    Examples
    --------
    >>> fixes, ref = _example_day()   # an hour's walk east across XWZ-K01 of the toy layers
    >>> prints = fingerprints(DayFixes.from_frame(fixes, ref.index.grids["grid_id"]))
    >>> list(prints.columns), bool((prints["key"] % FINGERPRINT_SAMPLE == 0).all())
    (['staff_id', 'key'], True)
    """
    good = day.good()
    key = (np.round(good.x * 10).astype(np.int64) * 1_000_003 + np.round(good.y * 10).astype(np.int64))
    keep = key % FINGERPRINT_SAMPLE == 0
    return pd.DataFrame({"staff_id": pd.Categorical.from_codes(good.staff[keep], categories=good.staff_names),
                         "key": key[keep]})


def fingerprint_path(data_dir: Path, day: str) -> Path:
    """Where a day's fingerprints are kept (to find tracks replayed on a later day).

    Examples
    --------
    >>> fingerprint_path(Path("data"), "2026-11-21").as_posix()
    'data/tracks/fingerprints/2026-11-21.parquet'
    """
    return tracks_dir(data_dir) / "fingerprints" / f"{day}.parquet"


def _identical_days(data_dir: Path | None, day: str, prints: pd.DataFrame) -> dict[str, str]:
    """Staff whose track today repeats the exact coordinates of an earlier day's."""
    if data_dir is None or prints.empty:
        return {}
    today = pd.Timestamp(day)
    names = pd.Index(prints["staff_id"].cat.categories)
    mine = pd.DataFrame({"staff": prints["staff_id"].cat.codes.to_numpy(), "key": prints["key"].to_numpy()})
    counts = np.bincount(mine["staff"], minlength=len(names))
    found: dict[str, list[str]] = {}
    for back in range(1, LOOKBACK_DAYS + 1):
        earlier = (today - pd.Timedelta(days=back)).strftime("%Y-%m-%d")
        path = fingerprint_path(data_dir, earlier)
        if not path.exists():
            continue
        old = pd.read_parquet(path)
        old = pd.DataFrame({"staff": names.get_indexer(old["staff_id"].astype(object)), "key": old["key"].to_numpy()})
        hits = np.bincount(mine.merge(old[old["staff"] >= 0], on=["staff", "key"])["staff"], minlength=len(names))
        for code in np.flatnonzero((hits > 0) & (hits >= IDENTICAL_SHARE * counts)):
            found.setdefault(names[code], []).append(earlier)
    return {k: "，".join(v) for k, v in found.items()}


def _most_common(codes_a: np.ndarray, codes_b: np.ndarray, n_a: int, n_b: int) -> np.ndarray:
    """For each a: the b seen most often with it (the first such b on ties; -1 if none)."""
    keep = codes_b >= 0
    counts = np.bincount(codes_a[keep].astype(np.int64) * n_b + codes_b[keep], minlength=n_a * n_b).reshape(n_a, n_b)
    return np.where(counts.any(axis=1), counts.argmax(axis=1), -1) if n_b else np.full(n_a, -1)


def _grids_visited(good: DayFixes, grid_ids: np.ndarray, n: int) -> list[str]:
    inside = good.grid >= 0
    pairs = np.unique(good.staff[inside].astype(np.int64) * len(grid_ids) + good.grid[inside])
    staff, grid = pairs // len(grid_ids), pairs % len(grid_ids)
    bounds = np.searchsorted(staff, np.arange(n + 1))
    return ["，".join(grid_ids[grid[lo:hi]]) for lo, hi in zip(bounds[:-1], bounds[1:])]


def staff_figures(day: str, fixes: DayFixes, good: DayFixes, segs: Segments, ref: Reference,
                  data_dir: Path | None, prints: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per staff: fixes, distance, time on duty, grids visited, share of time in their own grid, and the
    evidence against fake patrols (jumps, straight runs at constant speed, a track shared with another
    staff member, one identical to an earlier day's in ``data_dir``).

    Examples
    --------
    >>> fixes, ref = _example_day()   # an hour's walk east across XWZ-K01 of the toy layers
    >>> day = DayFixes.from_frame(fixes, ref.index.grids["grid_id"])
    >>> good = day.good()
    >>> row = staff_figures("2026-11-21", day, good, segments(good), ref, None).iloc[0]
    >>> row[["fixes", "distance_km", "on_duty_hours", "first_fix", "share_own_grid", "straight_runs"]].map(str).tolist()
    ['60', '1.18', '0.98', '08:00', '1.0', '1']
    """
    if not len(fixes):
        return pd.DataFrame(columns=list(DAILY_STAFF_COLUMNS))
    n = len(fixes.staff_names)
    grid_ids = ref.index.grids["grid_id"].to_numpy()
    count = np.bincount(fixes.staff, minlength=n)
    first = np.searchsorted(fixes.staff, np.arange(n))
    last = np.searchsorted(fixes.staff, np.arange(n), side="right") - 1
    length, on_duty = _per(segs.staff, n, segs.length), _per(segs.staff, n, segs.dt)
    own = np.array([grid_of_staff(s) or "" for s in fixes.staff_names], dtype=object)
    own_row = np.r_[pd.Index(grid_ids).get_indexer(own), -1]
    in_own = _per(segs.staff, n, segs.dt * ((segs.grid == own_row[segs.staff]) & (segs.grid >= 0)))
    town = _most_common(good.staff, good.town, n, len(fixes.town_names))
    identical = _identical_days(data_dir, day, fingerprints(fixes) if prints is None else prints)
    same = _same_tracks(good)
    present = np.flatnonzero(count > 0)
    names = fixes.staff_names[present]
    out = pd.DataFrame({
        "date": day, "staff_id": names, "own_grid": own[present],
        "town": np.append(fixes.town_names, "")[town][present],
        "fixes": count[present], "flagged": _per(fixes.staff, n, (fixes.flag != 0).astype(float))[present].astype(int),
        "distance_km": np.round(length / 1000, 2)[present],
        "on_duty_hours": np.round(on_duty / 3600, 2)[present],
        "first_fix": fixes.clock(first[present]), "last_fix": fixes.clock(last[present]),
        "grids_visited": np.asarray(_grids_visited(good, grid_ids, n), dtype=object)[present],
        "share_own_grid": np.round(np.divide(in_own, on_duty, out=np.zeros(n), where=on_duty > 0), 3)[present],
        "jumps": _per(fixes.staff, n, (fixes.flag == FLAGS.index(FLAG_JUMP)).astype(float))[present].astype(int),
        "straight_runs": _straight_runs(good)[present],
        "same_track_as": [same.get(s, "") for s in names],
        "same_as_day": [identical.get(s, "") for s in names],
    })
    return fakes.with_evidence(out, day, good, ref, data_dir)


def daily_figures(day: str, fixes: pd.DataFrame | DayFixes, ref: Reference, data_dir: Path | None = None,
                  prints: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per grid, per staff) figures of one local day; ``prints`` are the day's fingerprints if known.

    Parameters
    ----------
    day : the local day, YYYY-MM-DD
    fixes : the day's fixes (a table as :func:`~gis.tracks.store.read_day` gives, or :class:`DayFixes`)
    ref : the layers' :class:`Reference`
    data_dir : where earlier days' fingerprints are (None: no comparison with earlier days)

    Returns
    -------
    grid, staff : DataFrames with the columns of ``DAILY_GRID_COLUMNS`` and ``DAILY_STAFF_COLUMNS``

    Examples
    --------
    >>> fixes, ref = _example_day()   # an hour's walk east across XWZ-K01 of the toy layers
    >>> grid, staff = daily_figures("2026-11-21", fixes, ref)
    >>> len(grid), staff["staff_id"].tolist(), staff["straight_runs"].tolist()   # a ruler-straight hour
    (3, ['XWZ-K01-01'], [1])
    """
    if not isinstance(fixes, DayFixes):
        fixes = DayFixes.from_frame(fixes, ref.index.grids["grid_id"])
    good = fixes.good()
    segs = segments(good)
    staff = staff_figures(day, fixes, good, segs, ref, data_dir, prints)
    grid = grid_figures(day, good, segs, ref, staff)
    return grid, staff


def save_fingerprints(data_dir: Path, day: str, prints: pd.DataFrame) -> None:
    """Keep a day's fingerprints (atomically), for the days after it to compare against.

    Examples
    --------
    >>> import tempfile
    >>> fixes, ref = _example_day()   # an hour's walk east across XWZ-K01 of the toy layers
    >>> data = Path(tempfile.mkdtemp())
    >>> prints = fingerprints(DayFixes.from_frame(fixes, ref.index.grids["grid_id"]))
    >>> save_fingerprints(data, "2026-11-20", prints)
    >>> _, staff = daily_figures("2026-11-21", fixes, ref, data)   # the same walk as the day before
    >>> staff["same_as_day"].tolist()
    ['2026-11-20']
    """
    with replacing(fingerprint_path(data_dir, day)) as tmp:
        prints.to_parquet(tmp, index=False)


def write_reports(out_dir: Path, day: str, grid: pd.DataFrame, staff: pd.DataFrame, *, sample: bool) -> list[Path]:
    """Excel (two sheets, Chinese headers) and two CSV files; ``sample``: made from the sample layers
    (the workspace's), so marked 示例数据 SAMPLE DATA.

    Examples
    --------
    >>> import tempfile
    >>> fixes, ref = _example_day()   # an hour's walk east across XWZ-K01 of the toy layers
    >>> grid, staff = daily_figures("2026-11-21", fixes, ref)
    >>> [p.name for p in write_reports(Path(tempfile.mkdtemp()), "2026-11-21", grid, staff, sample=False)]
    ['tracks-daily-2026-11-21.xlsx', 'tracks-daily-2026-11-21-grids.csv', 'tracks-daily-2026-11-21-staff.csv']
    """
    grid_cn = with_labels(grid, FIELD_LABELS).rename(columns=DAILY_GRID_COLUMNS)
    staff_cn = with_labels(staff, FIELD_LABELS).rename(columns=DAILY_STAFF_COLUMNS)
    paths = [write_excel(out_dir / f"tracks-daily-{day}.xlsx", {"网格日报": grid_cn, "保水员日报": staff_cn},
                         sample=sample, title=f"{day} 巡查轨迹日报")]
    for name, frame in (("grids", grid_cn), ("staff", staff_cn)):  # not a layer
        paths.append(write_csv(out_dir / f"tracks-daily-{day}-{name}.csv", frame, sample=sample))
    return paths
