"""The utility block list (密政发〔2022〕19号 第八条、第十九条).

Water, power, gas, heat and telecom providers must not connect an illegal structure.  The list
holds every open construction case — from the day it was found until it is demolished, closed
or dismissed — with its place, town, village and the date it entered the list.  Each list issued
to a provider is kept (a small JSON file per issue), so the next one says what changed since.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from gis.atomic import replacing
from gis.errors import InputError, NotFound
from gis.ledger.cases import Cases
from gis.localtime import LOCAL, local_text
from gis.reports.writers import reports_dir, write_excel
from gis.schema import CONSTRUCTION, CONSTRUCTION_KINDS, CASE_STATUSES, SAMPLE_MARK, UTILITY_COLUMNS, UTILITY_PROVIDERS

LEAVING_STATUSES = ("demolished", "closed", "dismissed")


def check_provider(provider: str) -> str:
    if provider not in UTILITY_PROVIDERS:
        raise InputError(f"未知供应单位类别 {provider!r}；应为 {'、'.join(UTILITY_PROVIDERS)}", field="provider",
                         value=provider)
    return provider


def nearest_village(x: np.ndarray, y: np.ndarray, towns: np.ndarray, villages) -> list[str]:
    """The nearest village point of the same town (any village when the town has none)."""
    if villages is None or villages.empty:
        return [""] * len(x)
    vx, vy = villages.geometry.x.to_numpy(), villages.geometry.y.to_numpy()
    names, vtown = villages["name"].to_numpy(object), villages["town"].to_numpy(object)
    out = []
    for px, py, town in zip(x, y, towns):
        mine = vtown == town if (vtown == town).any() else np.ones(len(vx), bool)
        d = np.hypot(vx[mine] - px, vy[mine] - py)
        out.append(names[mine][d.argmin()] if len(d) else "")
    return out


def block_list(cases: Cases, villages=None, town: str | None = None, grid: str | None = None) -> pd.DataFrame:
    """Every open construction case not yet demolished, oldest first (English column names)."""
    frame = cases.frame(category=CONSTRUCTION, town=town)
    frame = frame[~frame["status"].isin(LEAVING_STATUSES)]
    if grid:
        frame = frame[frame["grid_id"] == grid]
    frame = frame.sort_values(["reported_at", "case_id"]).reset_index(drop=True)
    return pd.DataFrame({
        "case_id": frame["case_id"], "town": frame["town"].fillna(""),
        "village": nearest_village(frame["x"].to_numpy(float), frame["y"].to_numpy(float),
                                   frame["town"].to_numpy(object), villages),
        "grid_id": frame["grid_id"].fillna(""), "lon": frame["lon"].round(6), "lat": frame["lat"].round(6),
        "subtype": frame["subtype"].map(lambda v: CONSTRUCTION_KINDS.get(v, v or "")),
        "area_m2": frame["area_m2"].round(1),
        "status": frame["status"].map(lambda v: CASE_STATUSES.get(v, v)),
        "entered": frame["reported_at"].map(lambda v: local_text(v)[:10]),
    })


def _issues_dir(data_dir: Path, provider: str) -> Path:
    return reports_dir(data_dir) / "utility-lists" / provider


def last_issue(data_dir: Path, provider: str) -> dict | None:
    """The last list issued to ``provider``: {issued_at, case_ids}, or None."""
    folder = _issues_dir(data_dir, provider)
    issues = sorted(folder.glob("*.json")) if folder.exists() else []
    return json.loads(issues[-1].read_text(encoding="utf-8")) if issues else None


def changes(current: pd.DataFrame, previous: dict | None, cases: Cases) -> pd.DataFrame:
    """What changed since ``previous``: cases added, and cases gone with the reason they left."""
    if previous is None:
        return pd.DataFrame(columns=["change", "case_id", "town", "village", "reason"])
    before, now = set(previous["case_ids"]), set(current["case_id"])
    rows = [{"change": "新增", "case_id": r["case_id"], "town": r["town"], "village": r["village"],
             "reason": f"{r['entered']} 发现"} for r in current.to_dict("records") if r["case_id"] not in before]
    for case_id in sorted(before - now):
        try:
            case = cases.get(case_id)
            reason = CASE_STATUSES.get(case["status"], case["status"])
            when = local_text(case.get("demolished_at") or case.get("closed_at") or case.get("updated_at"))
            town = case.get("town") or ""
        except NotFound:  # a case removed from the ledger by hand
            reason, when, town = "台账中已无此案件", "", ""
        rows.append({"change": "移出", "case_id": case_id, "town": town, "village": "",
                     "reason": f"{reason} {when}".strip()})
    return pd.DataFrame(rows, columns=["change", "case_id", "town", "village", "reason"])


def sheets(provider: str, current: pd.DataFrame, changed: pd.DataFrame, previous: dict | None,
           sample: bool) -> dict[str, pd.DataFrame]:
    """The provider's workbook: the list, the changes since the last list, and a note."""
    since = f"上次清单 {local_text(previous['issued_at'])}" if previous else "首次发布"
    note = pd.DataFrame({"说明": [
        f"致{provider}单位：依据密政发〔2022〕19号第八条、第十九条，下列违法建设不得接通{provider}。",
        f"在办违法建设 {len(current)} 处；{since}，新增 {int((changed['change'] == '新增').sum())} 处，"
        f"移出（已拆除或销号）{int((changed['change'] == '移出').sum())} 处。",
        *([SAMPLE_MARK] if sample else []),
    ]})
    return {
        "禁止接入清单": current.rename(columns=UTILITY_COLUMNS),
        "较上次变化": changed.rename(columns={"change": "变化", "case_id": "案件编号", "town": "镇", "village": "村",
                                          "reason": "原因"}),
        "说明": note,
    }


def list_title(provider: str, moment: datetime) -> str:
    """The Chinese title of a provider's list issued at ``moment``."""
    return f"{provider}禁止接入清单（{moment.astimezone(LOCAL):%Y-%m-%d} 发布）"


def issue(cases: Cases, data_dir: Path, provider: str, villages=None, *, sample: bool,
          out_dir: Path | None = None, at: datetime | None = None) -> tuple[Path, pd.DataFrame, pd.DataFrame]:
    """Issue the list to ``provider``: write its Excel, keep the issue; (file, list, changes)."""
    check_provider(provider)
    current = block_list(cases, villages)
    previous = last_issue(data_dir, provider)
    changed = changes(current, previous, cases)
    moment = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    stamp = moment.strftime("%Y%m%dT%H%M%S%fZ")
    out = write_excel(Path(out_dir or reports_dir(data_dir)) / f"utility-list-{provider}-{stamp[:15]}.xlsx",
                      sheets(provider, current, changed, previous, sample), sample=sample,
                      title=list_title(provider, moment))
    record = {"provider": provider, "issued_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
              "case_ids": current["case_id"].tolist(), "file": out.name}
    with replacing(_issues_dir(data_dir, provider) / f"{stamp}.json") as tmp:
        Path(tmp).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return out, current, changed
