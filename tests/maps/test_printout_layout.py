"""The sheets as a field team reads them, measured from the PDF with pdfplumber: no text under 7 pt,
no label over another label, the scale bar or the north arrow, every 四至 neighbour labelled, the
tables of markers, gates and open cases, page numbers in books, the hillshade filling the frame."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from matplotlib.image import imread

from maps.printout import MIN_PT, Atlas, Page, print_grid, print_town

pdfplumber = pytest.importorskip("pdfplumber")
needs_poppler = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")

WATERMARK_PT = 30  # the diagonal 示例数据 SAMPLE DATA mark is meant to lie under everything


def font_size(char: dict) -> float:
    return char["size"] if char["upright"] else char["width"]  # a rotated glyph's size lies across


def words(page) -> list[dict]:
    return [w for w in page.extract_words(extra_attrs=["size", "upright"]) if w["size"] < WATERMARK_PT]


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    clashes = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            dx = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
            dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if dx > 0.3 and dy > 0.3:
                clashes.append((a["text"], b["text"]))
    return clashes


def furniture(page_words: list[dict]) -> tuple[list[dict], list[dict]]:
    """The boxes of the scale bar (its numbers, 米 and the bar just below them) and the north arrow
    (北 N and the arrow), and the words that are not theirs."""
    out = []
    unit = next(w for w in page_words if w["text"] == "米")
    numbers = [w for w in page_words if w["text"].replace(".", "").isdigit() and abs(w["bottom"] - unit["top"]) < 12
               and unit["x0"] - 200 < w["x0"] < unit["x0"]]
    out.append({"text": "比例尺", "x0": min(w["x0"] for w in numbers), "x1": unit["x1"],
                "top": min(w["top"] for w in numbers), "bottom": unit["bottom"] + 2})
    north = next(w for w in page_words if w["text"] == "北")
    out.append({"text": "指北针", "x0": north["x0"] - 6, "x1": north["x1"] + 12, "top": north["top"],
                "bottom": north["bottom"] + 22})
    theirs = [unit, north, *numbers] + [w for w in page_words if w["text"] == "N" and abs(w["top"] - north["top"]) < 2]
    return out, [w for w in page_words if not any(w is t for t in theirs)]


def covered(page_words: list[dict]) -> list[tuple[str, str]]:
    """Labels over one another, or over the scale bar or the north arrow."""
    boxes, others = furniture(page_words)
    return overlapping(page_words) + [c for c in overlapping(boxes + others) if c[0] in ("比例尺", "指北针")]


@pytest.fixture(scope="module")
def atlas_with_cases(sample_layers, grid_index, grid_points, tmp_path_factory):
    from gis.ledger.cases import Cases
    from gis.ledger.db import Ledger

    data = tmp_path_factory.mktemp("data")
    cases = Cases(Ledger.in_dir(data), lambda: grid_index)
    lon, lat = grid_points["GL-K09"]
    late = cases.add(user="u", category="sanitation", source="patrol", reporter="GL-K09-01", lon=lon, lat=lat,
                     reported_at="2026-10-01T08:00", deadline="2026-10-08")
    return Atlas(sample_layers, data_dir=data), late


def test_grid_sheet_min_font_no_overlaps_neighbours_and_tables(atlas_with_cases, tmp_path):
    from gis.fourbounds import four_boundaries

    atlas, late = atlas_with_cases
    pdf = print_grid(atlas, "GL-K09", tmp_path / "GL-K09.pdf")
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[0]
        sizes = [font_size(c) for c in page.chars]
        text = page.extract_text()
        found = words(page)
    assert min(sizes) >= MIN_PT - 0.05
    assert covered(found) == []
    bounds = four_boundaries("GL-K09", atlas.grids, atlas.fence, atlas.contour)
    neighbours = {g for what in bounds.values() for g in what.split("、") if g in set(atlas.grids["grid_id"])}
    labelled = {w["text"] for w in found}
    assert neighbours and neighbours <= labelled
    # the marker table: every marker of the grid with its number and coordinates
    from gis.crs import to_web

    markers = atlas.frames["boundary_markers"].iloc[atlas.markers_of["GL-K09"]]
    assert len(markers) >= 2
    lon, lat = to_web(markers.geometry.x.to_numpy(), markers.geometry.y.to_numpy())
    for marker_id, x, y in zip(markers["marker_id"], lon, lat):
        assert marker_id in text and f"{x:.5f}°E" in text and f"{y:.5f}°N" in text
    gate = atlas.frames["fence_gates"].iloc[atlas.gates_of["GL-K09"]].iloc[0]
    assert gate["gate_id"] in labelled and gate["name"] in text and "凭通行证明进出" in text
    assert late["case_id"] in text and "2026-10-08" in text and "天" in text


def test_landscape_a3_sheet_keeps_the_rules(atlas_with_cases, tmp_path):
    atlas, _ = atlas_with_cases
    pdf = print_grid(atlas, "TST-H01", tmp_path / "TST-H01.pdf", Page("A3", "landscape"))
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[0]
        assert min(font_size(c) for c in page.chars) >= MIN_PT - 0.05
        found = words(page)
    assert covered(found) == []


def test_town_book_pages_are_numbered_and_readable(atlas_with_cases, tmp_path):
    atlas, _ = atlas_with_cases
    pdf = print_town(atlas, "高岭", tmp_path / "gaoling.pdf")
    with pdfplumber.open(pdf) as doc:
        assert len(doc.pages) == 13
        for n, page in enumerate(doc.pages, start=1):
            assert f"第 {n} / 13 页" in page.extract_text()
            assert min(font_size(c) for c in page.chars) >= MIN_PT - 0.05
            found = words(page)
            assert overlapping(found) == [], n


@needs_poppler
def test_hillshade_fills_the_map_frame(atlas_with_cases, tmp_path):
    atlas, _ = atlas_with_cases
    pdf = print_grid(atlas, "XWZ-K05", tmp_path / "XWZ-K05.pdf")
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / "p")], check=True)
    image = imread(next(tmp_path.glob("p*.png")))[..., :3]
    h, w = image.shape[:2]
    x0, y0, width, height = 0.08, 0.47, 0.86, 0.44  # the portrait map frame
    top, bottom = int(h * (1 - y0 - height)) + 3, int(h * (1 - y0)) - 3
    left, right = int(w * x0) + 3, int(w * (x0 + width)) - 3
    for strip in (image[top:bottom, right - 3:right], image[bottom - 3:bottom, left:right]):
        white = np.all(strip > 0.985, axis=2).mean()
        assert white < 0.2
