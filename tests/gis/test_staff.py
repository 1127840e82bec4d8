"""Staff, deductions with appeals, dismissal, the quarterly subsidy, town assessment and the 4816 万元 plan."""

from __future__ import annotations

import pandas as pd
import pytest

from gis.layers import gpkg
from gis.errors import Conflict, InputError, NotFound
from gis.ledger.db import Ledger
from gis.reports.writers import write_excel
from gis.schema import QUOTA_BY_TOWN, STAFF_COLUMNS
from gis.staff import deductions, funds
from gis.staff.assessment import record_result_event, score_mechanism, town_assessment
from gis.reports.staff import funds_sheets, grid_quotas
from gis.staff.roster import (SAMPLE_SOURCE, add_other_posts, load_roster, read_roster_file, reevaluations_due,
                              roster, sample_roster)


@pytest.fixture(scope="module")
def sample_staff(sample_layers) -> pd.DataFrame:
    return sample_roster(sample_layers)


@pytest.fixture(scope="module")
def grid_towns(sample_layers) -> dict[str, str]:
    grids = gpkg.read_layer(sample_layers, "grids", read_geometry=False)
    return dict(zip(grids["grid_id"], grids["town"]))


@pytest.fixture
def ledger(tmp_path, sample_staff, grid_towns) -> Ledger:
    ledger = Ledger.in_dir(tmp_path)
    load_roster(ledger, sample_staff, grid_towns, user="区保水办", source=SAMPLE_SOURCE)
    return ledger


def test_sample_roster_follows_the_quotas(ledger):
    staff = roster(ledger)
    assert len(staff) == 2150
    assert staff.groupby("town").size().to_dict() == {t: q.staff for t, q in QUOTA_BY_TOWN.items()}
    assert staff["name"].eq("").all() and staff["village"].ne("").all()
    assert staff.groupby("grid_id")["role"].apply(lambda r: (r == "leader").sum()).eq(1).all()


def test_funds_reproduce_4816_wan_from_the_sample_roster(ledger, sample_layers):
    sheets, basis = funds_sheets(ledger, sample_layers, 2026)
    assert basis.startswith("按花名册在岗人数编制") and "SAMPLE DATA" in basis
    plan = sheets["年度资金安排"].set_index("镇")
    total = plan.loc["合计"]
    assert [total[c] for c in ("劳务补贴(万元)", "意外伤害保险(万元)", "运行费(万元)", "宣传费(万元)", "培训费(万元)",
                               "应急费用(万元)")] == [3870, 43, 430, 130, 43, 300]
    assert total["合计(万元)"] == 4816 and total["保水员(人)"] == 2150
    assert plan.loc["溪翁庄", "劳务补贴(万元)"] == 720 and plan.loc["区保水委", "宣传费(万元)"] == 50
    quarters = sheets["季度劳务补贴"]
    assert quarters["实拨(元)"].sum() == 38_700_000


def test_funds_without_a_roster_plan_from_the_layer_quotas(tmp_path, sample_layers):
    sheets, basis = funds_sheets(Ledger.in_dir(tmp_path), sample_layers, 2026)
    assert "花名册尚未导入" in basis
    assert sheets["年度资金安排"].set_index("镇").loc["合计", "合计(万元)"] == 4816
    assert sum(grid_quotas(sample_layers).values()) == 2150


def test_three_points_fail_a_staff_member_and_cost_the_town_300_yuan(ledger):
    before = funds.quarterly_subsidy(ledger, 2026, 2).set_index("town")
    for day in ("2026-01-10", "2026-02-11", "2026-03-12"):
        deductions.record(ledger, user="溪翁庄镇", staff_id="XWZ-K03-02", kind="absence", occurred_on=day,
                          evidence="第三方巡查：班次内不在岗，照片 3 张")
    assert deductions.dismissal_list(ledger, 2026)["staff_id"].tolist() == ["XWZ-K03-02"]
    after = funds.quarterly_subsidy(ledger, 2026, 2).set_index("town")
    assert before.loc["溪翁庄", "payable_yuan"] - after.loc["溪翁庄", "payable_yuan"] == 300
    assert after.loc["溪翁庄", "points_previous_quarter"] == 3
    assert (after.drop("溪翁庄")["deducted_yuan"] == 0).all()
    assert funds.quarterly_subsidy(ledger, 2026, 1).set_index("town").loc["溪翁庄", "deducted_yuan"] == 0
    scores = town_assessment(ledger, 2026).set_index("town")
    assert scores.loc["溪翁庄", "staff"] == 47 and scores.loc["石城", "staff"] == 50


def test_an_appealed_deduction_counts_only_once_upheld(ledger):
    first = deductions.record(ledger, user="u", staff_id="SC-K01-03", kind="late_report_bad_effect",
                              occurred_on="2026-04-02", evidence="迟报违建线索，造成不良影响")
    deductions.record(ledger, user="u", staff_id="SC-K01-03", kind="breach", occurred_on="2026-04-20", evidence="x")
    deductions.appeal(ledger, first["deduction_id"], user="SC-K01-03", note="当日已电话报告")
    assert deductions.dismissal_list(ledger, 2026).empty
    assert funds.quarterly_subsidy(ledger, 2026, 3).set_index("town").loc["石城", "deducted_yuan"] == 100
    with pytest.raises(Conflict):
        deductions.appeal(ledger, first["deduction_id"], user="SC-K01-03", note="again")
    deductions.decide(ledger, first["deduction_id"], user="区保水办", upheld=True, on="2026-07-03")
    assert deductions.dismissal_list(ledger, 2026)["staff_id"].tolist() == ["SC-K01-03"]
    # upheld in Q3: the 2 points come off the Q4 payment, the breach's 1 off Q3
    assert funds.quarterly_subsidy(ledger, 2026, 3).set_index("town").loc["石城", "deducted_yuan"] == 100
    assert funds.quarterly_subsidy(ledger, 2026, 4).set_index("town").loc["石城", "deducted_yuan"] == 200
    other = deductions.record(ledger, user="u", staff_id="SC-K01-04", kind="absence", occurred_on="2026-05-02",
                              evidence="y")
    deductions.appeal(ledger, other["deduction_id"], user="SC-K01-04", note="病假已批")
    deductions.decide(ledger, other["deduction_id"], user="区保水办", upheld=False, on="2026-05-20")
    points = deductions.staff_points(ledger, 2026).set_index("staff_id")
    assert points.loc["SC-K01-04", "points"] == 0


def test_bad_deductions_are_refused(ledger):
    for kwargs, kind in [({"staff_id": "NOPE-01"}, NotFound), ({"kind": "laziness"}, InputError),
                         ({"evidence": " "}, InputError), ({"occurred_on": "2099-01-01"}, InputError)]:
        args = {"staff_id": "GL-K01-01", "kind": "absence", "occurred_on": "2026-01-05", "evidence": "e", **kwargs}
        with pytest.raises(kind):
            deductions.record(ledger, user="u", **args)
    assert deductions.deductions(ledger).empty


def test_nobody_holds_two_public_welfare_posts(ledger, sample_staff, grid_towns):
    with pytest.raises(InputError, match="不能兼任"):
        add_other_posts(ledger, pd.DataFrame([{"person_id": "P-XWZ-K01-01", "post": "forest_ranger"}]), user="u")
    add_other_posts(ledger, pd.DataFrame([{"person_id": "P-OUTSIDER", "post": "cleaner"}]), user="u")
    clash = sample_staff.copy()
    clash.loc[0, "person_id"] = "P-OUTSIDER"
    with pytest.raises(InputError, match="第 2 行.*不能兼任保水员"):
        load_roster(ledger, clash, grid_towns, user="u", source="import")
    assert roster(ledger).loc[0, "person_id"] == sample_staff.loc[0, "person_id"]


def test_a_bad_roster_is_refused_whole(ledger, sample_staff, grid_towns):
    bad = sample_staff.copy()
    bad.loc[5, "grid_id"] = "XWZ-K99"
    bad.loc[7, "start_date"] = "sometime"
    with pytest.raises(InputError) as err:
        load_roster(ledger, bad, grid_towns, user="u", source="import", file="roster.xlsx")
    assert "roster.xlsx" in str(err.value) and "第 7 行" in str(err.value) and "第 9 行" in str(err.value)


def test_a_bad_row_of_an_exported_roster_is_named_by_its_sheet_row(ledger, sample_staff, grid_towns, tmp_path):
    """The product's own workbooks have a title row above the header: row numbers count it."""
    bad = sample_staff.copy()
    bad.loc[5, "grid_id"] = "XWZ-K99"
    workbook = write_excel(tmp_path / "花名册.xlsx", {"花名册": bad.rename(columns=STAFF_COLUMNS)}, sample=True)
    with pytest.raises(InputError) as err:
        load_roster(ledger, read_roster_file(workbook), grid_towns, user="u", source="import", file="花名册.xlsx")
    assert "第 8 行" in str(err.value), str(err.value)  # title row 1, header row 2, record 5 on row 8


def test_reevaluations_every_three_years(ledger):
    assert len(reevaluations_due(ledger, pd.Timestamp("2024-03-01").date())) == 0
    due = reevaluations_due(ledger, pd.Timestamp("2024-05-01").date())
    assert len(due) == 2150 and set(due["due_on"]) == {"2024-07-01"}


def test_town_assessment_out_of_100(ledger):
    for number, weight in [(1, 3), (2, 3), (3, 2), (4, 3), (5, 3), (6, 4), (7, 4), (8, 4), (9, 4)]:
        score_mechanism(ledger, user="考核组", town="高岭", year=2026, item=number, score=weight, evidence="台账齐全")
    score_mechanism(ledger, user="考核组", town="高岭", year=2026, item=8, score=3, evidence="一处违建未及时制止")
    with pytest.raises(InputError, match="满分 2"):
        score_mechanism(ledger, user="考核组", town="高岭", year=2026, item=3, score=2.5, evidence="x")
    deductions.record(ledger, user="u", staff_id="GL-K02-01", kind="late_report_bad_effect",
                      occurred_on="2026-06-01", evidence="e")
    scores = town_assessment(ledger, 2026).set_index("town")
    assert scores.loc["高岭", ["mechanism", "staff", "results", "total"]].tolist() == [29.0, 48, 20, 97.0]
    record_result_event(ledger, user="区保水委", town="高岭", event="media_exposure", occurred_on="2026-08-08",
                        evidence="某报 2026-08-08 报道")
    scores = town_assessment(ledger, 2026).set_index("town")
    assert scores.loc["高岭", ["results", "total"]].tolist() == [0, 77.0]
    assert scores.loc["石城", "items_not_scored"] == "1、2、3、4、5、6、7、8、9"


def test_candidate_absences_come_from_tracks_and_are_never_applied(ledger, sample_layers, tmp_path):
    from gis.tracks.pipeline import simulate_and_store
    from gis.tracks.store import read_day

    day = "2026-11-20"
    simulate_and_store(day, sample_layers, tmp_path / "data", n_staff=60)
    seen = set(read_day(tmp_path / "data", day, columns=["staff_id", "time"])["staff_id"])
    staff = roster(ledger)
    candidates = deductions.candidate_absences(tmp_path / "data", staff, day)
    no_fix = candidates.loc[candidates["reason"] == "当日无定位", "staff_id"]
    assert set(no_fix) == set(staff["staff_id"]) - seen
    assert candidates["shift_hours"].str.match(r"\d\d:00–\d\d:00").all()
    assert deductions.deductions(ledger).empty  # proposals only


def test_running_costs_after_the_audit_and_the_reserve_carried_over(ledger, sample_layers):
    sheets, _ = funds_sheets(ledger, sample_layers, 2026, audited_spend={"溪翁庄": 700_000, "石城": 300_000},
                             reserve_used={2025: 1_000_000, 2026: 500_000})
    running = sheets["运行保障费拨付"].set_index("镇")
    # 溪翁庄: planned 400×2000 + 100,000 + 400×200 = 980,000; advance 490,000; balance to 700,000 spent
    assert running.loc["溪翁庄", ["核定(元)", "年初预拨50%(元)", "审计后拨付(元)"]].tolist() == [980_000, 490_000, 210_000]
    assert running.loc["石城", "应退回预拨(元)"] == 190_000
    assert pd.isna(running.loc["高岭", "审计后拨付(元)"])
    reserve = sheets["应急费用结转"].set_index("年度")
    assert reserve.loc[2026, ["上年结转(元)", "可用(元)", "结转下年(元)"]].tolist() == [2_000_000, 5_000_000, 4_500_000]
