"""Reports for the people who use them (issue 17), from the real commands on the built sample:

* no schema code (a key of any enumeration or column map of :mod:`gis.schema`: ``reservoir``, ``patrol``,
  ``discovered``, ``building_in_progress``…) in any cell of any workbook or CSV, nor in the terminal;
* every workbook made from the sample layers marked 示例数据 SAMPLE DATA in the title row of every sheet and
  in its document properties; every such CSV ends with a column 数据说明 holding the mark, its header on line 1
  so that pandas and GDAL read it;
* the layout: title row, header on row 2, panes frozen below it; dates, times and shares typed for people;
* the mark follows the layers actually used (``--layers``), not ``MIYUN_LAYERS``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

import gis.schema
from gis.labels import ALL_CODES
from gis.schema import SAMPLE_MARK

MIYUN = str(Path(sys.executable).with_name("miyun-gis"))
OGRINFO = shutil.which("ogrinfo") or str(Path(sys.executable).with_name("ogrinfo"))
CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
DISTRICT_SOURCE = "密云区规划和自然资源综合事务中心"  # what real layers' features say they come from


def schema_codes() -> frozenset[str]:
    """Every key of every enumeration and column map of gis.schema (keys that look like codes, values Chinese)."""
    codes = set(ALL_CODES)
    for value in vars(gis.schema).values():
        if isinstance(value, dict) and value and all(isinstance(k, str) and isinstance(v, str)
                                                    for k, v in value.items()):
            if any(re.search(r"[\u4e00-\u9fff]", v) for v in value.values()):
                codes |= {k for k in value if CODE.fullmatch(k)}
    return frozenset(codes)


CODES = schema_codes()


def run(*args, env, columns: int = 200):
    result = subprocess.run([MIYUN, *args], capture_output=True, text=True, timeout=600,
                            env={**os.environ, "COLUMNS": str(columns), **env})
    assert result.returncode == 0, result.stderr
    return result.stdout


PATH = re.compile(r"\S*/\S*")  # a file path the terminal names (``→ …/reports/funds-2026.xlsx``) is not text


def codes_in(values) -> set[str]:
    """The schema codes found as words in these cells (file paths aside)."""
    return {w for v in values if isinstance(v, str) for w in WORD.findall(PATH.sub(" ", v)) if w in CODES}


def frame_codes(frame: pd.DataFrame) -> set[str]:
    return codes_in(frame.astype(object).where(frame.notna(), "").astype(str).to_numpy().ravel()) | codes_in(
        map(str, frame.columns))


@pytest.fixture(scope="module")
def demo_workspace(sample_layers, tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    env = {"MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(data)}
    run("demo", "--staff", "20", env=env)
    run("relocation", "plan-add", "--year", "2026", "--town", "溪翁庄", "--village", "石马峪村委会", "--kind",
        "hazard", "--mode", "off_site", "--households", "12", "--people", "30", "--new-houses", "12",
        "--old-houses", "12", "--building-form", "two_storey", env=env)
    run("relocation", "progress", "BQ2026-001", "--month", "2026-11", "--started", "0.5", "--structure", "0.25",
        env=env)
    return env, data


def yesterday(data: Path) -> str:
    return sorted(data.glob("reports/tracks-daily-*.xlsx"))[0].stem.removeprefix("tracks-daily-")


@pytest.fixture(scope="module")
def reports(demo_workspace, tmp_path_factory):
    """Every kind of workbook and CSV the commands write, from the demo workspace."""
    from gis.localtime import today_local

    env, data = demo_workspace
    out = tmp_path_factory.mktemp("out")
    month, day = today_local().strftime("%Y-%m"), yesterday(data)
    commands = {
        "monthly": ["report", "monthly", "--month", month],
        "cases": ["cases", "list"],
        "overdue": ["cases", "overdue"],
        "staff": ["staff", "list"],
        "absences": ["staff", "absences", "--date", day],
        "funds": ["funds", "--year", "2026"],
        "assessment": ["assess", "report", "--year", "2026"],
        "relocation": ["relocation", "tables", "--year", "2026", "--month", "2026-11"],
        "passes": ["gates", "passes"],
    }
    for name, args in commands.items():
        for suffix in (".xlsx", ".csv"):
            run(*args, "--out", str(out / f"{name}{suffix}"), env=env)
    run("tracks", "daily", "--date", day, env=env)
    run("cases", "utility-list", "--provider", "供电", "--out-dir", str(out), env=env)
    books = sorted(out.glob("*.xlsx")) + sorted(data.glob("reports/*.xlsx"))
    csvs = sorted(out.glob("*.csv")) + sorted(data.glob("reports/*.csv"))
    assert len(books) >= len(commands) + 2 and len(csvs) >= len(commands) + 2
    return books, csvs


def test_no_schema_code_in_any_sheet_or_csv(reports):
    books, csvs = reports
    for book in books:
        workbook = load_workbook(book)
        for sheet in workbook.worksheets:
            found = codes_in(cell for row in sheet.iter_rows(values_only=True) for cell in row)
            assert found == set(), (book.name, sheet.title, found)
    for csv in csvs:
        assert frame_codes(pd.read_csv(csv, encoding="utf-8-sig")) == set(), csv.name
    daily = next(b for b in books if b.name.startswith("tracks-daily-"))
    grid_sheet = pd.read_excel(daily, sheet_name="网格日报", header=1)
    assert set(grid_sheet["网格类型"]) <= {"一级区网格", "河道网格"}  # not reservoir / river
    detail = pd.read_excel(next(b for b in books if b.name == "monthly.xlsx"), sheet_name="巡查发现明细", header=1)
    assert len(detail) and not frame_codes(detail)  # not building_in_progress / patrol / discovered / ordered
    roster = pd.read_excel(next(b for b in books if b.name == "staff.xlsx"), header=1)
    assert set(roster["岗位"]) == {"网格长", "网格员"} and set(roster["状态"]) == {"在岗"}


def test_every_workbook_is_marked_and_laid_out(reports):
    books, _ = reports
    for book in books:
        workbook = load_workbook(book)
        props = workbook.properties
        for text in (props.title, props.subject, props.keywords, props.description):
            assert SAMPLE_MARK in (text or ""), (book.name, text)
        assert workbook["示例数据"]["A1"].value == SAMPLE_MARK, book.name
        for sheet in workbook.worksheets:
            assert SAMPLE_MARK in str(sheet["A1"].value), (book.name, sheet.title)  # the title row
            assert sheet.oddHeader.center.text == SAMPLE_MARK  # every printed page
            if sheet.title == "示例数据":
                continue
            assert sheet.freeze_panes == "A3", (book.name, sheet.title)  # frozen below the header on row 2
            header = [c.value for c in sheet[2]]
            assert header[0] and all(isinstance(h, str) for h in header if h is not None), (book.name, header)
            assert [c for c in sheet[1][1:] if c.value is not None] == []  # the title alone on row 1
        for name, frame in pd.read_excel(book, sheet_name=None, header=1).items():  # pandas reads every sheet
            assert not any(str(c).startswith("Unnamed") for c in frame.columns), (book.name, name)


def test_cells_are_typed_for_people(reports):
    books, _ = reports

    def sheet_of(name: str, sheet: str):
        return load_workbook(next(b for b in books if b.name == name))[sheet]

    def column(sheet, header: str):
        headers = [c.value for c in sheet[2]]
        return [row[headers.index(header)] for row in sheet.iter_rows(min_row=3)]

    listed = sheet_of("cases.xlsx", "案件台账")
    reported = column(listed, "上报时间")[0]
    assert isinstance(reported.value, datetime) and reported.number_format == "yyyy-mm-dd hh:mm"
    due = [c for c in column(listed, "办理期限") if c.value is not None][0]
    assert isinstance(due.value, datetime) and due.number_format == "yyyy-mm-dd"
    # local time as the text showed it: the demo's case reported at 09:00 Beijing time
    assert reported.value.strftime("%H:%M") == pd.read_csv(next(c for c in reports[1] if c.name == "cases.csv"),
                                                           encoding="utf-8-sig")["上报时间"][0][-5:]
    daily = next(b for b in books if b.name.startswith("tracks-daily-"))
    share = column(load_workbook(daily)["保水员日报"], "本网格内时间占比")[0]
    assert 0 <= share.value <= 1 and share.number_format == "0.0%"
    first = column(load_workbook(daily)["保水员日报"], "首次定位")[0]
    assert first.is_date and first.number_format == "hh:mm"
    progress = sheet_of("relocation.xlsx", "2026-11实施进度统计表")
    started = column(progress, "开工建设")[0]
    assert started.value == 0.5 and started.number_format == "0%"  # was the text "50%"
    money = column(sheet_of("funds.xlsx", "季度劳务补贴"), "实拨(元)")[0]
    assert isinstance(money.value, int) and money.number_format == "#,##0"
    area = column(listed, "面积(平方米)")[0]
    assert isinstance(area.value, (int, float))
    widths = listed.column_dimensions
    headers = [c.value for c in listed[2]]
    description = chr(ord("A") + headers.index("情况描述"))
    assert widths[description].width >= 2 * 20  # CJK text counts double
    assert widths["A"].width >= len("AJ2026-00001")


def test_every_csv_is_marked_and_read_by_pandas_and_gdal(reports):
    _, csvs = reports
    for csv in csvs:
        frame = pd.read_csv(csv, encoding="utf-8-sig")
        assert frame.columns[-1] == "数据说明" and (frame["数据说明"] == SAMPLE_MARK).all(), csv.name
        assert not frame.columns[0].startswith(("示例", "\ufeff"))  # the header on line 1
        read = pyogrio.read_dataframe(csv, read_geometry=False)  # GDAL's CSV driver
        assert list(read.columns) == list(frame.columns) and len(read) == len(frame), csv.name
    daily = next(c for c in csvs if c.name.endswith("-grids.csv"))
    info = subprocess.run([OGRINFO, "-ro", "-so", "-al", str(daily)], capture_output=True, text=True, timeout=60)
    assert info.returncode == 0 and "Feature Count: 160" in info.stdout and "数据说明" in info.stdout


def test_case_history_in_chinese(demo_workspace):
    env, _ = demo_workspace
    listing = run("cases", "list", env=env)
    case_id = next(word for word in listing.split() if word.startswith("AJ"))
    shown = run("cases", "show", case_id, env=env)
    history = shown.split("办理记录：", 1)[1]
    assert "登记 →" in history and "—" not in history
    assert not codes_in(history.split())


def test_terminal_output_in_chinese(demo_workspace):
    env, data = demo_workspace
    for args in (["info"], ["cases", "list"], ["cases", "overdue"], ["staff", "list", "--town", "溪翁庄"],
                 ["funds", "--year", "2026"], ["assess", "report", "--year", "2026"],
                 ["relocation", "tables", "--year", "2026", "--month", "2026-11"]):
        found = codes_in(run(*args, env=env, columns=80).split())
        if args == ["info"]:  # its column 图层 layer names each layer (for import-layer) beside its Chinese title
            found -= {layer.name for layer in gis.schema.LAYERS}
        assert found == set(), (args, found)


def non_sample_copy(layers: Path) -> Path:
    """The layers with every feature's ``source`` a district office's (as after importing real data)."""
    for name, _ in pyogrio.list_layers(layers):
        if "source" in pyogrio.read_info(layers, layer=name)["fields"]:  # GDAL's SQL (the R-tree triggers)
            update = f"UPDATE \"{name}\" SET source = '{DISTRICT_SOURCE}'"
            done = subprocess.run([OGRINFO, str(layers), "-sql", update], capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
    return layers


def test_the_mark_follows_the_layers_used(demo_workspace, layers_copy, tmp_path):
    from gis.layers import gpkg
    from gis.localtime import today_local

    env, demo_data = demo_workspace
    real = non_sample_copy(layers_copy)
    assert not gpkg.is_sample(real)
    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    for stale in data.glob("reports/tracks-daily-*"):  # the demo's, written from the sample
        stale.unlink()
    env = {**env, "MIYUN_DATA_DIR": str(data)}  # MIYUN_LAYERS still names the sample
    day = yesterday(demo_data)
    run("--layers", str(real), "tracks", "daily", "--date", day, env=env)
    run("--layers", str(real), "cases", "utility-list", "--provider", "供水", "--out-dir", str(tmp_path), env=env)
    run("--layers", str(real), "report", "monthly", "--month", today_local().strftime("%Y-%m"), "--out",
        str(tmp_path / "monthly.xlsx"), env=env)
    run("--layers", str(real), "cases", "list", "--out", str(tmp_path / "cases.csv"), env=env)
    books = [*data.glob("reports/tracks-daily-*.xlsx"), *tmp_path.glob("utility-list-*.xlsx"),
             tmp_path / "monthly.xlsx"]
    assert len(books) == 3
    for book in books:
        workbook = load_workbook(book)
        props = workbook.properties
        assert not any(SAMPLE_MARK in (t or "") for t in (props.title, props.subject, props.keywords,
                                                         props.description)), book.name
        assert "示例数据" not in workbook.sheetnames
        assert all(SAMPLE_MARK not in str(sheet["A1"].value) for sheet in workbook.worksheets), book.name
        assert all(not sheet.oddHeader.center.text for sheet in workbook.worksheets)
    for csv in [*data.glob("reports/tracks-daily-*.csv"), tmp_path / "cases.csv"]:
        assert "数据说明" not in pd.read_csv(csv, encoding="utf-8-sig").columns, csv.name
    # and the other way round: --layers the sample while MIYUN_LAYERS names the real copy
    run("--layers", env["MIYUN_LAYERS"], "cases", "list", "--out", str(tmp_path / "again.xlsx"),
        env={**env, "MIYUN_LAYERS": str(real)})
    assert SAMPLE_MARK in load_workbook(tmp_path / "again.xlsx").properties.title


def test_an_exported_roster_reads_back(demo_workspace, tmp_path):
    """The roster sheet (title row, Chinese labels, date cells) is a file `staff import` takes back."""
    env, demo_data = demo_workspace
    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    env = {**env, "MIYUN_DATA_DIR": str(data)}
    run("staff", "list", "--out", str(tmp_path / "roster.xlsx"), env=env)
    before = pd.read_excel(tmp_path / "roster.xlsx", header=1, dtype=str)
    assert "花名册 2150 人已导入" in run("staff", "import", str(tmp_path / "roster.xlsx"), env=env)
    run("staff", "list", "--out", str(tmp_path / "again.xlsx"), env=env)
    pd.testing.assert_frame_equal(pd.read_excel(tmp_path / "again.xlsx", header=1, dtype=str), before)
