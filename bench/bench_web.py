"""Latency of the app side by side with pygeoapi on the same grids layer, and what the patrol map of a
full district day transfers.

    .venv/bin/python bench/bench_web.py [--requests 200] [--no-day]
    MIYUN_PYGEOAPI_VENV=/work/wt/pygeoapi-venv .venv/bin/python bench/bench_web.py

Starts the app with uvicorn on 127.0.0.1 (one worker) and, when ``$MIYUN_PYGEOAPI_VENV`` names a
virtual environment with pygeoapi and gunicorn installed (kept out of the project's environment),
pygeoapi 0.x on the ``grids`` layer of the same GeoPackage (OGR provider, one gunicorn worker, its
default settings: no gzip).  For each route: the first (cold) request, then p50/p95 and requests/s
at 1 and 10 clients (and 50 for the app's own routes), with the client's usual
``Accept-Encoding``.  Then, unless ``--no-day``, a simulated district day is stored and the bytes
the patrol map moves are added up: page, scripts, grids, figures and the vector tiles of the
district view — against the GeoJSON tracks it used to load.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from _common import machine, sample_layers, serve, warm_index_cache

ROUTES = ["/", "/collections/grids/items?limit=200"]
ITEMS = "/collections/grids/items?limit=200"
DAY = "2026-11-20"

PYGEOAPI_CONFIG = """\
server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  gzip: false
  language: en-US
  cors: false
  pretty_print: false
  limits: {{default_items: 10, max_items: 10000}}
  map: {{url: "http://127.0.0.1/{{z}}/{{x}}/{{y}}.png", attribution: none}}
logging: {{level: ERROR}}
metadata:
  identification: {{title: miyun, description: miyun, keywords: [grids], keywords_type: theme,
                   terms_of_service: none, url: "http://127.0.0.1"}}
  license: {{name: none, url: "http://127.0.0.1"}}
  provider: {{name: bench, url: "http://127.0.0.1"}}
  contact: {{name: bench, position: bench, address: none, city: none, stateorprovince: none, postalcode: none,
            country: none, phone: none, fax: none, email: none, url: "http://127.0.0.1", hours: none,
            instructions: none, role: pointOfContact}}
resources:
  grids:
    type: collection
    title: grids
    description: grids
    keywords: [grids]
    links: []
    extents: {{spatial: {{bbox: [116.6, 40.2, 117.6, 40.8], crs: "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}}}}
    providers:
      - type: feature
        name: OGR
        data: {{source_type: GPKG, source: "{layers}", source_capabilities: {{paging: true}},
               gdal_ogr_options: {{OGR_CT_FORCE_TRADITIONAL_GIS_ORDER: "YES"}}}}
        id_field: grid_id
        layer: grids
        storage_crs: http://www.opengis.net/def/crs/EPSG/0/4548
        crs: ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]
"""


def start_pygeoapi(layers: Path) -> tuple[subprocess.Popen, str] | None:
    venv = os.environ.get("MIYUN_PYGEOAPI_VENV")
    if not venv or not (Path(venv) / "bin" / "gunicorn").exists():
        print("pygeoapi: skipped (set MIYUN_PYGEOAPI_VENV to a venv with pygeoapi and gunicorn, e.g. "
              "python3 -m venv --system-site-packages V && V/bin/pip install pygeoapi gunicorn)")
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = Path(tempfile.mkdtemp(prefix="miyun-pygeoapi-"))
    config = folder / "pygeoapi.yml"
    config.write_text(PYGEOAPI_CONFIG.format(port=port, layers=layers))
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(folder / "openapi.yml"),
           "PROJ_DATA": os.environ.get("PROJ_DATA", "/usr/share/proj")}
    env.pop("PYTHONPATH", None)
    bin_dir = Path(venv) / "bin"
    subprocess.run([bin_dir / "pygeoapi", "openapi", "generate", str(config), "--output-file",
                    str(folder / "openapi.yml")], env=env, check=True, capture_output=True)
    proc = subprocess.Popen([bin_dir / "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                             "pygeoapi.flask_app:APP"], env=env, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/", timeout=1).status_code < 500:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    version = subprocess.run([bin_dir / "python", "-c", "import pygeoapi; print(pygeoapi.__version__)"], env=env,
                             capture_output=True, text=True).stdout.strip()
    print(f"pygeoapi {version} on {base} (gunicorn, 1 sync worker, OGR provider)")
    return proc, base


def latency(client: httpx.Client, url: str, clients: int, requests: int) -> dict:
    def one(_):
        t0 = time.perf_counter()
        status = client.get(url).status_code
        return time.perf_counter() - t0, status

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, range(requests)))
    wall = time.perf_counter() - start
    ms = np.array([r[0] for r in results]) * 1000
    return {"p50": np.percentile(ms, 50), "p95": np.percentile(ms, 95), "rps": requests / wall,
            "5xx": sum(1 for r in results if r[1] >= 500)}


def transferred(client: httpx.Client, url: str) -> int:
    """Bytes on the wire (compressed as sent) for one GET."""
    with client.stream("GET", url) as response:
        response.raise_for_status()
        return sum(len(chunk) for chunk in response.iter_raw())


def tiles_of(bounds, z: int) -> list[tuple[int, int]]:
    n = 2**z
    minx, miny, maxx, maxy = bounds

    def tile(lon, lat):
        return int((lon + 180) / 360 * n), int((1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * n)

    x0, y0 = tile(minx, maxy)
    x1, y1 = tile(maxx, miny)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def patrol_map(client: httpx.Client, base: str, layers: Path) -> None:
    """Bytes the patrol map of a full district day moves, and how long its data take once the page is in."""
    from gis.layers import gpkg
    from gis.schema import DISTRICT

    page_url = f"{base}/maps/patrols?date={DAY}"
    page = client.get(page_url).text
    assets = sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page)))
    district = gpkg.read_layer(layers, DISTRICT.name).to_crs("EPSG:4326").total_bounds
    sizes = {"page": transferred(client, page_url),
             f"{len(assets)} scripts and styles": sum(transferred(client, base + a) for a in assets)}
    start = time.perf_counter()
    sizes["grids (simplified)"] = transferred(client, f"{base}/collections/grids/items?limit=1000&simplify=5")
    sizes["day figures"] = transferred(client, f"{base}/api/patrols/{DAY}")
    for z in (10, 11):
        tiles = tiles_of(district, z)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(6) as pool:  # a browser's six connections
            size = sum(pool.map(lambda t, z=z: transferred(client, f"{base}/api/patrols/{DAY}/tiles/{z}/{t[0]}/{t[1]}.pbf"),
                                tiles))
        print(f"  tracks as vector tiles, zoom {z}: {len(tiles)} tiles, {size / 1024:.0f} KB, "
              f"first fetch {1000 * (time.perf_counter() - t0):.0f} ms")
        if z == 10:
            sizes["tracks, vector tiles of the district view (zoom 10)"] = size
            data_s = time.perf_counter() - start
    t0 = time.perf_counter()
    old = transferred(client, f"{base}/api/patrols/{DAY}/tracks?tolerance=40")
    old_ms = 1000 * (time.perf_counter() - t0)
    total = sum(sizes.values())
    for name, size in sizes.items():
        print(f"  {name:55s} {size / 1024:8.0f} KB")
    print(f"  {'the patrol map of a full district day, total':55s} {total / 1024:8.0f} KB  (target ≤ 1,536 KB)")
    print(f"  its data after the page (grids, figures, tiles; warm): {1000 * data_s:.0f} ms")
    print(f"  the GeoJSON tracks it loaded before: {old / 1024:.0f} KB compressed, {old_ms:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-day", action="store_true", help="skip the patrol map of a full district day")
    parser.add_argument("--only-day", action="store_true", help="only the patrol map of a full district day")
    parser.add_argument("--settle", type=float, default=60.0,
                        help="seconds between storing the day and opening its map (the background warm-up)")
    args = parser.parse_args()
    layers = sample_layers()
    warm_index_cache(layers)
    server, base, token, data = serve(layers)
    peer = None if args.only_day else start_pygeoapi(layers)
    auth = {"Authorization": f"Bearer {token}"}
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f}")
    targets = [] if args.only_day else [("miyun-gis", base + route, auth) for route in ROUTES]
    if peer:
        targets.append(("pygeoapi", peer[1] + ITEMS + "&f=json", {}))
    results: dict[tuple[str, str, int], dict] = {}
    try:
        for name, url, headers in targets:
            with httpx.Client(timeout=300, headers=headers) as http:
                t = time.perf_counter()
                size = len(http.get(url).content)
                print(f"{name} {url.split('127.0.0.1')[1]}: cold {1000 * (time.perf_counter() - t):.0f} ms, "
                      f"{size / 1024:.0f} KB")
        for name, url, headers in targets:
            with httpx.Client(timeout=120, limits=httpx.Limits(max_connections=64), headers=headers) as http:
                for clients in (1, 10, 50) if name != "pygeoapi" else (1, 10):
                    r = latency(http, url, clients, args.requests if clients < 50 or name != "pygeoapi" else 100)
                    results[(name, url, clients)] = r
                    print(f"{name:9s} {url.split(':', 2)[2].split('/', 1)[1]:45s} {clients:2d} clients  "
                          f"p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  {r['rps']:6.0f} req/s  5xx {r['5xx']}",
                          flush=True)
        if peer:
            ours = results[("miyun-gis", base + ITEMS, 10)]
            theirs = results[("pygeoapi", peer[1] + ITEMS + "&f=json", 10)]
            print(f"\ngrids items (limit=200) at 10 clients: p95 {ours['p95']:.1f} ms against pygeoapi's "
                  f"{theirs['p95']:.1f} ms = {ours['p95'] / theirs['p95']:.3f} of it "
                  f"(target ≤ 0.5 and ≤ 50 ms); {ours['rps'] / theirs['rps']:.0f}× the requests/s")
        if not args.no_day:
            from gis.tracks.pipeline import simulate_and_store

            t = time.perf_counter()
            stored, _ = simulate_and_store(DAY, layers, data)
            print(f"\n## the patrol map of a full district day: {stored:,} fixes stored in "
                  f"{time.perf_counter() - t:.0f} s", flush=True)
            time.sleep(args.settle)  # the time a manager takes to open the map after an upload
            with httpx.Client(timeout=300, headers=auth) as http:
                t = time.perf_counter()
                http.get(f"{base}/api/patrols/{DAY}")
                print(f"  day figures, first request {args.settle:.0f} s after the files arrived: {time.perf_counter() - t:.1f} s "
                      "(the background thread may have had them ready)")
                patrol_map(http, base, layers)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if peer:
            peer[0].terminate()
            peer[0].wait(timeout=30)


if __name__ == "__main__":
    main()
