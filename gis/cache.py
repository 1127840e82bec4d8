"""This machine's cache folder: things built once and kept (the print font, grid indexes).

Anything in it may be deleted at any time; it is built again when next needed.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/miyun-gis`` (``~/.cache/miyun-gis`` by default)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "miyun-gis"
