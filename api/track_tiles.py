"""A day's patrol tracks as Mapbox vector tiles, for the patrol map of a full district day.

A district day is about 2,000 tracks and 4 million fixes: as GeoJSON even simplified that is
megabytes the browser must parse at once.  As tiles the page loads only what is in view, each
line simplified to half a screen pixel of its zoom and quantised to the tile's 4096 units, encoded by
``mapbox-vector-tile`` (drawn in the page by Leaflet.VectorGrid, ``maps/static/vendor``).

The lines are built once per state of the day's track files (and town scope); each zoom's
simplified lines and their STRtree once, on the first tile of that zoom.
"""

from __future__ import annotations

import threading

import mapbox_vector_tile
import numpy as np
import shapely

from gis.crs import transformer
from gis.tracks.store import read_day

LAYER = "tracks"
EXTENT = 4096
HALF_WORLD = 20037508.342789244  # EPSG:3857
BUFFER_PX = 4  # of 256: lines run on past the tile edge so that joins do not show
KEEP_UP_TO_ZOOM = 12
_LOCK = threading.Lock()
_DAYS: dict[tuple[str, str | None], tuple[tuple, "DayTracks"]] = {}


class DayTracks:
    """One day's tracks (fixes not flagged), one line per staff member, in EPSG:3857."""

    def __init__(self, staff: np.ndarray, lines: np.ndarray):
        self.staff = staff
        self.lines = lines
        self._levels: dict[int, tuple[np.ndarray, shapely.STRtree]] = {}
        self._tiles: dict[tuple[int, int, int], bytes] = {}  # the encoded tiles of the low zooms
        self._lock = threading.Lock()

    @classmethod
    def from_fixes(cls, fixes) -> "DayTracks":
        fixes = fixes.loc[fixes["flag"] == ""]
        staff = fixes["staff_id"].astype(str).to_numpy()  # read_day sorts by staff and time
        if not len(staff):
            return cls(np.array([], dtype=object), np.array([], dtype=object))
        x, y = transformer("EPSG:4326", "EPSG:3857").transform(fixes["lon"].to_numpy(float), fixes["lat"].to_numpy(float))
        starts = np.flatnonzero(np.r_[True, staff[1:] != staff[:-1]])
        counts = np.diff(np.r_[starts, len(staff)])
        keep = np.repeat(counts >= 2, counts)
        owner = np.repeat(np.arange(len(starts)), counts)[keep]
        lines = shapely.linestrings(np.column_stack([x[keep], y[keep]]), indices=owner)
        return cls(staff[starts[counts >= 2]], np.asarray(lines, dtype=object))

    def level(self, z: int) -> tuple[np.ndarray, shapely.STRtree]:
        """The lines simplified to half a pixel at zoom ``z``, and their tree."""
        with self._lock:
            if z not in self._levels:
                pixel = 2 * HALF_WORLD / 2**z / 256
                simple = shapely.simplify(self.lines, pixel / 2, preserve_topology=False)
                self._levels[z] = (simple, shapely.STRtree(simple))
            return self._levels[z]

    def tile(self, z: int, x: int, y: int) -> bytes:
        """The MVT of tile z/x/y (XYZ scheme, as Leaflet asks): layer ``tracks``, ``staff_id`` per line.

        Tiles up to zoom :data:`KEEP_UP_TO_ZOOM` (few, and each holding many tracks) are kept once encoded."""
        if z > KEEP_UP_TO_ZOOM:
            return self._encode(z, x, y)
        if (z, x, y) not in self._tiles:
            self._tiles[(z, x, y)] = self._encode(z, x, y)
        return self._tiles[(z, x, y)]

    def warm(self, zooms) -> None:
        """Encode beforehand the tiles over all the tracks at ``zooms`` (the views the patrol map opens at)."""
        if not len(self.lines):
            return
        minx, miny, maxx, maxy = shapely.total_bounds(self.lines)
        for z in zooms:
            size = 2 * HALF_WORLD / 2**z
            for x in range(int((minx + HALF_WORLD) // size), int((maxx + HALF_WORLD) // size) + 1):
                for y in range(int((HALF_WORLD - maxy) // size), int((HALF_WORLD - miny) // size) + 1):
                    self.tile(z, x, y)

    def _encode(self, z: int, x: int, y: int) -> bytes:
        size = 2 * HALF_WORLD / 2**z
        minx, maxy = -HALF_WORLD + x * size, HALF_WORLD - y * size
        miny, maxx = maxy - size, minx + size
        pad = size * BUFFER_PX / 256
        features = []
        if len(self.lines):
            simple, tree = self.level(z)
            hit = tree.query(shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad))
            clipped = shapely.clip_by_rect(simple[hit], minx - pad, miny - pad, maxx + pad, maxy + pad)
            scale = EXTENT / size
            local = shapely.transform(clipped, lambda c: (c - (minx, miny)) * scale)
            features = [{"geometry": g, "properties": {"staff_id": s}}
                        for g, s in zip(local, self.staff[hit]) if not g.is_empty]
        return mapbox_vector_tile.encode([{"name": LAYER, "features": features}],
                                         default_options={"extents": EXTENT, "y_coord_down": False})


def day_tracks(day: str, town: str | None) -> DayTracks:
    """The tracks of ``day`` (of one town's fixes when ``town``), built once per state of its files."""
    from api.routes.patrols import day_version
    from api.state import current

    version = day_version(day)
    key = (day, town)
    with _LOCK:
        known = _DAYS.get(key)
        if known and known[0] == version:
            return known[1]
        fixes = read_day(current().data_dir, day, columns=["staff_id", "time", "lon", "lat", "town", "flag"])
        if town:
            fixes = fixes.loc[fixes["town"] == town]
        tracks = DayTracks.from_fixes(fixes)
        _DAYS.pop(key, None)
        while len(_DAYS) >= 8:  # a few days and scopes kept, the oldest built dropped first
            del _DAYS[next(iter(_DAYS))]
        _DAYS[key] = (version, tracks)
        return tracks
