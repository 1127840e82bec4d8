"""``miyun-gis serve --workers 2``: two processes on one socket, and a layer import answered by one
is served by both (caches are keyed by the files on disk, not by the process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
from probes import free_port, wait_until_healthy

from gis.layers import gpkg
from gis.auth.users import add_user, issue
from gis.ledger.db import Ledger


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found.extend(int(c) for c in children)
    return found


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_two_workers_serve_one_layer_import_alike(layers_copy, tmp_path):
    ledger = Ledger.in_dir(tmp_path / "data")
    add_user(ledger, by="tests", username="gis", role="gis_officer")
    token, _ = issue(ledger, "gis", kind="token")
    port = free_port()
    command = [str(Path(sys.executable).with_name("miyun-gis")), "serve", "--workers", "2", "--port", str(port),
               "--layers", str(layers_copy)]
    proc = subprocess.Popen(command, env={**os.environ, "MIYUN_DATA_DIR": str(tmp_path / "data")},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        assert wait_until_healthy(base), "server did not start"
        workers = _children(proc.pid)
        assert len(workers) >= 2, workers  # uvicorn's two worker processes

        def names_seen(n: int = 24) -> tuple[set[frozenset], set[str]]:
            """Village names and ETags from n requests on fresh connections (the kernel spreads them)."""
            names, etags = set(), set()
            for _ in range(n):
                with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
                    answer = http.get("/collections/villages/items", params={"limit": 1000})
                    names.add(frozenset(f["properties"]["name"] for f in answer.json()["features"]))
                    etags.add(answer.headers["etag"])
            return names, etags

        before, etags = names_seen()
        assert len(before) == 1 and len(etags) == 1  # both workers: the same answer, the same ETag
        villages = gpkg.read_layer(layers_copy, "villages")
        villages.loc[villages.index[0], "name"] = "新改名村"
        source = tmp_path / "villages.geojson"
        villages.to_file(source, driver="GeoJSON")
        with httpx.Client(base_url=base, headers=headers, timeout=300) as http:
            accepted = http.post("/api/layers/villages", files={"file": ("villages.geojson", source.read_bytes())})
        assert accepted.status_code == 200, accepted.text
        cpu = {p: _cpu_ticks(p) for p in workers}
        after, etags_after = set(), set()
        for _ in range(20):  # the kernel hands connections to either worker; ask until both have answered
            names, tags = names_seen(20)
            after |= names
            etags_after |= tags
            if sum(_cpu_ticks(p) > cpu[p] for p in workers) >= 2:
                break
        assert sum(_cpu_ticks(p) > cpu[p] for p in workers) >= 2  # both workers answered some of them
        assert len(after) == 1 and "新改名村" in next(iter(after)) and etags_after.isdisjoint(etags)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
