"""Write a file so that readers see the old version or the new one, never half of either."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")
# what tempfile.mkstemp makes in replacing(): ".<stem>-<8 random characters><suffix>", maybe with SQLite side files
_TEMPORARY = re.compile(r"\..+-[a-z0-9_]{8}(\.[A-Za-z0-9]+)?(-journal|-wal|-shm)?")
STALE_AFTER_S = 3600.0  # no write takes this long; a temporary file this old was left by a killed writer


def sweep(folder: str | Path, *, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove the temporary files that writers killed half-way left in ``folder`` (not in its
    subfolders); readers never look at them, this only gives the space back.  Returns what went."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    limit = time.time() - older_than_s
    gone = []
    for path in folder.iterdir():
        try:
            if _TEMPORARY.fullmatch(path.name) and path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                gone.append(path)
        except FileNotFoundError:  # another process swept it first
            continue
    return gone


@contextmanager
def replacing(target: str | Path, *, copy_existing: bool = False) -> Iterator[Path]:
    """A temporary path beside ``target`` that is renamed over it when the block succeeds.

    With ``copy_existing`` the temporary file starts as a copy of ``target``.  On any
    exception ``target`` is untouched and the temporary file (and any SQLite side files
    next to it) is removed.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()
    try:
        if copy_existing:
            shutil.copy2(target, tmp)
        yield tmp
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, *(Path(f"{tmp}{side}") for side in _SQLITE_SIDE_FILES)):
            leftover.unlink(missing_ok=True)


@contextmanager
def locked(target: str | Path) -> Iterator[None]:
    """An exclusive lock (``flock`` on ``<target>.lock``) so that two writers of one file take turns,
    across processes; the kernel drops it if the holder dies."""
    import fcntl

    lock_path = Path(f"{target}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
