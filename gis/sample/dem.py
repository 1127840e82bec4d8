"""A synthetic DEM shaped like the country around Miyun Reservoir.

Elevation is the lowest of three surfaces:

- the lake basin: 150 m at the designed shore, falling inside, rising outside
  at a gentle slope that varies along the shore (so the 155 m line lies
  between about 150 and 450 m from the water), with bays and headlands;
- the two river valleys: a bed rising 3.5 m per km away from the lake, with
  valley sides of 5 % steepening away from the river;
- the hills: rising to the north, with relief from smoothed noise, and a rim
  of at least 170 m within 3 km of the lake (the dams and ridges that close
  the basin), the plain falling to about 60 m in the south-west.

The noise is seeded, so the DEM is the same on every run.
"""

from __future__ import annotations

import numpy as np
from rasterio.features import rasterize
from rasterio.transform import from_origin
from scipy.ndimage import distance_transform_edt, gaussian_filter

from gis.sample.geography import lake_shape
from gis.layers.terrain import Dem

WATER_LEVEL_M = 150.0
CELL_SIZE_M = 30.0
SEED = 20220421  # date of 密政发〔2022〕22号


def _noise(shape, rng, sigma_cells: float) -> np.ndarray:
    field = gaussian_filter(rng.standard_normal(shape), sigma_cells, mode="reflect")
    return field / (field.std() or 1.0)


def synthesize(bounds, river_lines, *, cell_size: float = CELL_SIZE_M, seed: int = SEED) -> Dem:
    """Synthetic DEM covering ``bounds`` (storage CRS) with the given river centre lines."""
    minx, miny, maxx, maxy = bounds
    cols = int(np.ceil((maxx - minx) / cell_size))
    rows = int(np.ceil((maxy - miny) / cell_size))
    transform = from_origin(minx, maxy, cell_size, cell_size)
    rng = np.random.default_rng(seed)
    shape = (rows, cols)

    lake = rasterize([lake_shape()], out_shape=shape, transform=transform, fill=0, default_value=1,
                     dtype="uint8").astype(bool)
    outside = distance_transform_edt(~lake) * cell_size
    inside = distance_transform_edt(lake) * cell_size
    signed = outside - inside  # metres from the shore, negative in the water

    fine = _noise(shape, rng, 6)
    medium = _noise(shape, rng, 25)
    coarse = _noise(shape, rng, 90)

    bays = _noise(shape, rng, 18)
    shore_slope = np.clip(0.018 + 0.006 * medium, 0.010, 0.028)  # 1.0 % … 2.8 %
    basin = np.where(
        signed >= 0,
        WATER_LEVEL_M + shore_slope * signed + 1e-5 * signed**2 + 0.6 * fine * np.clip(signed / 300, 0.3, 1),
        WATER_LEVEL_M + 0.012 * signed,
    ) + 2.5 * bays  # headlands and bays along the shore

    rivers = rasterize([(line, 1) for line in river_lines], out_shape=shape, transform=transform,
                       fill=0, dtype="uint8", all_touched=True).astype(bool)
    from_river = distance_transform_edt(~rivers) * cell_size
    valley = (WATER_LEVEL_M + 0.0035 * np.maximum(signed, 0) + 0.05 * from_river + 2e-5 * from_river**2
              + 0.5 * fine)

    ys = maxy - (np.arange(rows) + 0.5) * cell_size
    xs = minx + (np.arange(cols) + 0.5) * cell_size
    north = np.clip((ys - miny) / (maxy - miny), 0, 1)  # 0 south … 1 north
    east = (xs - minx) / (maxx - minx)
    regional = 60.0 + 520.0 * north[:, None] ** 1.3 + 180.0 * east[None, :] * north[:, None]
    relief_amp = 40.0 + 260.0 * north[:, None]
    hills = regional + relief_amp * (0.6 * coarse + 0.35 * medium + 0.05 * fine)
    rim = 170.0 - 0.03 * np.maximum(signed - 3000.0, 0)
    hills = np.maximum(hills, rim)

    z = np.minimum(np.minimum(basin, valley), hills).astype("float32")
    return Dem(z, transform)
