"""The spatial-join core: every point tied to its grid, town and zones.

:class:`GridIndex` answers, for millions of points at once, which grid, town
and protection zones each point is in.  Each polygon layer is burnt into an
integer raster (a few metres a cell): a point in a cell that no polygon edge
crosses takes the cell's label with two array look-ups; only points in cells
an edge crosses — a few per cent — get the exact test, through shapely's
STRtree.  So results equal the exact answer while most points cost no
geometry at all.

Edge rule
---------
A point in the interior of a grid belongs to it (in the interior of several,
where grids overlap, to the one whose ``grid_id`` sorts first).  A point on
no interior but exactly on the boundary of one or more grids belongs to the
one of those whose ``grid_id`` sorts first.  So the result equals
``geopandas.sjoin(points, grids, predicate="within")`` wherever that finds a
grid, and resolves boundary points deterministically where it finds none.
The same rule holds for towns and every flag layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio.features import rasterize
from rasterio.transform import from_origin
from scipy.ndimage import distance_transform_edt

from gis import join_cache
from gis.layers import gpkg
from gis.composite import LonLatComposite
from gis.crs import to_storage
from gis.schema import (
    CONTOUR_155,
    DISTRICT,
    FENCE,
    GRID_KINDS,
    GRIDS,
    HAZARD_ZONES,
    RESERVOIR_GRID,
    RIVER_CORRIDORS,
    RIVER_GRID,
    STORAGE_CRS,
    TOWNS,
    ZONE_L1,
)
from gis.layers.validate import ensure_valid

INDEXED_LAYERS = (GRIDS, TOWNS, ZONE_L1, RIVER_CORRIDORS, HAZARD_ZONES, FENCE, DISTRICT, CONTOUR_155)

# Raster cells: finer where patrols walk along the edges (fewer points need the exact test),
# coarser for large areas few fixes lie near the edges of.
GRID_CELL_M = 5.0
SHORE_CELL_M = 5.0  # the zone, the river corridors and the fence: patrol routes follow their edges
FLAG_CELL_M = 10.0  # hazard zones
TOWN_CELL_M = 10.0
WIDE_CELL_M = 25.0  # the district: a large area with a long edge
TILE_M = 1000.0  # zone, corridor, hazard and fence polygons are cut into tiles this size
LARGE_TILE_M = 2500.0  # district and towns
FAR_CELL_M = 25.0  # distances beyond 150 m are good to a cell diagonal (35 m)
LONLAT_CELL_M = 5.0  # the lon/lat raster of all layers at once (gis/composite.py), over the grids
LONLAT_MARGIN_M = 200.0  # … and this far around them

_NONE = 0
_EDGE = -1


def _label_dtype(n: int):
    return np.int8 if n < 127 else np.int16 if n < 32_767 else np.int32


def _tiled(geoms: np.ndarray, tile: float) -> tuple[np.ndarray, np.ndarray]:
    """Cut polygons along a square tiling so that each exact test meets few vertices.

    Returns the pieces and the index of the polygon each came from.  A point on
    a cut inside a polygon is on the boundary of two pieces of the same
    polygon, so it still goes to that polygon.
    """
    pieces, owner = [], []
    for i, geom in enumerate(geoms):
        minx, miny, maxx, maxy = geom.bounds
        if max(maxx - minx, maxy - miny) <= tile:
            pieces.append(geom)
            owner.append(i)
            continue
        xs = np.arange(np.floor(minx / tile) * tile, maxx, tile)
        ys = np.arange(np.floor(miny / tile) * tile, maxy, tile)
        gx, gy = np.meshgrid(xs, ys)
        boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + tile, gy.ravel() + tile)
        boxes = boxes[shapely.intersects(geom, boxes)]
        cut = shapely.intersection(geom, boxes)
        cut = cut[~shapely.is_empty(cut) & (shapely.area(cut) > 0)]
        pieces.extend(cut)
        owner.extend([i] * len(cut))
    return np.asarray(pieces, dtype=object), np.asarray(owner, dtype=np.int64)


class Buckets:
    """Boxes filed under the square buckets of a coarse grid they overlap (CSR arrays), so that a
    point's candidates are the list of its one bucket.

    Parameters
    ----------
    boxes : (n, 4) array of minx, miny, maxx, maxy (already grown by any search reach)
    size : bucket side
    extent : minx, miny, maxx, maxy of the grid; boxes are clipped to it

    Examples
    --------
    >>> buckets = Buckets(np.array([[0, 0, 15, 5], [12, 0, 20, 5]]), size=10, extent=(0, 0, 20, 10))
    >>> point, box = buckets.candidates(np.array([5.0, 14.0]), np.array([2.0, 2.0]))
    >>> point.tolist(), box.tolist()
    ([0, 1, 1], [0, 0, 1])
    """

    def __init__(self, boxes: np.ndarray, size: float, extent):
        minx, miny, maxx, maxy = extent
        self.size, self.minx, self.maxy = size, minx, maxy
        self.cols = int(np.ceil((maxx - minx) / size)) + 1
        self.rows = int(np.ceil((maxy - miny) / size)) + 1
        c0 = np.floor((boxes[:, 0] - minx) / size).astype(np.int64).clip(0, self.cols - 1)
        c1 = np.floor((boxes[:, 2] - minx) / size).astype(np.int64).clip(0, self.cols - 1)
        r0 = np.floor((maxy - boxes[:, 3]) / size).astype(np.int64).clip(0, self.rows - 1)
        r1 = np.floor((maxy - boxes[:, 1]) / size).astype(np.int64).clip(0, self.rows - 1)
        ncol = c1 - c0 + 1
        count = ncol * (r1 - r0 + 1)
        item = np.repeat(np.arange(len(boxes)), count)
        k = ranks(count)
        cell = (np.repeat(r0, count) + k // np.repeat(ncol, count)) * self.cols + np.repeat(c0, count) \
            + k % np.repeat(ncol, count)
        order = np.argsort(cell, kind="stable")
        self.items = item[order].astype(np.int32)
        self.start = np.searchsorted(cell[order], np.arange(self.rows * self.cols + 1)).astype(np.int64)

    def candidates(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point index, box index) pairs for every box filed in each point's bucket.

        Examples
        --------
        >>> buckets = Buckets(np.array([[0, 0, 15, 5]]), size=10, extent=(0, 0, 20, 10))
        >>> [a.tolist() for a in buckets.candidates(np.array([5.0, 18.0, 99.0]), np.array([2.0, 2.0, 2.0]))]
        [[0, 1], [0, 0]]
        """
        on_raster, row, col = cells_of(x, y, self.minx, self.maxy, self.size, (self.rows, self.cols))
        cell = row * self.cols + col
        start = self.start[cell]
        n = self.start[cell + 1] - start
        return np.repeat(on_raster, n), self.items[np.repeat(start, n) + ranks(n)]


def ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, …, c-1 for each count c, concatenated.

    Examples
    --------
    >>> ranks(np.array([3, 0, 2])).tolist()
    [0, 1, 2, 0, 1]
    """
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)


def border_clipped_cells(x: np.ndarray, y: np.ndarray, minx: float, maxy: float, size: float,
                         shape: tuple[int, int]) -> np.ndarray:
    """Flat cell index of each point on a north-up grid whose top-left corner is (minx, maxy); points
    beyond the grid (and NaN) fall in its outermost ring of cells.

    Examples
    --------
    >>> border_clipped_cells(np.array([5.0, 15.0, -99.0, np.nan]), np.array([15.0, 5.0, 15.0, 5.0]),
    ...                      minx=0.0, maxy=20.0, size=10.0, shape=(2, 2)).tolist()
    [0, 3, 0, 2]
    """
    dtype = np.int32 if shape[0] * shape[1] < 2**31 else np.int64

    def axis(offset: np.ndarray, cells: int) -> np.ndarray:
        offset /= size
        np.clip(offset, 0, cells - 1, out=offset)  # NaN stays NaN …
        with np.errstate(invalid="ignore"):
            index = offset.astype(dtype)  # … and casts to some integer, clipped again
        return np.clip(index, 0, cells - 1, out=index) if np.isnan(offset).any() else index

    row = axis(maxy - np.asarray(y, float), shape[0])
    row *= shape[1]
    row += axis(np.asarray(x, float) - minx, shape[1])
    return row


def cells_of(x: np.ndarray, y: np.ndarray, minx: float, maxy: float, size: float,
             shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For points on a north-up grid of ``size`` cells whose top-left corner is (minx, maxy):
    the indices of the points inside the grid, and their rows and columns.

    Examples
    --------
    >>> on_raster, row, col = cells_of(np.array([5.0, 15.0, 25.0]), np.array([15.0, 5.0, 5.0]), 0.0, 20.0, 10.0, (2, 2))
    >>> on_raster.tolist(), row.tolist(), col.tolist()
    ([0, 1], [0, 1], [0, 1])
    """
    col = np.floor((np.asarray(x, float) - minx) / size).astype(np.int64)
    row = np.floor((maxy - np.asarray(y, float)) / size).astype(np.int64)
    on_raster = np.flatnonzero((col >= 0) & (row >= 0) & (col < shape[1]) & (row < shape[0]))
    return on_raster, row[on_raster], col[on_raster]


class PolygonIndex:
    """Which of a list of polygons covers each point (``-1``: none).

    Ties on shared boundaries go to the polygon listed first.

    Parameters
    ----------
    geoms : sequence of shapely polygons in a metric CRS
    cell_size : raster cell in CRS units
    tile : if given, exact tests run against the polygons cut into tiles of this size — much
        faster for large polygons with long boundaries, but a point lying exactly on an edge
        may then fall either side of it (within rounding)
    bucket : size of the coarse buckets that list candidate polygons for the exact test

    Examples
    --------
    >>> from shapely import box
    >>> index = PolygonIndex([box(0, 0, 10, 10), box(10, 0, 20, 10)], cell_size=1.0)
    >>> index.lookup(np.array([5.0, 10.0, 15.0, 30.0]), np.array([5.0, 5.0, 5.0, 5.0])).tolist()
    [0, 0, 1, -1]
    """

    def __init__(self, geoms, cell_size: float, tile: float | None = None, bucket: float = 200.0):
        self.geoms = np.asarray(list(geoms), dtype=object)
        self.pieces, self.owner = _tiled(self.geoms, tile) if tile else (
            self.geoms, np.arange(len(self.geoms), dtype=np.int64))
        shapely.prepare(self.pieces)
        self.cell_size = cell_size
        if len(self.pieces):
            boxes = shapely.bounds(self.pieces)
            extent = (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())
            self.buckets = Buckets(boxes, bucket, extent)
        if len(self.geoms) == 0:
            self.labels = np.zeros((1, 1), np.int8)
            self.minx = self.maxy = 0.0
            return
        minx, miny, maxx, maxy = shapely.total_bounds(self.geoms)
        self.minx, self.maxy = minx - cell_size, maxy + cell_size
        cols = int(np.ceil((maxx - minx) / cell_size)) + 2
        rows = int(np.ceil((maxy - miny) / cell_size)) + 2
        transform = from_origin(self.minx, self.maxy, cell_size, cell_size)
        dtype = _label_dtype(len(self.geoms) + 1)
        labels = rasterize(((g, i + 1) for i, g in enumerate(self.geoms)), out_shape=(rows, cols),
                           transform=transform, fill=_NONE, dtype="int32", all_touched=False).astype(dtype)
        edges = rasterize(((shapely.boundary(g), 1) for g in self.geoms), out_shape=(rows, cols),
                          transform=transform, fill=0, dtype="uint8", all_touched=True)
        labels[edges.astype(bool)] = _EDGE
        self.labels = labels

    @cached_property
    def tree(self) -> shapely.STRtree:
        """An STRtree of the polygons themselves (for overlay work such as polygon assignment)."""
        return shapely.STRtree(self.geoms)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "tree"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        shapely.prepare(self.pieces)  # preparation is not pickled

    @property
    def edge_share(self) -> float:
        """Share of raster cells that need the exact test."""
        return float((self.labels == _EDGE).mean())

    def exact(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The exact answer for any points: candidate pieces from the buckets, then
        point-in-polygon on the prepared pieces, one vectorised call per piece.

        Examples
        --------
        >>> index = PolygonIndex([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)], cell_size=1.0)
        >>> index.exact(np.array([10.0, 10.0, 25.0]), np.array([5.0, 10.0, 5.0])).tolist()
        [0, 0, -1]
        """
        none = len(self.geoms)
        out = np.full(len(x), none, dtype=np.int64)
        if not len(x) or not len(self.pieces):
            return np.full(len(x), -1, dtype=np.int64)
        hit_point, hit_piece = self.buckets.candidates(x, y)
        order = np.argsort(hit_piece, kind="stable")
        hit_point, hit_piece = hit_point[order], hit_piece[order]
        bounds = np.flatnonzero(np.r_[True, hit_piece[1:] != hit_piece[:-1], True]) if len(order) else [0]
        groups = [(hit_piece[a], hit_point[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        for piece, pts in groups:  # interior first
            inside = pts[shapely.contains_xy(self.pieces[piece], x[pts], y[pts])]
            np.minimum.at(out, inside, self.owner[piece])
        unsettled = out == none
        for piece, pts in groups:  # then, for points in no interior, the boundary
            pts = pts[unsettled[pts]]
            if len(pts):
                touching = pts[shapely.intersects_xy(self.pieces[piece], x[pts], y[pts])]
                np.minimum.at(out, touching, self.owner[piece])
        out[out == none] = -1
        return out

    def lookup(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index of the polygon covering each point, or -1.

        Points beyond the raster are clipped to its border ring, whose cells are empty or edge
        cells (their centres lie outside every polygon), so they get -1 or the exact test.

        Examples
        --------
        >>> index = PolygonIndex([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)], cell_size=1.0)
        >>> index.lookup([2.0, 10.0, 12.0, 1e9], [2.0, 7.0, 2.0, 0.0]).tolist()   # on the shared edge: the first
        [0, 0, 1, -1]
        """
        x, y, values = self._cells(x, y)
        out = np.subtract(values, 1, dtype=np.int64)  # label k → polygon k - 1; no polygon → -1; edge → -2
        edge = np.flatnonzero(values == _EDGE)
        if len(edge):
            out[edge] = self.exact(x[edge], y[edge])
        return out

    def covers_any(self, x, y) -> np.ndarray:
        """Whether any polygon covers each point (as ``lookup(x, y) >= 0``, without the indices).

        Examples
        --------
        >>> index = PolygonIndex([shapely.box(0, 0, 10, 10)], cell_size=1.0)
        >>> index.covers_any([5.0, 10.0, 11.0], [5.0, 5.0, 5.0]).tolist()
        [True, True, False]
        """
        x, y, values = self._cells(x, y)
        out = values > 0
        edge = np.flatnonzero(values == _EDGE)
        if len(edge):
            out[edge] = self.exact(x[edge], y[edge]) >= 0
        return out

    def _cells(self, x, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The points as float arrays and the raster value of each one's cell."""
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        return x, y, self.labels.ravel().take(
            border_clipped_cells(x, y, self.minx, self.maxy, self.cell_size, self.labels.shape))


def _segments(geoms) -> tuple[np.ndarray, np.ndarray]:
    """Every straight segment of the lines or polygon boundaries, as (n, 4) ax ay bx by, and its owner."""
    coords, owners = [], []
    for i, geom in enumerate(geoms):
        lines = shapely.get_parts(shapely.boundary(geom) if geom.geom_type.endswith("Polygon") else geom)
        for line in np.atleast_1d(lines):
            xy = shapely.get_coordinates(line)
            if len(xy) >= 2:
                coords.append(np.hstack([xy[:-1], xy[1:]]))
                owners.append(np.full(len(xy) - 1, i))
    return np.vstack(coords), np.concatenate(owners)


class DistanceField:
    """Nearest geometry and distance for many points at once, in numpy.

    Far field: the geometries are burnt into a raster and a Euclidean distance
    transform gives every cell its distance to, and the owner of, the nearest
    burnt cell — good to a cell diagonal.  Near field (within ``exact_within``
    metres, guaranteed exact): every segment is filed in the buckets of a coarse grid that lie
    within that distance of it, so a point's candidates are one bucket's list,
    and the exact point-to-segment distances are computed as array operations.

    Examples
    --------
    >>> lines = [shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(0, 50), (100, 50)])]
    >>> field = DistanceField(lines, cell_size=5.0, extent=(-100, -100, 200, 200))
    >>> index, dist = field.nearest([50.0, 50.0, 500.0], [10.0, 45.0, 0.0])
    >>> index.tolist(), dist.round(1).tolist()
    ([0, 1, 0], [10.0, 5.0, 400.0])
    """

    def __init__(self, geoms, cell_size: float, extent, exact_within: float = 150.0, bucket: float = 50.0):
        self.geoms = np.asarray(list(geoms), dtype=object)
        self.cell_size = cell_size
        self.exact_within = exact_within
        minx, miny, maxx, maxy = extent
        self.minx, self.maxy = minx, maxy
        cols = int(np.ceil((maxx - minx) / cell_size))
        rows = int(np.ceil((maxy - miny) / cell_size))
        burnt = rasterize(((g, i + 1) for i, g in enumerate(self.geoms)), out_shape=(rows, cols),
                          transform=from_origin(minx, maxy, cell_size, cell_size), fill=0, dtype="int32",
                          all_touched=True)
        dist, (near_row, near_col) = distance_transform_edt(burnt == 0, return_indices=True)
        self.distance = (dist * cell_size).astype(np.float32)
        self.index = (burnt[near_row, near_col] - 1).astype(_label_dtype(len(self.geoms) + 1))
        self._build_buckets(bucket, extent)

    @cached_property
    def tree(self) -> shapely.STRtree:
        """For the rare points beyond the raster, built once on first need."""
        return shapely.STRtree(self.geoms)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "tree"}

    def _build_buckets(self, bucket: float, extent) -> None:
        self.seg, self.owner = _segments(self.geoms)
        # a point refined by nearest() is at most exact_within + 3 cells from its nearest segment
        reach = self.exact_within + 3 * self.cell_size
        seg = self.seg
        boxes = np.column_stack([np.minimum(seg[:, 0], seg[:, 2]) - reach, np.minimum(seg[:, 1], seg[:, 3]) - reach,
                                 np.maximum(seg[:, 0], seg[:, 2]) + reach, np.maximum(seg[:, 1], seg[:, 3]) + reach])
        self.buckets = Buckets(boxes, bucket, extent)

    def _exact(self, x: np.ndarray, y: np.ndarray, chunk: int = 100_000):
        """Exact nearest segment owner and distance for points whose bucket lists their candidates."""
        index = np.full(len(x), -1, dtype=np.int64)
        dist = np.full(len(x), np.inf)
        for lo in range(0, len(x), chunk):
            px, py = x[lo:lo + chunk], y[lo:lo + chunk]
            point, cand = self.buckets.candidates(px, py)
            if not len(point):
                continue
            s = self.seg[cand]
            qx, qy = px[point], py[point]
            dx, dy = s[:, 2] - s[:, 0], s[:, 3] - s[:, 1]
            length2 = dx * dx + dy * dy
            t = np.clip(((qx - s[:, 0]) * dx + (qy - s[:, 1]) * dy) / np.where(length2 > 0, length2, 1), 0, 1)
            d = np.hypot(qx - (s[:, 0] + t * dx), qy - (s[:, 1] + t * dy))
            # minimum per point: sort by (point, distance) and take each point's first
            order = np.lexsort((d, point))
            first = order[np.r_[True, point[order][1:] != point[order][:-1]]]
            index[lo + point[first]] = self.owner[cand[first]]
            dist[lo + point[first]] = d[first]
        return index, dist

    def nearest(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Index of the nearest geometry and the distance to it, for each point.

        Examples
        --------
        >>> squares = [shapely.box(0, 0, 10, 10), shapely.box(100, 0, 110, 10)]   # polygons: their boundaries
        >>> field = DistanceField(squares, cell_size=5.0, extent=(-50, -50, 200, 60))
        >>> index, dist = field.nearest([20.0, 70.0, 5.0], [5.0, 5.0, 5.0])
        >>> index.tolist(), dist.round(1).tolist()
        ([0, 1, 0], [10.0, 30.0, 5.0])
        """
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        index = np.full(len(x), -1, dtype=np.int64)
        dist = np.full(len(x), np.nan)
        if not len(x) or not len(self.geoms):
            return index, dist
        on_raster, row, col = cells_of(x, y, self.minx, self.maxy, self.cell_size, self.distance.shape)
        dist[on_raster] = self.distance[row, col]
        index[on_raster] = self.index[row, col]
        # the raster distance is within a cell diagonal of the true one
        near = on_raster[dist[on_raster] < self.exact_within + 1.5 * self.cell_size]
        if len(near):
            index[near], dist[near] = self._exact(x[near], y[near])
        beyond = np.ones(len(x), bool)
        beyond[on_raster] = False
        far = np.flatnonzero(beyond)  # beyond the raster: the few there get an exact search
        if len(far):
            (src, hit), d = self.tree.query_nearest(shapely.points(x[far], y[far]), return_distance=True,
                                                    all_matches=False)
            index[far[src]] = hit
            dist[far[src]] = d
        return index, dist


def _polygons(frame: gpd.GeoDataFrame) -> list:
    return [g for g in frame.geometry if g is not None and not g.is_empty]


def _example_frames() -> dict[str, gpd.GeoDataFrame]:
    """A toy layer set near 117° E, 40.56° N for the examples: two towns, three grids (two in the
    zone, one along a river), a fenced square, a hazard zone and a straight 155 m line at y = 4 491 000."""

    def layer(geoms, **columns) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=STORAGE_CRS)

    box = shapely.box
    return {
        DISTRICT.name: layer([box(498_000, 4_488_000, 504_000, 4_493_000)], name=["密云区"]),
        TOWNS.name: layer([box(498_000, 4_488_000, 501_000, 4_493_000), box(501_000, 4_488_000, 504_000, 4_493_000)],
                          name=["溪翁庄", "穆家峪"]),
        GRIDS.name: layer([box(499_000, 4_489_000, 501_000, 4_491_000), box(501_000, 4_489_000, 503_000, 4_491_000),
                           box(499_000, 4_491_000, 501_000, 4_492_000)],
                          grid_id=["XWZ-K01", "MJY-K01", "XWZ-H01"], town=["溪翁庄", "穆家峪", "溪翁庄"],
                          kind=[RESERVOIR_GRID, RESERVOIR_GRID, RIVER_GRID]),
        ZONE_L1.name: layer([box(499_000, 4_489_000, 503_000, 4_491_000)]),
        RIVER_CORRIDORS.name: layer([box(499_000, 4_491_000, 501_000, 4_492_000)]),
        HAZARD_ZONES.name: layer([box(502_000, 4_489_000, 503_000, 4_490_000)]),
        FENCE.name: layer([shapely.MultiLineString([box(499_500, 4_489_500, 500_500, 4_490_500).exterior])]),
        CONTOUR_155.name: layer([shapely.LineString([(498_000, 4_491_000), (504_000, 4_491_000)])]),
    }


@dataclass
class GridIndex:
    """Grid, town and zone membership of points; built once from the reference layers.

    Examples
    --------
    >>> index = GridIndex.from_layers("layers/miyun.gpkg")        # doctest: +SKIP
    >>> index.assign([116.97], [40.55])[["grid_id", "town"]]      # doctest: +SKIP

    On a toy layer set (two towns, three grids, a fence, a hazard zone, a straight 155 m line):

    >>> index = GridIndex.from_frames(_example_frames())
    >>> x = np.array([500_000.0, 502_500.0, 500_000.0, 510_000.0])
    >>> y = np.array([4_490_000.0, 4_489_500.0, 4_491_500.0, 4_490_000.0])
    >>> out = index.assign_xy(x, y)
    >>> out[["grid_id", "town", "kind"]].astype(object).fillna("-").values.tolist()
    [['XWZ-K01', '溪翁庄', 'reservoir'], ['MJY-K01', '穆家峪', 'reservoir'], ['XWZ-H01', '溪翁庄', 'river'], ['-', '-', '-']]
    >>> out[["in_zone_l1", "in_river_corridor", "in_hazard_zone", "inside_fence", "inside_district"]].values.tolist()
    [[True, False, False, True, True], [True, False, True, False, True],
     [False, True, False, False, True], [False, False, False, False, False]]
    """

    grids: gpd.GeoDataFrame  # sorted by grid_id: the tie-break order
    grid_index: PolygonIndex
    town_names: np.ndarray
    town_index: PolygonIndex
    zone_index: PolygonIndex
    corridor_index: PolygonIndex
    hazard_index: PolygonIndex
    fence_index: PolygonIndex
    district_index: PolygonIndex
    contour_distance: DistanceField
    grid_distance: DistanceField
    lonlat: LonLatComposite | None = None  # every answer at once for lon/lat points, without projecting

    @classmethod
    def from_layers(cls, path: str | Path, *, grid_cell: float = GRID_CELL_M, cache: bool = True) -> "GridIndex":
        """The index of a validated layer set (the GeoPackage at ``path``); with ``cache``, kept on disk
        per file content and code (:mod:`gis.join_cache`) and loaded from there next time.

        Examples
        --------
        >>> GridIndex.from_layers("layers/miyun.gpkg").grids["grid_id"].size   # doctest: +SKIP
        160
        """
        """Build from a validated layer set (raises :class:`~gis.errors.LayerError` otherwise), or load
        the index built before from the same file (see :mod:`gis.join_cache`) unless ``cache`` is false."""
        key = None
        if cache and join_cache.enabled() and Path(path).is_file():
            key = join_cache.key_of(Path(path), grid_cell=grid_cell)
            index = join_cache.load(key)
            if isinstance(index, cls):
                return index
        path = ensure_valid(path)
        frames = gpkg.read_layers(path, [layer.name for layer in INDEXED_LAYERS])
        index = cls.from_frames(frames, grid_cell=grid_cell)
        if key is not None:
            join_cache.save(key, index)
        return index

    @classmethod
    def from_frames(cls, frames: dict[str, gpd.GeoDataFrame], *, grid_cell: float = GRID_CELL_M) -> "GridIndex":
        """The index of layers already in memory (storage CRS), keyed by layer name as in
        :data:`INDEXED_LAYERS`.

        Examples
        --------
        >>> index = GridIndex.from_frames(_example_frames())
        >>> index.grids["grid_id"].tolist(), index.town_names.tolist()
        (['MJY-K01', 'XWZ-H01', 'XWZ-K01'], ['溪翁庄', '穆家峪'])
        """
        grids = frames[GRIDS.name].sort_values("grid_id").reset_index(drop=True)
        towns = frames[TOWNS.name].sort_values("name").reset_index(drop=True)
        fence_lines = [ring for g in frames[FENCE.name].geometry for ring in getattr(g, "geoms", [g])]
        fence_area = [shapely.Polygon(line.coords) for line in fence_lines if line.is_ring]
        contour = shapely.get_parts(np.asarray(frames[CONTOUR_155.name].geometry.array))
        segments = np.concatenate([shapely.linestrings(np.stack([c[:-1], c[1:]], axis=1))
                                   for c in (shapely.get_coordinates(line) for line in contour)])
        district = _polygons(frames[DISTRICT.name])
        minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(district + list(grids.geometry), dtype=object))
        extent = (minx - 5000, miny - 5000, maxx + 5000, maxy + 5000)
        index = cls(
            grids=grids,
            grid_index=PolygonIndex(grids.geometry, grid_cell),
            town_names=towns["name"].to_numpy(),
            town_index=PolygonIndex(towns.geometry, TOWN_CELL_M, tile=LARGE_TILE_M),
            zone_index=PolygonIndex(_polygons(frames[ZONE_L1.name]), SHORE_CELL_M, tile=TILE_M),
            corridor_index=PolygonIndex(_polygons(frames[RIVER_CORRIDORS.name]), SHORE_CELL_M, tile=TILE_M),
            hazard_index=PolygonIndex(_polygons(frames[HAZARD_ZONES.name]), FLAG_CELL_M, tile=TILE_M),
            fence_index=PolygonIndex(fence_area, SHORE_CELL_M, tile=TILE_M),
            district_index=PolygonIndex(district, WIDE_CELL_M, tile=LARGE_TILE_M),
            contour_distance=DistanceField(segments, FAR_CELL_M, extent),
            grid_distance=DistanceField(grids.geometry, FAR_CELL_M, extent),
        )
        if len(grids):
            gx0, gy0, gx1, gy1 = grids.total_bounds
            m = LONLAT_MARGIN_M
            index.lonlat = LonLatComposite({name: (list(layer.geoms), labelled)
                                            for name, (layer, labelled) in index.layers().items()},
                                           (gx0 - m, gy0 - m, gx1 + m, gy1 + m), LONLAT_CELL_M)
        return index

    def layers(self) -> dict[str, tuple[PolygonIndex, bool]]:
        """The polygon index behind each answer of :meth:`assign_xy`, and whether it answers a
        polygon (grid, town) or a flag.

        Examples
        --------
        >>> index = GridIndex.from_frames(_example_frames())
        >>> {name: answers_polygon for name, (_, answers_polygon) in index.layers().items()}["grid_id"]
        True
        >>> sorted(name for name, (_, answers_polygon) in index.layers().items() if not answers_polygon)
        ['in_hazard_zone', 'in_river_corridor', 'in_zone_l1', 'inside_district', 'inside_fence']
        """
        return {"grid_id": (self.grid_index, True), "town": (self.town_index, True),
                "in_zone_l1": (self.zone_index, False), "in_river_corridor": (self.corridor_index, False),
                "in_hazard_zone": (self.hazard_index, False), "inside_fence": (self.fence_index, False),
                "inside_district": (self.district_index, False)}

    # -- points ---------------------------------------------------------------

    def grid_of(self, x, y) -> np.ndarray:
        """Row of ``self.grids`` for storage-CRS points (``-1`` outside every grid).

        Examples
        --------
        >>> index = GridIndex.from_frames(_example_frames())
        >>> rows = index.grid_of([500_000.0, 502_500.0, 510_000.0], [4_490_000.0, 4_489_500.0, 4_490_000.0])
        >>> rows.tolist(), index.grids["grid_id"].to_numpy()[rows[:2]].tolist()
        ([2, 0, -1], ['XWZ-K01', 'MJY-K01'])
        """
        return self.grid_index.lookup(x, y)

    def assign(self, lon, lat, *, nearest: bool = True, distances: bool = True) -> pd.DataFrame:
        """Assign WGS84 points (the same answers as :meth:`assign_xy` of the points projected).

        Points are looked up in the lon/lat raster of all layers (:mod:`gis.composite`); only those
        in cells some boundary crosses, or beyond the raster, are projected to EPSG:4548 and tested
        exactly, for the layers whose boundary it is.  Distances to the 155 m line need every
        point projected.

        Examples
        --------
        >>> index = GridIndex.from_frames(_example_frames())
        >>> index.assign([117.0], [40.56])[["grid_id", "town", "kind", "dist_155m_m"]].values.tolist()
        [['XWZ-H01', '溪翁庄', 'river', 725.0]]
        """
        lon = np.asarray(lon, float)
        lat = np.asarray(lat, float)
        if self.lonlat is None:
            x, y = to_storage(lon, lat)
            return self.assign_xy(x, y, nearest=nearest, distances=distances)
        code = self.lonlat.code_of(lon, lat)
        answers = {name: table.take(code) for name, table in self.lonlat.tables.items()}
        todo = np.flatnonzero(self.lonlat.unsettled.take(code))
        if len(todo):
            x, y = to_storage(lon[todo], lat[todo])
            for name, (layer, labelled) in self.layers().items():
                value = answers[name]
                need = np.flatnonzero(value.take(todo) < -1)
                if len(need):
                    value[todo[need]] = (layer.lookup if labelled else layer.covers_any)(x[need], y[need])

        def storage_xy(which=None):
            return to_storage(lon, lat) if which is None else to_storage(lon[which], lat[which])

        return self._frame(answers, storage_xy, nearest=nearest, distances=distances)

    def assign_xy(self, x, y, *, nearest: bool = True, distances: bool = True) -> pd.DataFrame:
        """Grid, town, kind, zone flags, distance to the 155 m line, nearest grid.

        Parameters
        ----------
        x, y : arrays of EPSG:4548 coordinates
        nearest : also give, for points outside every grid, the nearest grid and its distance
        distances : also give the distance to the 155 m line

        Returns
        -------
        DataFrame with one row per point: ``grid_id`` (empty outside every grid), ``town``,
        ``kind``, ``in_zone_l1``, ``in_river_corridor``, ``in_hazard_zone``,
        ``inside_fence``, ``inside_district``, ``dist_155m_m``, ``nearest_grid_id``,
        ``nearest_grid_m``.  Distances are exact within 150 m and within 35 m beyond
        (see :class:`DistanceField`).

        Examples
        --------
        >>> index = GridIndex.from_frames(_example_frames())
        >>> out = index.assign_xy([500_000.0, 510_000.0], [4_490_000.0, 4_490_000.0])
        >>> out[["grid_id", "nearest_grid_id", "nearest_grid_m"]].astype(object).fillna("-").values.tolist()
        [['XWZ-K01', '-', '-'], ['-', 'MJY-K01', 7000.0]]
        >>> list(index.assign_xy([500_000.0], [4_490_000.0], nearest=False, distances=False).columns)[-2:]
        ['inside_fence', 'inside_district']
        """
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        return self._frame(self._answers(x, y), lambda which=None: (x, y) if which is None else (x[which], y[which]),
                           nearest=nearest, distances=distances)

    def _answers(self, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """Each layer's exact answer for EPSG:4548 points: a polygon row (-1: none) or a flag."""
        return {name: (layer.lookup if labelled else layer.covers_any)(x, y)
                for name, (layer, labelled) in self.layers().items()}

    def assign_point(self, x: float, y: float) -> dict:
        """:meth:`assign_xy` of one EPSG:4548 point as plain values (None for a missing text, NaN for a
        missing distance), without building a frame: placing one case takes microseconds, not milliseconds.

        Examples
        --------
        >>> index = GridIndex.from_frames(_example_frames())
        >>> inside, outside = index.assign_point(500_000.0, 4_490_000.0), index.assign_point(510_000.0, 4_490_000.0)
        >>> inside["grid_id"], inside["town"], inside["kind"], inside["inside_fence"], inside["nearest_grid_id"]
        ('XWZ-K01', '溪翁庄', 'reservoir', True, None)
        >>> outside["grid_id"], outside["nearest_grid_id"], outside["nearest_grid_m"]
        (None, 'MJY-K01', 7000.0)
        """
        xs, ys = np.array([float(x)]), np.array([float(y)])
        answers = {name: value[0] for name, value in self._answers(xs, ys).items()}
        row, town = int(answers.pop("grid_id")), int(answers.pop("town"))
        grid = self._grid_facts[row] if row >= 0 else None
        out = {"grid_id": grid["grid_id"] if grid else None,
               "town": str(self.town_names[town]) if town >= 0 else None,
               "kind": list(GRID_KINDS)[int(grid["kind"] == RIVER_GRID)] if grid else None,
               **{name: bool(value > 0) for name, value in answers.items()},
               "dist_155m_m": float(self.distance_to_155m(xs, ys)[0]),
               "nearest_grid_id": None, "nearest_grid_m": float("nan")}
        if row < 0:
            nearest_id, nearest_m = self.grid_distance.nearest(xs, ys)
            out["nearest_grid_id"] = self._grid_facts[int(nearest_id[0])]["grid_id"] if nearest_id[0] >= 0 else None
            out["nearest_grid_m"] = float(nearest_m[0])
        return out

    def grid_facts(self, grid_id: str) -> dict:
        """The ``grid_id``, ``town`` and ``kind`` of one grid (KeyError if there is none).

        Examples
        --------
        >>> GridIndex.from_frames(_example_frames()).grid_facts("XWZ-H01")
        {'grid_id': 'XWZ-H01', 'town': '溪翁庄', 'kind': 'river'}
        """
        return self._grid_facts[self._grid_rows[grid_id]]

    @cached_property
    def _grid_facts(self) -> list[dict]:
        return self.grids[["grid_id", "town", "kind"]].astype(object).to_dict("records")

    @cached_property
    def _grid_rows(self) -> dict[str, int]:
        return {facts["grid_id"]: i for i, facts in enumerate(self._grid_facts)}

    def _frame(self, answers: dict[str, np.ndarray], storage_xy, *, nearest: bool, distances: bool) -> pd.DataFrame:
        """The answers as assign_xy's frame; ``storage_xy(which)`` gives the EPSG:4548 coordinates of
        the points ``which`` (all when None) for the distances."""
        row = answers["grid_id"]
        n = len(row)
        grid_ids = pd.Categorical.from_codes(row, categories=self.grids["grid_id"].to_numpy()) \
            if len(self.grids) else pd.Categorical([None] * n)
        kind_codes = np.r_[(self.grids["kind"].to_numpy() == RIVER_GRID).astype(np.int8), -1][row]  # row -1: none
        out = pd.DataFrame({
            "grid_id": grid_ids,
            "town": pd.Categorical.from_codes(answers["town"], categories=self.town_names),
            "kind": pd.Categorical.from_codes(kind_codes.astype(np.int8), categories=list(GRID_KINDS)),
            **{name: np.asarray(value) > 0 if value.dtype != bool else value
               for name, value in answers.items() if name not in ("grid_id", "town")},
        })
        if distances:
            out["dist_155m_m"] = self.distance_to_155m(*storage_xy())
        if nearest:
            nearest_id = np.full(n, -1)
            nearest_m = np.full(n, np.nan)
            outside = np.flatnonzero(row < 0)
            nearest_id[outside], nearest_m[outside] = self.grid_distance.nearest(*storage_xy(outside))
            out["nearest_grid_id"] = pd.Categorical.from_codes(nearest_id, categories=self.grids["grid_id"].to_numpy())
            out["nearest_grid_m"] = nearest_m
        return out

    def distance_to_155m(self, x, y) -> np.ndarray:
        """Distance in metres to the 155 m line: exact within 150 m, within 35 m beyond.

        Examples
        --------
        >>> index = GridIndex.from_frames(_example_frames())
        >>> index.distance_to_155m([500_000.0, 500_000.0], [4_490_900.0, 4_490_000.0]).round(1).tolist()
        [100.0, 1000.0]
        """
        return self.contour_distance.nearest(x, y)[1]

    # -- polygons (satellite clues) ---------------------------------------------

    def assign_polygons(self, geoms, crs=STORAGE_CRS) -> pd.DataFrame:
        """Each polygon's grid by largest overlap, and every grid it touches.

        Returns a DataFrame with ``grid_id`` (largest overlap; empty if it touches none),
        ``town``, ``overlap_m2``, ``grids`` (all touched, largest first, as
        ``"ID:area"`` items) and ``area_m2``.

        Examples
        --------
        >>> index = GridIndex.from_frames(_example_frames())
        >>> clue = shapely.box(500_400, 4_489_500, 501_500, 4_490_000)  # 600 m in XWZ-K01, 500 m in MJY-K01
        >>> index.assign_polygons([clue]).iloc[0].to_dict()
        {'grid_id': 'XWZ-K01', 'town': '溪翁庄', 'overlap_m2': 300000.0,
         'grids': 'XWZ-K01:300000;MJY-K01:250000', 'area_m2': 550000.0}
        """
        series = gpd.GeoSeries(list(geoms), crs=crs).to_crs(STORAGE_CRS)
        arr = series.array
        src, hit = self.grid_index.tree.query(arr, predicate="intersects")
        areas = shapely.area(shapely.intersection(arr[src], self.grids.geometry.array[hit]))
        ids = self.grids["grid_id"].to_numpy()
        towns = self.grids["town"].to_numpy()
        rows = []
        for i in range(len(arr)):
            mine = src == i
            order = np.argsort(-areas[mine], kind="stable")
            touched = [(ids[h], a) for h, a in zip(hit[mine][order], areas[mine][order]) if a > 0]
            best = touched[0] if touched else (None, 0.0)
            if touched:
                town = towns[ids == best[0]][0]
            else:
                c = shapely.centroid(arr[i])
                t = self.town_index.lookup(np.array([c.x]), np.array([c.y]))[0]
                town = self.town_names[t] if t >= 0 else None
            rows.append({"grid_id": best[0], "town": town, "overlap_m2": round(float(best[1]), 1),
                         "grids": ";".join(f"{g}:{a:.0f}" for g, a in touched),  # not a layer
                         "area_m2": round(float(shapely.area(arr[i])), 1)})
        return pd.DataFrame(rows)
