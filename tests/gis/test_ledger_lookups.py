"""The ledger's SQL lives in gis.ledger: staff lookups, open cases in an extent, filters applied once."""

from __future__ import annotations

from datetime import date

import pytest

from gis.layers import gpkg
from gis.auth.rights import staff_checker
from gis.auth.users import User
from gis.errors import Forbidden
from gis.ledger.cases import Cases, open_cases_in
from gis.ledger.db import Ledger
from gis.ledger.staff import active_staff_of_grid, deduction_town, staff_places, staff_town
from gis.schema import GRIDS
from gis.staff import deductions
from gis.staff.roster import SAMPLE_SOURCE, load_roster, sample_roster


@pytest.fixture(scope="module")
def grids(sample_layers):
    return gpkg.read_layer(sample_layers, GRIDS.name, columns=["grid_id", "town"], read_geometry=False)


@pytest.fixture
def ledger(tmp_path, sample_layers, grids) -> Ledger:
    ledger = Ledger.in_dir(tmp_path)
    load_roster(ledger, sample_roster(sample_layers), dict(zip(grids["grid_id"], grids["town"])),
                user="区保水办", source=SAMPLE_SOURCE)
    return ledger


def test_staff_lookups(ledger):
    assert staff_town(ledger, "XWZ-K03-02") == "溪翁庄" and staff_town(ledger, "NOBODY") is None
    places = staff_places(ledger)
    assert len(places) == 2150 and places["XWZ-K03-02"] == ("XWZ-K03", "溪翁庄")
    staff = active_staff_of_grid(ledger, "XWZ-K03")
    assert staff and all(s["staff_id"].startswith("XWZ-K03-") for s in staff)
    assert [s["staff_id"] for s in staff] == sorted(s["staff_id"] for s in staff)
    found = deductions.record(ledger, user="溪翁庄镇", staff_id="XWZ-K03-02", kind="absence",
                              occurred_on="2026-01-10", evidence="照片 3 张")
    assert deduction_town(ledger, found["deduction_id"]) == "溪翁庄" and deduction_town(ledger, 999_999) is None


def test_the_upload_rule_lives_in_rights(ledger, grids):
    assert staff_checker(User("admin", "admin"), ledger, grids) is None
    own = staff_checker(User("xwz", "town_operator", town="溪翁庄"), ledger, grids)
    own({"XWZ-K03-02", "XWZ-K05-01"})
    with pytest.raises(Forbidden):
        own({"XWZ-K03-02", "SC-K01-01"})
    field = staff_checker(User("k03", "field_staff", town="溪翁庄", grid_id="XWZ-K03"), ledger, grids)
    field({"XWZ-K03-02"})
    with pytest.raises(Forbidden):
        field({"XWZ-K05-01"})


def test_filters_in_sql_once_and_open_cases_in_an_extent(tmp_path, grid_index, grid_points):
    cases = Cases(Ledger.in_dir(tmp_path), lambda: grid_index)
    made = [cases.add(user="甲", category=category, source="patrol", reporter="XWZ-K01-01", lon=grid_points[g][0],
                      lat=grid_points[g][1], reported_at=at, description="测试")
            for g, category, at in (("XWZ-K03", "construction", "2026-01-05T10:00"),
                                    ("XWZ-K05", "sanitation", "2026-01-06T10:00"),
                                    ("SC-K01", "construction", "2026-02-01T10:00"))]
    assert cases.frame(grid="XWZ-K03")["case_id"].tolist() == [made[0]["case_id"]]
    assert cases.frame(town="溪翁庄", category="construction")["case_id"].tolist() == [made[0]["case_id"]]
    cases.update(made[0]["case_id"], user="乙", status="ordered", order_kind="stop", at="2026-01-05T12:00")
    cases.update(made[2]["case_id"], user="乙", status="ordered", order_kind="stop", at="2026-02-01T12:00")
    late = cases.overdue(date(2026, 3, 1))
    assert set(late["case_id"]) == {made[0]["case_id"], made[2]["case_id"]}
    assert cases.overdue(date(2026, 3, 1), town="石城")["case_id"].tolist() == [made[2]["case_id"]]
    assert cases.overdue(date(2026, 3, 1), grid="XWZ-K03")["case_id"].tolist() == [made[0]["case_id"]]
    everything = (0.0, 0.0, 1e9, 1e9)
    assert [c["case_id"] for c in open_cases_in(cases.ledger, everything)] == [c["case_id"] for c in made]
    x, y = made[1]["x"], made[1]["y"]
    assert [c["case_id"] for c in open_cases_in(cases.ledger, (x - 1, y - 1, x + 1, y + 1))] == [made[1]["case_id"]]
