"""Evidence of fake patrols (虚假巡查) per staff-day: reasons with numbers, and a score.

Eight kinds (:data:`~gis.schema.FAKE_KINDS`), each tested against fixed thresholds that live
with a sentence saying what they mean in :data:`~gis.schema.FAKE_THRESHOLDS`:

* ``teleport``: the track jumps hundreds of metres faster than any vehicle and *stays* there (a
  lone GPS spike is flagged by the import and left out, so it never counts);
* ``drawn``: long stretches on a ruler-straight line at a constant speed, with less scatter
  than any real fix has (a route drawn in a mock-location app);
* ``mock``: the tracker app's mock-location flag, or accuracy / altitude / bearing / speed that
  never change, or fix intervals identical to the second all day with no fix ever lost;
* ``copy``: a colleague's track, shifted in time, with a few metres of noise;
* ``replay``: one's own track of one of the last 30 days, shifted and with noise;
* ``still``: a phone lying in one place for hours, moving only by GPS jitter;
* ``edge``: a track that never leaves a short stretch of its grid's edge;
* ``vehicle``: hours at speeds no one walks.

Copy and replay search the whole workforce: each day's tracks are sampled once a minute; a pair
is compared only if the 100 m cells they visit overlap (a sparse-matrix product), and if the
correlation of their 2-minute positions at the best time shift (FFT) is high; then the exact
measure: the share of minutes the two tracks lie within ``match_m`` of each other at that shift.
Unlike the discrete Fréchet distance this also demands the same timing — rests at the same
places for the same time — so two honest colleagues walking one loop never match.

The evidence is for a manager to confirm; nothing here deducts points or changes a record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import shapely
from scipy import fft as sfft
from scipy import sparse
from scipy.spatial import cKDTree

from gis.atomic import replacing
from gis.schema import FAKE_KINDS, FAKE_THRESHOLDS, FAKE_WEIGHTS, LOCAL_TZ
from gis.tracks.clean import epoch_seconds
from gis.tracks.store import day_files, read_day, tracks_dir

EVIDENCE_COLUMNS = ["fake_score", "fake_kinds", "fake_reasons"]
SENSOR_COLUMNS = ("accuracy_m", "accuracy", "altitude", "bearing", "speed", "mock")  # used when stored
SENSOR_NAMES = {"accuracy_m": "定位精度", "accuracy": "定位精度", "altitude": "海拔", "bearing": "方向",
                "speed": "速度"}
SAMPLE_S = 60  # one position a minute for copy and replay
SAMPLE_MAX_GAP_S = 300  # no sample between fixes further apart
SERIES_BIN = 2  # minutes per position in the FFT prefilter
SERIES_LEN = 1440 // SERIES_BIN
FFT_LEN = 2048  # ≥ 2 × SERIES_LEN: linear, not circular, correlation
CELL_M = 100.0  # the prefilter's cells
SHIFT_REFINE_S = np.arange(-150, 151, 15)  # the exact measure searches this around the FFT's shift
PAIR_CHUNK = 4000
MAX_SPEED_MS = 25.0  # as the import's jump flag
EDGE_INSET_M = 12.0


def t(name: str) -> float:
    """A threshold's value."""
    return FAKE_THRESHOLDS[name].value


@dataclass
class Track:
    """One staff-day's good fixes: times (s since 1970, UTC), storage-CRS x, y."""

    t: np.ndarray
    x: np.ndarray
    y: np.ndarray


@dataclass
class Samples:
    """A day's tracks sampled once a minute: ``minute`` since 1970 (UTC), per staff name."""

    day: str
    staff: np.ndarray  # object: staff id per sample, grouped
    minute: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def groups(self) -> dict[str, slice]:
        """Where each staff member's samples are (computed once)."""
        if getattr(self, "_groups", None) is None:
            self._groups = self._find_groups()
        return self._groups

    def _find_groups(self) -> dict[str, slice]:
        if not len(self.staff):
            return {}
        bounds = np.r_[0, np.flatnonzero(self.staff[1:] != self.staff[:-1]) + 1, len(self.staff)]
        return {self.staff[lo]: slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])}

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"staff_id": pd.Categorical(self.staff), "minute": self.minute.astype(np.int64),
                             "x": self.x.astype(np.float32), "y": self.y.astype(np.float32)})

    @classmethod
    def from_frame(cls, day: str, frame: pd.DataFrame) -> "Samples":
        staff = frame["staff_id"].astype(str) if not isinstance(frame["staff_id"].dtype, pd.CategoricalDtype) \
            else frame["staff_id"]
        codes = staff.cat.codes.to_numpy() if isinstance(staff.dtype, pd.CategoricalDtype) \
            and staff.cat.categories.is_monotonic_increasing else None
        minute = frame["minute"].to_numpy(np.int64)
        in_order = codes is not None and (len(codes) < 2 or (
            (np.diff(codes) >= 0).all() and ((np.diff(minute) > 0) | (np.diff(codes) > 0)).all()))
        if not in_order:  # as saved they are; anything else is sorted here
            frame = frame.sort_values(["staff_id", "minute"], kind="stable")
        return cls(day, frame["staff_id"].astype(object).to_numpy(), frame["minute"].to_numpy(np.int64),
                   frame["x"].to_numpy(float), frame["y"].to_numpy(float))


def tracks_of(names: np.ndarray, staff: np.ndarray, seconds: np.ndarray, x: np.ndarray, y: np.ndarray
              ) -> dict[str, Track]:
    """Per staff name, from arrays sorted by staff code (codes index ``names``)."""
    bounds = np.searchsorted(staff, np.arange(len(names) + 1))
    return {names[c]: Track(seconds[lo:hi], x[lo:hi], y[lo:hi])
            for c, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])) if hi > lo}


def minute_samples(day: str, tracks: dict[str, Track]) -> Samples:
    """Positions at each whole minute between two fixes at most SAMPLE_MAX_GAP_S apart."""
    staff, minutes, xs, ys = [], [], [], []
    for name, tr in tracks.items():
        if len(tr.t) < 2:
            continue
        m = np.arange(np.ceil(tr.t[0] / SAMPLE_S), np.floor(tr.t[-1] / SAMPLE_S) + 1).astype(np.int64)
        s = m * SAMPLE_S
        after = np.clip(np.searchsorted(tr.t, s, side="left"), 1, len(tr.t) - 1)
        keep = (tr.t[after] - tr.t[after - 1]) <= SAMPLE_MAX_GAP_S
        if not keep.any():
            continue
        staff.append(np.full(int(keep.sum()), name, dtype=object))
        minutes.append(m[keep])
        xs.append(np.interp(s[keep], tr.t, tr.x))
        ys.append(np.interp(s[keep], tr.t, tr.y))
    if not staff:
        return Samples(day, np.array([], dtype=object), np.array([], np.int64), np.array([]), np.array([]))
    return Samples(day, np.concatenate(staff), np.concatenate(minutes), np.concatenate(xs), np.concatenate(ys))


def samples_of_frames(day: str, frames: dict[str, pd.DataFrame]) -> Samples:
    """Minute samples of tracks given as frames (``time``, ``x``, ``y``) per staff."""
    return minute_samples(day, {s: Track(epoch_seconds(f["time"]), f["x"].to_numpy(float), f["y"].to_numpy(float))
                                for s, f in sorted(frames.items())})


# --- one staff-day at a time ------------------------------------------------------------------

def _teleports(tr: Track) -> str | None:
    d = np.hypot(np.diff(tr.x), np.diff(tr.y))
    dt = np.diff(tr.t)
    jump = np.flatnonzero((d > t("teleport_min_m")) & (d > MAX_SPEED_MS * np.maximum(dt, 1e-9)))
    stay = t("teleport_stay_m")
    # both sides persist: two more fixes near the landing, two before near the take-off (an unflagged
    # spike at the very start of a track is no teleport)
    kept = [j for j in jump if 2 <= j and j + 3 < len(tr.t)
            and np.hypot(tr.x[j + 2:j + 4] - tr.x[j + 1], tr.y[j + 2:j + 4] - tr.y[j + 1]).max() <= stay
            and np.hypot(tr.x[j - 2:j] - tr.x[j], tr.y[j - 2:j] - tr.y[j]).max() <= stay]
    if not kept:
        return None
    worst = max(kept, key=lambda j: d[j])
    return (f"瞬移 {len(kept)} 次，最远 {d[worst] / 1000:.1f} 公里只用 {dt[worst]:.0f} 秒"
            f"（约 {d[worst] / max(dt[worst], 1) * 3.6:.0f} 公里/时），此后停在新位置")


def _rolling(values: np.ndarray, w: int) -> np.ndarray:
    c = np.r_[0.0, np.cumsum(values)]
    return c[w:] - c[:-w]


def _drawn(tr: Track) -> str | None:
    w = int(t("drawn_window"))
    if len(tr.t) < w + 2:
        return None
    x, y = tr.x - tr.x.mean(), tr.y - tr.y.mean()
    n = w + 1  # points in a window of w steps
    sx, sy = _rolling(x, n), _rolling(y, n)
    sxx, syy, sxy = _rolling(x * x, n), _rolling(y * y, n), _rolling(x * y, n)
    cxx, cyy, cxy = sxx / n - (sx / n) ** 2, syy / n - (sy / n) ** 2, sxy / n - (sx / n) * (sy / n)
    half_trace, det = (cxx + cyy) / 2, cxx * cyy - cxy ** 2
    low = half_trace - np.sqrt(np.maximum(half_trace ** 2 - det, 0))  # variance across the best line
    dt = np.diff(tr.t)
    speed = np.hypot(np.diff(tr.x), np.diff(tr.y)) / np.where(dt > 0, dt, np.nan)
    speed = np.nan_to_num(speed, nan=0.0)
    ms, mss = _rolling(speed, w) / w, _rolling(speed * speed, w) / w
    cv = np.sqrt(np.maximum(mss - ms ** 2, 0)) / np.maximum(ms, 1e-9)
    gap = _rolling((dt > 60).astype(float), w) > 0
    hit = (np.sqrt(np.maximum(low, 0)) < t("drawn_residual_m")) & (cv < t("drawn_speed_cv")) & (ms > 0.5) & ~gap
    if not hit.any():
        return None
    covered = np.zeros(len(dt), bool)  # steps inside a hit window
    for start in np.flatnonzero(hit):
        covered[start:start + w] = True
    minutes = dt[covered].sum() / 60
    if minutes < t("drawn_min_minutes"):
        return None
    rms = float(np.sqrt(np.maximum(low[hit], 0)).mean())
    return (f"{minutes:.0f} 分钟沿直线匀速移动（离直线平均 {rms:.1f} 米，速度变化不到 "
            f"{cv[hit].mean() * 100:.0f} %），像手绘路线")


def _still(tr: Track) -> str | None:
    if len(tr.t) < 10:
        return None
    window = (tr.t // 600).astype(np.int64)
    codes, first = np.unique(window, return_index=True)
    lab = np.searchsorted(codes, window)
    n = np.bincount(lab).astype(float)
    mx, my = np.bincount(lab, tr.x) / n, np.bincount(lab, tr.y) / n
    rms = np.sqrt(np.bincount(lab, (tr.x - mx[lab]) ** 2 + (tr.y - my[lab]) ** 2) / n)
    still = (rms <= t("still_radius_m")) & (n >= 5)
    best, run, prev, longest_end = 0, 0, None, 0
    for i, (code, s) in enumerate(zip(codes, still)):
        run = run + 1 if s and prev is not None and code == prev + 1 and still[i - 1] else (1 if s else 0)
        prev = code
        if run > best:
            best, longest_end = run, i
    hours = best * 600 / 3600
    if hours < t("still_min_hours"):
        return None
    block = slice(longest_end - best + 1, longest_end + 1)
    return f"连续 {hours:.1f} 小时原地未动（10 分钟内离中心平均 {rms[block].mean():.0f} 米）"


def _vehicle(tr: Track) -> str | None:
    if len(tr.t) < 3:
        return None
    dt = np.diff(tr.t)
    d = np.hypot(np.diff(tr.x), np.diff(tr.y))
    ok = (dt > 0) & (dt <= 120)
    window = (tr.t[:-1][ok] // 300).astype(np.int64)
    if not len(window):
        return None
    codes, lab = np.unique(window, return_inverse=True)
    dist, time = np.bincount(lab, d[ok]), np.bincount(lab, dt[ok])
    fast = (time >= 120) & (dist > t("vehicle_speed_ms") * time)
    hours = time[fast].sum() / 3600
    if hours < t("vehicle_min_hours"):
        return None
    mean = dist[fast].sum() / time[fast].sum() * 3.6
    return f"{hours:.1f} 小时时速超过 {t('vehicle_speed_ms') * 3.6:.0f} 公里（平均 {mean:.0f} 公里/时），不是步行"


@dataclass
class Edge:
    """Points every 10 m along a grid's outer edge (its largest part), indexed for lookups."""

    points: np.ndarray
    tree: cKDTree

    @property
    def length(self) -> float:
        return len(self.points) * 10.0


def grid_edges(grids) -> list[Edge]:
    """The walkable :class:`Edge` of each grid (rows of ``grids``): the edge of its largest part taken
    EDGE_INSET_M inwards (a strip narrower than twice that is no place to walk round)."""
    out = []
    for geom in grids.geometry:
        part = max(getattr(geom, "geoms", [geom]), key=lambda p: p.area)
        inner = part.buffer(-EDGE_INSET_M)
        inner = max(getattr(inner, "geoms", [inner]), key=lambda p: p.area) if not inner.is_empty else part
        ring = inner.exterior
        points = shapely.get_coordinates(shapely.line_interpolate_point(ring, np.arange(0, ring.length, 10.0)))
        out.append(Edge(points, cKDTree(points)))
    return out


def _edge_walks(tracks: dict[str, Track], grid_of: dict[str, np.ndarray], edges: list[Edge]) -> dict[str, str]:
    """Per staff name, the reason when the track only goes back and forth along one side of its grid's edge.

    A track is measured against the :class:`Edge` of the grid it has most fixes in, once it has walked
    more than 1.5 × that edge: the share of its (every other) fixes within ``edge_near_m`` of the edge,
    and the share of the edge within ``edge_cover_m`` of them (among each fix's five nearest edge
    points).  The tracks of one grid are asked of its edge's tree in one query on every core."""
    by_edge: dict[int, list[tuple[str, float]]] = {}
    for name, tr in tracks.items():
        grid = grid_of.get(name, np.array([], int))
        inside = grid[grid >= 0]
        if len(tr.t) < 20 or not len(inside):
            continue
        which_edge = int(np.bincount(inside).argmax())
        walked = np.hypot(np.diff(tr.x), np.diff(tr.y)).sum()
        if walked >= 1.5 * edges[which_edge].length and len(edges[which_edge].points) >= 3:
            by_edge.setdefault(which_edge, []).append((name, walked))
    found = {}
    for which_edge, walkers in by_edge.items():
        edge = edges[which_edge]
        points = [np.column_stack([tracks[name].x[::2], tracks[name].y[::2]]) for name, _ in walkers]
        dist, which = edge.tree.query(np.concatenate(points), k=5, distance_upper_bound=t("edge_near_m"), workers=-1)
        bounds = np.cumsum([0] + [len(p) for p in points])
        for (name, walked), lo, hi in zip(walkers, bounds[:-1], bounds[1:]):
            near_share = np.isfinite(dist[lo:hi, 0]).mean()
            if near_share < t("edge_near_share"):
                continue
            covered = len(np.unique(which[lo:hi][dist[lo:hi] <= t("edge_cover_m")])) / len(edge.points)
            if covered >= t("edge_cover_share"):
                continue
            found[name] = (f"{near_share * 100:.0f} % 的点在网格边缘 {t('edge_near_m'):.0f} 米内，走了 "
                           f"{walked / 1000:.1f} 公里却只到过网格边界的 {covered * 100:.0f} %（边界长 "
                           f"{edge.length / 1000:.1f} 公里），只在一侧边缘往返")
    return found


def _constant(values: np.ndarray, label: str) -> str | None:
    values = values[~pd.isna(values)]
    if len(values) < t("constant_min_fixes"):
        return None
    uniq, counts = np.unique(np.round(values.astype(float), 3), return_counts=True)
    share = counts.max() / len(values)
    if share < t("constant_share"):
        return None
    return f"{label}恒为 {uniq[counts.argmax()]:g}（{share * 100:.0f} % 的点）"


def _regular(seconds: np.ndarray) -> str | None:
    steps = np.round(np.diff(seconds), 3)
    if len(steps) < t("regular_min_steps"):
        return None
    uniq, counts = np.unique(steps, return_counts=True)
    step = uniq[counts.argmax()]
    share = counts.max() / len(steps)
    if share < t("regular_share") or step <= 0 or steps.max() > 2 * step:
        return None
    return f"{len(steps) + 1} 个点间隔全部为 {step:g} 秒，全天没有丢过一个点"


def _mock(sensors: dict[str, np.ndarray] | None, seconds: np.ndarray) -> list[str]:
    reasons = []
    if sensors is not None:
        if "mock" in sensors:
            flagged = int(np.nansum(sensors["mock"]) )
            if flagged >= t("mock_min_fixes"):
                reasons.append(f"{flagged} 个定位点带模拟位置标记（mock）")
        for column, label in SENSOR_NAMES.items():
            if column in sensors:
                found = _constant(sensors[column], label)
                if found:
                    reasons.append(found)
    regular = _regular(seconds)
    if regular:
        reasons.append(regular)
    return reasons


# --- copy and replay: the workforce-wide search ---------------------------------------------

def _day_start_minute(day: str) -> int:
    return int(pd.Timestamp(day).tz_localize(LOCAL_TZ).tz_convert("UTC").timestamp() // 60)


def _select(samples: Samples, slices: dict[str, slice], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the samples of ``names`` and the row (index in ``names``) of each."""
    parts = [np.arange(slices[n].start, slices[n].stop) for n in names]
    if not parts:
        return np.array([], np.int64), np.array([], np.int64)
    return np.concatenate(parts), np.repeat(np.arange(len(names)), [len(p) for p in parts])


def _cell_keys(samples: Samples, pos: np.ndarray) -> np.ndarray:
    """A non-negative key per sample's 100 m cell (storage CRS: x, y within 0…10,000 km)."""
    return (np.clip(np.floor(samples.x[pos] / CELL_M), 0, 99_999).astype(np.int64) * 100_003
            + np.clip(np.floor(samples.y[pos] / CELL_M), 0, 99_999).astype(np.int64))


ROW_SHIFT = 36  # a cell key (< 2**36) and its track's row in one int64


def _cell_codes(keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The distinct (row, cell) of samples as sorted int64 codes: row << ROW_SHIFT | cell key."""
    return np.unique((rows.astype(np.int64) << ROW_SHIFT) | keys)


def _cell_matrices(*sets: tuple[np.ndarray, np.ndarray, int]) -> list[sparse.csr_matrix]:
    """For (cell keys, rows, number of rows) sets: binary row × cell matrices over shared columns."""
    codes, _ = pd.factorize(np.concatenate([k for k, _, _ in sets]))
    width = max(int(codes.max()) + 1 if len(codes) else 1, 1)
    out, at = [], 0
    for keys, rows, n in sets:
        col = codes[at:at + len(keys)]
        at += len(keys)
        pair = np.unique(rows.astype(np.int64) * width + col)
        out.append(sparse.csr_matrix((np.ones(len(pair), np.float32), (pair // width, pair % width)), shape=(n, width)))
    return out


def _series_fft(samples: Samples, pos: np.ndarray, rows: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """FFT of each row's centred 2-minute positions on its day's axis, and their energies."""
    start = _day_start_minute(samples.day)
    k = np.clip((samples.minute[pos] - start) // SERIES_BIN, 0, SERIES_LEN - 1)
    flat = rows * SERIES_LEN + k
    size = n * SERIES_LEN
    count = np.bincount(flat, minlength=size).reshape(n, SERIES_LEN)
    cx = np.bincount(flat, samples.x[pos], minlength=size).reshape(n, SERIES_LEN)
    cy = np.bincount(flat, samples.y[pos], minlength=size).reshape(n, SERIES_LEN)
    present = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        zx, zy = np.where(present, cx / count, 0.0), np.where(present, cy / count, 0.0)
        bins = np.maximum(present.sum(axis=1, keepdims=True), 1)
        zx = np.where(present, zx - zx.sum(axis=1, keepdims=True) / bins, 0.0)
        zy = np.where(present, zy - zy.sum(axis=1, keepdims=True) / bins, 0.0)
    z = np.zeros((n, FFT_LEN), np.complex64)
    z[:, :SERIES_LEN] = zx + 1j * zy
    energy = (zx ** 2 + zy ** 2).sum(axis=1)
    return sfft.fft(z, axis=1, workers=-1), energy


def _best_shifts(fa: np.ndarray, ea: np.ndarray, fb: np.ndarray, eb: np.ndarray,
                 ia: np.ndarray, ib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For pairs (ia, ib): the peak correlation and the shift (minutes) by which a is later than b."""
    rho, shift = np.zeros(len(ia)), np.zeros(len(ia), np.int64)
    for lo in range(0, len(ia), PAIR_CHUNK):
        a, b = ia[lo:lo + PAIR_CHUNK], ib[lo:lo + PAIR_CHUNK]
        corr = sfft.ifft(fa[a] * np.conj(fb[b]), axis=1, workers=-1).real
        k = corr.argmax(axis=1)
        rho[lo:lo + len(a)] = corr[np.arange(len(a)), k] / np.sqrt(np.maximum(ea[a] * eb[b], 1e-9))
        shift[lo:lo + len(a)] = np.where(k > FFT_LEN // 2, k - FFT_LEN, k) * SERIES_BIN
    return rho, shift


def _coincidence(a: Samples, sa: slice, b: Samples, sb: slice, shift_s: float) -> tuple[float, float, int]:
    """Exact measure: the best share of a's minutes within match_m of b at shift_s ± SHIFT_REFINE_S
    (b's positions interpolated), the shift found, and the minutes compared."""
    ta = a.minute[sa] * float(SAMPLE_S)
    tb = b.minute[sb] * float(SAMPLE_S)
    if len(ta) < 2 or len(tb) < 2:
        return 0.0, shift_s, 0
    shifts = shift_s + SHIFT_REFINE_S
    when = (ta[None, :] - shifts[:, None]).ravel()
    inside = (when >= tb[0]) & (when <= tb[-1])
    after = np.clip(np.searchsorted(tb, when), 1, len(tb) - 1)
    inside &= (tb[after] - tb[after - 1]) <= SAMPLE_MAX_GAP_S
    bx, by = np.interp(when, tb, b.x[sb]), np.interp(when, tb, b.y[sb])
    ax, ay = np.tile(a.x[sa], len(shifts)), np.tile(a.y[sa], len(shifts))
    close = (np.hypot(ax - bx, ay - by) <= t("match_m")) & inside
    close, inside = close.reshape(len(shifts), -1), inside.reshape(len(shifts), -1)
    best = int(close.sum(axis=1).argmax())
    shorter = min(len(ta), len(tb))
    return close[best].sum() / shorter, float(shifts[best]), int(close[best].sum())


def _minutes_text(seconds: float) -> str:
    minutes = abs(seconds) / 60
    return f"{minutes / 60:.1f} 小时" if minutes >= 90 else f"{minutes:.0f} 分钟"


def _candidate_pairs(m_a: sparse.csr_matrix, m_b: sparse.csr_matrix, same: bool) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose visited-cell sets have a Jaccard similarity ≥ prefilter_jaccard."""
    if m_a.shape[0] == 0 or m_b.shape[0] == 0:
        return np.array([], np.int64), np.array([], np.int64)
    inter = (m_a @ m_b.T).tocoo()
    size_a, size_b = np.asarray(m_a.sum(axis=1)).ravel(), np.asarray(m_b.sum(axis=1)).ravel()
    jac = inter.data / (size_a[inter.row] + size_b[inter.col] - inter.data)
    keep = jac >= t("prefilter_jaccard")
    if same:
        keep &= inter.row < inter.col
    return inter.row[keep].astype(np.int64), inter.col[keep].astype(np.int64)


Found = dict[str, list[tuple[float, str]]]  # per staff: (share, reason)


def copies(today: Samples, stats: dict | None = None) -> tuple[Found, dict[str, list[str]]]:
    """Copied tracks among one day's: (evidence per copier: (share, reason)), (notes per source).

    ``stats`` (if given) counts the pairs at each stage."""
    stats = {} if stats is None else stats
    slices = today.groups()
    names = [n for n, s in slices.items() if s.stop - s.start >= t("match_min_minutes")]
    found: dict[str, list[tuple[float, str]]] = {}
    notes: dict[str, list[str]] = {}
    if len(names) < 2:
        return found, notes
    pos, rows = _select(today, slices, names)
    (cells,) = _cell_matrices((_cell_keys(today, pos), rows, len(names)))
    ia, ib = _candidate_pairs(cells, cells, same=True)
    f, e = _series_fft(today, pos, rows, len(names))
    rho, shift = _best_shifts(f, e, f, e, ia, ib)
    _count(stats, "copy_pairs", len(names) * (len(names) - 1) // 2)
    _count(stats, "copy_cells", len(ia))
    _count(stats, "copy_exact", int((rho >= t("prefilter_correlation")).sum()))
    for i, j, r, k in zip(ia, ib, rho, shift):
        if r < t("prefilter_correlation"):
            continue
        a, b = names[i], names[j]
        share, dt, minutes = _coincidence(today, slices[a], today, slices[b], k * 60.0)
        if share < t("match_share") or minutes < t("match_min_minutes"):
            continue
        if abs(dt) <= t("same_time_s"):
            for me, other in ((a, b), (b, a)):
                found.setdefault(me, []).append((share, f"与 {other} 同时同路，轨迹重合 {share * 100:.0f} %"))
            continue
        later, earlier = (a, b) if dt > 0 else (b, a)
        found.setdefault(later, []).append(
            (share, f"与 {earlier} 轨迹重合 {share * 100:.0f} %，时差 {_minutes_text(dt)}（晚于对方）"))
        notes.setdefault(earlier, []).append(f"轨迹被 {later} 复制的可能（对方晚 {_minutes_text(dt)}，重合 {share * 100:.0f} %）")
    return found, notes


def _count(stats: dict, key: str, n: int) -> None:
    stats[key] = stats.get(key, 0) + int(n)


def replays(today: Samples, history: list[Samples], stats: dict | None = None) -> dict[str, list[tuple[float, str]]]:
    """Tracks that repeat one of the staff member's earlier days (shift and noise allowed)."""
    stats = {} if stats is None else stats
    slices = today.groups()
    names = [n for n, s in slices.items() if s.stop - s.start >= t("match_min_minutes")]
    found: dict[str, list[tuple[float, str]]] = {}
    if not names or not history:
        return found
    pos, rows_all = _select(today, slices, names)
    f, e = _series_fft(today, pos, rows_all, len(names))
    today_sets = _cell_codes(_cell_keys(today, pos), rows_all)
    today_size = np.bincount(today_sets >> ROW_SHIFT, minlength=len(names))
    row_of = {n: i for i, n in enumerate(names)}
    for old in history:
        old_slices = old.groups()
        mine = [n for n in names
                if n in old_slices and old_slices[n].stop - old_slices[n].start >= t("match_min_minutes")]
        if not mine:
            continue
        rows = np.array([row_of[n] for n in mine])
        old_pos, old_rows = _select(old, old_slices, mine)
        old_sets = _cell_codes(_cell_keys(old, old_pos), rows[old_rows])  # keyed by today's rows
        shared = np.intersect1d(today_sets, old_sets, assume_unique=True)
        inter = np.bincount(shared >> ROW_SHIFT, minlength=len(names))[rows]
        union = today_size[rows] + np.bincount(old_sets >> ROW_SHIFT, minlength=len(names))[rows] - inter
        keep = np.flatnonzero(inter / np.maximum(union, 1) >= t("prefilter_jaccard"))
        _count(stats, "replay_pairs", len(mine))
        _count(stats, "replay_cells", len(keep))
        if not len(keep):
            continue
        sel_pos, sel_rows = _select(old, old_slices, [mine[k] for k in keep])
        fo, eo = _series_fft(old, sel_pos, sel_rows, len(keep))
        rho, shift = _best_shifts(f, e, fo, eo, rows[keep], np.arange(len(keep)))
        day_gap = (_day_start_minute(today.day) - _day_start_minute(old.day)) * 60.0
        _count(stats, "replay_exact", int((rho >= t("prefilter_correlation")).sum()))
        for k, r, s in zip(keep, rho, shift):
            if r < t("prefilter_correlation"):
                continue
            name = mine[k]
            share, dt, minutes = _coincidence(today, slices[name], old, old_slices[name], day_gap + s * 60.0)
            if share >= t("match_share") and minutes >= t("match_min_minutes"):
                moved = dt - day_gap
                when = "同一时段" if abs(moved) <= t("same_time_s") else \
                    f"时间{'后' if moved > 0 else '前'}移 {_minutes_text(moved)}"
                found.setdefault(name, []).append((share, f"与本人 {old.day} 的轨迹重合 {share * 100:.0f} %（{when}）"))
    return found


# --- samples kept for later days ----------------------------------------------------------------

def samples_path(data_dir: Path, day: str) -> Path:
    return tracks_dir(data_dir) / "samples" / f"{day}.parquet"


def save_samples(data_dir: Path, samples: Samples) -> None:
    with replacing(samples_path(data_dir, samples.day)) as tmp:
        samples.frame().to_parquet(tmp, index=False)


def load_samples(data_dir: Path, day: str) -> Samples | None:
    """A stored day's minute samples: kept from its daily report, else computed from the store now."""
    path = samples_path(data_dir, day)
    if path.exists():
        return Samples.from_frame(day, pd.read_parquet(path))
    if not day_files(data_dir, day):
        return None
    fixes = read_day(data_dir, day, ["staff_id", "time", "x", "y", "flag"])
    good = fixes[fixes["flag"].astype(str) == ""]
    seconds = epoch_seconds(good["time"])
    codes = good["staff_id"].astype("category").cat.remove_unused_categories()
    samples = minute_samples(day, tracks_of(np.asarray(codes.cat.categories, dtype=object),
                                            codes.cat.codes.to_numpy(), seconds,
                                            good["x"].to_numpy(float), good["y"].to_numpy(float)))
    save_samples(data_dir, samples)
    return samples


def history(data_dir: Path | None, day: str) -> list[Samples]:
    if data_dir is None:
        return []
    today = pd.Timestamp(day)
    days = [(today - pd.Timedelta(days=k)).strftime("%Y-%m-%d") for k in range(1, int(t("lookback_days")) + 1)]
    return [s for s in (load_samples(data_dir, d) for d in days) if s is not None]


def stored_sensors(data_dir: Path, day: str) -> pd.DataFrame | None:
    """The sensor columns a day's stored fixes carry (accuracy, and what tracker apps add), or None.

    Files imported from different apps carry different columns: each is read for what it has."""
    frames = []
    for path in day_files(data_dir, day):
        names = set(pq.read_schema(path).names)
        wanted = [c for c in SENSOR_COLUMNS if c in names]
        if wanted:
            frames.append(pq.read_table(path, columns=["staff_id", "time", *wanted]).to_pandas())
    return pd.concat(frames, ignore_index=True) if frames else None


def _numbers(values: pd.Series) -> np.ndarray:
    """A sensor column as floats (NaN where it is not a number)."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(float, na_value=np.nan)
    return _each_distinct(values, lambda text: pd.to_numeric(text, errors="coerce").to_numpy(float))


def _flags(values: pd.Series) -> np.ndarray:
    """A mock-location column as 1.0 / 0.0 / NaN, whether apps send booleans, numbers or words."""
    if values.dtype == bool:
        return values.to_numpy(float)

    def word(distinct: pd.Series) -> np.ndarray:
        text = distinct.astype(str).str.strip().str.lower()
        return np.where(text.isin(["true", "1", "1.0", "yes", "y", "t", "是"]), 1.0,
                        np.where(text.isin(["false", "0", "0.0", "no", "n", "f", "否"]), 0.0, np.nan))

    return _each_distinct(values, word)


def _each_distinct(values: pd.Series, convert) -> np.ndarray:
    """``convert`` (a Series of the distinct values → floats) applied once per distinct value and spread
    back to every value; NaN where a value is missing (millions of fixes, a handful of distinct texts)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.r_[convert(pd.Series(np.asarray(uniques, dtype=object))), np.nan][codes]  # -1 reads the NaN


# --- the evidence ----------------------------------------------------------------------------------

def score(kinds: list[str]) -> int:
    return int(round(100 * (1 - np.prod([1 - FAKE_WEIGHTS[k] for k in kinds])))) if kinds else 0


def evidence(day: str, tracks: dict[str, Track], grid_of: dict[str, np.ndarray], edges: list[Edge],
             sensors: dict[str, dict[str, np.ndarray]] | None = None, earlier: list[Samples] | None = None,
             samples: Samples | None = None) -> pd.DataFrame:
    """Per staff-day: ``fake_score`` (0–100), ``fake_kinds`` (keys of FAKE_KINDS) and ``fake_reasons``.

    ``tracks`` are the good fixes per staff, ``grid_of`` the grid row of each of those fixes (-1
    outside), ``edges`` :func:`grid_edges` of the grids, ``sensors`` per staff the sensor columns
    of the same fixes, ``earlier`` the minute samples of earlier days, ``samples`` today's.
    """
    samples = samples if samples is not None else minute_samples(day, tracks)
    copied, notes = copies(samples)
    replayed = replays(samples, earlier or [])
    edge_walks = _edge_walks(tracks, grid_of, edges)
    rows = []
    for name, tr in tracks.items():
        found: dict[str, list[str]] = {}
        for kind, reason in (("teleport", _teleports(tr)), ("drawn", _drawn(tr)), ("still", _still(tr)),
                             ("vehicle", _vehicle(tr)), ("edge", edge_walks.get(name))):
            if reason:
                found[kind] = [reason]
        mock = _mock((sensors or {}).get(name), tr.t)
        if mock:
            found["mock"] = mock
        for kind, source in (("copy", copied), ("replay", replayed)):
            if name in source:
                found[kind] = [r for _, r in sorted(source[name], reverse=True)[:3]]
        kinds = [k for k in FAKE_KINDS if k in found]
        reasons = [r for k in kinds for r in found[k]] + notes.get(name, [])
        rows.append({"staff_id": name, "fake_score": score(kinds), "fake_kinds": "，".join(kinds),
                     "fake_reasons": "；".join(reasons)})
    return pd.DataFrame(rows, columns=["staff_id", *EVIDENCE_COLUMNS])


def _first_match(left_code: np.ndarray, left_ns: np.ndarray, right_code: np.ndarray, right_ns: np.ndarray
                 ) -> np.ndarray:
    """For each (code, ns) on the left, the first right row with the same pair, else -1 (what a left
    merge on the right rows without duplicates gives, as positions).

    One int64 key per pair (code × span + ns offset), a stable sort of the right keys and a binary
    search: a district day's 4 million fixes match in a fraction of a second.

    Examples
    --------
    >>> _first_match(np.array([1, 1, 2]), np.array([10, 20, 10]), np.array([2, 1, 1, 1]), np.array([10, 20, 20, 5]))
    array([-1,  1,  0])
    """
    if not len(left_code) or not len(right_code):
        return np.full(len(left_code), -1, np.int64)
    low = min(left_ns.min(), right_ns.min())
    span = int(max(left_ns.max(), right_ns.max())) - int(low) + 1
    codes = int(max(left_code.max(), right_code.max())) + 1
    if span * codes >= 2 ** 62:  # times too far apart for one key: the general join
        right = pd.DataFrame({"code": right_code, "ns": right_ns, "row": np.arange(len(right_code))})
        right = right.drop_duplicates(["code", "ns"])
        found = pd.DataFrame({"code": left_code, "ns": left_ns}).merge(right, on=["code", "ns"], how="left")
        return found["row"].fillna(-1).to_numpy(np.int64)
    right_key = right_code.astype(np.int64) * span + (right_ns - low)
    order = np.argsort(right_key, kind="stable")
    ordered = right_key[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]]  # the earliest row of each key, as drop_duplicates keeps
    keys, rows = ordered[first], order[first]
    left_key = left_code.astype(np.int64) * span + (left_ns - low)
    at = np.minimum(np.searchsorted(keys, left_key), len(keys) - 1)
    return np.where(keys[at] == left_key, rows[at], -1)


def _sensors_by_staff(sensors: pd.DataFrame | None, names: np.ndarray, staff: np.ndarray,
                      instant_ns: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """The sensor values of the good fixes (staff codes into ``names``, grouped; times in ns), per staff,
    matched on staff and time (:func:`_first_match`)."""
    if sensors is None or sensors.empty or not len(staff):
        return {}
    index = pd.Index(np.asarray(names, dtype=object))
    given = sensors["staff_id"]
    if isinstance(given.dtype, pd.CategoricalDtype):  # as the store gives it: look up each name once
        code = np.r_[index.get_indexer(given.cat.categories.astype(object)), -1][given.cat.codes.to_numpy()]
    else:
        code = index.get_indexer(given.astype(object).to_numpy())
    when = pd.to_datetime(sensors["time"], utc=True).astype("datetime64[ns, UTC]").array.asi8
    known = np.flatnonzero(code >= 0)
    row = _first_match(staff.astype(np.int64), np.asarray(instant_ns, np.int64), code[known], when[known])
    matched = row >= 0
    source = known[np.where(matched, row, 0)] if len(known) else np.zeros(len(row), np.int64)
    columns = {}
    for c in SENSOR_COLUMNS:
        if c in sensors:
            values = (_flags if c == "mock" else _numbers)(sensors[c])
            columns[c] = np.where(matched, values[source], np.nan)
    bounds = np.searchsorted(staff, np.arange(len(names) + 1))
    return {names[k]: {c: v[lo:hi] for c, v in columns.items()}
            for k, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])) if hi > lo}


def day_evidence(day: str, good, edges: list[Edge], sensors: pd.DataFrame | None = None,
                 earlier: list[Samples] | None = None) -> tuple[pd.DataFrame, Samples]:
    """Evidence of one day's good fixes (:class:`~gis.tracks.daily.DayFixes`), and its samples.

    ``sensors``: the day's fixes with ``staff_id``, ``time`` and any of :data:`SENSOR_COLUMNS`.
    """
    tracks = tracks_of(good.staff_names, good.staff, good.t, good.x, good.y)
    bounds = np.searchsorted(good.staff, np.arange(len(good.staff_names) + 1))
    grid_of = {good.staff_names[c]: good.grid[lo:hi] for c, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:]))}
    by_staff = {}
    if sensors is not None and tracks:
        instant_ns = pd.to_datetime(good.instant, unit=good.unit, utc=True).as_unit("ns").asi8
        by_staff = _sensors_by_staff(sensors, good.staff_names, good.staff, instant_ns)
    samples = minute_samples(day, tracks)
    return evidence(day, tracks, grid_of, edges, by_staff, earlier, samples), samples


def with_evidence(staff: pd.DataFrame, day: str, good, ref, data_dir: Path | None) -> pd.DataFrame:
    """The daily staff table with the evidence columns (what ``tracks daily`` reports).

    ``good`` are the day's good fixes (:class:`~gis.tracks.daily.DayFixes`); with a data folder the
    stored sensor columns are read, the earlier days' samples compared and today's kept.
    """
    sensors = stored_sensors(data_dir, day) if data_dir is not None and len(good) else None
    found, samples = day_evidence(day, good, grid_edges(ref.index.grids), sensors, history(data_dir, day))
    if data_dir is not None and len(samples.staff):
        save_samples(data_dir, samples)
    extra = _existing(staff)
    out = staff.merge(found, on="staff_id", how="left")
    out["fake_score"] = out["fake_score"].fillna(0).astype(int)
    for column in ("fake_kinds", "fake_reasons"):
        out[column] = out[column].fillna("")
    for i, (kinds, reasons) in extra.items():
        have = [k for k in out.at[i, "fake_kinds"].split("，") if k]
        kinds = [k for k in FAKE_KINDS if k in set(have) | set(kinds)]
        out.at[i, "fake_kinds"] = "，".join(kinds)
        out.at[i, "fake_score"] = score(kinds)
        out.at[i, "fake_reasons"] = "；".join(r for r in [out.at[i, "fake_reasons"], *reasons] if r)
    return out


def _existing(staff: pd.DataFrame) -> dict[int, tuple[list[str], list[str]]]:
    """The daily report's own exact-match evidence, as kinds and reasons."""
    out = {}
    for i, row in staff.iterrows():
        kinds, reasons = [], []
        if row.get("same_as_day"):
            kinds.append("replay")
            reasons.append(f"与本人 {row['same_as_day']} 的轨迹坐标完全相同")
        if row.get("same_track_as"):
            kinds.append("copy")
            reasons.append(f"与 {row['same_track_as']} 逐分钟同一位置")
        if kinds:
            out[i] = (kinds, reasons)
    return out
