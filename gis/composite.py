"""One raster in lon/lat that answers every layer of the grid index at once, without projecting.

:class:`LonLatComposite` burns the grids, the towns and the five zone layers into one raster laid
out in WGS84 longitude and latitude (cells of about 5 m).  Each cell holds a *code*; a code stands
for one combination of answers (grid, town, five flags) that holds everywhere in that cell.  A point
costs two multiplications, one raster read and one small-table read per answer — no projection.

A layer whose boundary crosses a cell is *unsettled* there (its table value is :data:`EDGE`); the
border ring of the raster (where every point beyond it falls) is :data:`BEYOND` for every layer.
Only points in such cells are projected to EPSG:4548 and asked of the exact per-layer indexes in
:mod:`gis.join`, and only for the layers that are unsettled.

Why the answers stay exact: the boundaries are densified to 10 m before they are taken to lon/lat
(a straight 10 m segment in EPSG:4548 and its lon/lat image differ by far less than a millimetre)
and burnt with ``all_touched`` four times, shifted by a few millimetres diagonally each way.  So a
cell no boundary touched lies, with a margin of millimetres, on one side of every boundary, and its
centre's answer is every point's answer in it — also for a point that rounding puts in the
neighbouring cell.
"""

from __future__ import annotations

import numpy as np
import shapely
from rasterio.features import rasterize
from rasterio.transform import from_origin

from gis.crs import to_web

EDGE = -2  # table value: this layer's boundary crosses the cell — test the point exactly
BEYOND = -3  # table value of the border ring: the point is beyond the raster — test it exactly
DENSIFY_M = 10.0
MARGIN = 1e-3  # of a cell: boundaries are burnt shifted by this much each way (5 mm at 5 m)
METRES_PER_DEGREE = 111_320.0


def _to_lonlat(geom):
    """A storage-CRS geometry densified and taken to lon/lat vertex by vertex."""
    return shapely.transform(shapely.segmentize(geom, DENSIFY_M), lambda xy: np.column_stack(to_web(xy[:, 0], xy[:, 1])))


class LonLatComposite:
    """Codes of combined answers on a lon/lat raster, and per-layer tables of what each code means.

    Parameters
    ----------
    layers : ``{name: (storage-CRS polygons, labelled)}`` — a labelled layer answers the index of
        the first polygon covering a point (``-1``: none), any other whether some polygon covers it
    extent : minx, miny, maxx, maxy in EPSG:4548 of the area the raster covers (points beyond
        are answered as :data:`BEYOND`)
    cell_m : cell side in metres (north-south; east-west the same length at the raster's mid latitude)

    Examples
    --------
    >>> from gis.crs import to_storage
    >>> x, y = to_storage([117.0], [40.5])
    >>> square = shapely.box(x[0] - 100, y[0] - 100, x[0] + 100, y[0] + 100)
    >>> raster = LonLatComposite({"square": ([square], True)}, (x[0] - 200, y[0] - 200, x[0] + 200, y[0] + 200), 5.0)
    >>> raster.answers(np.array([117.0, 117.0, 118.0]), np.array([40.5, 40.502, 40.5]))["square"].tolist()
    [0, -1, -3]
    """

    def __init__(self, layers: dict[str, tuple[list, bool]], extent, cell_m: float):
        minx, miny, maxx, maxy = extent
        lon, lat = to_web(np.array([minx, maxx, minx, maxx]), np.array([miny, miny, maxy, maxy]))
        mid = np.radians((lat.min() + lat.max()) / 2)
        self.dlat = cell_m / METRES_PER_DEGREE
        self.dlon = cell_m / (METRES_PER_DEGREE * np.cos(mid))
        self.lon0, self.lat1 = lon.min() - self.dlon, lat.max() + self.dlat  # one ring of cells beyond
        self.cols = int(np.ceil((lon.max() - lon.min()) / self.dlon)) + 2
        self.rows = int(np.ceil((lat.max() - lat.min()) / self.dlat)) + 2
        transform = from_origin(self.lon0, self.lat1, self.dlon, self.dlat)
        shape = (self.rows, self.cols)
        shifts = [(sx * MARGIN * self.dlon, sy * MARGIN * self.dlat) for sx in (-1, 1) for sy in (-1, 1)]

        key = np.zeros(shape, np.int64)
        radix, names = 1, []
        for name, (geoms, labelled) in layers.items():
            geoms = [_to_lonlat(g) for g in geoms]
            # state 0: edge; 1: no polygon; 2 + k: polygon k (labelled) or 2: covered (flag)
            inside = rasterize(((g, 2 + (i if labelled else 0)) for i, g in reversed(list(enumerate(geoms)))),
                               out_shape=shape, transform=transform, fill=1, dtype="int32") if geoms else \
                np.ones(shape, np.int32)
            lines = [shapely.boundary(g) for g in geoms]
            if lines:
                edge = rasterize(((shapely.transform(line, lambda xy, s=s: xy + s), 1) for line in lines for s in shifts),
                                 out_shape=shape, transform=transform, fill=0, dtype="uint8", all_touched=True)
                inside[edge.astype(bool)] = 0
            key += inside.astype(np.int64) * radix
            n = 2 + (len(geoms) if labelled else 1)
            names.append((name, radix, n, labelled))
            radix *= n
        key[[0, -1], :] = radix  # the border ring: one more key beyond every combination
        key[:, [0, -1]] = radix
        if radix < 1 << 26:  # keys in a small range: rank them through a table of the keys present
            seen = np.zeros(radix + 1, bool)
            seen[key.ravel()] = True
            present = np.flatnonzero(seen)
            rank = np.cumsum(seen) - 1
            inverse = rank.take(key)
        else:
            present, inverse = np.unique(key, return_inverse=True)
        code_dtype = np.int16 if len(present) < 2**15 else np.int32
        self.codes = inverse.reshape(shape).astype(code_dtype)
        del key, inverse
        self.tables: dict[str, np.ndarray] = {}
        beyond = present == radix
        for name, r, n, labelled in names:
            state = (present // r) % n
            value = np.where(state == 0, EDGE, state - (2 if labelled else 1)).astype(np.int16)  # flags: 0 / 1
            value[beyond] = BEYOND
            self.tables[name] = value
        self.unsettled = np.zeros(len(present), bool)
        for value in self.tables.values():
            self.unsettled |= value < -1
        self.names = [name for name, *_ in names]

    @property
    def unsettled_share(self) -> float:
        """Share of the raster's cells where some layer needs the exact test."""
        return float(self.unsettled[self.codes].mean())

    def code_of(self, lon, lat) -> np.ndarray:
        """The code of each point's cell (points beyond the raster, and NaN, get the border ring's)."""
        col = np.subtract(lon, self.lon0, dtype=float)
        col *= 1.0 / self.dlon
        np.clip(col, 0, self.cols - 1, out=col)
        row = np.subtract(self.lat1, lat, dtype=float)
        row *= 1.0 / self.dlat
        np.clip(row, 0, self.rows - 1, out=row)
        with np.errstate(invalid="ignore"):
            flat = row.astype(np.intp)
            flat *= self.cols
            flat += col.astype(np.intp)
        return self.codes.ravel().take(flat, mode="clip").astype(np.intp)

    def answers(self, lon, lat) -> dict[str, np.ndarray]:
        """Every layer's table value for each point: the polygon's index (``-1``: none) for a labelled
        layer, 1 or 0 for a flag; :data:`EDGE` or :data:`BEYOND` where unsettled."""
        code = self.code_of(lon, lat)
        return {name: table.take(code) for name, table in self.tables.items()}
