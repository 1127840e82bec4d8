"""The spatial-join core in one run: GridIndex against geopandas.sjoin and a shapely STRtree, then
the whole daily pipeline of one simulated district day.

    .venv/bin/python bench/bench_join.py [--points 1000000 6200000] [--lonlat 1000000 0] [--no-day]

First ``GridIndex.assign(lon, lat)`` on the GPS fixes of a simulated district day as they arrive
(WGS84; ``0`` = all 4.15 M of them) against ``to_crs`` + ``geopandas.sjoin(within)``, and the full
assignment (with the nearest grid of points outside) against ``to_crs`` + ``sjoin`` +
``sjoin_nearest`` of the points outside; then the projected-input comparisons.

Prints seconds and ratios and checks that the three joins agree point for point; then runs
``bench_tracks.py`` (import → clean → assign → daily figures) in a child process, so that its peak
memory is the pipeline's own.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from _common import machine, sample_layers, timed

from gis.layers import gpkg
from gis.join import GridIndex
from gis.schema import DISTRICT, GRIDS
from gis.tracks.simulate import simulate_day


def district_day_points(layers, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A simulated district day (every staff member, a fix every 10–20 s), jittered copies up to ``n``."""
    from gis.crs import to_storage

    fixes = simulate_day(gpkg.read_layer(layers, GRIDS.name), "2026-11-20")
    x, y = to_storage(fixes["lon"].to_numpy(), fixes["lat"].to_numpy())
    rng = np.random.default_rng(0)
    reps = int(np.ceil(n / len(x)))
    x = np.concatenate([x + rng.normal(0, 3, len(x)) * (k > 0) for k in range(reps)])[:n]
    y = np.concatenate([y + rng.normal(0, 3, len(y)) * (k > 0) for k in range(reps)])[:n]
    return x, y


def district_day_lonlat(layers, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` GPS fixes (all when 0) of a simulated district day, in WGS84 as they arrive."""
    fixes = simulate_day(gpkg.read_layer(layers, GRIDS.name), "2026-11-20")
    n = n or len(fixes)
    return fixes["lon"].to_numpy()[:n], fixes["lat"].to_numpy()[:n]


def run_lonlat(lon, lat, index: GridIndex, grids: gpd.GeoDataFrame) -> dict[str, float]:
    """assign(lon, lat) against to_crs + sjoin(within) [+ sjoin_nearest], both from WGS84 input."""
    t: dict[str, float] = {}
    warm = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon[:10_000], lat[:10_000]), crs="EPSG:4326")
    index.assign(lon[:10_000], lat[:10_000], nearest=True, distances=False)  # both warmed up alike
    gpd.sjoin_nearest(gpd.sjoin(warm.to_crs(grids.crs), grids[["grid_id", "geometry"]], predicate="within",
                                how="left").drop(columns=["index_right", "grid_id"]), grids[["grid_id", "geometry"]])
    with timed("assign(lon, lat): grid, town, 5 flags", t):
        ours = index.assign(lon, lat, nearest=False, distances=False)
    with timed("assign(lon, lat) + nearest grid outside", t):
        full = index.assign(lon, lat, nearest=True, distances=False)
    keep = grids[["grid_id", "geometry"]]
    with timed("to_crs + sjoin(within)", t):
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(grids.crs)
        joined = gpd.sjoin(points, keep, predicate="within", how="left")
    with timed("sjoin_nearest of the points outside", t):
        theirs = joined["grid_id"].groupby(level=0).min().reindex(points.index)
        outside = points.loc[theirs.isna().to_numpy()]
        near = gpd.sjoin_nearest(outside, keep, how="left", distance_col="m")
    t["to_crs + sjoin + sjoin_nearest"] = t["to_crs + sjoin(within)"] + t["sjoin_nearest of the points outside"]
    mine = ours["grid_id"].astype(object).to_numpy()
    theirs = theirs.to_numpy(dtype=object)
    inside = ~pd.isna(theirs)
    same = bool((mine[inside] == theirs[inside]).all())
    extra = int((~pd.isna(mine) & ~inside).sum())
    near_theirs = near.groupby(level=0)["grid_id"].min().reindex(outside.index).to_numpy(dtype=object)
    out_pos = np.flatnonzero(~inside)
    both_out = pd.isna(mine[out_pos])  # the edge rule gives a few of sjoin's outside points a grid
    near_mine = full["nearest_grid_id"].astype(object).to_numpy()[out_pos]
    near_m = near.groupby(level=0)["m"].min().reindex(outside.index).to_numpy()
    close = both_out & (near_m < 150)  # beyond 150 m the nearest grid is the distance raster's (to 35 m)
    near_same = float(np.mean(near_mine[close] == near_theirs[close])) if close.any() else float("nan")
    share_unsettled = float(index.lonlat.unsettled[index.lonlat.code_of(lon, lat)].mean())
    print(f"\n## WGS84 input: {len(lon):,} GPS fixes of a simulated district day, {inside.mean():.1%} inside a grid, "
          f"{share_unsettled:.1%} projected for the exact test")
    for name, seconds in t.items():
        print(f"  {name:45s} {seconds:8.3f} s   ({len(lon) / seconds / 1e6:5.1f} M points/s)")
    print(f"  assign(lon, lat) against to_crs + sjoin(within): "
          f"{t['to_crs + sjoin(within)'] / t['assign(lon, lat): grid, town, 5 flags']:.1f}×")
    print(f"  full assignment against to_crs + sjoin + sjoin_nearest: "
          f"{t['to_crs + sjoin + sjoin_nearest'] / t['assign(lon, lat) + nearest grid outside']:.1f}×")
    print(f"  identical grid ids where sjoin finds one: {same}; edge points given a grid by the edge rule: {extra}; "
          f"nearest grid as sjoin_nearest's for {near_same:.2%} of the points outside within 150 m of a grid "
          f"({close.sum():,} of {len(out_pos):,} outside)")
    return t


def uniform_points(layers, n: int) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = gpkg.read_layer(layers, DISTRICT.name).total_bounds
    rng = np.random.default_rng(1)
    return rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)


def run(label: str, x, y, index: GridIndex, grids: gpd.GeoDataFrame) -> None:
    t: dict[str, float] = {}
    with timed("GridIndex grid", t):
        ours = index.grid_of(x, y)
    with timed("GridIndex.assign_xy (grid, town, 5 flags)", t):
        index.assign_xy(x, y, nearest=False, distances=False)
    points = gpd.GeoDataFrame(geometry=shapely.points(x, y), crs=grids.crs)
    with timed("geopandas.sjoin within", t):
        joined = gpd.sjoin(points, grids[["grid_id", "geometry"]], predicate="within", how="left")
    with timed("shapely STRtree within", t):
        tree = shapely.STRtree(grids.geometry.array)
        src, hit = tree.query(points.geometry.array, predicate="within")
    with timed("geopandas.sjoin × 7 layers (assign_xy's answers)", t):
        for layer in (index.grid_index, index.town_index, index.zone_index, index.corridor_index,
                      index.hazard_index, index.fence_index, index.district_index):
            gpd.sjoin(points, gpd.GeoDataFrame(geometry=layer.geoms, crs=grids.crs), predicate="within", how="left")
    theirs = joined["grid_id"].groupby(level=0).min().reindex(points.index).to_numpy(dtype=object)
    mine = np.where(ours >= 0, index.grids["grid_id"].to_numpy()[np.maximum(ours, 0)], None)
    inside = np.array([v is not None and v == v for v in theirs])
    same_inside = bool((mine[inside] == theirs[inside]).all())
    extra = int(((ours >= 0) & ~inside).sum())  # points on edges: the edge rule gives them a grid
    print(f"\n## {label}: {len(x):,} points, {inside.mean():.1%} inside a grid")
    base = t["geopandas.sjoin within"]
    for name, seconds in t.items():
        print(f"  {name:45s} {seconds:8.2f} s   sjoin / this = {base / seconds:6.1f}×")
    seven = t["geopandas.sjoin × 7 layers (assign_xy's answers)"] / t["GridIndex.assign_xy (grid, town, 5 flags)"]
    print(f"  assign_xy against the seven joins that give the same answers: {seven:.1f}×")
    print(f"  identical where sjoin finds a grid: {same_inside}; edge points given a grid by the edge rule: {extra}")
    del src, hit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, nargs="*", default=[1_000_000, 6_200_000])
    parser.add_argument("--lonlat", type=int, nargs="*", default=[1_000_000, 0],
                        help="WGS84 fixes of the simulated day for assign(lon, lat); 0: all of them")
    parser.add_argument("--no-day", action="store_true", help="skip the daily pipeline")
    args = parser.parse_args()
    layers = sample_layers()
    print(f"machine: {machine()}")
    t: dict[str, float] = {}
    with timed("build", t):
        index = GridIndex.from_layers(layers, cache=False)
    GridIndex.from_layers(layers)  # make sure the on-disk copy exists
    with timed("load", t):
        GridIndex.from_layers(layers)
    print(f"GridIndex.from_layers: built in {t['build']:.2f} s, loaded from the index cache in {t['load']:.2f} s")
    grids = index.grids
    for n in args.lonlat:
        run_lonlat(*district_day_lonlat(layers, n), index, grids)
    for n in args.points:
        run("uniform over the district", *uniform_points(layers, n), index, grids)
        run("a simulated district day of GPS fixes", *district_day_points(layers, n), index, grids)
    if not args.no_day:
        print("\n## the daily pipeline of one simulated district day (bench_tracks.py)", flush=True)
        subprocess.run([sys.executable, str(Path(__file__).with_name("bench_tracks.py"))], check=True)


if __name__ == "__main__":
    main()
