"""The four boundaries of a grid (四至): what lies beyond its east, south, west and north sides.

Points are taken along the grid's boundary; each looks just across the edge
for a neighbouring grid, the fence, the 155 m line or the river corridor's
edge, and the side of the grid it lies on (by bearing from the grid's
centre) collects the votes.  The answer is what most of that side touches.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import shapely

SIDES = ("东", "南", "西", "北")
TOUCH_M = 3.0
SAMPLES = 120


def _side(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    angle = np.degrees(np.arctan2(dy, dx)) % 360  # 0 = east, counter-clockwise
    return np.select([(angle < 45) | (angle >= 315), angle < 135, angle < 225], ["东", "北", "西"], "南")


def four_boundaries(grid_id: str, grids, fence=None, contour=None) -> dict[str, str]:
    """{'东': 'XWZ-K06', '南': '围网', ...} for one grid of the ``grids`` frame (``grid_id`` column)."""
    by_id = grids.set_index("grid_id").geometry
    geom = by_id[grid_id]
    others = grids[grids["grid_id"] != grid_id]
    tree = shapely.STRtree(others.geometry.array)
    ring = shapely.boundary(geom)
    pts = shapely.line_interpolate_point(ring, np.linspace(0, 1, SAMPLES, endpoint=False), normalized=True)
    centre = geom.centroid
    sides = _side(shapely.get_x(pts) - centre.x, shapely.get_y(pts) - centre.y)
    labels = np.full(SAMPLES, "", dtype=object)
    hit_pt, hit_grid = tree.query(pts, predicate="dwithin", distance=TOUCH_M)
    labels[hit_pt] = others["grid_id"].to_numpy()[hit_grid]
    for feature, name in ((fence, "围网"), (contour, "155米高程线")):
        if feature is not None:
            near = (labels == "") & (shapely.distance(pts, feature) < TOUCH_M)
            labels[near] = name
    river_grid = contour is not None and geom.distance(contour) > 10 * TOUCH_M
    labels[labels == ""] = "河道管护范围边界" if river_grid else "一级保护区边界"
    dx, dy = shapely.get_x(pts) - centre.x, shapely.get_y(pts) - centre.y
    out: dict[str, list[str]] = {side: [] for side in SIDES}
    for label in dict.fromkeys(labels):  # each thing across the edge goes to the side it mostly faces
        mine = labels == label
        side = str(_side(np.array([dx[mine].sum()]), np.array([dy[mine].sum()]))[0])
        out[side].append(label)
    for side in SIDES:  # a side left empty takes what most of its edge touches
        if not out[side]:
            votes = Counter(labels[sides == side])
            out[side] = [votes.most_common(1)[0][0]] if votes else ["—"]
    return {side: "、".join(sorted(names)) for side, names in out.items()}


def describe(bounds: dict[str, str]) -> str:
    return "；".join(f"{side}至{what}" for side, what in bounds.items())
