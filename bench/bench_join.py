"""The spatial-join core in one run: GridIndex against geopandas.sjoin and a shapely STRtree, then
the whole daily pipeline of one simulated district day.

    .venv/bin/python bench/bench_join.py [--points 1000000 6200000] [--no-day]

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
import shapely
from _common import machine, sample_layers, timed

from gis import store
from gis.join import GridIndex
from gis.schema import DISTRICT, GRIDS
from gis.tracks.simulate import simulate_day


def district_day_points(layers, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A simulated district day (every staff member, a fix every 10–20 s), jittered copies up to ``n``."""
    from gis.crs import to_storage

    fixes = simulate_day(store.read_layer(layers, GRIDS.name), "2026-11-20")
    x, y = to_storage(fixes["lon"].to_numpy(), fixes["lat"].to_numpy())
    rng = np.random.default_rng(0)
    reps = int(np.ceil(n / len(x)))
    x = np.concatenate([x + rng.normal(0, 3, len(x)) * (k > 0) for k in range(reps)])[:n]
    y = np.concatenate([y + rng.normal(0, 3, len(y)) * (k > 0) for k in range(reps)])[:n]
    return x, y


def uniform_points(layers, n: int) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = store.read_layer(layers, DISTRICT.name).total_bounds
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
    parser.add_argument("--points", type=int, nargs="+", default=[1_000_000, 6_200_000])
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
    for n in args.points:
        run("uniform over the district", *uniform_points(layers, n), index, grids)
        run("a simulated district day of GPS fixes", *district_day_points(layers, n), index, grids)
    if not args.no_day:
        print("\n## the daily pipeline of one simulated district day (bench_tracks.py)", flush=True)
        subprocess.run([sys.executable, str(Path(__file__).with_name("bench_tracks.py"))], check=True)


if __name__ == "__main__":
    main()
