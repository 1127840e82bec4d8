"""The overview page in real headless Chromium, with every address but 127.0.0.1 unreachable."""

from __future__ import annotations

import os
import re
from urllib.parse import urlparse

import numpy as np
import pytest
from browser import CHROMIUM
from matplotlib.image import imread

if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI must run the browser test: Debian chromium is missing")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed "
                                                             "(bash .ci/setup --test installs it)")


def test_overview_html_loads_nothing_from_outside_and_is_light(client, server):
    page = client.get(f"{server}/", headers={"accept": "text/html"}, timeout=120)  # as a browser asks
    assert page.status_code == 200 and "<title>密云水库保水网格 · 总览</title>" in page.text
    assert "图例" in page.text and "示例数据 SAMPLE DATA" in page.text
    assert len(page.content) < 2 * 1024 * 1024
    external = re.findall(r"""(?:src|href)\s*=\s*["'](https?:)?//""", page.text)
    assert external == []
    for asset in ("/static/leaflet/leaflet.js", "/static/leaflet/leaflet.css", "/static/jquery/jquery.min.js",
                  "/static/cache/hillshade.png"):
        assert client.get(f"{server}{asset}").status_code == 200, asset


@needs_chromium
def test_overview_draws_the_grids_in_chromium_offline(browser, server, tmp_path):
    browser.goto(f"{server}/")
    assert browser.wait_for("document.getElementById('miyun-status').textContent.length > 0")
    image = imread(browser.screenshot(tmp_path / "overview.png"))[..., :3]
    # the eight town colours of the grids and the blue of the water are on the screen
    water = np.all(np.abs(image - np.array([0x9e, 0xca, 0xe1]) / 255) < 0.08, axis=2).mean()
    saturated = ((image.max(axis=2) - image.min(axis=2)) > 0.25).mean()
    assert water > 0.02 and saturated > 0.005
    hosts = {urlparse(u).hostname for u in browser.requested() if u.startswith("http")}
    assert hosts == {"127.0.0.1"}


@pytest.mark.parametrize("path, status", [  # OGC API – Features Part 1: an invalid parameter is a 400
    ("/collections/nope/items", 404),
    ("/collections/grids/items?bbox=1,2,3", 400),
    ("/collections/grids/items?limit=0", 400),
])
def test_collection_bad_requests(client, server, path, status):
    answer = client.get(f"{server}{path}")
    assert answer.status_code == status and answer.json()["error"]["message"]


def test_a_limit_above_the_maximum_is_clamped(client, server):
    # OGC API – Features /rec/core/fc-limit-response: not an error, answered with at most the maximum
    page = client.get(f"{server}/collections/grids/items", params={"limit": 100000}).json()
    assert page["numberMatched"] == page["numberReturned"] == 160


def test_collection_items_in_wgs84_with_paging_and_bbox(client, server):
    page = client.get(f"{server}/collections/grids/items", params={"limit": 10, "offset": 5}).json()
    assert page["type"] == "FeatureCollection" and page["numberMatched"] == 160 and page["numberReturned"] == 10
    lon, lat = page["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 116.6 < lon < 117.5 and 40.2 < lat < 40.8
    box = client.get(f"{server}/collections/grids/items", params={"bbox": "116.80,40.40,116.95,40.60"}).json()
    assert 0 < box["numberMatched"] < 160
    listing = client.get(f"{server}/collections").json()["collections"]
    assert {c["id"] for c in listing} >= {"grids", "towns", "zone_l1"}
    assert [c["title"] for c in listing].count("保水网格") == 1  # its links name it too (OGC link titles)


def test_town_and_grid_pages_and_404s(client, server):
    town = client.get(f"{server}/maps/towns/溪翁庄", timeout=120)
    assert town.status_code == 200 and "<title>密云水库保水网格 · 溪翁庄镇</title>" in town.text
    grid = client.get(f"{server}/maps/grids/XWZ-K05", timeout=120)
    assert grid.status_code == 200 and "XWZ-K05" in grid.text
    for path, words in (("/maps/towns/北京", "不在网格化管理范围内"), ("/maps/grids/XWZ-K99", "网格 XWZ-K99 不存在")):
        answer = client.get(f"{server}{path}")
        assert answer.status_code == 404 and words in answer.json()["error"]["message"]


def test_user_text_is_escaped():
    from maps.web import _legend_html

    assert "<script>" not in _legend_html(True)


def dump_dom(browser, url: str) -> str:
    """The page's DOM once its scripts have fetched their data, in the logged-in browser."""
    browser.goto(url)
    browser.wait_for("document.getElementById('miyun-status') && "
                     "document.getElementById('miyun-status').textContent.length > 0")
    return browser.dom()


def status_line(dom: str) -> str:
    match = re.search(r'id="miyun-status"[^>]*>([^<]*)<', dom)
    return match.group(1) if match else ""


@needs_chromium
def test_case_layers_on_the_overview_grid_and_cases_pages(client, browser, server, grid_points):
    lon, lat = grid_points["GL-K03"]
    made = client.post(f"{server}/api/cases", json={"category": "grazing", "reporter": "GL-K03-01", "lon": lon,
                                                   "lat": lat, "description": "<img src=x onerror=alert(1)>放牧"})
    assert made.status_code == 201
    overview = dump_dom(browser, f"{server}/")
    assert re.match(r"未结案件：\d+ 件", status_line(overview)) and "案件·禁牧" in overview
    grid = dump_dom(browser, f"{server}/maps/grids/GL-K03")
    assert status_line(grid) == "GL-K03 未结案件：1 件"
    # zoomed in on one grid, the page fetched the outlines in view in full detail
    assert "精细边界（放大后）" in grid
    assert any("/collections/grids/items?limit=1000&bbox=" in u and "simplify=" in u for u in browser.requested())
    assert re.search(r"本网格保水员（\d+ 人）", grid)
    filtered = dump_dom(browser, f"{server}/maps/cases?category=grazing")
    grazing = client.get(f"{server}/api/cases", params={"category": "grazing"}).json()["count"]  # other tests add some
    assert grazing >= 1 and status_line(filtered) == f"筛选结果：{grazing} 件" and "案件热力图" in filtered
    assert "onerror=alert" not in filtered


@needs_chromium
def test_patrol_page_colours_grids_from_the_day_s_tracks(client, browser, server, sample_layers, tmp_path):
    from gis.tracks.pipeline import simulate_and_store

    day = "2026-11-19"
    csv = tmp_path / "day.csv"
    simulate_and_store(day, sample_layers, tmp_path, n_staff=30, out=csv)
    assert client.post(f"{server}/api/tracks", files={"file": ("day.csv", csv.read_bytes())}, timeout=120
                      ).status_code == 200
    figures = client.get(f"{server}/api/patrols/{day}", timeout=120).json()
    assert len(figures["grids"]) == 160 and 20 <= figures["staff"] <= 30
    tracks = client.get(f"{server}/api/patrols/{day}/tracks").json()
    assert tracks["features"] and tracks["features"][0]["geometry"]["type"] == "LineString"
    dom = dump_dom(browser, f"{server}/maps/patrols?date={day}")
    assert status_line(dom).startswith(f"{day}：160 个网格") and "当日轨迹" in dom
    assert client.get(f"{server}/api/patrols/2001-01-01").status_code == 404
    assert client.get(f"{server}/api/patrols/yesterday").status_code == 422


def test_basemap_choices_and_the_gcj02_warning(sample_layers):
    from gis.layers import gpkg
    from gis.errors import InputError
    from gis.settings import Settings
    from maps.web import overview

    frames = gpkg.read_layers(sample_layers)

    def page(**settings) -> str:
        return overview(frames, sample=True, hillshade=None, settings=Settings(**settings)).get_root().render()

    assert "tianditu" not in page()
    with pytest.raises(InputError, match="MIYUN_TIANDITU_KEY"):
        page(basemap="tianditu")
    tianditu = page(basemap="tianditu", tianditu_key="abc123")
    assert "t{s}.tianditu.gov.cn/vec_w/wmts" in tianditu and "tk=abc123" in tianditu and "GCJ-02" not in tianditu
    office = page(basemap="http://tiles.office.local/{z}/{x}/{y}.png", basemap_crs="gcj02")
    assert "tiles.office.local" in office and "GCJ-02（火星坐标）" in office
    with pytest.raises(InputError, match="MIYUN_BASEMAP"):
        page(basemap="googlemaps")
