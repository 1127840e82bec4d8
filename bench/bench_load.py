"""The API and pages under load: 50 concurrent clients for 60 s with writes mixed in.

    .venv/bin/python bench/bench_load.py [--clients 50] [--seconds 60] [--workers 2]

Starts the app on 127.0.0.1 (``--workers`` uvicorn processes) with a fresh ledger; each
client loops over a mix of reads (grids collection, case list, overview page,
a case) and writes (new cases, notes on cases with the version read — the read
counted as a read, the note from its request on) until the time is up.  Prints
throughput, p50/p95 per kind, every non-2xx status, the server's peak memory —
and checks afterwards that every accepted write is in the ledger once.  Traffic goes to 127.0.0.1 only and stops by itself.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import threading
import time
from collections import Counter, defaultdict

import httpx
import numpy as np
from _common import machine, peak_rss_mb, process_tree, sample_layers, serve, warm_index_cache

from gis.schema import GRIDS

MIX = (("grids", 0.45), ("cases", 0.15), ("page", 0.08),  # not a layer
       ("case", 0.07), ("create", 0.15), ("note", 0.10))


def grid_points(layers) -> list[tuple[float, float]]:
    from gis.layers import gpkg

    grids = gpkg.read_layer(layers, GRIDS.name)
    inner = grids.geometry.buffer(-30)
    inner = inner.where(~inner.is_empty, grids.geometry).representative_point().to_crs("EPSG:4326")
    return [(p.x, p.y) for p in inner]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    args = parser.parse_args()
    layers = sample_layers()
    warm_index_cache(layers)
    points = grid_points(layers)
    server, base, token, data = serve(layers, workers=args.workers)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}; {args.workers} worker(s)")
    headers = {"Authorization": f"Bearer {token}"}
    lock = threading.Lock()
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: Counter = Counter()
    created: list[str] = []
    notes: list[str] = []
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=300) as warm:  # build the caches once
            for _ in range(4 * args.workers):  # fresh connections: every worker builds its own (and loads the index)
                with httpx.Client(base_url=base, headers=headers, timeout=300) as fresh:
                    fresh.get("/")
                    fresh.get("/collections/grids/items", params={"limit": 200})
                    made = fresh.post("/api/cases", json={"category": "fire", "reporter": "bench",
                                                          "lon": points[0][0], "lat": points[0][1]})
                    created.append(made.json()["case_id"])
            first = warm.post("/api/cases", json={"category": "fire", "reporter": "bench", "lon": points[0][0],
                                                  "lat": points[0][1]}).json()
            created.append(first["case_id"])
        deadline = time.monotonic() + args.seconds

        def record(kind: str, start: float, answer: httpx.Response) -> None:
            elapsed = time.perf_counter() - start
            with lock:
                latencies[kind].append(elapsed)
                statuses[answer.status_code] += 1

        def client(seed: int) -> None:
            rng = random.Random(seed)
            kinds, weights = zip(*MIX)
            with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
                while time.monotonic() < deadline:
                    kind = rng.choices(kinds, weights)[0]
                    start = time.perf_counter()
                    if kind == "grids":  # not a layer
                        answer = http.get("/collections/grids/items", params={"limit": 200})
                    elif kind == "cases":
                        answer = http.get("/api/cases", params={"limit": 50})
                    elif kind == "page":
                        answer = http.get("/")
                    elif kind == "case":
                        answer = http.get(f"/api/cases/{rng.choice(created)}")
                    elif kind == "create":
                        lon, lat = rng.choice(points)
                        answer = http.post("/api/cases", json={"category": "sanitation", "reporter": f"bench-{seed}",
                                                               "lon": lon, "lat": lat})
                        if answer.status_code == 201:
                            with lock:
                                created.append(answer.json()["case_id"])
                    else:
                        case_id = rng.choice(created)
                        read = http.get(f"/api/cases/{case_id}")  # the version to write on: a read of its own
                        record("case", start, read)
                        version = read.json()["version"]
                        text = f"note-{seed}-{rng.random():.12f}"
                        start = time.perf_counter()
                        answer = http.patch(f"/api/cases/{case_id}", json={"version": version, "note": text})
                        if answer.status_code == 200:
                            with lock:
                                notes.append(text)
                    record(kind, start, answer)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        begin = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - begin
        rss = sum(peak_rss_mb(p) for p in process_tree(server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)
    total = sum(statuses.values())
    print(f"{args.clients} clients, {wall:.0f} s: {total} requests, {total / wall:.0f} requests/s")
    writes = np.array(latencies["create"] + latencies["note"]) * 1000
    if len(writes):
        print(f"  writes  {len(writes):6d}  p50 {np.percentile(writes, 50):6.0f} ms  p95 {np.percentile(writes, 95):6.0f} ms"
              f"  ({len(writes) / max(total, 1):.0%} of requests)")
    for kind, _ in MIX:
        ms = np.array(latencies[kind]) * 1000
        if len(ms):
            print(f"  {kind:7s} {len(ms):6d}  p50 {np.percentile(ms, 50):6.0f} ms  p95 {np.percentile(ms, 95):6.0f} ms")
    print(f"statuses: {dict(sorted(statuses.items()))}  (5xx: {sum(n for s, n in statuses.items() if s >= 500)})")
    print(f"server peak memory (all processes): {rss:.0f} MB")
    ledger = sqlite3.connect(data / "ledger.sqlite")
    stored = {r[0] for r in ledger.execute("SELECT case_id FROM cases")}
    stored_notes = Counter(r[0] for r in ledger.execute("SELECT note FROM case_events WHERE note LIKE 'note-%'"))
    print(f"writes accepted: {len(created)} cases, {len(notes)} notes; in the ledger: "
          f"{len(stored & set(created))} cases, {sum(stored_notes[n] == 1 for n in notes)} notes once each; "
          f"integrity: {ledger.execute('PRAGMA integrity_check').fetchone()[0]}")


if __name__ == "__main__":
    main()
