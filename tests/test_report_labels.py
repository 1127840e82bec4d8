"""Chinese output has no English codes: every enumeration code reaches sheets, CSV files and the
terminal as its Chinese label from the schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gis.labels import ALL_CODES

MIYUN = str(Path(sys.executable).with_name("miyun-gis"))


def run(*args, env):
    result = subprocess.run([MIYUN, *args], capture_output=True, text=True, timeout=600,
                            env={**os.environ, "COLUMNS": "200", **env})
    assert result.returncode == 0, result.stderr
    return result.stdout


def codes_in(frame: pd.DataFrame) -> set[str]:
    values = frame.astype(object).where(frame.notna(), "").astype(str).to_numpy().ravel()
    return {v for v in values if v in ALL_CODES}


@pytest.fixture(scope="module")
def demo_workspace(sample_layers, tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    env = {"MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(data)}
    run("demo", "--staff", "20", env=env)
    return env, data


def test_no_schema_code_in_the_sheets(demo_workspace, tmp_path):
    from gis.localtime import today_local

    env, data = demo_workspace
    month = today_local().strftime("%Y-%m")
    books = []
    for args, out in ((["report", "monthly", "--month", month], "monthly.xlsx"),
                      (["cases", "list"], "cases.xlsx"),
                      (["cases", "overdue"], "overdue.xlsx")):
        run(*args, "--out", str(tmp_path / out), env=env)
        books.append(tmp_path / out)
    books += sorted((data / "reports").glob("tracks-daily-*.xlsx"))
    csvs = sorted((data / "reports").glob("tracks-daily-*.csv"))
    assert len(books) == 4 and csvs
    for book in books:
        for name, sheet in pd.read_excel(book, sheet_name=None).items():
            assert codes_in(sheet) == set(), (book.name, name)
    for csv in csvs:
        assert codes_in(pd.read_csv(csv, encoding="utf-8-sig")) == set(), csv.name
    grid_sheet = pd.read_excel(books[3], sheet_name=0)
    assert set(grid_sheet["网格类型"]) <= {"一级区网格", "河道网格"}


def test_case_history_in_chinese(demo_workspace):
    env, _ = demo_workspace
    listing = run("cases", "list", env=env)
    case_id = next(word for word in listing.split() if word.startswith("AJ"))
    shown = run("cases", "show", case_id, env=env)
    history = shown.split("办理记录：", 1)[1]
    assert "登记 →" in history and "—" not in history
    assert not {word for word in history.split() if word in ALL_CODES}


def test_every_workbook_from_sample_layers_is_marked(demo_workspace, tmp_path):
    from openpyxl import load_workbook

    from gis.schema import SAMPLE_MARK

    env, data = demo_workspace
    run("funds", "--year", "2026", "--out", str(tmp_path / "funds.xlsx"), env=env)
    run("cases", "list", "--out", str(tmp_path / "cases.xlsx"), env=env)
    books = [tmp_path / "funds.xlsx", tmp_path / "cases.xlsx", *sorted((data / "reports").glob("*.xlsx"))]
    assert len(books) >= 3
    for book in books:
        workbook = load_workbook(book)
        assert SAMPLE_MARK in workbook.properties.title and workbook.properties.subject == SAMPLE_MARK, book.name
        assert workbook["示例数据"]["A1"].value == SAMPLE_MARK, book.name
        assert all(sheet.oddHeader.center.text == SAMPLE_MARK for sheet in workbook.worksheets), book.name
    daily = load_workbook(sorted((data / "reports").glob("tracks-daily-*.xlsx"))[0])["网格日报"]
    header = [c.value for c in daily[1]]
    assert daily.cell(2, header.index("轨迹50米覆盖率") + 1).number_format == "0.0%"
    assert daily.freeze_panes == "A2"
