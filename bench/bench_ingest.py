"""Live fixes from 2,150 phones: the steady rate while a manager reloads the patrol map, then a burst
of offline queues, then the count — every fix answered 200 is in the day's figures, once.

    .venv/bin/python bench/bench_ingest.py [--seconds 120] [--devices 2150] [--queue 500] [--fold-every 30]

Starts the app on 127.0.0.1 (one uvicorn worker) with a fresh data folder and the devices bound to
the sample roster (registered the day before, so that a morning's queue is not older than the device).

1. Steady: each device posts a fix every 30 s in the OsmAnd form (Traccar Client's POST), at random
   phases — 2,150 / 30 ≈ 72 requests/s — for ``--seconds``, while a manager reloads the patrol map
   (the page, the grids, ``/api/patrols/{day}`` and its tracks) in a loop.
2. Burst: every device sends an offline queue of ``--queue`` fixes as Traccar Client 9's JSON list
   (one request per phone; the OsmAnd form carries one fix per request).
3. The fold (the server's background task, every ``--fold-every`` s here; 300 s by default) puts
   them in the day: timed until ``/api/patrols/{day}/staff`` counts every fix.
4. Peer: the same burst fixes as one CSV file through ``tracks import`` (the file path), fixes/s.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import numpy as np
from _common import machine, peak_rss_mb, sample_layers, serve


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def register(data: Path, layers: Path, n: int) -> list[tuple[str, str, float, float]]:
    """(staff, secret, lon, lat) of ``n`` devices, one per staff member of the sample roster."""
    from gis.layers import gpkg
    from gis.intake.devices import add_device
    from gis.ledger.db import Ledger
    from gis.staff.codes import roster_from_grids
    from gis.schema import GRIDS

    grids = gpkg.read_layer(layers, GRIDS.name)
    roster = roster_from_grids(grids).head(n)
    shrunk = grids.set_index("grid_id").geometry.buffer(-30)
    inner = shrunk.where(~shrunk.is_empty, grids.set_index("grid_id").geometry).representative_point().to_crs(
        "EPSG:4326")
    ledger = Ledger.in_dir(data)
    out = []
    for staff, grid in zip(roster["staff_id"], roster["grid_id"]):
        _device, secret = add_device(ledger, staff, "osmand", by="bench", label="bench")
        out.append((staff, secret, inner[grid].x, inner[grid].y))
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ledger.connection.execute("UPDATE devices SET created_at = ?", (yesterday,))  # registered the day before
    return out


async def timed_post(client: httpx.AsyncClient, url: str, **request) -> tuple[float, int]:
    """Seconds a POST took and its status (0: no answer), as a phone's request is counted."""
    t0 = time.perf_counter()
    try:
        status = (await client.post(url, **request)).status_code
    except httpx.HTTPError:
        status = 0
    return time.perf_counter() - t0, status


async def steady(base: str, devices, seconds: float, sent: dict) -> list[tuple[float, int, float]]:
    """Each device posts a fix every 30 s (random phase) for ``seconds``: (latency s, status, lateness s of
    the send against its schedule) per request.  At most 64 requests are in flight (a larger client pool
    costs the client more than the server)."""
    results: list[tuple[float, int, float]] = []
    rng = random.Random(1)
    phases = [rng.uniform(0, 30) for _ in devices]
    schedule = sorted((phases[i] + 30 * k, i) for i in range(len(devices)) for k in range(int(seconds // 30) + 1)
                      if phases[i] + 30 * k < seconds)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    semaphore = asyncio.Semaphore(64)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        start = time.perf_counter()

        async def one(at: float, i: int) -> None:
            staff, secret, lon, lat = devices[i]
            when = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=60)
            form = {"id": secret, "timestamp": str(int(when.timestamp()) - (int(at) % 7)),
                    "lat": f"{lat + (i % 97) * 1e-7:.7f}", "lon": f"{lon:.7f}", "speed": "1.5", "bearing": "90",
                    "altitude": "160", "accuracy": "6", "batt": "80"}
            async with semaphore:
                late = time.perf_counter() - (start + at)
                seconds, status = await timed_post(client, f"{base}/ingest/osmand", data=form)
            results.append((seconds, status, late))
            if status == 200:
                sent.setdefault(staff, set()).add(form["timestamp"])

        tasks = []
        for at, i in schedule:
            delay = start + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(at, i)))
        await asyncio.gather(*tasks)
    return results


async def manager(base: str, token: str, day: str, stop: asyncio.Event) -> list[float]:
    """The patrol map reloaded in a loop: page, grids, the day's figures and tracks; seconds per reload."""
    times = []
    routes = ["/maps/patrols", "/collections/grids/items?limit=1000&simplify=5", f"/api/patrols/{day}",
              f"/api/patrols/{day}/tracks?tolerance=40"]
    async with httpx.AsyncClient(timeout=300, headers={"Authorization": f"Bearer {token}"}) as client:
        while not stop.is_set():
            t0 = time.perf_counter()
            for route in routes:
                await client.get(base + route)
            times.append(time.perf_counter() - t0)
            await asyncio.sleep(2)
    return times


def queue_body(secret: str, lon: float, lat: float, start: datetime, step: float, n: int) -> list[dict]:
    return [{"location": {"timestamp": (start + timedelta(seconds=step * k)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                          "coords": {"latitude": round(lat + (k % 40) * 2e-6, 7), "longitude": round(lon, 7),
                                     "accuracy": 7.0, "speed": 1.2, "heading": 180.0, "altitude": 158.0},
                          "is_moving": True, "odometer": 0, "event": "motionchange",
                          "battery": {"level": 0.7, "is_charging": False}, "activity": {"type": "walking"},
                          "extras": {}},
             "device_id": secret} for k in range(n)]


async def burst(base: str, devices, n: int, start: datetime, step: float) -> list[tuple[float, int, int]]:
    results = []
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        semaphore = asyncio.Semaphore(32)

        async def one(staff, secret, lon, lat):
            body = queue_body(secret, lon, lat, start, step, n)
            async with semaphore:
                seconds, status = await timed_post(client, f"{base}/ingest/osmand", json=body)
                results.append((seconds, status, n))

        await asyncio.gather(*(one(*d) for d in devices))
    return results


def pct(values, q) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q)) if len(values) else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--devices", type=int, default=2150)
    parser.add_argument("--queue", type=int, default=500, help="fixes in each phone's offline queue")
    parser.add_argument("--fold-every", type=float, default=30)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--no-manager", action="store_true", help="no patrol-map reloads during the steady phase")
    args = parser.parse_args()
    layers = sample_layers()
    server, base, token, data = serve(layers, {"MIYUN_COMPACT_SECONDS": str(args.fold_every)})
    print(f"machine: {machine()}")
    try:
        t = time.perf_counter()
        devices = register(data, layers, args.devices)
        print(f"{len(devices)} devices registered in {time.perf_counter() - t:.1f} s")
        now = datetime.now(timezone.utc)
        import pandas as pd

        day = pd.Timestamp(now - timedelta(seconds=60)).tz_convert("Asia/Shanghai").strftime("%Y-%m-%d")
        sent: dict = {}

        async def phase_one():
            stop = asyncio.Event()
            reloads = None if args.no_manager else asyncio.create_task(manager(base, token, day, stop))
            results = await steady(base, devices, args.seconds, sent)
            stop.set()
            return results, (await reloads if reloads else [])

        t = time.perf_counter()
        results, reloads = asyncio.run(phase_one())
        wall = time.perf_counter() - t
        lat = [r[0] for r in results]
        ok = sum(1 for r in results if r[1] == 200)
        print(f"steady: {len(results)} requests in {wall:.0f} s = {len(results) / wall:.1f} req/s; "
              f"p50 {pct(lat, 50):.0f} ms, p95 {pct(lat, 95):.0f} ms, p99 {pct(lat, 99):.0f} ms; "
              f"200: {ok}, 4xx: {sum(1 for r in results if 400 <= r[1] < 500)}, "
              f"5xx: {sum(1 for r in results if r[1] >= 500)}, failed: {sum(1 for r in results if r[1] == 0)}; "
              f"server RSS {rss_mb(server.pid):.0f} MB; sends late against the schedule: p95 "
              f"{pct([r[2] for r in results], 95):.0f} ms", flush=True)
        print(f"manager: {len(reloads)} patrol-map reloads, median {np.median(reloads):.1f} s, "
              f"max {max(reloads):.1f} s" if reloads else "manager: no reload finished", flush=True)
        steady_fixes = sum(len(v) for v in sent.values())
        # the morning's queue: from local 00:10 (or queue × 30 s ago) to ten minutes ago
        midnight = pd.Timestamp(now).tz_convert("Asia/Shanghai").normalize().tz_convert("UTC").to_pydatetime()
        first = max(now - timedelta(seconds=30 * args.queue + 900), midnight + timedelta(minutes=10))
        step = ((now - timedelta(minutes=10)) - first).total_seconds() / args.queue
        t = time.perf_counter()
        bursts = asyncio.run(burst(base, devices, args.queue, first, step))
        burst_wall = time.perf_counter() - t
        accepted = sum(r[2] for r in bursts if r[1] == 200)
        print(f"burst: {len(bursts)} queues × {args.queue} fixes (step {step:.0f} s) in {burst_wall:.1f} s = "
              f"{accepted / burst_wall:,.0f} fixes/s; per request p50 {pct([r[0] for r in bursts], 50):.0f} ms, "
              f"p95 {pct([r[0] for r in bursts], 95):.0f} ms; 200: {sum(1 for r in bursts if r[1] == 200)}, "
              f"5xx: {sum(1 for r in bursts if r[1] >= 500)}, other: {sum(1 for r in bursts if r[1] not in (200,))}; "
              f"server RSS {rss_mb(server.pid):.0f} MB")
        expected = steady_fixes + accepted
        t = time.perf_counter()
        if args.fold_every <= 0:  # no background fold: fold on demand, as miyun-gis tracks compact does
            import subprocess
            import sys

            subprocess.run([sys.executable, "-m", "gis.cli.main", "tracks", "compact", "--quiet", "--layers",
                            str(layers), "--data-dir", str(data)], check=True)
        counted = 0
        with httpx.Client(timeout=600, headers={"Authorization": f"Bearer {token}"}) as client:
            while time.perf_counter() - t < 900:
                answer = client.get(f"{base}/api/patrols/{day}/staff")
                if answer.status_code == 200:
                    counted = sum(item["fixes"] or 0 for item in answer.json()["items"])
                    if counted >= expected:
                        break
                time.sleep(5)
        print(f"in the day's figures: {counted:,} of {expected:,} fixes {time.perf_counter() - t:.0f} s after the "
              f"burst ended (fold every {args.fold_every:.0f} s)")
        inbox = sqlite3.connect(data / "intake" / "inbox.sqlite")
        stored = inbox.execute("SELECT COUNT(*), COUNT(DISTINCT staff_id || ':' || time_ms) FROM fixes").fetchone()
        from gis.tracks.store import read_day

        day_fixes = read_day(data, day, ["staff_id", "time"])
        doubled = int(day_fixes.duplicated(["staff_id", "time"]).sum())
        print(f"count: inbox {stored[0]:,} rows ({stored[1]:,} distinct staff+time), store {len(day_fixes):,} fixes "
              f"for {day}; answered 200 {expected:,}; lost {max(0, expected - len(day_fixes)):,}, doubled {doubled}; "
              f"server peak RSS {peak_rss_mb(server.pid):.0f} MB")
        if not args.no_peer:
            peer(layers, devices, args.queue, first, step, accepted / burst_wall)
    finally:
        server.terminate()
        server.wait(timeout=60)


def peer(layers: Path, devices, n: int, first: datetime, step: float, live_rate: float) -> None:
    """The same queued fixes as one CSV through ``tracks import`` (read, clean, assign, store)."""
    from gis.join import GridIndex
    from gis.tracks.importer import import_file

    folder = Path(tempfile.mkdtemp(prefix="miyun-bench-peer-"))
    path = folder / "queues.csv"
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["staff_id", "time", "lon", "lat", "accuracy"])
        for staff, _secret, lon, lat in devices:
            for k in range(n):
                writer.writerow([staff, (first + timedelta(seconds=step * k)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                 round(lon, 7), round(lat + (k % 40) * 2e-6, 7), 7.0])
    index = GridIndex.from_layers(layers)
    t = time.perf_counter()
    result = import_file(path, index, folder / "data")
    wall = time.perf_counter() - t
    print(f"peer: the same {result.stored:,} fixes as one CSV through tracks import in {wall:.1f} s = "
          f"{result.stored / wall:,.0f} fixes/s; live burst ÷ file import = {live_rate / (result.stored / wall):.2f}")


if __name__ == "__main__":
    main()
