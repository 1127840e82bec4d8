"""Cases: add, move through the lifecycle, list, and find what is overdue or repeated.

Every write is one ledger transaction with its audit lines; an update names
the version it read (``expected_version``) so two people editing one case at
once never silently overwrite each other.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime

import numpy as np
import pandas as pd
import shapely

from gis.errors import Conflict, InputError, NotFound
from gis.join import GridIndex
from gis.ledger import lifecycle
from gis.ledger.db import Ledger, Transaction, to_utc_text
from gis.ledger.location import locate_case, to_storage_geometry
from gis.localtime import local_date, parse_day, parse_moment
from gis.schema import (
    CASE_SOURCES,
    CONSTRUCTION,
    CONSTRUCTION_KINDS,
    DUTIES,
    FINAL_STATUSES,
    ORDER_KINDS,
    REPEAT_DISTANCE_M,
)

MAX_TEXT = 2000  # characters in a description or note


def _choice(value, choices: dict, field: str) -> str:
    if value not in choices:
        raise InputError(f"未知取值 {value!r}；应为 {'、'.join(f'{k}（{v[:8]}）' for k, v in choices.items())}",
                         field=field, value=value)
    return value


def _text(value, field: str, *, required: bool = False) -> str:
    value = "" if value is None else str(value).strip()
    if required and not value:
        raise InputError("不能为空", field=field)
    if len(value) > MAX_TEXT:
        raise InputError(f"超过 {MAX_TEXT} 字", field=field)
    return value


class Cases:
    """The cases of one ledger, placed with the grid index ``index()`` (built on first use)."""

    def __init__(self, ledger: Ledger, index: Callable[[], GridIndex]):
        self.ledger = ledger
        self._index = index

    # -- reading --------------------------------------------------------------

    def get(self, case_id: str) -> dict:
        row = self.ledger.one("SELECT * FROM cases WHERE case_id = ?", (case_id,))
        if row is None:
            raise NotFound(f"案件 {case_id} 不存在", field="case_id", value=case_id)
        case = dict(row)
        case["history"] = [dict(r) for r in self.ledger.query(
            "SELECT at, user, from_status, to_status, note FROM case_events WHERE case_id = ? ORDER BY event_id",
            (case_id,))]
        case["evidence"] = [dict(r) for r in self.ledger.query(
            "SELECT filename, format, bytes, sha256, stored_as, added_at, added_by FROM evidence "
            "WHERE case_id = ? ORDER BY evidence_id", (case_id,))]
        return case

    def frame(self, *, status: str | None = None, category: str | None = None, town: str | None = None,
              month: tuple[datetime, datetime] | None = None, open_only: bool = False,
              grid: str | None = None) -> pd.DataFrame:
        """Cases as a table (no geometry), newest first, filtered (in SQL, once)."""
        where, params = _filters(status=status, category=category, town=town, month=month, open_only=open_only,
                                 grid=grid)
        columns = self._columns()
        rows = self.ledger.query(f"SELECT {', '.join(columns)} FROM cases{where} {NEWEST_FIRST}", params)
        return pd.DataFrame([tuple(r) for r in rows], columns=columns)

    def page(self, *, limit: int, offset: int = 0, **filters) -> tuple[int, list[dict]]:
        """How many cases match ``filters`` (those of :meth:`frame`), and ``limit`` of them from ``offset``,
        newest first, as rows without geometry: a list page reads only its rows, not every case."""
        where, params = _filters(**filters)
        count = self.ledger.one(f"SELECT count(*) AS n FROM cases{where}", params)["n"]
        rows = self.ledger.query(f"SELECT {', '.join(self._columns())} FROM cases{where} {NEWEST_FIRST} "
                                 "LIMIT ? OFFSET ?", [*params, limit, offset])
        return count, [dict(r) for r in rows]

    def _columns(self) -> list[str]:
        """The table's columns but the geometry (WKB, read only where a shape is asked for)."""
        return [r["name"] for r in self.ledger.query("PRAGMA table_info(cases)") if r["name"] != "geometry"]

    def geometries(self, frame: pd.DataFrame) -> np.ndarray:
        """The EPSG:4548 geometries of the cases in ``frame`` (same order)."""
        if frame.empty:
            return np.array([], dtype=object)
        marks = ",".join("?" for _ in frame["case_id"])
        blobs = {r["case_id"]: r["geometry"] for r in self.ledger.query(
            f"SELECT case_id, geometry FROM cases WHERE case_id IN ({marks})", list(frame["case_id"]))}
        return shapely.from_wkb([blobs[c] for c in frame["case_id"]])

    def overdue(self, on: date, **filters) -> pd.DataFrame:
        """Open cases past a deadline on day ``on``, most overdue first; ``filters`` as :meth:`frame`'s."""
        rows = []
        open_cases = self.frame(**filters, open_only=True)
        for case in open_cases.astype(object).where(open_cases.notna(), None).to_dict("records"):
            late = lifecycle.overdue(case, on)
            if late:
                rows.append({**case, "due": late.due.isoformat(), "days_overdue": late.days,
                             "next_action": late.next_action, "escalation": "；".join(late.escalation)})
        frame = pd.DataFrame(rows)
        if frame.empty:
            return pd.DataFrame(columns=[*self._columns(), "due", "days_overdue", "next_action", "escalation"])
        return frame.sort_values(["days_overdue", "case_id"], ascending=[False, True]).reset_index(drop=True)

    # -- writing --------------------------------------------------------------

    def add(self, *, user: str, category: str, source: str, reporter: str, lon=None, lat=None, geometry=None,
            crs: str | None = None, reported_at=None, description: str = "", subtype: str | None = None,
            deadline: str | None = None, responsible_unit: str | None = None, clue_id: str | None = None,
            repeat_distance_m: float = REPEAT_DISTANCE_M,
            authorise: Callable[[dict], None] | None = None) -> dict:
        """Record a new case; the core assigns its grid, town and zones.

        ``authorise`` sees where the case falls (grid, town) before anything is
        stored and may refuse it.  Returns the stored case (with ``repeat_of`` set
        when it stands within ``repeat_distance_m`` of an earlier demolished construction).
        """
        _choice(category, DUTIES, "category")
        _choice(source, CASE_SOURCES, "source")
        if category == CONSTRUCTION:
            subtype = _choice(subtype or "building_in_progress", CONSTRUCTION_KINDS, "subtype")
        elif subtype:
            raise InputError("只有违法建设案件有违建类型", field="subtype", value=subtype)
        reporter = _text(reporter, "reporter", required=True)
        description = _text(description, "description")
        moment = parse_moment(reported_at, field="reported_at")
        due = parse_day(deadline, field="deadline").isoformat() if deadline else None
        if due and due < local_date(moment).isoformat():
            raise InputError(f"办理期限 {due} 早于上报日期", field="deadline", value=due)
        geom = to_storage_geometry(lon=lon, lat=lat, geometry=geometry, crs=crs)
        placed = locate_case(self._index(), geom)
        if authorise is not None:
            authorise(placed)
        at = to_utc_text(moment)
        with self.ledger.write(user) as tx:
            repeat_of = self._repeat_of(tx, geom, repeat_distance_m) if category == CONSTRUCTION else None
            case_id = self._next_id(tx, moment)
            values = {
                "case_id": case_id, "category": category, "subtype": subtype, "source": source,
                "status": lifecycle.first_status(category), "reported_at": at, "reporter": reporter,
                "description": description, "geometry": shapely.to_wkb(geom), **placed,
                "deadline": due, "responsible_unit": _text(responsible_unit, "responsible_unit") or None,
                "repeat_of": repeat_of, "clue_id": _text(clue_id, "clue_id") or None, "version": 1,
                "created_at": tx.at, "created_by": user, "updated_at": tx.at, "updated_by": user,
            }
            tx.insert("cases", case_id, values)
            self._event(tx, case_id, at, None, values["status"], "重复违建（屡拆屡建），原案件 "
                        f"{repeat_of}" if repeat_of else "")
            self._check(tx, case_id)
        return self.get(case_id)

    @staticmethod
    def _check(tx: Transaction, case_id: str) -> None:
        """The invariant of every written case, checked inside the write (a breach rolls it back): it has
        finite storage coordinates (placed in the district by :func:`place`) and its version equals the
        number of its events."""
        row = tx.one("SELECT c.version, c.x, c.y, (SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.case_id) "
                     "AS events FROM cases c WHERE c.case_id = ?", (case_id,))
        if row is None or not math.isfinite(row["x"] or math.nan) or not math.isfinite(row["y"] or math.nan) \
                or row["version"] != row["events"]:
            raise RuntimeError(f"case invariant broken for {case_id}: {dict(row) if row else None}")

    def update(self, case_id: str, *, user: str, status: str | None = None, at=None, note: str = "",
               order_kind: str | None = None, deadline: str | None = None, responsible_unit: str | None = None,
               description: str | None = None, expected_version: int | None = None) -> dict:
        """Move a case on and/or change its deadline, unit or description, in one transaction.

        ``expected_version`` is the version the caller read; when another update
        landed since, :class:`~gis.errors.Conflict` is raised and nothing changes.
        """
        note = _text(note, "note")
        with self.ledger.write(user) as tx:
            row = tx.one("SELECT * FROM cases WHERE case_id = ?", (case_id,))
            if row is None:
                raise NotFound(f"案件 {case_id} 不存在", field="case_id", value=case_id)
            old = dict(row)
            if expected_version is not None and int(expected_version) != old["version"]:
                raise Conflict(f"案件 {case_id} 已被他人修改（当前版本 {old['version']}，提交所依据的版本 "
                               f"{expected_version}）；请刷新后重试", field="version", value=expected_version)
            new: dict = {}
            moment = parse_moment(at, field="at")
            last = tx.one("SELECT MAX(at) AS at FROM case_events WHERE case_id = ? "
                          "AND (from_status IS NULL OR from_status != to_status)", (case_id,))["at"]
            if status:
                if last and to_utc_text(moment) < last:
                    raise InputError(f"办理时间早于上一步（{last}）", field="at", value=str(at))
                lifecycle.check_transition(old["category"], old["status"], status)
                new.update(self._fields_on_entering(old, status, moment, order_kind, responsible_unit))
            elif order_kind:
                raise InputError("通知书只在改为 ordered 时给出", field="order_kind")
            if deadline:
                new.update(self._moved_deadline({**old, **new}, deadline))
            if responsible_unit and "responsible_unit" not in new:
                new["responsible_unit"] = _text(responsible_unit, "responsible_unit")
            if description is not None:
                new["description"] = _text(description, "description")
            if not tx.update("cases", {"case_id": case_id}, old, new) and not note:
                return self.get(case_id)
            tx.update("cases", {"case_id": case_id}, old,
                      {"version": old["version"] + 1, "updated_at": tx.at, "updated_by": user})
            # one event per version, also for an edit that changes no status and carries no note
            self._event(tx, case_id, to_utc_text(moment), old["status"], status or old["status"], note)
            self._check(tx, case_id)
        return self.get(case_id)

    # -- rules ------------------------------------------------------------------

    @staticmethod
    def _fields_on_entering(old: dict, status: str, moment: datetime, order_kind: str | None,
                            responsible_unit: str | None) -> dict:
        """The fields a case takes on entering ``status`` at ``moment``."""
        day = local_date(moment)
        when = to_utc_text(moment)
        new: dict = {"status": status}
        if status == "ordered":
            new["order_kind"] = _choice(order_kind or "", ORDER_KINDS, "order_kind")
            self_due = lifecycle.self_demolition_due(day)
            new.update(ordered_at=when, self_due=self_due.isoformat(),
                       forced_due=lifecycle.forced_demolition_due(self_due).isoformat(),
                       deadline=self_due.isoformat())
        elif status == "forced_demolition":
            forced = lifecycle.forced_demolition_due(date.fromisoformat(old["self_due"]), day)
            new.update(forced_due=forced.isoformat(), deadline=forced.isoformat())
        elif status == "demolished":
            new.update(demolished_at=when, demolished_by="forced" if old["status"] == "forced_demolition" else "self")
        elif status == "handed_over":
            new["responsible_unit"] = _text(responsible_unit or old.get("responsible_unit"), "responsible_unit",
                                            required=True)
        if status in FINAL_STATUSES:
            new["closed_at"] = when
        return new

    @staticmethod
    def _moved_deadline(case: dict, deadline: str) -> dict:
        """A later deadline; for construction it moves the due date of the stage the case is in."""
        new = parse_day(deadline, field="deadline")
        if case["deadline"] and new.isoformat() < case["deadline"]:
            raise InputError(f"期限不能提前：现为 {case['deadline']}，提交 {new}", field="deadline", value=str(new))
        if new < local_date(parse_moment(case["reported_at"], field="reported_at")):
            raise InputError(f"期限 {new} 早于上报日期", field="deadline", value=str(new))
        if case["category"] != CONSTRUCTION:
            return {"deadline": new.isoformat()}
        if case["status"] == "ordered":
            return {"deadline": new.isoformat(), "self_due": new.isoformat(),
                    "forced_due": lifecycle.forced_demolition_due(new).isoformat()}
        if case["status"] == "forced_demolition":
            return {"deadline": new.isoformat(), "forced_due": new.isoformat()}
        raise InputError(f"状态为 {case['status']} 的违建案件没有可调整的期限", field="deadline")

    @staticmethod
    def _next_id(tx: Transaction, moment: datetime) -> str:
        prefix = f"AJ{local_date(moment).year}-"
        last = tx.one("SELECT MAX(case_id) AS id FROM cases WHERE case_id LIKE ?", (prefix + "%",))["id"]
        number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        return f"{prefix}{number:05d}"

    @staticmethod
    def _repeat_of(tx: Transaction, geom: shapely.Geometry, distance_m: float) -> str | None:
        """The nearest earlier construction case demolished within ``distance_m`` (屡拆屡建)."""
        minx, miny, maxx, maxy = geom.bounds
        pad = distance_m + 2000.0  # x, y is a point on the old feature; large sites reach further
        rows = tx.execute(
            "SELECT case_id, geometry FROM cases WHERE category = ? AND demolished_at IS NOT NULL "
            "AND x BETWEEN ? AND ? AND y BETWEEN ? AND ?",
            (CONSTRUCTION, minx - pad, maxx + pad, miny - pad, maxy + pad)).fetchall()
        best = None
        for row in rows:
            gap = shapely.distance(geom, shapely.from_wkb(row["geometry"]))
            if gap <= distance_m and (best is None or gap < best[0]):
                best = (gap, row["case_id"])
        return best[1] if best else None

    @staticmethod
    def _event(tx: Transaction, case_id: str, at: str, old: str | None, new: str, note: str) -> None:
        tx.execute("INSERT INTO case_events (case_id, at, user, from_status, to_status, note) VALUES (?,?,?,?,?,?)",
                   (case_id, at, tx.user, old, new, note))


NEWEST_FIRST = "ORDER BY reported_at DESC, case_id DESC"


def _filters(*, status: str | None = None, category: str | None = None, town: str | None = None,
             month: tuple[datetime, datetime] | None = None, open_only: bool = False,
             grid: str | None = None) -> tuple[str, list]:
    """The SQL ``WHERE`` clause (or "") and its parameters for the case filters."""
    where, params = [], []
    for column, value in (("status", status), ("category", category), ("town", town), ("grid_id", grid)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if month:
        where.append("reported_at >= ? AND reported_at < ?")
        params += [to_utc_text(month[0]), to_utc_text(month[1])]
    if open_only:
        where.append(f"status NOT IN ({','.join('?' for _ in FINAL_STATUSES)})")
        params += list(FINAL_STATUSES)
    return (f" WHERE {' AND '.join(where)}" if where else ""), params


def case_ids_reported(ledger: Ledger, reporter: str, description_prefix: str) -> list[str]:
    """Ids of the cases ``reporter`` filed whose description starts with ``description_prefix``, in order."""
    pattern = description_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return [r["case_id"] for r in ledger.query(
        "SELECT case_id FROM cases WHERE reporter = ? AND description LIKE ? ESCAPE '\\' ORDER BY case_id",
        (reporter, pattern))]


def open_cases_in(ledger: Ledger, extent: tuple[float, float, float, float]) -> list[dict]:
    """Open cases whose point lies inside ``extent`` (minx, miny, maxx, maxy in storage CRS):
    ``case_id``, ``category``, ``status``, ``x``, ``y``, by case id."""
    minx, miny, maxx, maxy = extent
    marks = ",".join("?" for _ in FINAL_STATUSES)
    return [dict(r) for r in ledger.query(
        f"SELECT case_id, category, status, x, y FROM cases WHERE status NOT IN ({marks}) "
        "AND x BETWEEN ? AND ? AND y BETWEEN ? AND ? ORDER BY case_id", (*FINAL_STATUSES, minx, maxx, miny, maxy))]
