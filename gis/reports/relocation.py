"""The relocation tables as sheets: attachment 1 (plan), attachment 2 (progress), subsidies and what is late."""

from __future__ import annotations

from datetime import date

import pandas as pd

from gis.ledger.db import Ledger
from gis.relocation.plans import late_items, latest_progress, payments, plan_table, plans, progress_table


def relocation_sheets(ledger: Ledger, year: int, month: str | None, as_of: date) -> dict[str, pd.DataFrame]:
    rows = []
    for plan in plans(ledger, year).to_dict("records"):
        done = latest_progress(ledger, plan["plan_id"]) or {}
        money = payments(plan, done.get("structure_done", 0.0), accepted=bool(done.get("accepted_on")),
                         started=bool(done.get("started")))
        rows.append({"计划编号": plan["plan_id"], "乡镇": plan["town"], "村名": plan["village"],
                     "市级补助(元)": money["city_yuan"], "区级补助(元)": money["district_yuan"],
                     "合计(元)": money["total_yuan"], "市级可拨比例": f"{money['city_share_payable']:.0%}",
                     "市级可拨(元)": money["city_payable_yuan"],
                     "滞后事项": "；".join(late_items(ledger, plan, as_of))})
    sheets = {f"{year}年计划统计表": plan_table(ledger, year)}
    if month:
        sheets[f"{month}实施进度统计表"] = progress_table(ledger, month)
    sheets["补助与拨付"] = pd.DataFrame(rows, columns=["计划编号", "乡镇", "村名", "市级补助(元)", "区级补助(元)",
                                                  "合计(元)", "市级可拨比例", "市级可拨(元)", "滞后事项"])
    return sheets
