"""What each role may do, and where: the one place that decides.

Roles (``gis.schema.ROLES``): the administrator does everything; the GIS
officer replaces layers and reads the rest; the manager reads everything,
records and confirms deductions, closes cases; the town operator works on
the cases, reports and staff of their own town; field staff submit tracks
and cases for their own grid and see their grid.  Refusals raise
:class:`~gis.errors.Forbidden` (HTTP 403) before anything changes.
"""

from __future__ import annotations

from collections.abc import Callable

from gis.auth.users import User
from gis.errors import Forbidden
from gis.schema import ROLES

EVERYONE = tuple(ROLES)
OFFICES = ("admin", "gis_officer", "manager", "town_operator")

ACTIONS: dict[str, tuple[str, ...]] = {
    "read": EVERYONE,  # maps, layers, assignment; the data routes scope further
    "read_reports": OFFICES,  # office tables (town operators: their town's rows)
    "district_files": ("admin", "gis_officer", "manager"),  # report files written for the whole district
    "import_layers": ("admin", "gis_officer"),
    "create_case": ("admin", "manager", "town_operator", "field_staff"),
    "update_case": ("admin", "manager", "town_operator"),
    "close_case": ("admin", "manager"),
    "upload_tracks": ("admin", "manager", "town_operator", "field_staff"),
    "submit_monthly": ("admin", "manager", "town_operator"),
    "reconcile": ("admin", "manager"),
    "manage_staff": ("admin", "manager"),  # the roster
    "record_deduction": ("admin", "manager", "town_operator"),
    "decide_appeal": ("admin", "manager"),
    "plan_relocation": ("admin", "manager", "town_operator"),
    "issue_passes": ("admin", "manager"),  # passes come from the reservoir or the district office
    "log_gate_entries": ("admin", "manager", "town_operator", "field_staff"),  # gate keepers, in their town
    "manage_users": ("admin",),
}
_TITLES = {
    "import_layers": "替换图层", "create_case": "登记案件", "update_case": "办理案件", "close_case": "结案",
    "upload_tracks": "上传轨迹", "submit_monthly": "报送月报", "reconcile": "卫片比对", "manage_staff": "管理花名册",
    "record_deduction": "记录扣分", "decide_appeal": "处理申诉", "plan_relocation": "登记搬迁计划",
    "issue_passes": "登记通行证明", "log_gate_entries": "登记进出", "manage_users": "管理用户", "read_reports": "查看报表", "read": "查看", "district_files": "下载全区报表文件",
}


def can(user: User, action: str) -> bool:
    return user.role in ACTIONS[action]


def require(user: User, action: str) -> None:
    """Refuse unless the user's role may do ``action``."""
    if not can(user, action):
        raise Forbidden(f"{user.label} 无权{_TITLES.get(action, action)}")


def require_town(user: User, town: str | None) -> None:
    """Refuse a town operator or field staff acting outside their own town."""
    if user.role in ("town_operator", "field_staff") and town != user.town:
        raise Forbidden(f"{user.label} 只能处理本镇（{user.town}）的事项，此事项属于 {town or '网格外'}")


def require_grid(user: User, grid_id: str | None, town: str | None = None) -> None:
    """Refuse field staff acting outside their grid, and town operators outside their town."""
    if user.role == "field_staff" and grid_id != user.grid_id:
        raise Forbidden(f"{user.label} 只能处理本网格（{user.grid_id}）的事项，此事项属于 {grid_id or '网格外'}")
    require_town(user, town)


def town_scope(user: User, requested: str | None = None) -> str | None:
    """The town a listing is limited to: the user's own for town-bound roles (a different request is refused)."""
    if user.role in ("town_operator", "field_staff"):
        if requested and requested != user.town:
            raise Forbidden(f"{user.label} 只能查看本镇（{user.town}）")
        return user.town
    return requested


def grid_scope(user: User, requested: str | None = None) -> str | None:
    """The grid a listing is limited to: field staff see only their own."""
    if user.role == "field_staff":
        if requested and requested != user.grid_id:
            raise Forbidden(f"{user.label} 只能查看本网格（{user.grid_id}）")
        return user.grid_id
    return requested


def staff_checker(user: User, ledger, grids) -> Callable[[set[str]], None] | None:
    """What checks the staff codes of an upload: field staff may send only their grid's staff, town
    operators only their town's (None: the role may send anyone's).  A code not on the roster
    (``ledger``'s staff) is placed by the grid its sample code names, in ``grids`` (grid_id, town)."""
    if user.role not in ("field_staff", "town_operator"):
        return None
    from gis.ledger.staff import staff_places
    from gis.staff.codes import grid_of_staff

    roster = staff_places(ledger)
    grid_towns = dict(zip(grids["grid_id"], grids["town"]))

    def where(staff_id: str) -> tuple[str | None, str | None]:
        if staff_id in roster:
            return roster[staff_id]
        grid = grid_of_staff(staff_id)
        return grid, grid_towns.get(grid)

    def check(staff_ids: set[str]) -> None:
        for staff_id in sorted(staff_ids):
            require_grid(user, *where(staff_id))

    return check
