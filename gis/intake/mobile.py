"""What the mobile page (/m/) needs from the core: who the signed-in staff member is, and reports
that are one case however often the phone sends them.

A report carries a client id made on the phone when it was saved; the case it becomes keeps that
id in ``clue_id`` (:data:`~gis.schema.MOBILE_CLUE_PREFIX`), in the same ledger transaction that
creates it, so a report sent twice, or retried after a dropped connection, finds its case instead
of making another.
"""

from __future__ import annotations

import re
import threading

from gis.auth.users import User
from gis.errors import Forbidden, InputError
from gis.ledger.cases import Cases
from gis.ledger.db import Ledger
from gis.staff.codes import grid_of_staff
from gis.schema import MOBILE_CLUE_PREFIX

CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]{7,63}")
_REPORTS = threading.Lock()  # a report and its retry racing each other are taken in turn


def client_id(value: str | None, field: str = "client_id") -> str:
    text = (value or "").strip()
    if not CLIENT_ID.fullmatch(text):
        raise InputError("客户端编号应为 8–64 个字母、数字或 -（页面自动生成）", field=field, value=text[:70])
    return text


def staff_of(ledger: Ledger, user: User) -> str | None:
    """The staff code of a field-staff account: its user name, when that names a staff member of its
    grid (in the roster, or by the grid's code); ``None`` for other accounts."""
    if user.role != "field_staff":
        return None
    row = ledger.one("SELECT grid_id FROM staff WHERE staff_id = ?", (user.username,))
    grid = row["grid_id"] if row else grid_of_staff(user.username)
    return user.username if grid == user.grid_id else None


def require_staff(ledger: Ledger, user: User) -> str:
    staff = staff_of(ledger, user)
    if staff is None:
        raise Forbidden(f"{user.label} 没有对应的保水员编号（账号名应为本网格保水员编号，如 {user.grid_id or 'XWZ-K01'}-01），"
                        "不能上传巡查轨迹")
    return staff


def case_of_report(ledger: Ledger, client: str) -> str | None:
    row = ledger.one("SELECT case_id FROM cases WHERE clue_id = ?", (MOBILE_CLUE_PREFIX + client,))
    return row["case_id"] if row else None


def add_report(cases: Cases, client: str, *, user: str, authorise=None, **fields) -> tuple[dict, bool]:
    """The case of this report: made now (``True``) or found from an earlier send (``False``);
    ``authorise(case)`` refuses the caller a case outside their grid or town, new or found."""
    with _REPORTS:
        existing = case_of_report(cases.ledger, client)
        if existing:
            case = cases.get(existing)
            if authorise is not None:
                authorise(case)
            return case, False
        return cases.add(user=user, clue_id=MOBILE_CLUE_PREFIX + client, authorise=authorise, **fields), True
