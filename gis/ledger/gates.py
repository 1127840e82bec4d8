"""Fence gates (围网进出口): the register of passes and the log of entries, checked against it.

Entry through a gate needs a pass (通行证明) issued by the reservoir office or
the district water-protection office (密政发〔2022〕22号 attachment 2, duty 4).
An entry is always logged — the log is the record of who went in — and its
problems (no pass, unknown or revoked pass, outside validity, wrong kind or
plate, gate not on the pass) are stored with it.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from gis.errors import InputError, NotFound
from gis.ledger.db import Ledger, to_utc_text
from gis.localtime import LOCAL, local_date, local_text, parse_day, parse_moment
from gis.schema import ENTRY_KINDS, PASS_OFFICES


def _required(value, field: str) -> str:
    value = "" if value is None else str(value).strip()
    if not value:
        raise InputError("不能为空", field=field)
    return value[:200]


def add_pass(ledger: Ledger, *, user: str, pass_no: str, holder: str, kind: str, office: str,
             valid_from: str, valid_to: str, plate: str | None = None, gates: str | None = None) -> dict:
    """Register a pass; ``gates`` limits it to some gate ids (comma-separated), else any gate."""
    if kind not in ENTRY_KINDS:
        raise InputError(f"未知类型 {kind}；应为 {'、'.join(ENTRY_KINDS)}", field="kind", value=kind)
    if office not in PASS_OFFICES:
        raise InputError(f"通行证明只能由 {'、'.join(PASS_OFFICES.values())} 签发（{'、'.join(PASS_OFFICES)}）",
                         field="office", value=office)
    start, end = parse_day(valid_from, field="valid_from"), parse_day(valid_to, field="valid_to")
    if end < start:
        raise InputError("有效期结束早于开始", field="valid_to", value=str(end))
    if kind == "vehicle" and not plate:
        raise InputError("车辆通行证明须有车牌号", field="plate")
    pass_no = _required(pass_no, "pass_no")
    values = {"pass_no": pass_no, "holder": _required(holder, "holder"), "kind": kind, "plate": plate,
              "office": office, "valid_from": start.isoformat(), "valid_to": end.isoformat(), "gates": gates,
              "revoked": 0}
    with ledger.write(user) as tx:
        if tx.one("SELECT 1 FROM gate_passes WHERE pass_no = ?", (pass_no,)):
            raise InputError(f"通行证明 {pass_no} 已登记", field="pass_no", value=pass_no)
        tx.insert("gate_passes", pass_no, values)
    return values


def revoke_pass(ledger: Ledger, pass_no: str, *, user: str) -> None:
    with ledger.write(user) as tx:
        old = tx.one("SELECT * FROM gate_passes WHERE pass_no = ?", (pass_no,))
        if old is None:
            raise NotFound(f"通行证明 {pass_no} 未登记", field="pass_no", value=pass_no)
        tx.update("gate_passes", {"pass_no": pass_no}, dict(old), {"revoked": 1})


def problems_of(entry: dict, permit: dict | None, on: date) -> list[str]:
    """What is wrong with an entry given its pass (empty when it is in order)."""
    if not entry.get("pass_no"):
        return ["无通行证明"]
    if permit is None:
        return [f"通行证明 {entry['pass_no']} 未登记"]
    found = []
    if permit["revoked"]:
        found.append("通行证明已注销")
    if not permit["valid_from"] <= on.isoformat() <= permit["valid_to"]:
        found.append(f"不在有效期内（{permit['valid_from']} 至 {permit['valid_to']}）")
    if permit["kind"] != entry["kind"]:
        found.append(f"通行证明为{ENTRY_KINDS[permit['kind']]}证")
    if entry["kind"] == "vehicle" and (entry.get("plate") or "").replace(" ", "") != (permit["plate"] or ""):
        found.append(f"车牌与通行证明不符（证上为 {permit['plate']}）")
    if permit["gates"] and entry["gate_id"] not in [g.strip() for g in permit["gates"].split(",")]:
        found.append(f"通行证明不含进出口 {entry['gate_id']}")
    return found


def log_entry(ledger: Ledger, gate_ids: set[str], *, user: str, gate_id: str, kind: str, time_in,
              pass_no: str | None = None, who: str = "", plate: str | None = None, time_out=None) -> dict:
    """Log one entry through a gate; returns it with the problems found."""
    if gate_id not in gate_ids:
        raise InputError(f"进出口 {gate_id} 不在图层 fence_gates 中", field="gate_id", value=gate_id)
    if kind not in ENTRY_KINDS:
        raise InputError(f"未知类型 {kind}；应为 {'、'.join(ENTRY_KINDS)}", field="kind", value=kind)
    moment_in = parse_moment(time_in, field="time_in")
    moment_out = parse_moment(time_out, field="time_out") if time_out else None
    if moment_out and moment_out < moment_in:
        raise InputError("出场时间早于入场时间", field="time_out", value=str(time_out))
    entry = {"gate_id": gate_id, "pass_no": (pass_no or "").strip() or None, "kind": kind,
             "who": str(who or "")[:200], "plate": plate}
    permit = ledger.one("SELECT * FROM gate_passes WHERE pass_no = ?", (entry["pass_no"],)) \
        if entry["pass_no"] else None
    found = problems_of(entry, dict(permit) if permit else None, local_date(moment_in))
    with ledger.write(user) as tx:
        values = {**entry, "time_in": to_utc_text(moment_in),
                  "time_out": to_utc_text(moment_out) if moment_out else None,
                  "problems": "；".join(found), "recorded_at": tx.at, "recorded_by": user}
        entry_id = tx.insert("gate_entries", f"{gate_id}@{values['time_in']}", values)
    return {"entry_id": entry_id, **values}


def entries_on(ledger: Ledger, day: date) -> pd.DataFrame:
    """The entries of one local day, with their problems, in Chinese column names."""
    start = pd.Timestamp(day, tz=LOCAL).tz_convert("UTC")
    rows = ledger.query("SELECT * FROM gate_entries WHERE time_in >= ? AND time_in < ? ORDER BY time_in",
                        (to_utc_text(start.to_pydatetime()), to_utc_text((start + pd.Timedelta(days=1)).to_pydatetime())))
    frame = pd.DataFrame([dict(r) for r in rows],
                         columns=["gate_id", "pass_no", "kind", "who", "plate", "time_in", "time_out", "problems"])
    frame["kind"] = frame["kind"].map(ENTRY_KINDS)
    for column in ("time_in", "time_out"):
        frame[column] = frame[column].map(local_text)
    return frame.rename(columns={"gate_id": "进出口", "pass_no": "通行证明编号", "kind": "类型", "who": "人员",
                                 "plate": "车牌", "time_in": "进入时间", "time_out": "离开时间", "problems": "问题"})


PASS_COLUMNS = {"pass_no": "通行证明编号", "holder": "持证人", "kind": "类型", "plate": "车牌", "office": "签发单位",
                "valid_from": "有效期起", "valid_to": "有效期止", "gates": "限定进出口", "revoked": "状态"}


def passes_table(ledger: Ledger) -> pd.DataFrame:
    """The register of passes, in Chinese column names."""
    rows = ledger.query("SELECT * FROM gate_passes ORDER BY valid_from DESC, pass_no")
    frame = pd.DataFrame([dict(r) for r in rows], columns=list(PASS_COLUMNS))
    frame["kind"] = frame["kind"].map(ENTRY_KINDS)
    frame["office"] = frame["office"].map(PASS_OFFICES)
    frame["gates"] = frame["gates"].fillna("全部")
    frame["revoked"] = frame["revoked"].map({0: "有效", 1: "已注销"})
    return frame.rename(columns=PASS_COLUMNS)
