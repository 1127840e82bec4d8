"""User text never becomes a formula in a sheet (issue 14, fault 9): every Excel and CSV the product
writes goes through one writer (``gis.reports.writers``) that keeps formula-like text as text; numbers stay
numbers.  The texts are the corpus file ``tests/data/bad/case_formula_texts.json`` (OWASP CSV injection)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

BAD = Path(__file__).resolve().parent / "data" / "bad"
TEXTS = json.loads((BAD / "case_formula_texts.json").read_text(encoding="utf-8"))
MIYUN = str(Path(sys.executable).with_name("miyun-gis"))


def miyun(*args, env) -> subprocess.CompletedProcess:
    done = subprocess.run([MIYUN, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done


def no_formula_xml(path: Path) -> None:
    """No sheet of the workbook holds a formula element (what Excel and LibreOffice would evaluate)."""
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in book.read(name) and b"<f " not in book.read(name), name


def test_cases_list_keeps_formula_text_as_text(tmp_path, sample_layers, grid_points):
    env = {"MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(tmp_path / "data")}
    lon, lat = grid_points["XWZ-K03"]
    miyun("cases", "add", "--category", "sewage", "--reporter", TEXTS["reporter"], "--description",
          TEXTS["description"], "--unit", TEXTS["responsible_unit"], "--clue", TEXTS["clue_id"],
          "--lon", str(lon), "--lat", str(lat), env=env)
    miyun("cases", "add", "--category", "fire", "--reporter", TEXTS["tab"], "--description", TEXTS["cr"],
          "--unit", TEXTS["fullwidth"], "--lon", str(lon), "--lat", str(lat), env=env)
    xlsx, out_csv = tmp_path / "x.xlsx", tmp_path / "x.csv"
    miyun("cases", "list", "--out", str(xlsx), env=env)
    miyun("cases", "list", "--out", str(out_csv), env=env)

    no_formula_xml(xlsx)
    sheet = load_workbook(xlsx).active
    cells = {c.value: c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)}
    for text in TEXTS.values():
        cell = cells[text.strip()]  # kept as typed (the ledger trims blanks around a text) …
        assert cell.data_type == "s" and cell.quotePrefix  # … as a text cell, as Excel keeps a typed '=…
    numbers = [c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, (int, float))]
    assert numbers  # numbers stay numbers (versions, coordinates, distances)

    with open(out_csv, encoding="utf-8-sig", newline="") as fh:
        values = {v for row in csv.reader(fh) for v in row}
    for text in TEXTS.values():
        assert "'" + text.strip() in values and text.strip() not in values
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in values)


def test_the_writer_keeps_numbers_and_leaves_plain_text(tmp_path):
    from gis.reports.writers import write_csv, write_excel

    frame = pd.DataFrame({"名称": ["=1+1", "正常", "-5", "\t=1", "\r@A1"], "数量": [-5, 3, 0, 1, 2],
                          "金额": [-1.5, 2.0, 0.0, 1.0, 1.0]})
    write_excel(tmp_path / "t.xlsx", {"表": frame}, sample=False)
    no_formula_xml(tmp_path / "t.xlsx")
    sheet = load_workbook(tmp_path / "t.xlsx").active
    assert [c.value for c in sheet["B"]][2:] == [-5, 3, 0, 1, 2] and sheet["B3"].data_type == "n"  # row 1: title
    assert [c.value for c in sheet["A"]][2:] == ["=1+1", "正常", "-5", "\t=1", "\r@A1"]
    write_csv(tmp_path / "t.csv", frame, sample=False)
    with open(tmp_path / "t.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    assert [r[1] for r in rows] == ["-5", "3", "0", "1", "2"]  # numbers unprefixed
    assert [r[0] for r in rows] == ["'=1+1", "正常", "'-5", "'\t=1", "'\r@A1"]
