"""Shared set-up for the benchmarks: sample layers in a scratch folder, a timer."""

from __future__ import annotations

import os
import platform
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


def sample_layers() -> Path:
    """``$MIYUN_LAYERS`` if set, else the sample built once into a scratch folder."""
    if os.environ.get("MIYUN_LAYERS"):
        return Path(os.environ["MIYUN_LAYERS"])
    path = Path(tempfile.gettempdir()) / "miyun-bench" / "miyun.gpkg"
    if not path.exists():
        from gis.sample.build import build_sample

        build_sample(path)
    return path


def warm_index_cache(layers: Path) -> None:
    """Give the benchmarks a grid-index cache of their own (``/tmp/miyun-bench/cache`` unless
    ``$XDG_CACHE_HOME`` is set) and fill it, so that servers started next load the index in
    0.3 s instead of building it in every worker while the clock runs (a shared cache of a few
    entries is emptied by other checkouts with another ``gis/join.py``)."""
    os.environ.setdefault("XDG_CACHE_HOME", str(Path(tempfile.gettempdir()) / "miyun-bench" / "cache"))
    from gis.join import GridIndex

    GridIndex.from_layers(layers)


@contextmanager
def timed(label: str, results: dict):
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"


def serve(layers: Path, workers_env: dict | None = None, workers: int = 1):
    """Start the app on 127.0.0.1 (``workers`` uvicorn processes) with a fresh data folder and an
    administrator's token.

    Returns (process, base URL, token, data folder); the caller terminates the process.
    """
    import socket
    import subprocess
    import sys

    import httpx

    from gis.auth.users import add_user, issue
    from gis.ledger.db import Ledger

    data = Path(tempfile.mkdtemp(prefix="miyun-bench-"))
    ledger = Ledger.in_dir(data)
    add_user(ledger, by="bench", username="bench", role="admin")
    token, _ = issue(ledger, "bench", kind="token", name="bench")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "MIYUN_LAYERS": str(layers), "MIYUN_DATA_DIR": str(data), **(workers_env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning", "--workers", str(workers)], env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return proc, base, token, data


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (uvicorn's worker processes)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                pass
    return found


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
