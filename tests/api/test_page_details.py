"""The details a manager reads on the town, grid and cases pages, in real headless Chromium — the town's
figures equal the facts, one outline per grid, case markers above the heat map — and the workbooks the
API answers carry the same Chinese title row as the CLI's, marked sample."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.image import imread
from openpyxl import load_workbook
from test_page_furniture import patrol_day, screen_point  # noqa: F401  (patrol_day: a fixture, a day of tracks)
from test_pages import dump_dom, needs_chromium

from gis.layers import gpkg
from gis.schema import DUTIES, GRIDS, QUOTA_BY_TOWN, SAMPLE_MARK

TOWN = "溪翁庄"
GRID = "XWZ-K05"
CASE_GRID, CATEGORY = "MJY-K04", "sewage"  # grey markers: any heat drawn over them would tint them

TOWN_FIGURES = """Array.prototype.map.call(document.querySelectorAll('.miyun-heading table tr'),
  function (r) { return [r.cells[0].textContent, r.cells[1].textContent]; })"""


@pytest.fixture(scope="module")
def open_cases(client, server, grid_points):
    """An open case in the town and one on the cases page's own spot."""
    made = {}
    for grid, category in ((GRID, "grazing"), (CASE_GRID, CATEGORY)):
        lon, lat = grid_points[grid]
        answer = client.post(f"{server}/api/cases", json={"category": category, "reporter": f"{grid}-01", "lon": lon,
                                                         "lat": lat, "deadline": "2099-01-01", "description": "核查"})
        assert answer.status_code == 201, answer.text
        made[grid] = answer.json()["case_id"]
    return made


@needs_chromium
def test_town_page_shows_a_title_and_the_town_s_figures(browser, client, server, sample_layers, open_cases,
                                                        patrol_day):  # noqa: F811
    dump_dom(browser, f"{server}/maps/towns/{TOWN}")
    assert browser.wait_for("Array.prototype.every.call(document.querySelectorAll('.miyun-heading span[id]'),"
                            " function (e) { return e.textContent !== '…'; })")
    assert browser.evaluate("document.querySelector('.miyun-heading h1').textContent") == f"{TOWN}镇 · {GRIDS.title}"
    figures = dict(browser.evaluate(TOWN_FIGURES))
    grids = gpkg.read_layer(sample_layers, GRIDS.name, read_geometry=False)
    mine = grids.loc[grids["town"] == TOWN]
    quota = QUOTA_BY_TOWN[TOWN]
    assert len(mine) == quota.grids_l1 + quota.grids_river
    assert figures["网格"].startswith(f"{len(mine)} 个（")
    assert figures[GRIDS.field("staff_quota").alias] == f"{int(mine['staff_quota'].sum())} 人"
    staff = client.get(f"{server}/api/staff", params={"town": TOWN, "limit": 1}).json()["count"]
    assert figures["在册保水员"].startswith(f"{staff} 人")
    cases = client.get(f"{server}/api/cases", params={"town": TOWN, "open": "true"}).json()["count"]
    assert cases >= 1 and figures["未结案件"].startswith(f"{cases} 件")
    day, _, share = figures["最近一日轨迹覆盖率"].partition("：")
    assert day >= patrol_day and share.endswith("%")
    coverage = [g["coverage_50m"] or 0 for g in client.get(f"{server}/api/patrols/{day}").json()["grids"]
                if g["town"] == TOWN]
    assert coverage and share == f"{round(100 * sum(coverage) / len(coverage))}%"


STROKED_OUTLINES = """(function (box, slack) {
  var out = [];
  window.miyunPage.map.eachLayer(function (l) {
    if (!(l instanceof L.Polygon) || l.options.stroke === false || !(l.options.weight > 0) ||
        l.options.opacity === 0) return;
    var b = l.getBounds(), edges = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
    if (edges.every(function (v, i) { return Math.abs(v - box[i]) < slack; })) out.push(l.options.color + '/' + l.options.weight);
  });
  return out;
})(%s, %s)"""


@needs_chromium
@pytest.mark.parametrize("zoom", [None, 13])
def test_grid_page_draws_one_outline_of_the_grid(browser, client, server, zoom):
    feature = client.get(f"{server}/collections/grids/items/{GRID}").json()
    ring = np.array(feature["geometry"]["coordinates"][0][0] if feature["geometry"]["type"] == "MultiPolygon"
                    else feature["geometry"]["coordinates"][0])
    box = [*ring.min(axis=0), *ring.max(axis=0)]
    dump_dom(browser, f"{server}/maps/grids/{GRID}")
    if zoom:  # zoomed out below the detail outlines: the page's own (simplified) outlines
        browser.evaluate(f"window.miyunPage.map.setZoom({zoom}, {{animate: false}}); true")
    browser.pump(2.0)  # the detail outlines of the view, fetched when the map moved
    at = browser.evaluate("window.miyunPage.map.getZoom()")
    outlines = browser.evaluate(STROKED_OUTLINES % (list(map(float, box)), 3e-4))
    assert len(outlines) == 1, (at, outlines)
    # the end of a hover highlight resets the grids' style: still one outline
    browser.evaluate("window.miyunPage.map.eachLayer(function (l) { if (l.feature && l instanceof L.Polygon) {"
                     " l.fire('mouseover'); l.fire('mouseout'); } }); true")
    assert browser.evaluate(STROKED_OUTLINES % (list(map(float, box)), 3e-4)) == outlines


@needs_chromium
def test_cases_page_markers_lie_above_the_heat_map_and_take_the_click(browser, server, open_cases, grid_points,
                                                                       tmp_path):
    dump_dom(browser, f"{server}/maps/cases?category={CATEGORY}")
    assert browser.wait_for("document.querySelector('canvas.leaflet-heatmap-layer') !== null")
    panes = browser.evaluate("""(function () {
      function z(e) { return +getComputedStyle(e.closest('.leaflet-pane:not(.leaflet-map-pane)')).zIndex; }
      return [z(document.querySelector('canvas.leaflet-heatmap-layer')),
              z(document.querySelector('.leaflet-miyunCases-pane path.leaflet-interactive'))]; })()""")
    assert panes[0] < panes[1]
    lon, lat = grid_points[CASE_GRID]
    x, y = screen_point(browser, lon, lat)
    # the marker's own grey is on the screen at its centre: the heat is under it, not over it
    pixel = imread(browser.screenshot(tmp_path / "cases.png"))[round(y), round(x), :3]
    grey = np.array([int(DUTIES.colours[CATEGORY][i:i + 2], 16) for i in (1, 3, 5)]) / 255
    assert np.abs(pixel - grey).max() < 0.1, pixel
    assert browser.evaluate(f"document.elementFromPoint({x}, {y}).closest('.leaflet-miyunCases-pane') !== null")
    browser.click(x, y)
    assert browser.wait_for("document.querySelector('.leaflet-popup-content') !== null", timeout=10)
    popup = browser.evaluate("document.querySelector('.leaflet-popup-content').textContent")
    assert "案件编号" in popup and CASE_GRID in popup


@pytest.mark.parametrize("path, title", [
    ("/api/reports/funds?year=2026", "2026 年资金安排（万元）"),
    ("/api/reports/assessment?year=2026", "2026 年各镇考核"),
    ("/api/reports/subsidy?year=2026&quarter=2", "2026 年第 2 季度劳务补贴"),
    ("/api/reports/relocation?year=2026", "2026 年山区农民搬迁计划统计表"),
    ("/api/reports/monthly?month=2026-10", "2026-10 各镇月度巡查发现违法用地违法建设情况"),
    ("/api/gates/passes", "通行证明 "),
    ("/api/gates/entries?date=2026-11-18", "2026-11-18 进出登记 "),
    ("/api/cases/utility-list?provider=供水", "供水禁止接入清单（"),
])
def test_api_workbooks_carry_the_cli_s_title_and_the_sample_mark(client, server, path, title):
    answer = client.get(f"{server}{path}{'&' if '?' in path else '?'}format=xlsx")
    assert answer.status_code == 200, answer.text
    book = load_workbook(io.BytesIO(answer.content))
    heading = book.worksheets[0]["A1"].value
    assert heading.startswith(title) and heading.endswith(SAMPLE_MARK), heading
    assert book.properties.title.startswith(f"{SAMPLE_MARK} {title}")
