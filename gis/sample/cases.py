"""A handful of sample cases for the demo, so the case pages and printouts show what they are for.

Every one says it is sample data (description starts with the sample mark; reporter ``示例``):
a construction case inside its 3-day self-demolition window, a case past its deadline, a closed
one, and two more open ones.  Made once per ledger: a second run keeps what is there.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from gis.ledger.cases import case_ids_reported
from gis.localtime import LOCAL
from gis.schema import SAMPLE_MARK

SAMPLE_REPORTER = "示例"


def _at(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), tzinfo=LOCAL).isoformat()


def sample_cases_in(ledger) -> list[str]:
    """Ids of the sample cases already in the ledger."""
    return case_ids_reported(ledger, SAMPLE_REPORTER, SAMPLE_MARK)


def add_sample_cases(cases, grid_points: dict[str, tuple[float, float]], today: date) -> list[dict]:
    """Record the sample cases (``grid_points``: a WGS84 point inside each grid by id); returns them."""
    yesterday = today - timedelta(days=1)
    plan = [  # grid, category, days ago reported, deadline (days from today), what, steps [(status, days ago, kw)]
        ("XWZ-K05", "construction", 1, None, "库滨带新搭彩钢板房一处，约 40 平方米，正在施工",
         [("ordered", 0, {"order_kind": "stop"})]),
        ("TST-K03", "sanitation", 20, -10, "库边倾倒建筑垃圾约 5 立方米，已通知村委会清运", []),
        ("MJY-K02", "fire", 6, None, "游客在围网外野炊生火，已当场制止", [("stopped", 6, {}), ("closed", 5, {})]),
        ("GL-K03", "grazing", 2, 12, "散放山羊 20 余只进入一级保护区", []),
        ("BLT-K08", "river", 3, 20, "河道内洗车", []),
    ]
    made = []
    for grid, category, ago, due_in, what, steps in plan:
        if grid not in grid_points:
            continue
        lon, lat = grid_points[grid]
        reported = today - timedelta(days=ago)
        case = cases.add(user="demo", category=category, source="patrol", reporter=SAMPLE_REPORTER, lon=lon, lat=lat,
                         reported_at=_at(reported, 9), description=f"{SAMPLE_MARK}：{what}",
                         deadline=(today + timedelta(days=due_in)).isoformat() if due_in is not None else None)
        for status, days_ago, extra in steps:
            moment = _at(max(today - timedelta(days=days_ago), reported), 10 if days_ago else 8)
            if status == "ordered" and days_ago == 0:
                moment = _at(yesterday, 15)  # ordered yesterday afternoon: inside its 3-day window
            case = cases.update(case["case_id"], user="demo", status=status, at=moment, **extra)
        made.append(case)
    return made
