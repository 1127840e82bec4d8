"""What a user sees on every map page, in real headless Chromium: labels that never overlap, a legend
entry for every layer switched on, a metric scale, data credits, collapsible panels, the cases list
linked with the map, overdue flags, and friendly error pages for browsers."""

from __future__ import annotations

import json

import pytest
from test_pages import dump_dom, needs_chromium, status_line

DAY = "2026-11-18"

LABEL_BOXES = """(function () {
  var boxes = Array.prototype.map.call(document.querySelectorAll('.miyun-label'), function (e) {
    var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, e.textContent]; });
  var clashes = [];
  for (var i = 0; i < boxes.length; i++) for (var j = i + 1; j < boxes.length; j++) {
    var a = boxes[i], b = boxes[j];
    if (a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]) clashes.push(a[4] + '/' + b[4]);
  }
  return {count: boxes.length, clashes: clashes};
})()"""

LEGEND_GAPS = """(function () {
  var page = window.miyunPage, shown = [], missing = [];
  var entries = Array.prototype.map.call(document.querySelectorAll('.miyun-legend-entry'),
                                         function (e) { return e.getAttribute('data-layer'); });
  page.control._layers.forEach(function (l) {
    if (!page.map.hasLayer(l.layer)) return;
    shown.push(l.name);
    if (entries.indexOf(l.name) < 0) missing.push(l.name);
  });
  var hidden = page.control._layers.filter(function (l) { return !page.map.hasLayer(l.layer); })
    .map(function (l) { return l.name; }).filter(function (n) { return entries.indexOf(n) >= 0; });
  return {shown: shown, missing: missing, stale: hidden};
})()"""


def screen_point(browser, lon: float, lat: float) -> tuple[float, float]:
    """Where a WGS84 point of the page's map is on the screen."""
    return browser.evaluate(f"(function () {{ var p = window.miyunPage.map.latLngToContainerPoint([{lat}, {lon}]);"
                            "var r = window.miyunPage.map.getContainer().getBoundingClientRect();"
                            "return [p.x + r.left, p.y + r.top]; })()")


@pytest.fixture(scope="module")
def cases_made(client, server, grid_points):
    """An overdue case next to a grid label, and a case within its deadline."""
    made = {}
    for grid, deadline, reported in (("XWZ-K05", "2026-10-10", "2026-10-01 09:00"),
                                     ("TST-K03", "2099-01-01", None)):
        lon, lat = grid_points[grid]
        answer = client.post(f"{server}/api/cases", json={
            "category": "sanitation", "reporter": f"{grid}-01", "lon": lon, "lat": lat, "deadline": deadline,
            "reported_at": reported, "description": "乱倒垃圾"})
        assert answer.status_code == 201, answer.text
        made[grid] = answer.json()["case_id"]
    return made


@pytest.fixture(scope="module")
def patrol_day(client, server, sample_layers, tmp_path_factory):
    from gis.tracks.pipeline import simulate_and_store

    folder = tmp_path_factory.mktemp("day")
    csv = folder / "day.csv"
    simulate_and_store(DAY, sample_layers, folder, n_staff=20, out=csv)
    assert client.post(f"{server}/api/tracks", files={"file": ("day.csv", csv.read_bytes())}, timeout=120
                       ).status_code == 200
    return DAY


PAGES = ["/", "/maps/towns/溪翁庄", "/maps/grids/XWZ-K05", "/maps/cases", f"/maps/patrols?date={DAY}"]


@needs_chromium
@pytest.mark.parametrize("path", PAGES)
def test_labels_never_overlap_and_every_visible_layer_has_a_legend_entry(browser, server, cases_made, patrol_day,
                                                                         path):
    dump_dom(browser, f"{server}{path}")
    browser.pump(1.5)
    labels = browser.evaluate(LABEL_BOXES)
    assert labels["count"] > 0 and labels["clashes"] == []
    legend = browser.evaluate(LEGEND_GAPS)
    assert len(legend["shown"]) >= 10 and legend["missing"] == [] and legend["stale"] == []
    scale = browser.evaluate("Array.prototype.map.call(document.querySelectorAll('.leaflet-control-scale-line'),"
                             "function (e) { return e.textContent; })")
    assert len(scale) == 1 and scale[0].rstrip().endswith("m")
    credits = browser.evaluate("document.querySelector('.leaflet-control-attribution').textContent")
    assert "CC BY 4.0" in credits and "MIT" in credits


@needs_chromium
def test_legend_follows_the_layer_control_and_labels_thin_out_when_zoomed_out(browser, server):
    dump_dom(browser, f"{server}/")
    at_district = browser.evaluate(LABEL_BOXES)["count"]
    browser.evaluate("window.miyunPage.map.setZoom(window.miyunPage.map.getZoom() - 2, {animate: false}); true")
    browser.pump(1.0)
    zoomed_out = browser.evaluate(LABEL_BOXES)
    assert zoomed_out["clashes"] == [] and 0 < zoomed_out["count"] < at_district < 160
    entries = "Array.prototype.map.call(document.querySelectorAll('.miyun-legend-entry'), e => e.dataset.layer)"
    assert "村庄" in browser.evaluate(entries)
    browser.evaluate("var p = window.miyunPage; p.control._layers.filter(l => l.name === '村庄')"
                     ".forEach(l => p.map.removeLayer(l.layer)); true")
    assert "村庄" not in browser.evaluate(entries)
    assert browser.evaluate(LEGEND_GAPS)["missing"] == []


@needs_chromium
def test_patrol_page_legend_is_coverage_not_towns_and_says_who_had_no_tracks(browser, server, patrol_day):
    dom = dump_dom(browser, f"{server}/maps/patrols?date={patrol_day}")
    browser.wait_for("document.getElementById('miyun-status').textContent.indexOf('花名册') >= 0", timeout=30)
    entries = browser.evaluate("Array.prototype.map.call(document.querySelectorAll('.miyun-legend-entry'),"
                               " e => e.dataset.layer)")
    assert "网格：轨迹50米覆盖率" in entries and "保水网格" not in entries
    line = browser.evaluate("document.getElementById('miyun-status').textContent")
    assert line.startswith(f"{patrol_day}：160 个网格") and "人当日无轨迹" in line
    assert browser.evaluate("document.getElementById('miyun-date').value") == patrol_day
    assert 'type="date"' not in dom  # the browser's locale would decide how the date looks
    popups = browser.evaluate("""(function () { var out = [];
      window.miyunPage.map.eachLayer(function (l) { if (l.getPopup && l.getPopup() && l.feature)
        out.push(String(l.getPopup().getContent())); }); return out; })()""")
    assert popups and not any("<td></td>" in p or "<td>null</td>" in p or "undefined" in p for p in popups)


@needs_chromium
def test_cases_page_lists_the_cases_linked_with_the_map_and_flags_overdue(browser, server, cases_made):
    dump_dom(browser, f"{server}/maps/cases")
    assert browser.wait_for("document.querySelectorAll('#miyun-case-list tr[data-case]').length >= 2")
    rows = browser.evaluate("Array.prototype.map.call(document.querySelectorAll('#miyun-case-list tr[data-case]'),"
                            " r => [r.dataset.case, r.className, r.textContent])")
    first = rows[0]  # sorted by days overdue, most first
    assert first[0] == cases_made["XWZ-K05"] and "miyun-late" in first[1] and "⚠" in first[2]
    assert "逾期" in status_line(browser.dom())
    # a click on the list opens the case's popup on the map, with the overdue flag
    browser.evaluate(f"document.querySelector('#miyun-case-list tr[data-case={json.dumps(cases_made['XWZ-K05'])}]')"
                     ".click(); true")
    assert browser.wait_for("document.querySelector('.leaflet-popup-content') !== null")
    popup = browser.evaluate("document.querySelector('.leaflet-popup-content').textContent")
    assert cases_made["XWZ-K05"] in popup and "已逾期" in popup
    # sorting by id puts the two cases in id order
    browser.evaluate("document.querySelector('#miyun-case-list th[data-key=case_id]').click(); true")
    ids = browser.evaluate("Array.prototype.map.call(document.querySelectorAll('#miyun-case-list tr[data-case]'),"
                           " r => r.dataset.case)")
    assert ids == sorted(ids, reverse=True) or ids == sorted(ids)


@needs_chromium
def test_a_click_on_a_case_under_a_grid_label_opens_the_case(browser, server, cases_made, grid_points):
    dump_dom(browser, f"{server}/maps/grids/XWZ-K05")
    browser.pump(1.0)
    lon, lat = grid_points["XWZ-K05"]
    x, y = screen_point(browser, lon, lat)
    assert browser.evaluate(f"document.elementFromPoint({x}, {y}).closest('.miyun-label') === null")
    browser.click(x, y)
    assert browser.wait_for("document.querySelector('.leaflet-popup-content') !== null", timeout=10)
    # a case's popup opened (other tests of the session may have put their own case on the same spot)
    popup = browser.evaluate("document.querySelector('.leaflet-popup-content').textContent")
    assert "案件编号" in popup and "XWZ-K05" in popup


@needs_chromium
def test_grid_page_defaults_to_the_latest_day_with_tracks(browser, server, patrol_day):
    dump_dom(browser, f"{server}/maps/grids/XWZ-K05")
    assert browser.wait_for("document.getElementById('miyun-tracks-note').textContent.length > 0")
    assert browser.evaluate("document.getElementById('miyun-date').value") >= patrol_day
    assert browser.evaluate("getComputedStyle(document.querySelector('.miyun-staff-list')).overflowY") == "auto"


@needs_chromium
def test_small_screen_starts_with_the_layer_panel_collapsed(browser, server):
    metrics = {"width": 600, "height": 800, "deviceScaleFactor": 1, "mobile": False}
    browser.send("Emulation.setDeviceMetricsOverride", metrics, session=True)
    try:
        dump_dom(browser, f"{server}/maps/towns/古北口")
        closed = "document.querySelector('.leaflet-control-layers').classList.contains('miyun-closed')"
        assert browser.evaluate(closed)
        assert browser.evaluate("document.querySelector('.leaflet-control-layers-list').offsetHeight") == 0
        browser.evaluate("document.querySelector('.miyun-layers-head').click(); true")
        assert not browser.evaluate(closed)
    finally:
        browser.send("Emulation.setDeviceMetricsOverride", {**metrics, "width": 1200, "height": 900}, session=True)


@needs_chromium
@pytest.mark.parametrize("path, words", [("/maps/grids/XWZ-K99", "网格 XWZ-K99 不存在"),
                                         ("/maps/towns/北京", "不在网格化管理范围内"),
                                         ("/maps/patrols?date=2026-13-45", "应为 YYYY-MM-DD")])
def test_browsers_get_a_friendly_error_page_api_clients_json(browser, client, server, path, words):
    browser.goto(f"{server}{path}")
    assert words in browser.evaluate("document.body.textContent")
    assert browser.evaluate("document.querySelector('a[href=\"/\"]') !== null")
    answer = client.get(f"{server}{path}")
    assert answer.status_code in (404, 422) and words in answer.json()["error"]["message"]
