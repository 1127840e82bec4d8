"""Printouts are real PDFs: pages, text, embedded CJK font, a drawn map."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from gis.errors import NotFound
from maps.printout import Atlas, Page, print_grid, print_town

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def atlas(sample_layers) -> Atlas:
    return Atlas(sample_layers)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_grid_page_text_font_and_map(atlas, tmp_path):
    pdf = print_grid(atlas, "XWZ-K05", tmp_path / "XWZ-K05.pdf")
    assert pages(pdf) == 1
    text = pdf_text(pdf)
    assert "XWZ-K05" in text and "溪翁庄" in text
    assert "示例数据 SAMPLE DATA" in text
    assert "四至" in text and "东至" in text and "巡查职责" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "MiyunPrintSans" in line or "NotoSansCJK" in line]
    assert cjk and all(" yes yes yes " in line for line in cjk)  # embedded, subset, unicode map
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True)
    image = imread(next(tmp_path.glob("page*.png")))[..., :3]
    h, w = image.shape[:2]
    map_area = image[int(h * 0.15): int(h * 0.65), int(w * 0.1): int(w * 0.9)]
    coloured = (map_area.max(axis=2) - map_area.min(axis=2)) > 0.1
    assert coloured.mean() > 0.2  # water, zone, grid fill: the map is drawn, not blank


def test_town_book_has_a_cover_and_a_page_per_grid(atlas, tmp_path):
    pdf = print_town(atlas, "高岭", tmp_path / "gaoling.pdf", Page("A3", "landscape"))
    assert pages(pdf) == 12 + 1
    text = pdf_text(pdf)
    assert "高岭镇保水网格图册" in text and "GL-K09" in text and "GL-H03" in text


def test_unknown_grid_or_town_is_a_clear_error_and_writes_nothing(atlas, tmp_path):
    with pytest.raises(NotFound, match="网格 XWZ-K99 不存在"):
        print_grid(atlas, "XWZ-K99", tmp_path / "x.pdf")
    with pytest.raises(NotFound, match="镇 密云 不在网格化管理范围内"):
        print_town(atlas, "密云", tmp_path / "y.pdf")
    assert not list(tmp_path.iterdir())


def test_print_command(sample_layers, tmp_path):
    miyun = str(Path(sys.executable).with_name("miyun-gis"))
    out = tmp_path / "g.pdf"
    done = subprocess.run([miyun, "print", "--grid", "GBK-H01", "--out", str(out), "--layers", str(sample_layers)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "GBK-H01" in pdf_text(out)
    bad = subprocess.run([miyun, "print", "--grid", "NOPE", "--layers", str(sample_layers)],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "网格 NOPE 不存在" in bad.stderr and "Traceback" not in bad.stderr
    both = subprocess.run([miyun, "print", "--grid", "GBK-H01", "--town", "高岭", "--layers", str(sample_layers)],
                          capture_output=True, text=True, timeout=300)
    assert both.returncode == 2 and "只指定" in both.stderr
    np.testing.assert_equal(out.exists(), True)


def test_open_cases_and_the_roster_appear_on_the_grid_page(sample_layers, grid_index, grid_points, tmp_path):
    from gis.layers import gpkg
    from gis.ledger.cases import Cases
    from gis.ledger.db import Ledger
    from gis.staff.roster import SAMPLE_SOURCE, load_roster, sample_roster

    ledger = Ledger.in_dir(tmp_path / "data")
    cases = Cases(ledger, lambda: grid_index)
    lon, lat = grid_points["MJY-K02"]
    open_case = cases.add(user="u", category="sewage", source="patrol", reporter="MJY-K02-01", lon=lon, lat=lat,
                          reported_at="2026-11-01T08:00")
    closed = cases.add(user="u", category="fire", source="patrol", reporter="MJY-K02-01", lon=lon, lat=lat,
                       reported_at="2026-11-02T08:00")
    cases.update(closed["case_id"], user="u", status="stopped", at="2026-11-02T09:00")
    cases.update(closed["case_id"], user="u", status="closed", at="2026-11-02T10:00")
    grids = gpkg.read_layer(sample_layers, "grids", read_geometry=False)
    roster = sample_roster(sample_layers)
    roster.loc[roster["staff_id"] == "MJY-K02-01", "name"] = "王某"
    load_roster(ledger, roster, dict(zip(grids["grid_id"], grids["town"])), user="u", source=SAMPLE_SOURCE)
    atlas = Atlas(sample_layers, data_dir=tmp_path / "data")
    text = pdf_text(print_grid(atlas, "MJY-K02", tmp_path / "MJY-K02.pdf"))
    assert f"未结案件：1 件（{open_case['case_id']}）" in text
    assert "网格长：MJY-K02-01 王某" in text and "未结案件（编号）" in text
