"""Split a strip of land into a given number of grids along a guide line.

Seeds are laid at equal spacing along the guide (the 155 m line for the
reservoir grids, the river centre line for the river grids); each grid is
the part of the strip nearer to its seed than to any other (Voronoi), so the
grids tile the strip exactly, with no gaps and no overlaps, and follow it
like beads on a string.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPoint

from gis.layers.terrain import as_multipolygon


def seeds_along(guide, n: int) -> list:
    """``n`` points at equal spacing along a (multi)line, taken as one chain."""
    parts = list(getattr(guide, "geoms", [guide]))
    lengths = np.array([p.length for p in parts])
    total = lengths.sum()
    if n <= 0 or total <= 0:
        return []
    starts = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    positions = (np.arange(n) + 0.5) * total / n
    seeds = []
    for pos in positions:
        i = int(np.searchsorted(starts, pos, side="right") - 1)
        seeds.append(parts[i].interpolate(pos - starts[i]))
    return seeds


def split_along(area, guide, n: int) -> list:
    """``n`` MultiPolygons tiling ``area``, ordered along ``guide``."""
    if n == 1:
        return [as_multipolygon(area)]
    seeds = seeds_along(guide, n)
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=area.envelope.buffer(1000))
    by_seed = []
    for seed in seeds:
        cell = next(c for c in cells.geoms if c.covers(seed))
        by_seed.append(as_multipolygon(cell.intersection(area)))
    return by_seed


def apportion(total: int, weights, minimum: int = 1) -> list[int]:
    """Integers proportional to ``weights`` summing to ``total`` (largest remainder),
    each at least ``minimum``."""
    weights = np.asarray(weights, float)
    n = len(weights)
    spare = total - minimum * n
    if spare < 0:
        raise ValueError(f"cannot give {n} shares of at least {minimum} out of {total}")
    exact = spare * weights / weights.sum()
    shares = np.floor(exact).astype(int)
    order = np.argsort(-(exact - shares), kind="stable")
    shares[order[: spare - shares.sum()]] += 1
    return [int(s) + minimum for s in shares]
