"""File names that users and uploads give, made harmless."""

from __future__ import annotations

import re
from pathlib import Path


def safe_name(name: str | None, default: str = "upload") -> str:
    """The file's own name without any folder part, reduced to harmless characters."""
    base = Path((name or "").replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\-\u4e00-\u9fff]", "_", base).lstrip(".")
    return cleaned[:120] or default
