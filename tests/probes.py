"""What several test modules ask of the machine: a free port, a server that answers, Debian's QGIS."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import httpx
import pytest

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, the one python3-qgis is built for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(base: str, seconds: float = 120.0) -> bool:
    """True once ``base``/healthz answers 200, False after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


def require_system_qgis(what: str) -> None:
    """Skip the calling module without Debian's python3-qgis, except in CI, where ``what`` must run."""
    try:
        found = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True,
                               timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        found = False
    if found:
        return
    if os.environ.get("CI"):
        raise RuntimeError(f"CI must run {what}: Debian python3-qgis is missing")
    pytest.skip("Debian python3-qgis not installed (bash .ci/setup --test installs it)", allow_module_level=True)
