"""Fake-patrol evidence where managers see it, in real headless Chromium: the grid page lists its
staff with evidence (reasons with their numbers, the score, awaiting a manager's check) or says
there is none, and the patrol map's grid popup names them.  The day is imported as a tracker
app's file, with a copied track and a phone left lying still injected (:mod:`gis.tracks.inject`)."""

from __future__ import annotations

import re

import pytest
from fake_tracks import write_csv
from test_page_furniture import screen_point
from test_pages import dump_dom, needs_chromium

from gis.layers import gpkg
from gis.schema import DAILY_GRID_COLUMNS, DAILY_STAFF_COLUMNS, FAKE_KINDS, GRIDS, VILLAGES
from gis.tracks import inject

DAY = "2026-11-14"  # before the days other tests of the session import: the pages' latest day stays theirs
FAKED, HONEST = "TST-H06", "TST-K07"  # two grids of 太师屯


@pytest.fixture(scope="module")
def fake_day(client, server, sample_layers, tmp_path_factory) -> dict:
    """The day imported: FAKED's staff honest but one copying a colleague and one phone lying still,
    HONEST's staff all honest; with the evidence the office route gives for FAKED."""
    world = inject.World(gpkg.read_layer(sample_layers, GRIDS.name), gpkg.read_layer(sample_layers, VILLAGES.name))
    roster = world.roster
    mates = roster.loc[roster["grid_id"] == FAKED, "staff_id"].tolist()
    others = roster.loc[roster["grid_id"] == HONEST, "staff_id"].tolist()
    tracks = world.honest(DAY, mates + others, spikes=False)
    source, copier, still = sorted(s for s in tracks if s in mates)[:3]
    tracks[copier] = inject.inject(world, "copy", copier, DAY, {source: tracks[source]})
    tracks[still] = inject.inject(world, "still", still, DAY, tracks)
    path = write_csv(tmp_path_factory.mktemp("fakes") / "day.csv", tracks)
    assert client.post(f"{server}/api/tracks", files={"file": ("day.csv", path.read_bytes())}, timeout=300
                       ).status_code == 200
    staff = client.get(f"{server}/api/patrols/{DAY}/staff", params={"grid": FAKED}, timeout=300).json()["items"]
    grids = {g["grid_id"]: g for g in client.get(f"{server}/api/patrols/{DAY}").json()["grids"]}
    return {"source": source, "copier": copier, "still": still, "staff": {s["staff_id"]: s for s in staff},
            "suspects": grids[FAKED]["fake_suspects"], "honest": grids[HONEST]["fake_suspects"]}


def test_the_staff_route_gives_a_grid_s_own_staff_within_the_rights(as_user, server, fake_day):
    staff = fake_day["staff"]
    assert {s["own_grid"] for s in staff.values()} == {FAKED} and len(staff) >= 10
    assert staff[fake_day["copier"]]["fake_score"] > 0 and staff[fake_day["still"]]["fake_score"] > 0
    assert staff[fake_day["source"]]["fake_score"] == 0
    assert fake_day["suspects"] == f"{fake_day['copier']}，{fake_day['still']}" and fake_day["honest"] == ""
    town = as_user("tst_op").get(f"{server}/api/patrols/{DAY}/staff", params={"grid": FAKED})
    assert town.status_code == 200 and {s["staff_id"] for s in town.json()["items"]} == set(staff)
    for name in ("xwz_op", "xwz_k05"):  # another town's operator, field staff: refused, as the route was
        assert as_user(name).get(f"{server}/api/patrols/{DAY}/staff", params={"grid": FAKED}).status_code == 403
    assert as_user("tst_op").get(f"{server}/api/patrols/{DAY}/staff", params={"grid": "XWZ-K05"}).status_code == 403


ENTRIES = """Array.prototype.map.call(document.querySelectorAll('#miyun-fakes .miyun-fake'), function (e) {
  return {staff: e.dataset.staff, text: e.textContent,
          reasons: Array.prototype.map.call(e.querySelectorAll('li'), function (li) { return li.textContent; })}; })"""


@needs_chromium
def test_grid_page_lists_the_staff_with_evidence_reasons_and_score(browser, server, fake_day):
    dump_dom(browser, f"{server}/maps/grids/{FAKED}?date={DAY}")
    assert browser.wait_for("document.querySelectorAll('#miyun-fakes .miyun-fake').length > 0")
    box = browser.evaluate("document.getElementById('miyun-fakes').textContent")
    assert DAILY_GRID_COLUMNS["fake_suspects"] in box and "待核实" in box  # suspicion, not a finding
    assert DAILY_STAFF_COLUMNS["fake_reasons"] in box and "不自动扣分" in box
    entries = {e["staff"]: e for e in browser.evaluate(ENTRIES)}
    copier, still, source = fake_day["copier"], fake_day["still"], fake_day["source"]
    assert set(entries) == {copier, still}  # the colleague whose track was copied carries no score
    for staff_id, kind in ((copier, "copy"), (still, "still")):
        row, entry = fake_day["staff"][staff_id], entries[staff_id]
        assert f"{DAILY_STAFF_COLUMNS['fake_score']} {row['fake_score']}" in entry["text"]
        assert FAKE_KINDS.short[kind] in entry["text"]
        assert entry["reasons"] == row["fake_reasons"].split("；")  # each reason as the daily report words it
    assert any(re.fullmatch(rf"与 {source} 轨迹重合 \d+ %，时差 [\d.]+ (分钟|小时).*", r)
               for r in entries[copier]["reasons"]), entries[copier]
    assert any(re.search(r"连续 [\d.]+ 小时原地未动", r) for r in entries[still]["reasons"]), entries[still]
    # the highest score first
    scores = [fake_day["staff"][s]["fake_score"] for s in entries]
    assert scores == sorted(scores, reverse=True)


@needs_chromium
def test_grid_page_of_a_grid_without_evidence_says_so(browser, server, fake_day):
    dump_dom(browser, f"{server}/maps/grids/{HONEST}?date={DAY}")
    assert browser.wait_for("document.querySelector('#miyun-fakes .miyun-fake-none') !== null")
    line = browser.evaluate("document.querySelector('#miyun-fakes .miyun-fake-none').textContent")
    assert re.fullmatch(rf"{DAY}：\d+ 人有轨迹，无疑点", line), line
    assert browser.evaluate("document.querySelectorAll('#miyun-fakes .miyun-fake').length") == 0


POPUP_ROWS = """Array.prototype.map.call(document.querySelectorAll('.leaflet-popup-content tr'), function (tr) {
  return [tr.querySelector('th').textContent, tr.querySelector('td').textContent]; })"""


@needs_chromium
def test_patrol_map_popup_names_the_grid_s_suspects_with_no_empty_line(browser, server, fake_day, grid_points):
    dump_dom(browser, f"{server}/maps/patrols?date={DAY}")
    assert browser.wait_for("document.getElementById('miyun-status').textContent.indexOf('个网格') >= 0")
    # the user switches the day's tracks off and zooms to the grid, then clicks inside it
    browser.evaluate(f"""(function () {{ var p = window.miyunPage;
      p.control._layers.filter(function (l) {{ return l.name.indexOf('当日轨迹') === 0; }})
        .forEach(function (l) {{ p.map.removeLayer(l.layer); }});
      p.map.eachLayer(function (l) {{ if (l.feature && l.feature.properties.grid_id === {FAKED!r} && l.getPopup())
        p.map.fitBounds(l.getBounds(), {{animate: false}}); }});
      return true; }})()""")
    browser.pump(1.0)
    lon, lat = grid_points[FAKED]
    browser.click(*screen_point(browser, lon, lat))
    assert browser.wait_for("document.querySelector('.leaflet-popup-content tr') !== null", timeout=10)
    rows = dict(browser.evaluate(POPUP_ROWS))
    assert rows["网格"] == FAKED
    suspects = f"{fake_day['copier']}，{fake_day['still']}"
    assert rows["虚假巡查疑点（待核实）"] == fake_day["suspects"] == suspects
    assert int(rows["到岗人数"]) >= 10 and re.fullmatch(r"\d+%", rows["轨迹50米覆盖率"])
    assert all(k.strip() and v.strip() and v not in ("null", "undefined", "NaN") for k, v in rows.items()), rows
    # no popup of the day's grids has an empty line; the honest grid's has no suspects' row
    popups = browser.evaluate("""(function () { var out = {};
      window.miyunPage.map.eachLayer(function (l) { if (l.getPopup && l.getPopup() && l.feature)
        out[l.feature.properties.grid_id] = String(l.getPopup().getContent()); }); return out; })()""")
    assert len(popups) == 160
    assert not any(re.search(r"<td[^>]*></td>|<th></th>|>null<|undefined|NaN", p) for p in popups.values())
    assert "虚假巡查疑点" in popups[FAKED] and "虚假巡查疑点" not in popups[HONEST]
