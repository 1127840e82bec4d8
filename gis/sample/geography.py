"""Hand-placed synthetic geography: the reservoir's shape and the two rivers.

No public source has the reservoir outline or the river centre lines, so they
are drawn here after the real geography described in the shared data README:
the reservoir at about 116.83–117.12 E, 40.46–40.63 N, the Bai River arm to
the west towards 石城, the Chao River arm to the north-east towards 太师屯,
main dams on the south; the Chao River comes south from 古北口 past 太师屯, the
Bai River comes from the west through 石城 with 冯家峪 to its north.

The lake shape only seeds the synthetic DEM; the water surface, the 155 m
line and the first-level zone are then derived from the DEM.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from gis.crs import to_storage

# Skeleton of the lake: chains of (lon, lat, half-width in metres); each segment
# becomes the hull of two discs, so arms taper towards their ends.
LAKE_SKELETON = (
    # Bai River basin (west) from the Bai River main dam northwards
    ((116.875, 40.487, 700), (116.895, 40.505, 2000), (116.925, 40.530, 2300), (116.955, 40.540, 1800)),
    # Bai River arm towards 石城
    ((116.900, 40.522, 1500), (116.870, 40.548, 1000), (116.845, 40.557, 600), (116.822, 40.556, 200)),
    # the main and Chao River basin (east)
    ((116.955, 40.540, 1800), (116.990, 40.525, 3000), (117.030, 40.518, 2800), (117.062, 40.528, 1900)),
    # Chao River arm towards 太师屯
    ((117.062, 40.528, 1900), (117.088, 40.545, 1000), (117.108, 40.560, 450), (117.118, 40.570, 200)),
    # north bay towards 不老屯, north-east bay towards 高岭
    ((116.975, 40.532, 1500), (116.968, 40.552, 700), (116.965, 40.560, 200)),
    ((117.030, 40.525, 1500), (117.050, 40.560, 600), (117.062, 40.580, 200)),
    # southern bays: Chao River main dam (towards 穆家峪) and auxiliary dams
    ((116.990, 40.520, 1500), (116.985, 40.490, 700), (116.980, 40.478, 300)),
    ((117.035, 40.515, 1300), (117.040, 40.497, 500), (117.042, 40.488, 200)),
)
LAKE_CENTRE = (116.99, 40.525)  # seeds the water body when a DEM is traced

# River centre lines from the reservoir upstream: (lon, lat) waypoints and a
# meander amplitude (metres).  The managed reach is cut from these at exactly
# its official length, starting where the river leaves the water.
RIVER_PATHS = {
    "潮河": (
        ((117.105, 40.558), (117.135, 40.568), (117.160, 40.590), (117.150, 40.620),
         (117.138, 40.640), (117.145, 40.665), (117.158, 40.690), (117.170, 40.715),
         (117.185, 40.745), (117.195, 40.775)),
        260.0,
    ),
    "白河": (
        ((116.830, 40.556), (116.808, 40.552), (116.790, 40.562), (116.782, 40.585),
         (116.798, 40.603), (116.818, 40.620), (116.825, 40.645), (116.812, 40.668),
         (116.800, 40.690), (116.790, 40.720)),
        220.0,
    ),
}


def _xy(chain):
    lon = np.array([c[0] for c in chain])
    lat = np.array([c[1] for c in chain])
    return np.column_stack(to_storage(lon, lat))


def lake_shape():
    """The designed lake outline (storage CRS) before terrain noise."""
    parts = []
    for chain in LAKE_SKELETON:
        xy = _xy(chain)
        radii = [c[2] for c in chain]
        for (p, r), (q, s) in zip(zip(xy, radii), zip(xy[1:], radii[1:])):
            discs = [Point(p).buffer(r, 32), Point(q).buffer(s, 32)]
            parts.append(shapely.convex_hull(shapely.union_all(discs)))
    return shapely.union_all(parts).buffer(400).buffer(-400)


def lake_centre():
    return Point(*np.array(to_storage(*LAKE_CENTRE)).ravel())


def river_centreline(name: str, *, spacing: float = 20.0) -> LineString:
    """A meandering centre line through the waypoints, from the lake upstream."""
    waypoints, amplitude = RIVER_PATHS[name]
    base = LineString(_xy(waypoints))
    n = int(base.length // spacing) + 1
    dist = np.linspace(0, base.length, n)
    pts = shapely.get_coordinates(shapely.line_interpolate_point(base, dist))
    # unit normals from the smoothed direction of the base line
    tangent = np.gradient(pts, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1)[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    # meanders: two incommensurate waves, damped at the lake end
    wave = (np.sin(dist / 1400.0 * 2 * np.pi) + 0.45 * np.sin(dist / 530.0 * 2 * np.pi + 1.3))
    damp = np.clip(dist / 1500.0, 0, 1)
    return LineString(pts + normal * (amplitude * wave * damp)[:, None])
