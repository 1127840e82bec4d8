"""``/api/gates/...``: passes for the fence gates and the log of entries checked against them."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.auth import CurrentUser
from api.state import layer_set, ledger
from api.tables import Format, sheets_response, town_rows
from api.types import Day
from gis.auth.rights import require, require_town, town_scope
from gis.ledger.gates import add_pass, entries_on, log_entry, passes_table, revoke_pass
from gis.localtime import parse_day
from gis.schema import FENCE_GATES, report_title

router = APIRouter(tags=["gates 围网进出口"])


def gate_towns() -> dict[str, str]:
    """Gate id → town, from the fence_gates layer."""
    gates = layer_set().frames[FENCE_GATES.name]
    return dict(zip(gates["gate_id"], gates["town"]))


class PassIn(BaseModel):
    pass_no: str
    holder: str
    kind: str
    office: str
    valid_from: str
    valid_to: str
    plate: str | None = None
    gates: str | None = None


@router.post("/api/gates/passes", status_code=201, summary="登记通行证明（水库管理处或区保水办签发）")
def new_pass(body: PassIn, user: CurrentUser) -> dict:
    require(user, "issue_passes")
    return add_pass(ledger(), user=user.username, **body.model_dump())


@router.post("/api/gates/passes/{pass_no}/revoke", summary="注销通行证明")
def revoke(pass_no: str, user: CurrentUser) -> dict:
    require(user, "issue_passes")
    revoke_pass(ledger(), pass_no, user=user.username)
    return {"pass_no": pass_no, "revoked": True}


@router.get("/api/gates/passes", summary="通行证明登记簿")
def passes(user: CurrentUser, format: Format = "json"):
    require(user, "read_reports")
    frame = passes_table(ledger())
    valid = int((frame["状态"] == "有效").sum())
    return sheets_response({"通行证明": frame}, format, "gate-passes.xlsx",
                           title=report_title("gate_passes", count=len(frame), valid=valid))


class EntryIn(BaseModel):
    gate_id: str
    kind: str
    pass_no: str | None = None
    who: str = ""
    plate: str | None = None
    time_in: str | None = None
    time_out: str | None = None


@router.post("/api/gates/entries", status_code=201, summary="登记一次进出并与通行证明核对（门岗）")
def new_entry(body: EntryIn, user: CurrentUser) -> dict:
    require(user, "log_gate_entries")
    towns = gate_towns()
    if body.gate_id in towns:
        require_town(user, towns[body.gate_id])
    return log_entry(ledger(), set(towns), user=user.username, **body.model_dump())


@router.get("/api/gates/entries", summary="某日进出登记及核对结果（镇操作员只见本镇）")
def entries(user: CurrentUser, date: Day,
            format: Format = "json"):
    require(user, "read_reports")
    frame = entries_on(ledger(), parse_day(date, field="date"))
    frame.insert(1, "镇", frame["进出口"].map(gate_towns()))
    sheets = town_rows({"进出登记": frame}, town_scope(user))
    problems = int((sheets["进出登记"]["问题"] != "").sum()) if "进出登记" in sheets else 0
    count = len(sheets["进出登记"]) if "进出登记" in sheets else 0
    return sheets_response(sheets, format, f"gate-entries-{date}.xlsx", {"date": date, "with_problems": problems},
                           title=report_title("gate_entries", day=date, count=count, problems=problems))
