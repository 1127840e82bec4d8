"""The yearly assessment of each town out of 100 (attachment 3).

* working mechanism, 30: nine items worth 3, 3, 2, 3, 3, 4, 4, 4, 4, each scored
  by the assessment group with its evidence (an item not yet scored counts 0
  and is listed);
* staff, 50: less every counting point deducted from the town's staff in the year;
* results, 20: all lost on any one of the three events.
"""

from __future__ import annotations

import pandas as pd

from gis.errors import InputError
from gis.ledger.db import Ledger
from gis.localtime import parse_day
from gis.lookup import check_town
from gis.schema import MECHANISM_ITEMS, RESULT_EVENTS, RESULT_SCORE, STAFF_SCORE, TOWN_QUOTAS
from gis.staff.deductions import deductions

WEIGHTS = {number: weight for number, weight, _ in MECHANISM_ITEMS}
ASSESSMENT_COLUMNS = {
    "town": "镇", "year": "年度", "mechanism": "工作机制(30)", "items_not_scored": "未评项目",
    "staff": "网格保水员(50)", "points_deducted": "保水员扣分合计", "results": "履职结果(20)",
    "result_events": "结果否决事项", "total": "总分(100)",
}


def score_mechanism(ledger: Ledger, *, user: str, town: str, year: int, item: int, score: float,
                    evidence: str) -> dict:
    """Score one of the nine mechanism items (0 … its weight), with evidence; a new score replaces the old."""
    check_town(town)
    if item not in WEIGHTS:
        raise InputError(f"工作机制考核项目应为 1–9，收到 {item}", field="item", value=item)
    if not 0 <= score <= WEIGHTS[item]:
        raise InputError(f"第 {item} 项满分 {WEIGHTS[item]} 分，收到 {score}", field="score", value=score)
    if not (evidence or "").strip():
        raise InputError("评分须附依据", field="evidence")
    key = {"town": town, "year": int(year), "item": int(item)}
    values = {"score": float(score), "evidence": evidence.strip()[:2000]}
    with ledger.write(user) as tx:
        tx.upsert("mechanism_scores", key, {**values, "recorded_at": tx.at, "recorded_by": user})
    return {**key, **values}


def record_result_event(ledger: Ledger, *, user: str, town: str, event: str, occurred_on, evidence: str) -> dict:
    """One of the three events that cost a town all 20 result points in that year."""
    check_town(town)
    if event not in RESULT_EVENTS:
        raise InputError(f"未知事项 {event}；应为 {'、'.join(RESULT_EVENTS)}", field="event", value=event)
    if not (evidence or "").strip():
        raise InputError("须附依据（文件号、报道等）", field="evidence")
    day = parse_day(occurred_on, field="occurred_on")
    with ledger.write(user) as tx:
        values = {"town": town, "year": day.year, "event": event, "occurred_on": day.isoformat(),
                  "evidence": evidence.strip()[:2000], "recorded_at": tx.at, "recorded_by": user}
        tx.insert("result_events", town, values)
    return values


def town_assessment(ledger: Ledger, year: int) -> pd.DataFrame:
    """Each town's score for ``year`` with its parts (English columns; see ASSESSMENT_COLUMNS)."""
    scores = pd.DataFrame([dict(r) for r in ledger.query(
        "SELECT town, item, score FROM mechanism_scores WHERE year = ?", (year,))], columns=["town", "item", "score"])
    events = pd.DataFrame([dict(r) for r in ledger.query(
        "SELECT town, event, occurred_on FROM result_events WHERE year = ?", (year,))],
        columns=["town", "event", "occurred_on"])
    counting = deductions(ledger, year=year, counting_only=True)
    rows = []
    for quota in TOWN_QUOTAS:
        mine = scores.loc[scores["town"] == quota.name]
        missing = [str(n) for n in WEIGHTS if n not in set(mine["item"])]
        points = int(counting.loc[counting["town"] == quota.name, "points"].sum())
        lost = events.loc[events["town"] == quota.name]
        mechanism = round(float(mine["score"].sum()), 1)
        staff = max(0, STAFF_SCORE - points)
        results = 0 if len(lost) else RESULT_SCORE
        rows.append({"town": quota.name, "year": year, "mechanism": mechanism, "items_not_scored": "、".join(missing),
                     "staff": staff, "points_deducted": points, "results": results,
                     "result_events": "；".join(f"{d} {RESULT_EVENTS[e]}" for e, d in zip(lost["event"],
                                                                                          lost["occurred_on"])),
                     "total": round(mechanism + staff + results, 1)})
    return pd.DataFrame(rows)
