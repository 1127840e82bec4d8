"""The server's background fold: live fixes into the track store at least every
``MIYUN_COMPACT_SECONDS`` (default 300 s; sooner when a large backlog builds up, 0 turns it off).

The fold runs as ``miyun-gis tracks compact`` in a child process at a lower priority, so that its
pandas work neither holds the server's interpreter nor delays the phones' answers, and a fold that
fails leaves the server (and the inbox) as it was; the next one tries again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from contextlib import asynccontextmanager

from fastapi.concurrency import run_in_threadpool

from api.state import current
from gis.intake.compact import pending
from gis.intake.inbox import Inbox

FOLD_BACKLOG = 200_000  # fixes waiting: fold now rather than at the next interval
LOG = logging.getLogger("miyun.folding")


def _lower_priority() -> None:
    os.nice(5)


async def fold_once() -> int:
    """Run one fold in a child process; its exit code."""
    served = current()  # the served workspace, not the environment's
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gis.cli.main", "tracks", "compact", "--quiet", "--layers", str(served.layers),
        "--data-dir", str(served.data_dir), preexec_fn=_lower_priority, stdout=asyncio.subprocess.DEVNULL)
    try:
        code = await proc.wait()
    except asyncio.CancelledError:
        proc.kill()
        raise
    if code:
        LOG.error("tracks compact exited with %s; the inbox keeps every fix, the next fold tries again", code)
    return code


async def fold_forever(every: float) -> None:
    check = min(10.0, every)
    last = time.monotonic()
    inbox = Inbox(current().data_dir)
    while True:
        await asyncio.sleep(check)
        try:
            backlog = await run_in_threadpool(pending, inbox)
        except Exception:  # noqa: BLE001 - a busy or missing inbox now is no reason to stop folding later
            LOG.exception("could not read the inbox")
            continue
        if backlog and (time.monotonic() - last >= every or backlog >= FOLD_BACKLOG):
            await fold_once()
            last = time.monotonic()


@asynccontextmanager
async def folding(_app):
    every = current().settings.compact_seconds
    task = asyncio.create_task(fold_forever(every)) if every > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
