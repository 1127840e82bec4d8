"""The life of a case: allowed transitions, deadlines and what is overdue.

Pure functions over plain values, so the rules read like the documents:

* illegal construction (密政发〔2022〕19号): discovered → order (stop or correction
  notice) → self-demolition within 3 calendar days → forced demolition within 7
  more days → demolished → verified and closed;
* every other duty category: reported → stopped → handed to the responsible
  unit → closed, against a deadline the town sets.

Days are calendar days in Asia/Shanghai: a case ordered at 21:00 on 30 December
must be gone by the end of 2 January.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from gis.errors import Conflict, InputError
from gis.schema import (
    CASE_STATUSES,
    CONSTRUCTION,
    CONSTRUCTION_TRANSITIONS,
    ESCALATION_STEPS,
    FINAL_STATUSES,
    FORCED_DEMOLITION_DAYS,
    OTHER_TRANSITIONS,
    SELF_DEMOLITION_DAYS,
)


def first_status(category: str) -> str:
    return "discovered" if category == CONSTRUCTION else "reported"


def transitions(category: str) -> dict[str, tuple[str, ...]]:
    return CONSTRUCTION_TRANSITIONS if category == CONSTRUCTION else OTHER_TRANSITIONS


def check_transition(category: str, current: str, target: str) -> None:
    """Raise :class:`~gis.errors.Conflict` unless the lifecycle allows ``current`` → ``target``."""
    if target not in CASE_STATUSES:
        raise InputError(f"未知状态 {target}；应为 {'、'.join(CASE_STATUSES)}", field="status", value=target)
    allowed = transitions(category).get(current, ())
    if target not in allowed:
        nexts = "、".join(f"{s}（{CASE_STATUSES[s]}）" for s in allowed) or "无（已结案）"
        raise Conflict(f"状态不能由 {current}（{CASE_STATUSES[current]}）改为 {target}"
                       f"（{CASE_STATUSES[target]}）；可改为：{nexts}", field="status", value=target)


def self_demolition_due(ordered_on: date) -> date:
    """Last day for the party to remove the structure (第二十一条: 3 days)."""
    return ordered_on + timedelta(days=SELF_DEMOLITION_DAYS)


def forced_demolition_due(self_due: date, forced_on: date | None = None) -> date:
    """Last day of the town's forced demolition (第二十二条: within 7 days of the expiry).

    A forced demolition started after the self-demolition deadline runs 7 days
    from its start.
    """
    start = max(self_due, forced_on) if forced_on else self_due
    return start + timedelta(days=FORCED_DEMOLITION_DAYS)


@dataclass(frozen=True)
class Overdue:
    due: date
    days: int
    next_action: str
    escalation: tuple[str, ...]  # Chinese names of every step now due


def escalation_due(days_overdue: int) -> tuple[str, ...]:
    return tuple(name for threshold, _, name in ESCALATION_STEPS if days_overdue >= threshold)


def overdue(case: dict, on: date) -> Overdue | None:
    """How ``case`` (a ledger row as a dict) stands on day ``on``; None when it is not overdue."""
    status = case["status"]
    if status in FINAL_STATUSES or status == "demolished":
        return None
    if case["category"] == CONSTRUCTION:
        if status == "discovered" or not case.get("self_due"):
            return None
        self_due = date.fromisoformat(case["self_due"])
        forced_due = date.fromisoformat(case["forced_due"])
        if on > forced_due:
            days = (on - forced_due).days
            return Overdue(forced_due, days, "立即组织强制拆除并上报区规自分局", escalation_due(days))
        if status == "ordered" and on > self_due:
            return Overdue(self_due, (on - self_due).days,
                           f"当事人逾期未自行拆除，{forced_due.isoformat()} 前组织强制拆除", ())
        return None
    if not case.get("deadline"):
        return None
    deadline = date.fromisoformat(case["deadline"])
    if on <= deadline:
        return None
    days = (on - deadline).days
    return Overdue(deadline, days, "督促责任单位办结", escalation_due(days))
