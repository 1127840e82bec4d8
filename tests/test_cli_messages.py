"""What the terminal says: click's own words in Chinese, every error one ``错误：`` line with exit 2,
tables that fit 80 columns without cutting ids or totals, and a demo that says what it kept."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

MIYUN = str(Path(sys.executable).with_name("miyun-gis"))


def run(*args, env=None, timeout=300):
    return subprocess.run([MIYUN, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "80", **(env or {})})


def one_error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("错误："), result.stderr
    assert "Traceback" not in result.stderr and "Usage" not in result.stderr and "Error:" not in result.stderr
    return lines[0]


def test_help_is_chinese():
    for args in (["--help"], ["funds", "--help"], ["cases", "-h"], ["print", "--help"]):
        text = run(*args).stdout
        assert "用法：" in text and "显示本帮助并退出。" in text, args
        for english in ("Usage:", "Show this message", "Options:", "Commands:", "[OPTIONS]", "[default:"):
            assert english not in text, (args, english)


@pytest.mark.parametrize("args, words", [
    (["funds", "--year", "abc"], "'--year' 的值无效：'abc' 不是有效的整数。"),
    (["funds"], "缺少选项 '--year'"),
    (["nope"], "没有命令 'nope'"),
    (["funds", "--year", "2026", "extra"], "多余的参数（extra）"),
    (["cases", "list", "--status", "bogus"], "'--status' 的值无效"),
])
def test_click_errors_are_one_chinese_line(args, words):
    line = one_error_line(run(*args))
    assert words in line and "--help" in line


def test_missing_layer_file_says_where_it_looked_and_how_to_point_elsewhere(tmp_path):
    line = one_error_line(run("info", "--layers", str(tmp_path / "nowhere.gpkg")))
    assert str(tmp_path) in line and "nowhere.gpkg" in line and "--layers" in line and "MIYUN_LAYERS" in line


def test_missing_input_file_is_one_line(sample_layers, tmp_path):
    line = one_error_line(run("tracks", "import", str(tmp_path / "nope.gpx"), "--layers", str(sample_layers),
                              "--data-dir", str(tmp_path / "data")))
    assert "nope.gpx" in line and "文件不存在" in line


def test_busy_port_is_one_line(sample_layers):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = one_error_line(run("serve", "--port", str(port), "--layers", str(sample_layers), timeout=120))
    assert f"127.0.0.1:{port}" in line and "端口已被占用" in line and "--port" in line


def test_terminal_tables_fit_80_columns_and_never_cut_ids_or_totals(sample_layers, tmp_path):
    env = {"MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(tmp_path / "data")}
    funds = run("funds", "--year", "2026", "--out", str(tmp_path / "funds.xlsx"), env=env)
    assert funds.returncode == 0, funds.stderr
    assert all(cell_len(line) <= 80 for line in funds.stdout.splitlines())
    assert "4816.0" in funds.stdout and "合计(万元)" in funds.stdout and "2150" in funds.stdout
    demo = run("demo", "--staff", "20", env=env)
    assert demo.returncode == 0, demo.stderr
    listing = run("cases", "list", env=env)
    assert listing.returncode == 0, listing.stderr
    assert all(cell_len(line) <= 80 for line in listing.stdout.splitlines())
    from gis.ledger.cases import Cases
    from gis.ledger.db import Ledger

    frame = Cases(Ledger.in_dir(tmp_path / "data"), lambda: None).frame()
    assert len(frame) == 5 and all(i in listing.stdout for i in frame["case_id"]) and "…" not in listing.stdout
    wide = run("cases", "overdue", env=env)
    late = frame.loc[frame["category"] == "sanitation", "case_id"].iloc[0]
    assert late in wide.stdout and "未显示" in wide.stdout and "--out" in wide.stdout


def test_demo_makes_sample_cases_once_and_says_what_it_kept(sample_layers, tmp_path):
    env = {"MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(tmp_path / "data")}
    first = run("demo", "--staff", "20", env=env)
    assert first.returncode == 0, first.stderr
    assert "示例案件：5 件" in first.stdout
    second = run("demo", "--staff", "20", env=env)
    assert second.returncode == 0, second.stderr
    assert "示例案件已有 5 件，保留" in second.stdout and "0 个定位点" not in second.stdout
    assert "模拟巡查已存在，保留" in second.stdout and "花名册已有 2150 人，保留" in second.stdout
    from gis.ledger.cases import Cases
    from gis.ledger.db import Ledger
    from gis.localtime import today_local
    from gis.schema import SAMPLE_MARK

    cases = Cases(Ledger.in_dir(tmp_path / "data"), lambda: None)
    frame = cases.frame()
    assert len(frame) == 5 and frame["description"].str.startswith(SAMPLE_MARK).all()
    assert set(frame["status"]) >= {"ordered", "closed", "reported"}
    overdue = cases.overdue(today_local())
    assert list(overdue["category"]) == ["sanitation"]
    building = frame.loc[frame["category"] == "construction"].iloc[0]
    assert building["self_due"] > today_local().isoformat()  # inside its 3-day window
