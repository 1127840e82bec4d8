"""Shapely geometries onto matplotlib axes as single collections (far faster than one artist each)."""

from __future__ import annotations

import numpy as np
import shapely
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.path import Path


def _ring_path(coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    codes[0], codes[-1] = Path.MOVETO, Path.CLOSEPOLY
    return coords, codes


def polygon_paths(geoms) -> list[Path]:
    """One compound path per polygon part, holes included."""
    paths = []
    for poly in shapely.get_parts(np.asarray(geoms, dtype=object)):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        rings = [_ring_path(shapely.get_coordinates(poly.exterior))]
        rings += [_ring_path(shapely.get_coordinates(r)) for r in poly.interiors]
        paths.append(Path(np.concatenate([v for v, _ in rings]), np.concatenate([c for _, c in rings])))
    return paths


def add_polygons(ax, geoms, *, facecolor="none", edgecolor="none", linewidth=0.5, alpha=1.0,
                 linestyle="-", zorder=1.0) -> None:
    paths = polygon_paths(geoms)
    if paths:
        fill = PathCollection(paths, facecolors=facecolor, edgecolors="none", alpha=alpha, zorder=zorder)
        edge = PathCollection(paths, facecolors="none", edgecolors=edgecolor, linewidths=linewidth,
                              linestyles=linestyle, zorder=zorder + 0.1)
        ax.add_collection(fill)
        ax.add_collection(edge)


def add_lines(ax, geoms, *, color="black", linewidth=0.5, linestyle="-", zorder=3.0) -> None:
    lines = []
    for part in shapely.get_parts(np.asarray(geoms, dtype=object)):
        if part.geom_type in ("LineString", "LinearRing"):
            lines.append(shapely.get_coordinates(part))
        elif part.geom_type == "Polygon":
            lines.extend(shapely.get_coordinates(r) for r in (part.exterior, *part.interiors))
    if lines:
        ax.add_collection(LineCollection(lines, colors=color, linewidths=linewidth, linestyles=linestyle,
                                         zorder=zorder))
