"""Points deducted from staff (attachment 3, staff part) and what follows from them.

A deduction is recorded with its date, evidence and recorder.  It counts
unless it is under appeal; an appeal ends upheld (it counts from the day of the
decision) or overturned (it never counts).  Counting points cost the town 100
yuan each off the next quarter's labour subsidy; 3 or more points in a calendar
year fail the staff member, who is listed for dismissal by the town.

Absences are never deducted automatically: :func:`candidate_absences` lists
staff with no fix inside their own grid during their shift, for a manager to
confirm or dismiss.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from gis.errors import Conflict, InputError, NotFound
from gis.ledger.db import Ledger
from gis.localtime import LOCAL, local_date, now_utc, parse_day
from gis.staff.codes import SHIFT_HOURS, SHIFTS
from gis.schema import DEDUCTION_COUNTING, DEDUCTION_KINDS, DEDUCTION_STATES, DISMISSAL_POINTS

COLUMNS = {
    "deduction_id": "扣分编号", "staff_id": "保水员编号", "town": "镇", "grid_id": "网格编号", "kind": "扣分事由",
    "points": "扣分", "occurred_on": "发生日期", "evidence": "证据", "case_id": "关联案件", "state": "状态",
    "effective_on": "生效日期", "recorded_by": "记录人", "appeal_note": "申诉理由", "decided_by": "申诉处理人",
}


def record(ledger: Ledger, *, user: str, staff_id: str, kind: str, occurred_on, evidence: str,
           case_id: str | None = None) -> dict:
    """Record a deduction (it counts at once, unless later appealed)."""
    if kind not in DEDUCTION_KINDS:
        raise InputError(f"未知扣分事由 {kind}；应为 {'、'.join(f'{k}（{v[1]}）' for k, v in DEDUCTION_KINDS.items())}",
                         field="kind", value=kind)
    day = parse_day(occurred_on, field="occurred_on")
    if day > local_date(now_utc()):
        raise InputError(f"发生日期 {day} 在未来", field="occurred_on", value=str(day))
    evidence = (evidence or "").strip()
    if not evidence:
        raise InputError("扣分须有证据（时间、地点、情况、照片或证人）", field="evidence")
    with ledger.write(user) as tx:
        staff = tx.one("SELECT status, start_date FROM staff WHERE staff_id = ?", (staff_id,))
        if staff is None:
            raise NotFound(f"保水员 {staff_id} 不在花名册中", field="staff_id", value=staff_id)
        if case_id and tx.one("SELECT 1 FROM cases WHERE case_id = ?", (case_id,)) is None:
            raise NotFound(f"案件 {case_id} 不存在", field="case_id", value=case_id)
        values = {"staff_id": staff_id, "kind": kind, "points": DEDUCTION_KINDS[kind][0],
                  "occurred_on": day.isoformat(), "evidence": evidence[:2000], "case_id": case_id,
                  "state": "recorded", "effective_on": day.isoformat(), "recorded_at": tx.at, "recorded_by": user}
        deduction_id = tx.insert("deductions", staff_id, values)
    return {"deduction_id": deduction_id, **values}


def _move(ledger: Ledger, user: str, deduction_id: int, allowed_from: str, changes: dict) -> dict:
    with ledger.write(user) as tx:
        row = tx.one("SELECT * FROM deductions WHERE deduction_id = ?", (deduction_id,))
        if row is None:
            raise NotFound(f"扣分记录 {deduction_id} 不存在", field="deduction_id", value=deduction_id)
        if row["state"] != allowed_from:
            raise Conflict(f"扣分记录 {deduction_id} 现为「{DEDUCTION_STATES[row['state']]}」，不能"
                           f"{'申诉' if changes['state'] == 'appealed' else '处理申诉'}", field="state")
        tx.update("deductions", {"deduction_id": deduction_id}, dict(row), changes)
        return {**dict(row), **changes}


def appeal(ledger: Ledger, deduction_id: int, *, user: str, note: str) -> dict:
    """The staff member appeals: the deduction stops counting until upheld."""
    if not (note or "").strip():
        raise InputError("申诉须写明理由", field="note")
    return _move(ledger, user, deduction_id, "recorded", {"state": "appealed", "appeal_note": note.strip()[:2000],
                                                         "effective_on": None})


def decide(ledger: Ledger, deduction_id: int, *, user: str, upheld: bool, on=None) -> dict:
    """A manager decides an appeal: upheld counts from ``on`` (default today), overturned never."""
    day = parse_day(on, field="on") if on else local_date(now_utc())
    changes = {"state": "upheld" if upheld else "overturned", "decided_by": user, "decided_at": day.isoformat(),
               "effective_on": day.isoformat() if upheld else None}
    return _move(ledger, user, deduction_id, "appealed", changes)


def deductions(ledger: Ledger, *, year: int | None = None, counting_only: bool = False) -> pd.DataFrame:
    """Deductions (with the staff member's town and grid), optionally of one calendar year of occurrence."""
    sql = ("SELECT d.*, s.town, s.grid_id FROM deductions d JOIN staff s USING (staff_id)"
           " WHERE (? IS NULL OR substr(d.occurred_on, 1, 4) = ?)")
    params = [year, str(year) if year else None]
    if counting_only:
        sql += f" AND d.state IN ({','.join('?' for _ in DEDUCTION_COUNTING)})"
        params += list(DEDUCTION_COUNTING)
    rows = [dict(r) for r in ledger.query(sql + " ORDER BY d.occurred_on, d.deduction_id", params)]
    return pd.DataFrame(rows, columns=[*COLUMNS, "recorded_at", "decided_at"])


def staff_points(ledger: Ledger, year: int) -> pd.DataFrame:
    """Per staff member with deductions in ``year``: counting points, pending appeals, failed (≥ 3 points)."""
    every = deductions(ledger, year=year)
    if every.empty:
        return pd.DataFrame(columns=["staff_id", "town", "grid_id", "points", "pending_appeals", "failed"])
    every["counting"] = every["state"].isin(DEDUCTION_COUNTING) * every["points"]
    every["pending"] = (every["state"] == "appealed").astype(int)
    table = every.groupby(["staff_id", "town", "grid_id"], as_index=False).agg(
        points=("counting", "sum"), pending_appeals=("pending", "sum"))
    table["failed"] = table["points"] >= DISMISSAL_POINTS
    return table.sort_values(["points", "staff_id"], ascending=[False, True]).reset_index(drop=True)


def dismissal_list(ledger: Ledger, year: int) -> pd.DataFrame:
    """Staff at 3 or more counting points in ``year``: failed, to be dismissed by the town."""
    table = staff_points(ledger, year)
    return table.loc[table["failed"]].reset_index(drop=True)


def candidate_absences(data_dir: Path, roster: pd.DataFrame, day: str) -> pd.DataFrame:
    """Staff on the roster with no good fix inside their own grid during their shift on ``day``.

    Proposals only, for a manager to confirm with :func:`record` — never applied here.
    Staff are given the shift of the sample rota (``gis.staff.codes``): shift k covers
    local hours 8k … 8k+8, by the order of the staff code within the grid.
    """
    from gis.tracks.store import read_day

    fixes = read_day(data_dir, day, columns=["staff_id", "time", "grid_id", "flag"])
    local_hour = pd.to_datetime(fixes["time"], utc=True).dt.tz_convert(LOCAL).dt.hour
    good = fixes.assign(shift=local_hour // SHIFT_HOURS).loc[fixes["flag"].fillna("") == ""]
    on_duty = roster.loc[roster["status"] == "active", ["staff_id", "town", "grid_id"]].copy()
    number = pd.to_numeric(on_duty["staff_id"].str.rsplit("-", n=1).str[-1], errors="coerce")
    on_duty["shift"] = (number - 1) % SHIFTS  # unknown (any time counts) for codes without a number
    in_grid = good.merge(on_duty[["staff_id", "grid_id"]], on=["staff_id", "grid_id"])
    own_shift = in_grid["staff_id"].map(on_duty.set_index("staff_id")["shift"])
    present = in_grid.loc[own_shift.isna() | (in_grid["shift"] == own_shift), "staff_id"]
    missing = on_duty.loc[~on_duty["staff_id"].isin(present)].copy()
    seen = good.groupby("staff_id").size()
    missing["fixes_that_day"] = missing["staff_id"].map(seen).fillna(0).astype(int)
    missing["shift_hours"] = missing["shift"].map(
        lambda k: "全天" if pd.isna(k) else f"{int(k) * SHIFT_HOURS:02d}:00–{(int(k) + 1) * SHIFT_HOURS:02d}:00")
    missing["date"] = day
    missing["reason"] = missing["fixes_that_day"].map(
        lambda n: "当日无定位" if n == 0 else "班次内未在本网格出现")
    return missing.drop(columns=["shift"]).reset_index(drop=True)


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1
