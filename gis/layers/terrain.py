"""Terrain: read a DEM, derive level regions and contour lines, hillshade.

The 155 m line and the first-level zone are derived here from any DEM — the
synthetic sample DEM or a real one (e.g. a Copernicus 30 m GeoTIFF) — with
the same code.  Level regions are traced by marching squares (contourpy,
matplotlib's contouring engine) on the DEM's cell centres, so lines are
smooth, not stair-stepped raster edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import shapely
from contourpy import FillType, contour_generator
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.transform import Affine
from rasterio.warp import calculate_default_transform, reproject
from shapely.geometry import MultiPolygon, Polygon

from gis.errors import InputError
from gis.schema import STORAGE_CRS


@dataclass
class Dem:
    """Elevations (metres, float32, NaN = no data) on a north-up grid in storage CRS."""

    z: np.ndarray
    transform: Affine
    crs: str = STORAGE_CRS

    @property
    def cell_size(self) -> float:
        return abs(self.transform.a)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = self.z.shape
        x = self.transform.c + (np.arange(cols) + 0.5) * self.transform.a
        y = self.transform.f + (np.arange(rows) + 0.5) * self.transform.e
        return x, y

    def sample(self, x, y) -> np.ndarray:
        """Bilinear elevation at storage-CRS points (NaN outside)."""
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        col = (x - self.transform.c) / self.transform.a - 0.5
        row = (y - self.transform.f) / self.transform.e - 0.5
        rows, cols = self.z.shape
        c0 = np.floor(col).astype(int)
        r0 = np.floor(row).astype(int)
        ok = (c0 >= 0) & (r0 >= 0) & (c0 < cols - 1) & (r0 < rows - 1)
        out = np.full(x.shape, np.nan)
        c0, r0, fc, fr = c0[ok], r0[ok], col[ok] - c0[ok], row[ok] - r0[ok]
        z = self.z
        out[ok] = (z[r0, c0] * (1 - fc) * (1 - fr) + z[r0, c0 + 1] * fc * (1 - fr)
                   + z[r0 + 1, c0] * (1 - fc) * fr + z[r0 + 1, c0 + 1] * fc * fr)
        return out


def write_dem(dem: Dem, path: str | Path, *, description: str = "") -> None:
    """Write a DEM as a tiled, compressed GeoTIFF."""
    rows, cols = dem.z.shape
    profile = dict(driver="GTiff", height=rows, width=cols, count=1, dtype="float32",
                   crs=dem.crs, transform=dem.transform, nodata=np.nan, compress="deflate",
                   predictor=3, tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(dem.z.astype("float32"), 1)
        dst.update_tags(DESCRIPTION=description, UNITS="metre")


def read_dem(path: str | Path, *, cell_size: float | None = None) -> Dem:
    """Read a DEM GeoTIFF, reprojecting it to the storage CRS if needed."""
    path = Path(path)
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"无法读取高程模型 (cannot read DEM): {exc}", file=str(path)) from None
    with src:
        if src.crs is None:
            raise InputError("高程模型没有坐标系 (DEM has no CRS)", file=str(path))
        band = src.read(1, masked=True).astype("float32").filled(np.nan)
        if src.crs == CRS.from_user_input(STORAGE_CRS) and cell_size in (None, abs(src.transform.a)):
            return Dem(band, src.transform)
        dst_crs = CRS.from_user_input(STORAGE_CRS)
        transform, width, height = calculate_default_transform(
            src.crs, dst_crs, src.width, src.height, *src.bounds, resolution=cell_size)
        out = np.full((height, width), np.nan, dtype="float32")
        reproject(band, out, src_transform=src.transform, src_crs=src.crs, src_nodata=np.nan,
                  dst_transform=transform, dst_crs=dst_crs, dst_nodata=np.nan,
                  resampling=Resampling.bilinear)
        return Dem(out, transform)


def below_level(dem: Dem, level: float) -> MultiPolygon:
    """Every region of the DEM lower than ``level`` as (multi)polygons with holes."""
    x, y = dem.cell_centres()
    z = np.where(np.isnan(dem.z), np.inf, dem.z)
    gen = contour_generator(x, y, z, fill_type=FillType.OuterOffset, name="serial")
    points, offsets = gen.filled(-np.inf, level)
    polygons = []
    for ring_points, ring_offsets in zip(points, offsets):
        rings = [ring_points[a:b] for a, b in zip(ring_offsets[:-1], ring_offsets[1:])]
        poly = Polygon(rings[0], [r for r in rings[1:] if len(r) >= 4])
        polygons.append(shapely.make_valid(poly) if not poly.is_valid else poly)
    merged = shapely.union_all(polygons) if polygons else MultiPolygon()
    return as_multipolygon(merged)


def region_containing(dem: Dem, level: float, seeds) -> MultiPolygon:
    """The parts of the below-``level`` region that contain or touch any seed geometry."""
    region = below_level(dem, level)
    parts = [p for p in region.geoms if any(p.intersects(s) for s in seeds)]
    return MultiPolygon(parts)


def as_multipolygon(geom) -> MultiPolygon:
    """Keep only the polygonal parts of a geometry, as a MultiPolygon."""
    if geom is None or geom.is_empty:
        return MultiPolygon()
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    polys = []
    for part in getattr(geom, "geoms", []):
        if isinstance(part, Polygon):
            polys.append(part)
        elif isinstance(part, MultiPolygon):
            polys.extend(part.geoms)
    return MultiPolygon(polys)


def hillshade(dem: Dem, azimuth: float = 315.0, altitude: float = 45.0,
              vertical_exaggeration: float = 1.0) -> np.ndarray:
    """Hillshade in 0..255 (uint8); no-data cells are 0.  Uses matplotlib's LightSource."""
    from matplotlib.colors import LightSource

    z = np.where(np.isnan(dem.z), np.nanmin(dem.z), dem.z).astype("float64")
    shade = LightSource(azdeg=azimuth, altdeg=altitude).hillshade(
        z, vert_exag=vertical_exaggeration, dx=dem.cell_size, dy=dem.cell_size)
    out = (shade * 255).astype("uint8")
    out[np.isnan(dem.z)] = 0
    return out
