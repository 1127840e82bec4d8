"""The whole daily pipeline for one simulated district day, with peak memory.

    .venv/bin/python bench/bench_tracks.py [--staff 2150]

Simulates the day in a separate process (not timed, not in the peak memory),
written as a CSV as a phone export would be, then times: import (read → clean → assign →
GeoParquet) and the daily figures (per grid and per staff, reports written).
For comparison it also times assigning the same fixes with geopandas.sjoin.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from _common import machine, peak_rss_mb, sample_layers

from gis.join import GridIndex
from gis.tracks.importer import import_file
from gis.tracks.pipeline import load_reference, run_daily, run_days_dask

DAY = "2026-11-20"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--staff", type=int, default=None)
    args = parser.parse_args()
    layers = sample_layers()
    print(f"machine: {machine()}")
    work = Path(tempfile.mkdtemp(prefix="miyun-bench-"))
    csv = work / f"district-{DAY}.csv"
    # simulated in another process, so that peak memory below is the pipeline's own
    command = [sys.executable, "-m", "gis.cli.main", "simulate-tracks", "--date", DAY, "--out", str(csv),
               "--layers", str(layers), "--quiet"] + (["--staff", str(args.staff)] if args.staff else [])
    subprocess.run(command, check=True)
    fixes = pd.read_csv(csv, usecols=["staff_id", "lon", "lat"])
    print(f"simulated day: {len(fixes):,} fixes of {fixes['staff_id'].nunique():,} staff, "
          f"CSV {csv.stat().st_size / 2**20:.0f} MB")

    t0 = time.perf_counter()
    index = GridIndex.from_layers(layers, cache=False)  # built, as after a change of layers (loaded: ~0.3 s)
    t1 = time.perf_counter()
    result = import_file(csv, index, work / "data")
    t2 = time.perf_counter()
    ref = load_reference(layers, index)  # the same process: the index is built once
    t3 = time.perf_counter()
    grid, staff, _ = run_daily(DAY, ref, work / "data")
    t4 = time.perf_counter()
    peak_gb = peak_rss_mb(os.getpid()) / 1024  # before the sjoin comparison (VmHWM: not inherited from a parent)
    print(f"stored {result.stored:,} fixes ({result.flagged:,} flagged)")
    print(f"  index build           {t1 - t0:6.1f} s")
    print(f"  import (read, clean, assign, store)  {t2 - t1:6.1f} s")
    print(f"  daily figures + reports              {t4 - t3:6.1f} s   (reference build {t3 - t2:.1f} s)")
    print(f"  end to end            {t4 - t0:6.1f} s   peak memory {peak_gb:.2f} GB")
    print(f"  grids watched all 24 h: {(grid['uncovered_hours'] == 0).sum()} / {len(grid)}; "
          f"staff with evidence of fakes: {(staff['same_track_as'] != '').sum() + (staff['straight_runs'] > 0).sum()}")

    # the same day on the Dask engine (a LocalCluster of 2 worker processes, dask-geopandas reading the store)
    d0 = time.perf_counter()
    grid_d, staff_d = run_days_dask([DAY], layers, work / "data")
    d1 = time.perf_counter()
    same = grid_d.equals(grid) and staff_d.equals(staff)
    print(f"  Dask engine, the same day: {d1 - d0:.1f} s (cluster start included); same figures: {same}")

    x, y = shapely.get_coordinates(shapely.points(fixes["lon"], fixes["lat"])).T
    from gis.crs import to_storage

    px, py = to_storage(x, y)
    points = gpd.GeoDataFrame(geometry=shapely.points(px, py), crs=index.grids.crs)
    s0 = time.perf_counter()
    gpd.sjoin(points, index.grids[["grid_id", "geometry"]], predicate="within", how="left")
    s1 = time.perf_counter()
    index.grid_of(px, py)
    s2 = time.perf_counter()
    print(f"  assigning these fixes: geopandas.sjoin {s1 - s0:.2f} s, GridIndex {s2 - s1:.2f} s "
          f"→ {(s1 - s0) / (s2 - s1):.0f}×")


if __name__ == "__main__":
    main()
