"""The inbox of live fixes: write-optimised, durable, duplicates dropped by (staff, time).

One SQLite file in WAL mode with ``synchronous=FULL``: :meth:`Inbox.add` returns only once the
fixes are committed to disk, so a 200 sent after it survives a server killed at any moment (and a
power cut).  A fix already there for the same staff member and time (to the millisecond) is dropped,
so a phone that resends its queue, or a batch sent twice, stores each fix once.  Rows are never
deleted: they keep what the apps send as evidence (accuracy, speed, bearing, battery, activity,
mock location) beside what the track store keeps.  Folding into the store is :mod:`gis.intake.compact`.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from gis.intake.protocols import LiveFix
from gis.localtime import LOCAL
from gis.schema import INBOX_FILENAME, INTAKE_DIRNAME

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fixes (
    id INTEGER PRIMARY KEY,
    staff_id TEXT NOT NULL, time_ms INTEGER NOT NULL,
    day TEXT NOT NULL,                  -- the Asia/Shanghai day of the fix
    lon REAL NOT NULL, lat REAL NOT NULL, accuracy_m REAL,
    speed_ms REAL, bearing_deg REAL, altitude_m REAL, battery_pct REAL, charging INTEGER,
    activity TEXT, moving INTEGER, mock INTEGER NOT NULL DEFAULT 0, valid INTEGER NOT NULL DEFAULT 1,
    app TEXT NOT NULL, device_id TEXT NOT NULL, batch_id TEXT,
    received_ms INTEGER NOT NULL,
    UNIQUE (staff_id, time_ms)
);
CREATE INDEX IF NOT EXISTS fixes_day ON fixes(day, id);
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY, staff_id TEXT NOT NULL, fixes INTEGER NOT NULL, stored INTEGER NOT NULL,
    received_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS folded (
    day TEXT PRIMARY KEY,
    up_to_id INTEGER NOT NULL,          -- every fix of the day with an id up to this is in the store
    fixes INTEGER NOT NULL, held INTEGER NOT NULL,
    folded_ms INTEGER NOT NULL,
    late_fixes INTEGER NOT NULL DEFAULT 0, late_folded_ms INTEGER
);
CREATE TABLE IF NOT EXISTS watermark (one INTEGER PRIMARY KEY CHECK (one = 1), up_to_id INTEGER NOT NULL);
"""
_COLUMNS = ("staff_id", "time_ms", "day", "lon", "lat", "accuracy_m", "speed_ms", "bearing_deg", "altitude_m",
            "battery_pct", "charging", "activity", "moving", "mock", "valid", "app", "device_id", "batch_id",
            "received_ms")
_INSERT = f"INSERT OR IGNORE INTO fixes ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


@dataclass(frozen=True)
class Stored:
    """What one request added: fixes new to the inbox, and those it already had."""

    stored: int
    duplicates: int
    repeated_batch: bool = False


def inbox_path(data_dir: Path) -> Path:
    return Path(data_dir) / INTAKE_DIRNAME / INBOX_FILENAME


def _day_by_zone(ms: int) -> str:
    """The Asia/Shanghai day of a Unix time in milliseconds."""
    return datetime.fromtimestamp(ms / 1000, timezone.utc).astimezone(LOCAL).strftime("%Y-%m-%d")


class Inbox:
    """The inbox of one data directory; a connection per thread, writers of a process in turn."""

    def __init__(self, data_dir: Path):
        self.path = self.path_for(data_dir)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with _GUARD:
            self._lock = _LOCKS.setdefault(str(self.path.resolve()), threading.Lock())
        self.connection.executescript(_SCHEMA)

    @staticmethod
    def path_for(data_dir: Path) -> Path:
        return inbox_path(data_dir)

    @property
    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")  # a commit is on disk before a 200 goes out
            self._local.conn = conn
        return conn

    def add(self, fixes: Iterable[LiveFix], *, staff_id: str, app: str, device_id: str,
            batch_id: str | None = None) -> Stored:
        """Store the fixes of one request in one transaction (all or none); returns when on disk."""
        now = int(time.time() * 1000)
        rows = []
        for fix in fixes:
            ms = int(round(fix.time.timestamp() * 1000))
            rows.append((staff_id, ms, _day_by_zone(ms), fix.lon, fix.lat, fix.accuracy_m, fix.speed_ms,
                         fix.bearing_deg, fix.altitude_m, fix.battery_pct, _int(fix.charging), fix.activity,
                         _int(fix.moving), int(fix.mock), int(fix.valid), app, device_id, batch_id, now))
        conn = self.connection
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if batch_id is not None:
                    seen = conn.execute("SELECT stored FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
                    if seen is not None:
                        conn.execute("ROLLBACK")
                        return Stored(0, len(rows), repeated_batch=True)
                before = conn.total_changes
                conn.executemany(_INSERT, rows)
                stored = conn.total_changes - before
                if batch_id is not None:
                    conn.execute("INSERT INTO batches VALUES (?, ?, ?, ?, ?)",
                                 (batch_id, staff_id, len(rows), stored, now))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return Stored(stored, len(rows) - stored)

    def count(self, day: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM fixes" + (" WHERE day = ?" if day else "")
        return self.connection.execute(sql, (day,) if day else ()).fetchone()[0]

    def last_fix(self, staff_id: str) -> str | None:
        """The time of the staff member's latest live fix (UTC text), or None."""
        row = self.connection.execute("SELECT MAX(time_ms) FROM fixes WHERE staff_id = ?", (staff_id,)).fetchone()
        return None if row[0] is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row[0] / 1000))


def _int(flag: bool | None) -> int | None:
    return None if flag is None else int(flag)

