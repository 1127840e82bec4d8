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


@contextmanager
def timed(label: str, results: dict):
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
