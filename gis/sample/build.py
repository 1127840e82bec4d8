"""Build the sample reference layers: ``miyun-gis build-sample``.

Deterministic: the same files every run.  Real: the district outline, town
seats, villages (names, codes, points).  Synthetic, and marked so in every
feature's ``source``: the DEM, the water surface, the 155 m line and zone
(traced from the DEM by :mod:`gis.layers.terrain`, as a real DEM would be), town
polygons, rivers, corridors, fence, gates, markers, grids, hazard zones,
village households and population.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.ops import substring

from gis.layers import gpkg, terrain
from gis.atomic import replacing
from gis.layers.qgis_styles import write_layer_styles, write_project
from gis.sample import dem as sample_dem
from gis.sample import geography, sources
from gis.sample.partition import apportion, split_along
from gis.sample.towns import attach_quotas, give_managed_area_to_programme_towns, short_name, town_polygons
from gis.schema import (
    BOUNDARY_MARKERS,
    CONTOUR_155,
    CONTOUR_LEVEL_M,
    DISTRICT,
    FENCE,
    FENCE_GATES,
    GRIDS,
    GRID_KINDS,
    HAZARD_LEVELS,
    HAZARD_ZONES,
    RESERVOIR,
    RESERVOIR_GRID,
    RIVER_GRID,
    RIVERS,
    RIVER_CORRIDORS,
    RIVER_LENGTHS_M,
    STORAGE_CRS,
    SYNTHETIC_PREFIX,
    TOWNS,
    TOWN_QUOTAS,
    VILLAGES,
    ZONE_L1,
    grid_id,
)

FENCE_LEVEL_M = 151.5  # the sample fence runs along this contour
CORRIDOR_HALF_WIDTH_M = 100.0
MARKER_SPACING_M = 500.0
GATE_VILLAGE_RADIUS_M = 5000.0
GATE_MIN_SPACING_M = 1200.0
SEED = 20220421

SYN_DEM = f"{SYNTHETIC_PREFIX}: traced from the synthetic sample DEM"


@dataclass
class Relief:
    """What the builder traces from a DEM."""

    water: shapely.MultiPolygon
    below_155: shapely.MultiPolygon
    fence_area: Polygon


def _frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=STORAGE_CRS)


def _outer_lines(multipolygon) -> MultiLineString:
    return MultiLineString([p.exterior for p in multipolygon.geoms])


def trace_relief(dem: terrain.Dem) -> Relief:
    """Water surface, below-155 region and fence area from a DEM."""
    seeds = [geography.lake_centre()]
    water = terrain.region_containing(dem, sample_dem.WATER_LEVEL_M, seeds)
    below = terrain.region_containing(dem, CONTOUR_LEVEL_M, seeds)
    fence_region = terrain.region_containing(dem, FENCE_LEVEL_M, seeds)
    fence_area = shapely.union_all([Polygon(p.exterior) for p in fence_region.geoms])
    return Relief(water, below, fence_area)


def managed_reach(centreline: LineString, water, length: float) -> LineString:
    """The ``length`` metres of a river upstream of where it leaves the water."""
    wet = centreline.intersection(water)
    leave = max((centreline.project(Point(c)) for part in getattr(wet, "geoms", [wet])
                 for c in getattr(part, "coords", [])), default=0.0)
    if leave + length > centreline.length:
        raise ValueError(f"river centre line too short for a {length} m reach")
    return substring(centreline, leave, leave + length)


def build_rivers(water, outline):
    reaches = {}
    for name, length in RIVER_LENGTHS_M.items():
        reach = managed_reach(geography.river_centreline(name), water, length)
        if reach.difference(outline).length > 1.0:
            raise ValueError(f"{name}: managed reach leaves the district")
        reaches[name] = reach
    return reaches


def build_grids(towns: gpd.GeoDataFrame, zone, contour_outer, corridors: dict, reaches: dict) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    town_geom = dict(zip(towns["name"], towns.geometry))
    for quota in TOWN_QUOTAS:
        area_of = town_geom[quota.name]
        pieces = []  # (kind, geometry, guide length)
        if quota.grids_l1:
            part = zone.intersection(area_of)
            guide = contour_outer.intersection(area_of)
            for g in split_along(part, guide, quota.grids_l1):
                pieces.append((RESERVOIR_GRID, g))
        if quota.grids_river:
            strips = shapely.union_all([c.intersection(area_of) for c in corridors.values()])
            guide = shapely.union_all([r.intersection(strips.buffer(1)) for r in reaches.values()])
            guide = shapely.line_merge(guide) if guide.geom_type == "MultiLineString" else guide
            for g in split_along(strips, guide, quota.grids_river):
                pieces.append((RIVER_GRID, g))
        staff = apportion(quota.staff, [g.area for _, g in pieces])
        numbers = {kind: 0 for kind in GRID_KINDS}
        for (kind, geom), n_staff in zip(pieces, staff):
            numbers[kind] += 1
            rows.append({
                "grid_id": grid_id(quota.abbr, kind, numbers[kind]),
                "town": quota.name, "kind": kind, "area_m2": round(geom.area, 1),
                "staff_quota": n_staff,
                "source": f"{SYNTHETIC_PREFIX}: Voronoi split along the "
                          f"{'155 m line' if kind == RESERVOIR_GRID else 'river centre line'} of the sample zone",
            })
            geoms.append(geom)
    return _frame(rows, _without_overlaps(geoms))


def _without_overlaps(geoms: list) -> list:
    """Take from each grid whatever earlier grids already cover.

    Zone and corridor edges come from different overlay operations, so where
    they meet they can cross by a few nanometres; this makes the tiling exact.
    """
    tree = shapely.STRtree(geoms)
    out = list(geoms)
    for i, geom in enumerate(geoms):
        earlier = [j for j in tree.query(geom, predicate="intersects") if j < i]
        if earlier:
            out[i] = terrain.as_multipolygon(geom.difference(shapely.union_all([out[j] for j in earlier])))
    return out


def build_markers(contour_outer) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    number = 0
    for ring in contour_outer.geoms:
        for d in np.arange(0.0, ring.length, MARKER_SPACING_M):
            number += 1
            rows.append({"marker_id": f"JZ-{number:04d}", "number": number, "elevation_m": CONTOUR_LEVEL_M,
                         "source": f"{SYNTHETIC_PREFIX}: every {MARKER_SPACING_M:.0f} m along the sample 155 m line"})
            geoms.append(ring.interpolate(d))
    return _frame(rows, geoms)


def build_gates(fence_line, villages: gpd.GeoDataFrame, towns: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    near = villages[villages.distance(fence_line) < GATE_VILLAGE_RADIUS_M].sort_values("code")
    chosen: list[tuple[str, Point]] = []
    for name, pt in zip(near["name"], near.geometry):
        gate = fence_line.interpolate(fence_line.project(pt))
        if all(gate.distance(g) >= GATE_MIN_SPACING_M for _, g in chosen):
            chosen.append((name, gate))
    rows = []
    for i, (name, gate) in enumerate(chosen, 1):
        town = towns.loc[towns.distance(gate).idxmin(), "name"]
        rows.append({"gate_id": f"WM-{i:02d}", "name": f"{name.removesuffix('村民委员会')}进出口",
                     "town": town,
                     "source": f"{SYNTHETIC_PREFIX}: point of the sample fence nearest a real village"})
    return _frame(rows, [g for _, g in chosen])


def build_hazard_zones(villages: gpd.GeoDataFrame, towns: gpd.GeoDataFrame, reaches: dict, rng) -> gpd.GeoDataFrame:
    """Irregular areas around a seeded choice of mountain villages, and flood strips along the rivers."""
    mountain = villages[(villages.geometry.y > 4_478_000) & ~villages["suspect_geocode"]].sort_values("code")
    picks = mountain.iloc[rng.permutation(len(mountain))[:30]].sort_values("code")
    river_lines = shapely.union_all(list(reaches.values()))
    rows, geoms = [], []
    for i, (code, name, pt) in enumerate(zip(picks["code"], picks["name"], picks.geometry), 1):
        near_river = pt.distance(river_lines) < 2500
        kind = "flood" if near_river else ("geohazard" if i % 3 else "poor_conditions")
        if kind == "flood":
            anchor = river_lines.interpolate(river_lines.project(pt))
            lobe = shapely.convex_hull(shapely.union(pt.buffer(250), anchor.buffer(300)))
            strip = shapely.intersection(anchor.buffer(900), river_lines.buffer(250 + 100 * rng.random()))
            shape = shapely.union(lobe, strip)
        else:
            angle = rng.uniform(0, 2 * np.pi)
            centre = Point(pt.x + 350 * np.cos(angle), pt.y + 350 * np.sin(angle))
            radii = rng.uniform(250, 650) * (1 + 0.25 * np.sin(np.linspace(0, 6 * np.pi, 48) + rng.uniform(0, 6)))
            theta = np.linspace(0, 2 * np.pi, 48, endpoint=False)
            shape = Polygon(np.column_stack([centre.x + radii * np.cos(theta), centre.y + radii * np.sin(theta)]))
        town = towns.loc[towns.distance(pt).idxmin(), "name"]
        rows.append({"zone_id": f"YH-{i:03d}", "hazard_type": kind,
                     "level": list(HAZARD_LEVELS)[int(rng.integers(0, 3))], "town": town,
                     "source": f"{SYNTHETIC_PREFIX}: drawn near the real village {name} ({code})"})
        geoms.append(terrain.as_multipolygon(shapely.make_valid(shape)))
    return _frame(rows, geoms)


def build_villages(villages: gpd.GeoDataFrame, rng) -> gpd.GeoDataFrame:
    out = villages.copy()
    out["town"] = out["town"].map(short_name)
    households = rng.integers(80, 650, len(out))
    out["households"] = households
    out["population"] = np.round(households * rng.uniform(2.2, 3.0, len(out))).astype(int)
    out["figures_source"] = f"{SYNTHETIC_PREFIX}: sample values, not census figures"
    out["source"] = sources.REAL_POINTS
    return out


def build_sample(out: Path, *, dem_file: Path | None = None) -> dict[str, int]:
    """Build every layer and the DEM; write them atomically at ``out``.  Returns feature counts."""
    rng = np.random.default_rng(SEED)
    district = sources.district()
    outline = district.geometry.iloc[0]
    minx, miny, maxx, maxy = outline.bounds
    pad = 3000.0
    river_lines = [geography.river_centreline(name) for name in RIVER_LENGTHS_M]
    if dem_file is None:
        dem = sample_dem.synthesize((minx - pad, miny - pad, maxx + pad, maxy + pad), river_lines)
    else:
        dem = terrain.read_dem(dem_file, cell_size=sample_dem.CELL_SIZE_M)
    relief = trace_relief(dem)
    dem_source = (f"real DEM {Path(dem_file).name}" if dem_file else SYN_DEM)

    reaches = build_rivers(relief.water, outline)
    below = relief.below_155
    zone = terrain.as_multipolygon(below.difference(relief.fence_area))
    corridors = {
        name: terrain.as_multipolygon(
            reach.buffer(CORRIDOR_HALF_WIDTH_M, cap_style="flat").difference(below).intersection(outline))
        for name, reach in reaches.items()
    }
    managed = shapely.union_all([zone, *corridors.values()])

    seats = sources.town_seats()
    towns = attach_quotas(town_polygons(seats, outline))
    towns = give_managed_area_to_programme_towns(towns, managed)
    villages = build_villages(sources.villages(), rng)

    contour_outer = _outer_lines(below)
    fence_line = relief.fence_area.exterior
    frames = {
        TOWNS.name: towns,
        DISTRICT.name: _frame([{"name": "密云区", "code": "110118", "source": sources.REAL_OUTLINE}], [outline]),
        RESERVOIR.name: _frame([{"name": "密云水库", "water_level_m": sample_dem.WATER_LEVEL_M,
                              "source": f"{SYNTHETIC_PREFIX}: water below {sample_dem.WATER_LEVEL_M:.0f} m on the sample DEM"}],
                            [relief.water]),
        CONTOUR_155.name: _frame([{"elevation_m": CONTOUR_LEVEL_M, "source": (
                                     f"derived: 155 m contour of the real DEM {Path(dem_file).name}" if dem_file
                                     else f"{SYNTHETIC_PREFIX}: 155 m contour of the synthetic sample DEM")}],
                               [MultiLineString([r for p in below.geoms for r in (p.exterior, *p.interiors)])]),
        ZONE_L1.name: _frame([{"name": "密云水库一级保护区（区管范围，不含围网以内）",
                            "source": f"{SYNTHETIC_PREFIX}: below 155 m on {dem_source}, outside the sample fence"}],
                          [zone]),
        FENCE.name: _frame([{"fence_id": "WW-1",
                             "source": f"{SYNTHETIC_PREFIX}: {FENCE_LEVEL_M} m contour of the DEM"}],
                        [MultiLineString([fence_line])]),
        RIVERS.name: _frame([{"name": n, "length_m": round(r.length, 1),
                           "source": f"{SYNTHETIC_PREFIX}: hand-drawn centre line after the real course"}
                          for n, r in reaches.items()], [MultiLineString([r]) for r in reaches.values()]),
        RIVER_CORRIDORS.name: _frame([{"river": n, "half_width_m": CORRIDOR_HALF_WIDTH_M,
                                    "source": f"{SYNTHETIC_PREFIX}: {CORRIDOR_HALF_WIDTH_M:.0f} m each bank, outside the zone"}
                                   for n in corridors], list(corridors.values())),
        GRIDS.name: build_grids(towns, zone, contour_outer, corridors, reaches),
        BOUNDARY_MARKERS.name: build_markers(contour_outer),
        FENCE_GATES.name: build_gates(fence_line, villages, towns),
        HAZARD_ZONES.name: build_hazard_zones(villages, towns, reaches, rng),
        VILLAGES.name: villages,
    }
    with gpkg.staged(out, copy_existing=False) as tmp, replacing(gpkg.dem_path(out)) as dem_tmp:
        gpkg.write_layers(tmp, frames)
        write_layer_styles(tmp)
        terrain.write_dem(dem, dem_tmp, description=(
            f"{dem_file.name} in {STORAGE_CRS}" if dem_file else
            "SYNTHETIC sample DEM (示例数据 SAMPLE DATA), not real terrain"))
    write_project(out)
    return {name: len(frame) for name, frame in frames.items()}
