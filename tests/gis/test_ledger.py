"""The case ledger on the sample layers: lifecycle and clocks, repeats, audit, bad input, concurrency."""

from __future__ import annotations

import threading
from datetime import date

import numpy as np
import pytest
import shapely

from gis.crs import to_storage, to_web, wgs84_to_gcj02
from gis.errors import Conflict, InputError, NotFound, TooLarge
from gis.ledger.cases import Cases
from gis.ledger.db import Ledger
from gis.ledger.evidence import add_evidence
from gis.ledger.gates import add_pass, log_entry, revoke_pass


@pytest.fixture
def cases(tmp_path, grid_index) -> Cases:
    return Cases(Ledger.in_dir(tmp_path), lambda: grid_index)


def offset(point: tuple[float, float], east_m: float) -> tuple[float, float]:
    x, y = to_storage(np.array([point[0]]), np.array([point[1]]))
    lon, lat = to_web(x + east_m, y)
    return float(lon[0]), float(lat[0])


def construction(cases: Cases, where, at: str, **kw) -> dict:
    return cases.add(user="巡查员甲", category="construction", source="patrol", reporter="XWZ-K01-01",
                     lon=where[0], lat=where[1], reported_at=at, description="彩钢房", **kw)


def test_construction_case_through_every_state_across_a_year_end(cases, grid_points):
    case = construction(cases, grid_points["XWZ-K03"], "2025-12-29T16:00")
    assert (case["case_id"], case["town"], case["grid_id"], case["status"]) == \
        ("AJ2025-00001", "溪翁庄", "XWZ-K03", "discovered")
    assert case["in_zone_l1"] == 1
    # 07:00 Beijing on 31 December is still 30 December in UTC: the clock counts Beijing days
    case = cases.update(case["case_id"], user="镇执法队", status="ordered", order_kind="stop",
                        at="2025-12-31T07:00+08:00")
    assert (case["self_due"], case["forced_due"], case["deadline"]) == ("2026-01-03", "2026-01-10", "2026-01-03")
    assert cases.overdue(date(2026, 1, 3)).empty
    late = cases.overdue(date(2026, 1, 4)).iloc[0]
    assert (late["days_overdue"], late["escalation"]) == (1, "")
    assert "强制拆除" in late["next_action"]
    case = cases.update(case["case_id"], user="镇执法队", status="forced_demolition", at="2026-01-03T10:00")
    assert case["forced_due"] == "2026-01-10"
    assert cases.overdue(date(2026, 1, 10)).empty
    late = cases.overdue(date(2026, 1, 11)).iloc[0]
    assert (late["days_overdue"], late["escalation"]) == (1, "区创建办通报")
    late = cases.overdue(date(2026, 1, 18)).iloc[0]
    assert late["escalation"] == "区创建办通报；区政府督查室督办；抄送区纪委区监委"
    case = cases.update(case["case_id"], user="镇执法队", status="demolished", at="2026-01-09T15:00")
    assert case["demolished_by"] == "forced"
    case = cases.update(case["case_id"], user="区规自分局", status="closed", at="2026-01-12T09:00",
                        note="现场核查已拆除")
    assert cases.overdue(date(2026, 2, 1)).empty
    assert [e["to_status"] for e in case["history"]] == \
        ["discovered", "ordered", "forced_demolition", "demolished", "closed"]
    assert case["version"] == 5
    audit = cases.ledger.query("SELECT user, field, old, new FROM audit WHERE record_id = ? AND field = 'status'",
                               (case["case_id"],))
    assert [(a["user"], a["old"], a["new"]) for a in audit][-1] == ("区规自分局", "demolished", "closed")


def test_clocks_across_a_month_end_and_self_demolition(cases, grid_points):
    case = construction(cases, grid_points["TST-K02"], "2026-02-26T09:00", subtype="land_use")
    case = cases.update(case["case_id"], user="u", status="ordered", order_kind="correction", at="2026-02-27T18:00")
    assert (case["self_due"], case["forced_due"]) == ("2026-03-02", "2026-03-09")
    case = cases.update(case["case_id"], user="u", status="demolished", at="2026-03-01T10:00")
    assert case["demolished_by"] == "self"
    assert cases.overdue(date(2026, 3, 20)).empty


def test_other_categories_follow_their_own_lifecycle(cases, grid_points):
    case = cases.add(user="u", category="sanitation", source="hotline_12345", reporter="12345",
                     lon=grid_points["SC-H02"][0], lat=grid_points["SC-H02"][1], reported_at="2026-10-01T08:00",
                     deadline="2026-10-10")
    assert case["status"] == "reported" and case["in_river_corridor"] == 1
    with pytest.raises(InputError, match="responsible_unit"):
        cases.update(case["case_id"], user="u", status="handed_over", at="2026-10-02T08:00")
    case = cases.update(case["case_id"], user="u", status="handed_over", at="2026-10-02T08:00",
                        responsible_unit="石城镇环卫所")
    assert cases.overdue(date(2026, 10, 12)).iloc[0]["days_overdue"] == 2
    case = cases.update(case["case_id"], user="u", deadline="2026-10-20", note="节假日顺延")
    assert cases.overdue(date(2026, 10, 12)).empty
    case = cases.update(case["case_id"], user="u", status="closed", at="2026-10-08T08:00")
    assert case["status"] == "closed" and case["closed_at"]


def test_a_new_construction_by_a_demolished_one_is_a_repeat(cases, grid_points):
    first = construction(cases, grid_points["BLT-K05"], "2026-06-01T09:00")
    cases.update(first["case_id"], user="u", status="ordered", order_kind="stop", at="2026-06-01T12:00")
    cases.update(first["case_id"], user="u", status="demolished", at="2026-06-03T12:00")
    near = construction(cases, offset(grid_points["BLT-K05"], 20), "2026-08-01T09:00")
    far = construction(cases, offset(grid_points["BLT-K05"], 45), "2026-08-02T09:00")
    assert near["repeat_of"] == first["case_id"]
    assert "屡拆屡建" in near["history"][0]["note"]
    assert far["repeat_of"] is None
    # open neighbours (near, far) are no reason; the demolished one is
    assert construction(cases, offset(grid_points["BLT-K05"], -15), "2026-08-03T09:00")["repeat_of"] == \
        first["case_id"]


def test_a_page_of_cases_is_the_slice_of_the_whole_list(cases, grid_points):
    for n, grid in enumerate(("BLT-K05", "XWZ-K05", "TST-K03", "GL-K02", "XWZ-K06")):
        construction(cases, grid_points[grid], f"2026-08-0{n + 1}T09:00")
    whole = cases.frame(category="construction")
    count, rows = cases.page(limit=2, offset=1, category="construction")
    assert count == len(whole) == 5
    assert [r["case_id"] for r in rows] == list(whole["case_id"].iloc[1:3])  # newest first, as the list
    assert "geometry" not in rows[0] and rows[0]["grid_id"] == whole["grid_id"].iloc[1]
    assert cases.page(limit=10, offset=0, town="溪翁庄")[0] == (whole["town"] == "溪翁庄").sum() == 2


def test_polygons_and_gcj02_points_are_placed(cases, grid_index, grid_points):
    lon, lat = grid_points["GL-K04"]
    glon, glat = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    case = construction(cases, (float(glon[0]), float(glat[0])), "2026-09-01T09:00", crs="gcj02")
    assert case["grid_id"] == "GL-K04"
    assert abs(case["lon"] - lon) < 1e-6 and abs(case["lat"] - lat) < 1e-6
    x, y = to_storage(np.array([lon]), np.array([lat]))
    square = shapely.box(x[0] - 10, y[0] - 10, x[0] + 10, y[0] + 10)
    polygon = cases.add(user="u", category="construction", source="satellite", reporter="区规自分局",
                        geometry=shapely.geometry.mapping(square), crs="EPSG:4548", reported_at="2026-09-02T09:00")
    assert polygon["grid_id"] == "GL-K04" and polygon["area_m2"] == pytest.approx(400, rel=1e-6)
    assert polygon["grids"].startswith("GL-K04:")


@pytest.mark.parametrize("change, error", [
    ({"category": "smuggling"}, "category"),
    ({"source": "rumour"}, "source"),
    ({"lon": 118.3, "lat": 40.45}, "不在密云区内"),
    ({"lon": float("nan"), "lat": 40.45}, "有限数"),
    ({"reported_at": "yesterday"}, "时间格式"),
    ({"reported_at": "2099-01-01T00:00"}, "未来"),
    ({"reporter": " "}, "reporter"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[117, 40.5], [117.01, 40.51], [117.01, 40.5],
                                                       [117, 40.51], [117, 40.5]]]}}, "面不合法"),
    ({"geometry": "{not json"}, "GeoJSON"),
    ({"subtype": "building_in_progress", "category": "fire"}, "subtype"),
])
def test_bad_cases_are_refused_and_nothing_is_stored(cases, grid_points, change, error):
    args = dict(user="u", category="construction", source="patrol", reporter="XWZ-K01-01",
                lon=grid_points["XWZ-K01"][0], lat=grid_points["XWZ-K01"][1])
    if "geometry" in change:
        args.pop("lon"), args.pop("lat")
    with pytest.raises(InputError, match=error):
        cases.add(**{**args, **change})
    assert cases.frame().empty
    assert cases.ledger.one("SELECT COUNT(*) AS n FROM audit")["n"] == 0


def test_refused_updates_leave_the_case_as_it_was(cases, grid_points):
    case = construction(cases, grid_points["MJY-K01"], "2026-10-01T09:00")
    case = cases.update(case["case_id"], user="u", status="ordered", order_kind="stop", at="2026-10-01T10:00")
    before = cases.get(case["case_id"])
    for kwargs, kind, message in [
        ({"status": "closed"}, Conflict, "不能由 ordered"),
        ({"status": "teleported"}, InputError, "未知状态"),
        ({"deadline": "2026-10-02"}, InputError, "不能提前"),
        ({"status": "demolished", "at": "2026-09-30T10:00"}, InputError, "早于上一步"),
        ({"status": "demolished", "expected_version": 1}, Conflict, "已被他人修改"),
    ]:
        with pytest.raises(kind, match=message):
            cases.update(case["case_id"], user="u", **kwargs)
        assert cases.get(case["case_id"]) == before
    with pytest.raises(NotFound):
        cases.update("AJ2026-99999", user="u", status="closed")


def test_two_updates_from_one_version_never_lose_one(cases, grid_points):
    case = construction(cases, grid_points["SC-K01"], "2026-10-01T09:00")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def edit(text: str) -> None:
        barrier.wait()
        try:
            cases.update(case["case_id"], user=text, description=text, expected_version=1)
            outcomes.append(text)
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=edit, args=(t,)) for t in ("甲的描述", "乙的描述")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[0] == "conflict" and len(outcomes) == 2
    after = cases.get(case["case_id"])
    assert after["version"] == 2 and after["description"] == next(o for o in outcomes if o != "conflict")
    # without a version every note lands, in some order, none twice
    writers = [threading.Thread(target=cases.update, args=(case["case_id"],),
                                kwargs={"user": f"u{i}", "note": f"记录{i}"}) for i in range(20)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    notes = [e["note"] for e in cases.get(case["case_id"])["history"]][2:]  # after creation and the edit
    assert sorted(notes) == sorted(f"记录{i}" for i in range(20))
    assert cases.get(case["case_id"])["version"] == 22 == len(cases.get(case["case_id"])["history"])


def test_evidence_must_be_an_image_of_sensible_size(cases, grid_points, tmp_path):
    from PIL import Image

    case = construction(cases, grid_points["FJY-H01"], "2026-10-01T09:00")
    photo = tmp_path / "现场.jpg"
    Image.new("RGB", (64, 48), "red").save(photo)
    stored = add_evidence(cases.ledger, tmp_path / "evidence", case["case_id"], "../../etc/现场.jpg",
                          photo.read_bytes(), user="u")
    assert stored["format"] == "JPEG" and stored["filename"] == "现场.jpg"
    add_evidence(cases.ledger, tmp_path / "evidence", case["case_id"], "again.jpg", photo.read_bytes(), user="u")
    assert len(cases.get(case["case_id"])["evidence"]) == 1
    with pytest.raises(InputError, match="不是可识别的图片"):
        add_evidence(cases.ledger, tmp_path / "evidence", case["case_id"], "x.jpg", b"<script>", user="u")
    with pytest.raises(TooLarge):
        add_evidence(cases.ledger, tmp_path / "evidence", case["case_id"], "big.jpg", b"\xff" * (21 * 2**20),
                     user="u")
    assert len(list((tmp_path / "evidence").rglob("*"))) == 2  # one folder, one photo


def test_gate_entries_are_checked_against_the_passes(tmp_path):
    ledger = Ledger.in_dir(tmp_path)
    gates = {"WM-01", "WM-02"}
    add_pass(ledger, user="区保水办", pass_no="TX-001", holder="水库管理处巡护车", kind="vehicle", plate="京A12345",
             office="reservoir_office", valid_from="2026-01-01", valid_to="2026-06-30", gates="WM-01")
    add_pass(ledger, user="区保水办", pass_no="TX-002", holder="张三", kind="person", office="district_office",
             valid_from="2026-01-01", valid_to="2026-12-31")
    with pytest.raises(InputError, match="签发"):
        add_pass(ledger, user="u", pass_no="TX-003", holder="李四", kind="person", office="village",
                 valid_from="2026-01-01", valid_to="2026-12-31")

    def entry(**kw):
        return log_entry(ledger, gates, user="门岗", **{"gate_id": "WM-01", "time_in": "2026-05-01T08:00", **kw})

    assert entry(kind="vehicle", pass_no="TX-001", plate="京A12345")["problems"] == ""
    assert "车牌" in entry(kind="vehicle", pass_no="TX-001", plate="京B00000")["problems"]
    assert "有效期" in entry(kind="vehicle", pass_no="TX-001", plate="京A12345", time_in="2026-07-01T08:00")["problems"]
    assert "不含进出口" in entry(kind="vehicle", pass_no="TX-001", plate="京A12345", gate_id="WM-02")["problems"]
    assert entry(kind="person")["problems"] == "无通行证明"
    assert "未登记" in entry(kind="person", pass_no="FAKE")["problems"]
    revoke_pass(ledger, "TX-002", user="区保水办")
    assert "注销" in entry(kind="person", pass_no="TX-002")["problems"]
    with pytest.raises(InputError, match="WM-99"):
        entry(kind="person", gate_id="WM-99")
    with pytest.raises(InputError, match="早于"):
        entry(kind="person", pass_no="TX-002", time_out="2026-05-01T07:00")
    assert ledger.one("SELECT COUNT(*) AS n FROM gate_entries")["n"] == 7


def test_overdue_with_cases_of_every_kind_and_missing_dates(cases, grid_points):
    construction(cases, grid_points["XWZ-K02"], "2026-10-01T09:00")  # no order yet: no clock
    for i, grid in enumerate(("XWZ-K03", "XWZ-K04")):
        cases.add(user="u", category="fire", source="patrol", reporter="r", lon=grid_points[grid][0],
                  lat=grid_points[grid][1], reported_at=f"2026-10-0{i + 1}T09:00")  # no deadline
    late = cases.add(user="u", category="river", source="patrol", reporter="r", lon=grid_points["SC-H01"][0],
                     lat=grid_points["SC-H01"][1], reported_at="2026-10-01T09:00", deadline="2026-10-05")
    assert cases.overdue(date(2026, 10, 20))["case_id"].tolist() == [late["case_id"]]


def test_every_case_write_keeps_one_event_per_version(tmp_path, grid_index, grid_points):
    """The case invariant at write (issue 14): an edit without a note or a status change bumped the
    version without an event, so version != events."""
    from gis.ledger.cases import Cases
    from gis.ledger.db import Ledger

    cases = Cases(Ledger.in_dir(tmp_path), lambda: grid_index)
    lon, lat = grid_points["XWZ-K02"]
    case = cases.add(user="u", category="sewage", source="patrol", reporter="r", lon=lon, lat=lat)
    cases.update(case["case_id"], user="u", description="只改描述")
    cases.update(case["case_id"], user="u", note="备注")
    db = cases.ledger
    version = db.one("SELECT version FROM cases WHERE case_id = ?", (case["case_id"],))["version"]
    events = db.one("SELECT COUNT(*) AS n FROM case_events WHERE case_id = ?", (case["case_id"],))["n"]
    assert version == events == 3
