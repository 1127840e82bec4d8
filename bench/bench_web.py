"""Latency of the overview page and the grids collection at 1, 10 and 50 concurrent clients.

    .venv/bin/python bench/bench_web.py [--requests 200]

Starts the app with uvicorn on 127.0.0.1 (one worker), measures the first
(cold) request of each route, then warm p50/p95 with a bounded number of
requests from a thread pool.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
from _common import machine, sample_layers, serve

ROUTES = ["/", "/collections/grids/items?limit=200"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    layers = sample_layers()
    server, base, token, _data = serve(layers)
    auth = {"Authorization": f"Bearer {token}"}
    print(f"machine: {machine()}")
    try:
        for route in ROUTES:
            t = time.perf_counter()
            size = len(httpx.get(base + route, timeout=300, headers=auth).content)
            print(f"{route}: cold {1000 * (time.perf_counter() - t):.0f} ms, {size / 1024:.0f} KB")
        with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=64), headers=auth) as client:
            for route in ROUTES:
                for clients in (1, 10, 50):
                    def one(_, url=base + route):
                        t0 = time.perf_counter()
                        status = client.get(url).status_code
                        return time.perf_counter() - t0, status

                    with ThreadPoolExecutor(clients) as pool:
                        results = list(pool.map(one, range(args.requests)))
                    ms = np.array([r[0] for r in results]) * 1000
                    errors = sum(1 for r in results if r[1] >= 500)
                    print(f"{route}: {clients:2d} clients  p50 {np.percentile(ms, 50):6.0f} ms  "
                          f"p95 {np.percentile(ms, 95):6.0f} ms  5xx {errors}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
