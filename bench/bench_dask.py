"""Scale-out: the daily figures of several simulated days on a Dask LocalCluster of 1 and 2 workers,
against the in-memory day-by-day path, with time and peak memory per worker.

    .venv/bin/python bench/bench_dask.py [--days 6] [--staff 700]

Days are simulated and stored first (``--staff`` of the 2,150 on the roster each day; all of them
with ``--staff 0``).  Then: ``run_daily`` day by day in this process; ``run_days_dask`` on a cluster
of one worker process, then of two (one thread each); the figures of all three must be equal.
Prints fixes per second and each worker's peak resident memory (VmHWM).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pandas as pd
from _common import machine, sample_layers

DAYS_FROM = "2026-11-01"


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=6)
    parser.add_argument("--staff", type=int, default=700, help="staff simulated per day (0: the whole roster)")
    args = parser.parse_args()
    from dask.distributed import Client, LocalCluster

    from gis.tracks.pipeline import load_reference, run_daily, run_days_dask, simulate_and_store

    layers = sample_layers()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    data = Path(tempfile.mkdtemp(prefix="miyun-dask-"))
    days = [str(d.date()) for d in pd.date_range(DAYS_FROM, periods=args.days)]
    t = time.perf_counter()
    fixes = sum(simulate_and_store(day, layers, data, n_staff=args.staff or None)[0] for day in days)
    print(f"{len(days)} days, {fixes:,} fixes stored ({args.staff or 'all'} staff a day) in {time.perf_counter() - t:.0f} s",
          flush=True)

    t0 = time.perf_counter()
    ref = load_reference(layers)
    t1 = time.perf_counter()
    memory = [run_daily(day, ref, data)[:2] for day in days]
    t2 = time.perf_counter()
    grid = pd.concat([g for g, _ in memory], ignore_index=True)
    staff = pd.concat([s for _, s in memory], ignore_index=True)
    rows = [("in memory, day by day (1 process)", t2 - t1, _peak_mb(), True)]
    print(f"in memory: {t2 - t1:.1f} s (+ reference {t1 - t0:.1f} s), {fixes / (t2 - t1) / 1e6:.2f} M fixes/s", flush=True)
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            d0 = time.perf_counter()
            grid_d, staff_d = run_days_dask(days, layers, data, scheduler=cluster.scheduler_address)
            d1 = time.perf_counter()
            peaks = client.run(_peak_mb)
        same = grid_d.equals(grid) and staff_d.equals(staff)
        rows.append((f"Dask LocalCluster, {workers} worker(s)", d1 - d0, max(peaks.values()), same))
        print(f"Dask {workers} worker(s): {d1 - d0:.1f} s, {fixes / (d1 - d0) / 1e6:.2f} M fixes/s, "
              f"peak per worker {', '.join(f'{v:.0f}' for v in peaks.values())} MB, same figures: {same}", flush=True)
    print("\n| engine | seconds | M fixes/s | peak memory per process | same figures |\n|---|---:|---:|---:|---|")
    for name, seconds, peak, same in rows:
        print(f"| {name} | {seconds:.1f} | {fixes / seconds / 1e6:.2f} | {peak:.0f} MB | {same} |")
    one, two = rows[1][1], rows[2][1]
    print(f"\n2 workers against 1: {one / two:.2f}× on {os.cpu_count()} cores "
          f"(load average {os.getloadavg()[0]:.1f} during the run)")


if __name__ == "__main__":
    main()
