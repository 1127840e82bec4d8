"""Fold the inbox of live fixes into the track store: the day's GeoParquet partitions.

A day that got new fixes since the last fold is folded whole: every fix of that day in the inbox
goes through the same cleaning, flagging and grid assignment as a file import
(:func:`gis.tracks.importer.prepare`) and is written through the store's one write path
(:func:`gis.tracks.store.write_fixes`) under the day's own key, so each fold replaces the day's
live files atomically per partition (jumps are judged on the whole day's track, not on pieces).
The fold is idempotent: killed at any moment, the next one writes the same files again; the
watermark moves only once every day is written.  Nothing is deleted from the inbox.

Fixes the phone marked invalid or as a mock location stay in the inbox (as evidence) and are not
folded into the figures.  A day folded again after it ended, because late fixes arrived, says so:
:func:`day_status` gives when and how many.
"""

from __future__ import annotations

import fcntl
import hashlib
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from gis.errors import InputError
from gis.intake.inbox import Inbox
from gis.join import GridIndex
from gis.localtime import LOCAL
from gis.tracks.importer import prepare
from gis.tracks.notices import Notices
from gis.tracks.store import write_fixes

LIVE_SOURCE = "live"  # the stored fixes' source_file: folded from the inbox


@dataclass
class DayFold:
    day: str
    stored: int
    held: int
    late: int
    notices: Notices = field(default_factory=Notices)


@dataclass
class FoldResult:
    days: list[DayFold] = field(default_factory=list)
    up_to_id: int = 0

    @property
    def stored(self) -> int:
        return sum(d.stored for d in self.days)


def live_key(day: str) -> str:
    """The store key of a day's live fixes: the same for every fold of the day (files replaced)."""
    return hashlib.sha256(f"{LIVE_SOURCE}:{day}".encode()).hexdigest()


@contextmanager
def _exclusive(inbox: Inbox):
    """One fold at a time per data directory (the server's background task and the CLI)."""
    with open(inbox.path.with_name("compact.lock"), "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _day_end_ms(day: str) -> int:
    start = datetime.fromisoformat(day).replace(tzinfo=LOCAL)
    return int((start + timedelta(days=1)).astimezone(timezone.utc).timestamp() * 1000)


def day_frame(inbox: Inbox, day: str, up_to_id: int) -> tuple[pd.DataFrame, int]:
    """The day's foldable fixes as the readers give them (``row`` is the inbox id), and how many
    were held back (invalid or mock locations)."""
    conn = inbox.connection
    rows = conn.execute("SELECT id, staff_id, time_ms, lon, lat, accuracy_m FROM fixes "
                        "WHERE day = ? AND id <= ? AND valid = 1 AND mock = 0", (day, up_to_id)).fetchall()
    held = conn.execute("SELECT COUNT(*) FROM fixes WHERE day = ? AND id <= ? AND (valid = 0 OR mock = 1)",
                        (day, up_to_id)).fetchone()[0]
    if not rows:
        return pd.DataFrame(), held
    ids, staff, ms, lon, lat, accuracy = zip(*rows)
    frame = pd.DataFrame({
        "staff_id": pd.Series(staff, dtype="category"),
        "time": pd.to_datetime(np.asarray(ms, dtype=np.int64), unit="ms", utc=True).astype("datetime64[ns, UTC]"),
        "lon": np.asarray(lon, dtype=float), "lat": np.asarray(lat, dtype=float),
        "accuracy_m": np.asarray([np.nan if a is None else a for a in accuracy], dtype=float),
        "row": np.asarray(ids, dtype=np.int64),
    })
    return frame, held


def fold_day(inbox: Inbox, index: GridIndex, data_dir: Path, day: str, up_to_id: int) -> DayFold:
    """Write every foldable fix of ``day`` (inbox ids up to ``up_to_id``) to the store, then record it."""
    frame, held = day_frame(inbox, day, up_to_id)
    result = DayFold(day, 0, held, 0)
    name = f"实时定位 {day}"
    if len(frame):
        try:
            fixes = prepare(frame, index, name=name, crs=None, notices=result.notices)
        except InputError as err:  # nothing usable left after cleaning
            result.notices.add(name, err.message)
        else:
            fixes["source_file"] = LIVE_SOURCE
            fixes["synthetic"] = False
            write_fixes(data_dir, fixes, live_key(day), f"live-{day}")
            result.stored = len(fixes)
    conn = inbox.connection
    before = conn.execute("SELECT up_to_id, late_fixes, late_folded_ms FROM folded WHERE day = ?", (day,)).fetchone()
    late = conn.execute("SELECT COUNT(*) FROM fixes WHERE day = ? AND id > ? AND id <= ? AND received_ms >= ?",
                        (day, before["up_to_id"] if before else 0, up_to_id, _day_end_ms(day))).fetchone()[0]
    now = int(time.time() * 1000)
    result.late = late
    conn.execute(
        "INSERT INTO folded (day, up_to_id, fixes, held, folded_ms, late_fixes, late_folded_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(day) DO UPDATE SET up_to_id = excluded.up_to_id, "
        "fixes = excluded.fixes, held = excluded.held, folded_ms = excluded.folded_ms, "
        "late_fixes = folded.late_fixes + excluded.late_fixes, "
        "late_folded_ms = COALESCE(excluded.late_folded_ms, folded.late_folded_ms)",
        (day, up_to_id, result.stored, held, now, late, now if late else None))
    return result


def pending(inbox: Inbox) -> int:
    """Fixes received since the last fold."""
    conn = inbox.connection
    mark = conn.execute("SELECT up_to_id FROM watermark").fetchone()
    top = conn.execute("SELECT MAX(id) FROM fixes").fetchone()[0] or 0
    return max(0, top - (mark[0] if mark else 0))


def compact(data_dir: Path, index: GridIndex, *, refold_all: bool = False) -> FoldResult:
    """Fold every day with fixes new since the last fold (with ``refold_all``: every day there is)."""
    inbox = Inbox(data_dir)
    with _exclusive(inbox):
        conn = inbox.connection
        mark = conn.execute("SELECT up_to_id FROM watermark").fetchone()
        since = 0 if refold_all or mark is None else mark[0]
        top = conn.execute("SELECT MAX(id) FROM fixes").fetchone()[0] or 0
        result = FoldResult(up_to_id=top)
        if top <= since:
            return result
        days = [r[0] for r in conn.execute("SELECT DISTINCT day FROM fixes WHERE id > ? AND id <= ? ORDER BY day",
                                           (since, top))]
        for day in days:
            result.days.append(fold_day(inbox, index, Path(data_dir), day, top))
        conn.execute("INSERT INTO watermark (one, up_to_id) VALUES (1, ?) "
                     "ON CONFLICT(one) DO UPDATE SET up_to_id = excluded.up_to_id", (top,))
        return result


def day_status(data_dir: Path, day: str) -> dict | None:
    """How the day's live fixes stand: folded when, how many; and late fixes folded after the day ended."""
    path = Inbox.path_for(data_dir)
    if not path.exists():
        return None
    row = Inbox(data_dir).connection.execute("SELECT * FROM folded WHERE day = ?", (day,)).fetchone()
    if row is None:
        return None
    status = {"live_fixes": row["fixes"], "held_back": row["held"], "folded_at": _utc_text(row["folded_ms"]),
              "late_fixes": row["late_fixes"], "recomputed_after_late_fixes_at": None, "note": ""}
    if row["late_fixes"]:
        status["recomputed_after_late_fixes_at"] = _utc_text(row["late_folded_ms"])
        local = datetime.fromtimestamp(row["late_folded_ms"] / 1000, timezone.utc).astimezone(LOCAL)
        status["note"] = (f"本日结束后又收到 {row['late_fixes']} 个迟到的定位点，"
                          f"已于 {local:%Y-%m-%d %H:%M} 补入并重新计算本日统计")
    return status


def _utc_text(ms: int | None) -> str | None:
    return None if ms is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))
