"""The ledger's last duties on real files: deadlines proven by stored tracks (overdue list, monthly
report), and the utility block list (Excel per provider, the change since the last list)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from gis.crs import to_storage, to_web
from gis.ledger.cases import Cases
from gis.ledger.db import Ledger
from gis.ledger.visits import case_visits
from gis.schema import SAMPLE_MARK
from gis.tracks.importer import import_file

MIYUN = str(Path(sys.executable).with_name("miyun-gis"))


def run(*args, env=None):
    result = subprocess.run([MIYUN, *args], capture_output=True, text=True, env={**os.environ, **(env or {})},
                            timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def rows(path: Path, sheet: str) -> list[dict]:
    ws = openpyxl.load_workbook(path)[sheet]
    values = list(ws.values)  # row 1 is the sheet's title, row 2 its header
    return [dict(zip(values[1], r)) for r in values[2:]]


@pytest.fixture
def ledger_with_cases(tmp_path, grid_index, grid_points):
    data = tmp_path / "data"
    cases = Cases(Ledger.in_dir(data), lambda: grid_index)
    made = {}
    for name, grid in (("visited", "XWZ-K05"), ("ignored", "XWZ-K08")):
        lon, lat = grid_points[grid]
        case = cases.add(user="tests", category="construction", source="patrol", reporter=f"{grid}-01",
                         lon=lon, lat=lat, reported_at="2026-11-10T09:00")
        made[name] = cases.update(case["case_id"], user="tests", status="ordered", order_kind="stop",
                                  at="2026-11-10T15:00")
    return data, cases, made


def _walk_csv(path: Path, staff: str, lon: float, lat: float, day: str, offset_m: float) -> None:
    """Half an hour of fixes around a point ``offset_m`` east of (lon, lat), one every 20 s."""
    x0, y0 = to_storage(np.array([lon]), np.array([lat]))
    n = 90
    rng = np.random.default_rng(len(day))
    x = x0[0] + offset_m + rng.normal(0, 3, n)
    y = y0[0] + rng.normal(0, 3, n)
    wlon, wlat = to_web(x, y)
    times = pd.Timestamp(f"{day}T09:00:00+08:00").tz_convert("UTC") + pd.to_timedelta(np.arange(n) * 20, unit="s")
    pd.DataFrame({"staff_id": staff, "time": times.strftime("%Y-%m-%dT%H:%M:%SZ"), "lon": wlon.round(7),
                  "lat": wlat.round(7), "accuracy": 5.0}).to_csv(path, index=False)


def test_deadlines_proven_by_tracks(tmp_path, ledger_with_cases, grid_index, grid_points, sample_layers):
    data, cases, made = ledger_with_cases
    visited, ignored = made["visited"], made["ignored"]
    assert (visited["self_due"], visited["forced_due"]) == ("2026-11-13", "2026-11-20")
    lon, lat = grid_points["XWZ-K05"]
    for day, offset in (("2026-11-11", 20.0), ("2026-11-12", 30.0), ("2026-11-16", 400.0)):  # the last too far
        path = tmp_path / f"walk-{day}.csv"
        _walk_csv(path, "XWZ-K05-03", lon, lat, day, offset)
        assert import_file(path, grid_index, data).stored == 90
    on = pd.Timestamp("2026-11-25").date()
    result = case_visits(cases, data, cases.get(visited["case_id"]), on)
    assert result["window_days"] == 11 and result["visited_days"] == 2
    by_day = {d["date"]: d for d in result["days"]}
    assert by_day["2026-11-10"]["stage_cn"] == "下达通知书当日" and not by_day["2026-11-10"]["visited"]
    assert by_day["2026-11-11"]["visitors"] == ["XWZ-K05-03"] and by_day["2026-11-11"]["first"] == "11-11 09:00"
    assert by_day["2026-11-12"]["stage"] == "self" and by_day["2026-11-16"]["stage"] == "forced"
    assert not by_day["2026-11-16"]["visited"]  # 400 m away is no visit
    assert result["first_visit"] == "11-11 09:00" and result["last_visit"].startswith("11-12 09:29")
    assert result["unverified"] == ["强制拆除期限 2026-11-20 已过，期内没有轨迹到过现场 50 米内"]
    other = case_visits(cases, data, cases.get(ignored["case_id"]), on)
    assert other["visited_days"] == 0 and len(other["unverified"]) == 2
    # the overdue list and the monthly report carry it
    env = {"MIYUN_LAYERS": str(sample_layers)}
    out = tmp_path / "overdue.xlsx"
    run("cases", "overdue", "--date", "2026-11-25", "--data-dir", str(data), "--out", str(out), env=env)
    listed = {r["案件编号"]: r for r in rows(out, "逾期案件")}
    assert listed[visited["case_id"]]["轨迹到场核查（现场 50 米内）"].startswith("强制拆除期限 2026-11-20 已过")
    assert "自行拆除期限 2026-11-13 已过" in listed[ignored["case_id"]]["轨迹到场核查（现场 50 米内）"]
    report = tmp_path / "monthly.xlsx"
    run("report", "monthly", "--month", "2026-11", "--as-of", "2026-11-25", "--data-dir", str(data),
        "--out", str(report), env=env)
    sheet = {r["案件编号"]: r for r in rows(report, "通知书期限到场核查")}
    assert sheet[visited["case_id"]]["到场天数"] == 2 and sheet[visited["case_id"]]["期内天数"] == 11
    assert sheet[visited["case_id"]]["首次到场"] == "11-11 09:00"
    assert sheet[ignored["case_id"]]["到场天数"] == 0


def test_utility_block_list(tmp_path, ledger_with_cases, grid_points, sample_layers):
    data, cases, made = ledger_with_cases
    env = {"MIYUN_LAYERS": str(sample_layers)}
    out = tmp_path / "lists"
    printed = run("cases", "utility-list", "--provider", "供电", "--data-dir", str(data), "--out-dir", str(out),
                  env=env)
    assert "供电：禁止接入 2 处" in printed
    first = next(out.glob("utility-list-供电-*.xlsx"))
    listed = rows(first, "禁止接入清单")
    assert {r["案件编号"] for r in listed} == {c["case_id"] for c in made.values()}
    assert all(r["镇"] == "溪翁庄" and r["村（最近村庄）"] for r in listed)
    assert all(r["列入清单日期"] == datetime(2026, 11, 10) for r in listed)  # a date cell
    assert any(SAMPLE_MARK in (r["说明"] or "") for r in rows(first, "说明"))
    assert rows(first, "较上次变化") == []  # the first list
    # one is demolished, a new one found: the next list says so
    gone = made["visited"]
    cases.update(gone["case_id"], user="tests", status="demolished", at="2026-11-12T10:00")
    lon, lat = grid_points["XWZ-K05"]
    new = cases.add(user="tests", category="construction", source="patrol", reporter="XWZ-K05-02",
                    lon=lon, lat=lat, reported_at="2026-11-14T09:00")
    for f in out.glob("*.xlsx"):
        f.unlink()
    printed = run("cases", "utility-list", "--data-dir", str(data), "--out-dir", str(out), env=env)
    assert len(list(out.glob("utility-list-*.xlsx"))) == 5  # one per provider
    assert "供电：禁止接入 2 处；较上次新增 1 处、移出 1 处" in printed
    assert "供水：禁止接入 2 处；较上次新增 0 处、移出 0 处" in printed  # its first list
    second = next(out.glob("utility-list-供电-*.xlsx"))
    changes = {r["案件编号"]: r for r in rows(second, "较上次变化")}
    assert changes[new["case_id"]]["变化"] == "新增" and changes[gone["case_id"]]["变化"] == "移出"
    assert changes[gone["case_id"]]["原因"].startswith("已拆除 2026-11-12 10:00")
    assert gone["case_id"] not in {r["案件编号"] for r in rows(second, "禁止接入清单")}
