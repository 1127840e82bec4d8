"""The ledger database: schema, transactions and the audit trail.

SQLite in WAL mode: readers never block the writer, writers queue on
``BEGIN IMMEDIATE`` (up to :data:`BUSY_TIMEOUT_S`).  A transaction either lands
whole or not at all, so a killed process leaves the ledger as it was.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from gis.schema import LEDGER_FILENAME

BUSY_TIMEOUT_S = 30.0

# Version 1: cases, case events, evidence, gate passes and entries, monthly submissions, audit.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE cases (
        case_id TEXT PRIMARY KEY,
        category TEXT NOT NULL,
        subtype TEXT,
        source TEXT NOT NULL,
        status TEXT NOT NULL,
        reported_at TEXT NOT NULL,
        reporter TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        geometry BLOB NOT NULL,          -- WKB, EPSG:4548
        x REAL NOT NULL, y REAL NOT NULL, -- a point on the feature, EPSG:4548
        lon REAL NOT NULL, lat REAL NOT NULL,
        area_m2 REAL NOT NULL DEFAULT 0,
        town TEXT, grid_id TEXT, grids TEXT, kind TEXT,
        nearest_grid_id TEXT, nearest_grid_m REAL,
        in_zone_l1 INTEGER, in_river_corridor INTEGER, in_hazard_zone INTEGER, inside_fence INTEGER,
        order_kind TEXT, ordered_at TEXT, self_due TEXT, forced_due TEXT, deadline TEXT,
        demolished_at TEXT, demolished_by TEXT, closed_at TEXT,
        responsible_unit TEXT, repeat_of TEXT REFERENCES cases(case_id), clue_id TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL, created_by TEXT NOT NULL,
        updated_at TEXT NOT NULL, updated_by TEXT NOT NULL
    );
    CREATE INDEX cases_town_time ON cases(town, reported_at);
    CREATE INDEX cases_xy ON cases(x, y);
    CREATE TABLE case_events (
        event_id INTEGER PRIMARY KEY,
        case_id TEXT NOT NULL REFERENCES cases(case_id),
        at TEXT NOT NULL, user TEXT NOT NULL,
        from_status TEXT, to_status TEXT NOT NULL, note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX case_events_case ON case_events(case_id);
    CREATE TABLE evidence (
        evidence_id INTEGER PRIMARY KEY,
        case_id TEXT NOT NULL REFERENCES cases(case_id),
        sha256 TEXT NOT NULL, filename TEXT NOT NULL, format TEXT NOT NULL,
        bytes INTEGER NOT NULL, stored_as TEXT NOT NULL,
        added_at TEXT NOT NULL, added_by TEXT NOT NULL,
        UNIQUE (case_id, sha256)
    );
    CREATE TABLE gate_passes (
        pass_no TEXT PRIMARY KEY,
        holder TEXT NOT NULL, kind TEXT NOT NULL, plate TEXT,
        office TEXT NOT NULL, valid_from TEXT NOT NULL, valid_to TEXT NOT NULL,
        gates TEXT, revoked INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE gate_entries (
        entry_id INTEGER PRIMARY KEY,
        gate_id TEXT NOT NULL, pass_no TEXT, kind TEXT NOT NULL,
        who TEXT NOT NULL DEFAULT '', plate TEXT,
        time_in TEXT NOT NULL, time_out TEXT,
        problems TEXT NOT NULL DEFAULT '',
        recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL
    );
    CREATE INDEX gate_entries_time ON gate_entries(time_in);
    CREATE TABLE monthly_submissions (
        town TEXT NOT NULL, month TEXT NOT NULL,
        submitted_at TEXT NOT NULL, submitted_by TEXT NOT NULL,
        findings INTEGER NOT NULL, case_ids TEXT NOT NULL,
        PRIMARY KEY (town, month)
    );
    CREATE TABLE audit (
        audit_id INTEGER PRIMARY KEY,
        at TEXT NOT NULL, user TEXT NOT NULL,
        table_name TEXT NOT NULL, record_id TEXT NOT NULL,
        field TEXT NOT NULL, old TEXT, new TEXT
    );
    CREATE INDEX audit_record ON audit(table_name, record_id);
    """,
    # Version 2: staff roster, other public-welfare posts, deductions, town assessment, relocation.
    """
    CREATE TABLE staff (
        staff_id TEXT PRIMARY KEY,
        person_id TEXT NOT NULL UNIQUE,   -- the office's person key (ID-card number or a code)
        name TEXT NOT NULL DEFAULT '',
        town TEXT NOT NULL, grid_id TEXT NOT NULL, village TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL DEFAULT 'member',  -- member or leader (网格长)
        start_date TEXT NOT NULL, end_date TEXT,
        evaluated_on TEXT NOT NULL,
        status TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX staff_town ON staff(town);
    CREATE TABLE other_posts (
        person_id TEXT NOT NULL, post TEXT NOT NULL, town TEXT NOT NULL DEFAULT '',
        since TEXT, PRIMARY KEY (person_id, post)
    );
    CREATE TABLE deductions (
        deduction_id INTEGER PRIMARY KEY,
        staff_id TEXT NOT NULL REFERENCES staff(staff_id),
        kind TEXT NOT NULL, points INTEGER NOT NULL,
        occurred_on TEXT NOT NULL, evidence TEXT NOT NULL,
        case_id TEXT REFERENCES cases(case_id),
        state TEXT NOT NULL, effective_on TEXT,
        recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL,
        appeal_note TEXT, decided_at TEXT, decided_by TEXT
    );
    CREATE INDEX deductions_staff ON deductions(staff_id, occurred_on);
    CREATE TABLE mechanism_scores (
        town TEXT NOT NULL, year INTEGER NOT NULL, item INTEGER NOT NULL,
        score REAL NOT NULL, evidence TEXT NOT NULL,
        recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL,
        PRIMARY KEY (town, year, item)
    );
    CREATE TABLE result_events (
        event_id INTEGER PRIMARY KEY,
        town TEXT NOT NULL, year INTEGER NOT NULL, event TEXT NOT NULL,
        occurred_on TEXT NOT NULL, evidence TEXT NOT NULL,
        recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL
    );
    CREATE TABLE relocation_plans (
        plan_id TEXT PRIMARY KEY,
        plan_year INTEGER NOT NULL, town TEXT NOT NULL, village TEXT NOT NULL,
        natural_villages INTEGER NOT NULL DEFAULT 1,
        kind TEXT NOT NULL, mode TEXT NOT NULL,
        households INTEGER NOT NULL, people INTEGER NOT NULL,
        hazard_households INTEGER NOT NULL DEFAULT 0, hazard_people INTEGER NOT NULL DEFAULT 0,
        low_income_households INTEGER NOT NULL DEFAULT 0, low_income_people INTEGER NOT NULL DEFAULT 0,
        new_houses INTEGER NOT NULL, old_houses INTEGER NOT NULL, standard_houses INTEGER NOT NULL DEFAULT 0,
        building_form TEXT NOT NULL DEFAULT 'two_storey',
        town_plan_on TEXT, site_geometry BLOB
    );
    CREATE TABLE relocation_progress (
        plan_id TEXT NOT NULL REFERENCES relocation_plans(plan_id), month TEXT NOT NULL,
        started REAL NOT NULL DEFAULT 0, structure_done REAL NOT NULL DEFAULT 0, moved_in REAL NOT NULL DEFAULT 0,
        old_houses_demolished INTEGER NOT NULL DEFAULT 0, accepted_on TEXT, problems TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (plan_id, month)
    );
    """,
    # Version 3: users and their sessions and tokens (only hashes are stored).
    """
    CREATE TABLE users (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL, town TEXT, grid_id TEXT,
        password_hash TEXT NOT NULL, must_change INTEGER NOT NULL DEFAULT 1,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL, created_by TEXT NOT NULL
    );
    CREATE TABLE auth_tokens (
        token_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users(username),
        kind TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', csrf TEXT,
        created_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX auth_tokens_user ON auth_tokens(username);
    """,
)


_WRITER_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _writer_lock(path: Path) -> threading.Lock:
    with _LOCKS_GUARD:
        return _WRITER_LOCKS.setdefault(str(Path(path).resolve()), threading.Lock())


def utc_now() -> str:
    return to_utc_text(datetime.now(timezone.utc))


def to_utc_text(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, to the second: how the ledger stores times."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class Ledger:
    """One ledger file.  Connections are per thread; writes go through :meth:`write`.

    Examples
    --------
    >>> ledger = Ledger.open(tmp_path / "ledger.sqlite")            # doctest: +SKIP
    >>> with ledger.write("张三") as tx:                             # doctest: +SKIP
    ...     tx.insert("gate_passes", "P-001", {...})
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()

    @classmethod
    def open(cls, path: str | Path) -> "Ledger":
        """Open (creating and migrating as needed) the ledger at ``path``."""
        ledger = cls(Path(path))
        ledger.path.parent.mkdir(parents=True, exist_ok=True)
        ledger._migrate()
        return ledger

    @classmethod
    def in_dir(cls, data_dir: str | Path) -> "Ledger":
        return cls.open(Path(data_dir) / LEDGER_FILENAME)

    @property
    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=True)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    def _migrate(self) -> None:
        conn = self.connection
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def query(self, sql: str, params=()) -> list[sqlite3.Row]:
        return self.connection.execute(sql, params).fetchall()

    def one(self, sql: str, params=()) -> sqlite3.Row | None:
        return self.connection.execute(sql, params).fetchone()

    def note(self, user: str, table: str, record_id: str, field: str, value) -> None:
        """An audit line for a write kept outside the ledger (a layer replaced, a track file stored)."""
        with self.write(user) as tx:
            tx.note(table, record_id, field, value)

    @contextmanager
    def write(self, user: str) -> Iterator["Transaction"]:
        """A write transaction that records every change with ``user`` in the audit trail.

        Writers of one process queue on a lock (in order, without SQLite's busy back-off);
        writers of other processes wait on SQLite's lock for up to :data:`BUSY_TIMEOUT_S`.
        """
        conn = self.connection
        with _writer_lock(self.path):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(conn, user)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise


class Transaction:
    """Inserts and updates that write the audit trail as they go."""

    def __init__(self, conn: sqlite3.Connection, user: str):
        self.conn = conn
        self.user = user
        self.at = utc_now()

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def one(self, sql: str, params=()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def _audit(self, table: str, record_id: str, field: str, old, new) -> None:
        self.conn.execute(
            "INSERT INTO audit (at, user, table_name, record_id, field, old, new) VALUES (?,?,?,?,?,?,?)",
            (self.at, self.user, table, str(record_id), field, _text(old), _text(new)))

    def note(self, table: str, record_id: str, field: str, value) -> None:
        """An audit line for an event that changes no field of a row (a token issued …)."""
        self._audit(table, record_id, field, None, value)

    def insert(self, table: str, record_id: str, values: dict) -> int:
        """Insert one row; the audit trail gets one line per non-empty field."""
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self.conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(values.values()))
        for field, value in values.items():
            if value is not None and value != "":
                self._audit(table, record_id, field, None, value)
        return cursor.lastrowid

    def upsert(self, table: str, key: dict, values: dict, *, first_only: dict | None = None) -> None:
        """Insert the row ``key`` + ``values``, or update the one there (``first_only`` only on insert)."""
        condition = " AND ".join(f"{k} = ?" for k in key)
        old = self.one(f"SELECT * FROM {table} WHERE {condition}", tuple(key.values()))
        if old is None:
            self.insert(table, "/".join(str(v) for v in key.values()), {**key, **(first_only or {}), **values})
        else:
            self.update(table, key, dict(old), values)

    def update(self, table: str, where: dict, old: dict, new: dict) -> dict:
        """Update the fields of ``new`` that differ from ``old`` in the row ``where`` names.

        Returns the changes; the audit trail gets one line per changed field.
        """
        changes = {k: v for k, v in new.items() if old.get(k) != v}
        if changes:
            assignments = ", ".join(f"{k} = ?" for k in changes)
            condition = " AND ".join(f"{k} = ?" for k in where)
            self.conn.execute(f"UPDATE {table} SET {assignments} WHERE {condition}",
                              (*changes.values(), *where.values()))
            record_id = "/".join(str(v) for v in where.values())
            for field, value in changes.items():
                self._audit(table, record_id, field, old.get(field), value)
        return changes
