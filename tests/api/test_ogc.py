"""OGC API – Features as GIS software uses it: GDAL's OAPIF driver, OWSLib, plain HTTP per the standard.

Every conformance class the server declares is exercised here (Part 1 core/GeoJSON/OpenAPI 3.0,
Part 2 CRS, Part 3 queryables/filter with CQL2 text); QGIS is in test_ogc_qgis.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import httpx
import pytest
import shapely

from gis.layers import gpkg

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
OGC_CLASSES = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
}
needs_gdal = pytest.mark.skipif(shutil.which("ogr2ogr") is None and not os.environ.get("CI"),
                                reason="Debian gdal-bin not installed (bash .ci/setup --test installs it)")


@pytest.fixture(scope="module")
def basic(server, accounts) -> httpx.Client:
    """The manager as a GIS client logs in: HTTP Basic, user name and API token."""
    with httpx.Client(base_url=server, timeout=120, auth=("manager1", accounts[1]["manager1"])) as c:
        yield c


@pytest.fixture(scope="module")
def grids(sample_layers):
    return gpkg.read_layer(sample_layers, "grids")


@pytest.fixture(scope="module")
def two_cases(client, grid_points) -> dict[str, str]:
    """A case in 溪翁庄 and one in 太师屯, made through the API."""
    made = {}
    for grid in ("XWZ-K07", "TST-K03"):
        lon, lat = grid_points[grid]
        answer = client.post("/api/cases", json={"category": "sanitation", "reporter": f"{grid}-01", "lon": lon,
                                                 "lat": lat, "description": "乱倒垃圾（OGC 测试）"})
        assert answer.status_code == 201, answer.text
        made[grid] = answer.json()["case_id"]
    return made


def _gdal_env(server_user: str, token: str) -> dict:
    return {**os.environ, "GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"{server_user}:{token}"}


# --- Part 1: landing page, conformance, collections ----------------------------------------------


def test_landing_page_is_json_for_gis_clients_and_html_for_browsers(basic, server):
    for headers, params in (({"accept": "application/json"}, {}), ({}, {"f": "json"}), ({"accept": "*/*"}, {})):
        page = basic.get("/", headers=headers, params=params)
        assert page.status_code == 200 and page.headers["content-type"].startswith("application/json")
        rels = {link["rel"]: link for link in page.json()["links"]}
        assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
        assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
        assert basic.get(rels["service-desc"]["href"]).json()["openapi"].startswith("3.")
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    html = basic.get("/", headers={"accept": browser_accept})
    assert html.headers["content-type"].startswith("text/html") and "<title>密云水库保水网格 · 总览</title>" in html.text
    assert basic.get("/", params={"f": "html"}).headers["content-type"].startswith("text/html")
    assert basic.head("/", headers={"accept": "application/json"}).status_code == 200


def test_conformance_collections_and_extent(basic, grids):
    assert set(basic.get("/conformance").json()["conformsTo"]) == OGC_CLASSES
    listing = basic.get("/collections").json()
    ids = [c["id"] for c in listing["collections"]]
    assert {"grids", "villages", "cases", "patrol_tracks", "patrol_grids"} <= set(ids)
    one = basic.get("/collections/grids").json()
    assert one["storageCrs"] == f"{EPSG}4548" and CRS84 in one["crs"] and f"{EPSG}4490" in one["crs"]
    x1, y1, x2, y2 = one["extent"]["spatial"]["bbox"][0]
    true = grids.to_crs("OGC:CRS84").total_bounds
    assert x1 <= true[0] < x1 + 1e-5 and y1 <= true[1] < y1 + 1e-5 and x2 >= true[2] > x2 - 1e-5
    assert {link["rel"] for link in one["links"]} >= {"self", "items"}
    assert "temporal" in basic.get("/collections/cases").json()["extent"]
    assert basic.get("/collections/nothing").status_code == 404
    assert basic.head("/collections/grids").status_code == 200


def test_items_page_through_everything_with_next_links(basic):
    seen, url, pages = [], "/collections/grids/items?limit=25", 0
    while url:
        page = basic.get(url)
        assert page.headers["content-type"] == "application/geo+json"
        assert page.headers["content-crs"] == f"<{CRS84}>"
        data = page.json()
        assert data["numberMatched"] == 160 and data["numberReturned"] == len(data["features"])
        assert data["timeStamp"].endswith("Z")
        rels = {link["rel"]: link["href"] for link in data["links"]}
        assert "self" in rels and "alternate" in rels
        assert ("prev" in rels) == (pages > 0)
        seen += [f["id"] for f in data["features"]]
        url, pages = rels.get("next"), pages + 1
    assert pages == 7 and len(seen) == len(set(seen)) == 160
    feature = basic.get("/collections/grids/items/XWZ-K01").json()
    assert feature["id"] == "XWZ-K01" and feature["properties"]["town"] == "溪翁庄"
    assert basic.get("/collections/grids/items/XWZ-K99").status_code == 404
    clamped = basic.get("/collections/grids/items", params={"limit": 1_000_000}).json()  # above the maximum
    assert clamped["numberReturned"] == 160
    limit = next(p for p in basic.get("/openapi.json").json()["paths"]["/collections/{collectionId}/items"]["get"]
                 ["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 10_000


@pytest.mark.parametrize("query", [
    {"limit": "abc"}, {"limit": "0"}, {"offset": "-1"}, {"bbox": "1,2,3"}, {"bbox": "117,41,116,40"},
    {"bbox": "116,40,117,95"}, {"crs": "EPSG:3857"}, {"bbox-crs": CRS84}, {"datetime": "yesterday"},
    {"filter": "town = "}, {"filter": "colour = 'red'"}, {"filter-lang": "cql2-json", "filter": "kind='river'"},
    {"unknown": "1"}, {"simplify": "-3"}, {"f": "kml"}, {"bbox": "1e308,1,2e308,2"}, {"limit": "5", "offset": "x"},
    {"filter": "staff_quota > 'abc'"}, {"filter": "(" * 300 + "kind='river'"},
])
def test_invalid_and_unknown_parameters_are_400_with_a_json_body(basic, query):
    answer = basic.get("/collections/grids/items", params=query)
    assert answer.status_code == 400, (query, answer.text)
    assert answer.json()["error"]["code"] == "invalid_input" and answer.json()["error"]["message"]


def test_extreme_but_valid_parameters(basic):
    for query in ({"bbox": "-180,-90,180,90"}, {"bbox": "-90,-180,90,180", "bbox-crs": f"{EPSG}4326"},
                  {"limit": str(10**24)}, {"datetime": "9999-12-31T23:59:59Z/.."}):
        assert basic.get("/collections/grids/items", params={"limit": 200, **query}).json()["numberMatched"] == 160
    far = basic.get("/collections/grids/items", params={"bbox": "0,0,1,1"}).json()
    assert far["numberMatched"] == 0 and far["features"] == []
    beyond = basic.get("/collections/grids/items", params={"offset": str(10**20)}).json()
    assert beyond["numberReturned"] == 0 and not any(link["rel"] == "next" for link in beyond["links"])
    none = basic.get("/collections/patrol_grids/items", params={"datetime": "2001-01-01"}).json()
    assert none["numberMatched"] == 0


def test_the_map_pages_requests_still_work(basic):
    # what maps/static/miyun.js asks for: all grids simplified, and outlines in view
    assert len(basic.get("/collections/grids/items?limit=1000&simplify=5").json()["features"]) == 160
    part = basic.get("/collections/grids/items?limit=1000&bbox=116.95000,40.50000,117.00000,40.55000&simplify=1.50")
    assert 0 < part.json()["numberReturned"] < 160


# --- GDAL and OWSLib -------------------------------------------------------------------------


@needs_gdal
def test_ogr2ogr_copies_all_grids_and_a_bbox_gives_shapely_s_ids(server, accounts, grids, tmp_path):
    env = _gdal_env("gis1", accounts[1]["gis1"])
    out = tmp_path / "grids.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{server}", "grids"], check=True, env=env,
                   capture_output=True, timeout=300)
    copied = gpkg.read_layer(out, "grids")
    assert len(copied) == 160 and set(copied["grid_id"]) == set(grids["grid_id"])
    box = (116.95, 40.50, 117.00, 40.55)
    part = tmp_path / "part.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", "-spat", *map(str, box), str(part), f"OAPIF:{server}", "grids"],
                   check=True, env=env, capture_output=True, timeout=300)
    expected = set(grids.loc[grids.to_crs("OGC:CRS84").intersects(shapely.box(*box)), "grid_id"])
    assert set(gpkg.read_layer(part, "grids")["grid_id"]) == expected and 0 < len(expected) < 160
    info = subprocess.run(["ogrinfo", "-ro", "-so", f"OAPIF:{server}", "grids"], check=True, env=env,
                          capture_output=True, text=True, timeout=300).stdout  # GDAL 3.6: no -json yet
    assert "Feature Count: 160" in info
    numbers = re.search(r"Extent: \(([-\d.]+), ([-\d.]+)\) - \(([-\d.]+), ([-\d.]+)\)", info).groups()
    extent = [float(v) for v in numbers]
    true = grids.to_crs("OGC:CRS84").total_bounds
    assert all(abs(a - b) < 1e-5 for a, b in zip(extent, true))


def test_owslib_features_client(server, accounts):
    from owslib.ogcapi.features import Features
    from owslib.util import Authentication

    api = Features(server, auth=Authentication("gis1", accounts[1]["gis1"]))
    assert set(api.conformance()["conformsTo"]) == OGC_CLASSES
    assert "grids" in [c["id"] for c in api.collections()["collections"]]
    assert api.collection("grids")["title"] == "保水网格"
    page = api.collection_items("grids", limit=5)
    assert page["numberReturned"] == 5 and any(link["rel"] == "next" for link in page["links"])
    assert api.collection_item("grids", "XWZ-K01")["properties"]["grid_id"] == "XWZ-K01"
    queryables = api.collection_queryables("grids")["properties"]
    assert queryables["town"]["title"] == "所属镇" and queryables["kind"]["enum"] == ["reservoir", "river"]
    river = api.collection_items("grids", filter="town='太师屯' AND kind='river'", limit=100)
    assert river["numberMatched"] == 13


# --- Basic authentication --------------------------------------------------------------------


def test_basic_auth_takes_an_api_token_never_the_account_password(server, accounts):
    password = "correct horse battery"  # every test account's own password (conftest.PASSWORD)
    good = httpx.get(f"{server}/collections", auth=("gis1", accounts[1]["gis1"]))
    assert good.status_code == 200
    for user, secret in (("gis1", password), ("admin", accounts[1]["gis1"]), ("gis1", "")):
        refused = httpx.get(f"{server}/collections", auth=(user, secret))
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
        assert "API 令牌" in refused.json()["error"]["message"]
    write = httpx.post(f"{server}/api/cases", json={}, auth=("admin", accounts[1]["admin"]))
    assert write.status_code == 403  # Basic is for reading: a browser could resend it on its own
    assert httpx.get(f"{server}/collections", headers={"authorization": "Basic !!!"}).status_code == 401


# --- Part 2: CRS ------------------------------------------------------------------------------


def test_crs_axis_order_and_content_crs(basic, grids):
    xwz = grids.set_index("grid_id").loc["XWZ-K01"].geometry
    lon, lat = shapely.get_coordinates(grids.set_index("grid_id").loc[["XWZ-K01"]].to_crs(4326).geometry)[0]
    answers = {}
    for code in ("4326", "4490", "4548"):
        answer = basic.get("/collections/grids/items/XWZ-K01", params={"crs": f"{EPSG}{code}"})
        assert answer.headers["content-crs"] == f"<{EPSG}{code}>"
        answers[code] = answer.json()["geometry"]["coordinates"][0][0][0]
    default = basic.get("/collections/grids/items/XWZ-K01").json()["geometry"]["coordinates"][0][0][0]
    assert default == pytest.approx([lon, lat], abs=1e-6)  # CRS84: lon, lat
    assert answers["4326"] == pytest.approx([lat, lon], abs=1e-6)  # EPSG:4326: lat, lon
    assert answers["4490"] == pytest.approx([lat, lon], abs=1e-5)  # CGCS2000 ~ WGS84 at this scale
    x, y = shapely.get_coordinates(xwz)[0]
    assert answers["4548"] == pytest.approx([y, x], abs=0.01)  # northing, easting
    # the same bbox in three CRS picks the same grids
    box84 = (116.95, 40.50, 117.00, 40.55)
    ids = lambda q: {f["id"] for f in basic.get("/collections/grids/items", params={"limit": 200, **q}).json()["features"]}  # noqa: E731
    plain = ids({"bbox": ",".join(map(str, box84))})
    assert ids({"bbox": "40.50,116.95,40.55,117.00", "bbox-crs": f"{EPSG}4326"}) == plain
    corners = shapely.get_coordinates(gpkg.gpd.GeoSeries([shapely.box(*box84)], crs="OGC:CRS84").to_crs(4548)
                                      .segmentize(50).geometry[0])
    near = ids({"bbox": f"{corners[:, 1].min()},{corners[:, 0].min()},{corners[:, 1].max()},{corners[:, 0].max()}",
                "bbox-crs": f"{EPSG}4548"})
    assert plain <= near


# --- Part 3: queryables and CQL2 ---------------------------------------------------------------


def test_queryables_are_the_schema_fields_with_chinese_titles(basic):
    schema = basic.get("/collections/grids/queryables")
    assert schema.headers["content-type"].startswith("application/schema+json")
    props = schema.json()["properties"]
    assert props["grid_id"] == {"title": "网格编号", "type": "string"}
    assert props["staff_quota"]["type"] == "integer" and "geometry" in props
    assert basic.get("/collections/villages/queryables").json()["properties"]["suspect_geocode"]["type"] == "boolean"


@pytest.mark.parametrize("text, expected", [
    ("town='太师屯' AND kind='river'", lambda g: (g.town == "太师屯") & (g.kind == "river")),
    ("town='溪翁庄' AND kind='river'", lambda g: (g.town == "溪翁庄") & (g.kind == "river")),
    ("grid_id LIKE 'XWZ-K0_'", lambda g: g.grid_id.str.match(r"XWZ-K0.$")),
    ("town IN ('高岭', '石城') OR staff_quota > 20", lambda g: g.town.isin(["高岭", "石城"]) | (g.staff_quota > 20)),
    ("NOT (kind = 'reservoir')", lambda g: g.kind != "reservoir"),
    ("S_INTERSECTS(geometry, BBOX(116.95, 40.50, 117.00, 40.55))",
     lambda g: g.to_crs("OGC:CRS84").intersects(shapely.box(116.95, 40.50, 117.00, 40.55))),
    ("S_INTERSECTS(geometry, POLYGON((116.95 40.50, 117.00 40.50, 116.975 40.55, 116.95 40.50)))",
     lambda g: g.to_crs("OGC:CRS84").intersects(shapely.Polygon([(116.95, 40.5), (117, 40.5), (116.975, 40.55)]))),
    ("S_INTERSECTS(geometry, POINT(116.97 40.52)) AND kind = 'reservoir'",
     lambda g: g.to_crs("OGC:CRS84").intersects(shapely.Point(116.97, 40.52)) & (g.kind == "reservoir")),
])
def test_cql2_text_filters_match_shapely_and_pandas(basic, grids, text, expected):
    answer = basic.get("/collections/grids/items", params={"filter": text, "filter-lang": "cql2-text", "limit": 200})
    assert answer.status_code == 200, answer.text
    got = {f["id"] for f in answer.json()["features"]}
    assert got == set(grids.loc[expected(grids), "grid_id"])
    assert answer.json()["numberMatched"] == len(got)


# --- cases and the day's patrols, scoped like the other routes -----------------------------------


def test_cases_collection_is_scoped_by_the_caller_s_rights(as_user, two_cases, grid_points):
    everyone = as_user("manager1").get("/collections/cases/items", params={"limit": 1000}).json()
    ids = {f["id"] for f in everyone["features"]}
    assert set(two_cases.values()) <= ids
    town = as_user("xwz_op").get("/collections/cases/items", params={"limit": 1000}).json()["features"]
    assert town and all(f["properties"]["town"] == "溪翁庄" for f in town)
    assert two_cases["TST-K03"] not in {f["id"] for f in town}
    one = as_user("manager1").get(f"/collections/cases/items/{two_cases['XWZ-K07']}").json()
    assert one["geometry"]["type"] == "Point" and one["properties"]["grid_id"] == "XWZ-K07"
    assert as_user("xwz_op").get(f"/collections/cases/items/{two_cases['TST-K03']}").status_code == 404
    # a case made after the collection was read is in the next answer (no stale cached page)
    lon, lat = grid_points["TST-K04"]
    later = as_user("manager1").post("/api/cases", json={"category": "fire", "reporter": "TST-K04-01", "lon": lon,
                                                         "lat": lat, "description": "火灾隐患（OGC 测试）"})
    assert later.status_code == 201
    again = as_user("manager1").get("/collections/cases/items", params={"limit": 1000}).json()
    assert later.json()["case_id"] in {f["id"] for f in again["features"]}
    assert again["numberMatched"] == everyone["numberMatched"] + 1
    filtered = as_user("manager1").get("/collections/cases/items", params={"filter": "grid_id = 'TST-K03'"}).json()
    assert two_cases["TST-K03"] in {f["id"] for f in filtered["features"]}
    assert as_user("manager1").get("/collections/cases/items", params={"datetime": "2001-01-01/2001-02-01"}
                                   ).json()["numberMatched"] == 0


def test_the_day_s_tracks_and_figures_are_collections(client, as_user, sample_layers, tmp_path):
    from gis.tracks.pipeline import simulate_and_store

    day = "2026-11-18"
    csv = tmp_path / "day.csv"
    simulate_and_store(day, sample_layers, tmp_path, n_staff=12, out=csv)
    assert client.post("/api/tracks", files={"file": ("day.csv", csv.read_bytes())}, timeout=120).status_code == 200
    tracks = as_user("manager1").get("/collections/patrol_tracks/items", params={"datetime": day}).json()
    assert tracks["numberMatched"] >= 8 and tracks["features"][0]["geometry"]["type"] == "LineString"
    first = tracks["features"][0]
    assert as_user("manager1").get(f"/collections/patrol_tracks/items/{first['id']}").json()["id"] == first["id"]
    finer = as_user("manager1").get("/collections/patrol_tracks/items", params={"datetime": day, "simplify": 0}).json()
    assert sum(map(len, (f["geometry"]["coordinates"] for f in finer["features"]))) > \
        sum(map(len, (f["geometry"]["coordinates"] for f in tracks["features"])))
    figures = as_user("manager1").get("/collections/patrol_grids/items", params={"datetime": day, "limit": 200})
    assert figures.json()["numberMatched"] == 160
    town = as_user("tst_op").get("/collections/patrol_grids/items", params={"datetime": day, "limit": 200}).json()
    assert town["numberMatched"] == 37 and {f["properties"]["town"] for f in town["features"]} == {"太师屯"}
    assert as_user("xwz_k05").get("/collections/patrol_grids/items", params={"datetime": day}).status_code == 403
    mine = as_user("xwz_k05").get("/collections/patrol_tracks/items", params={"datetime": day}).json()
    assert all(f["properties"]["town"] == "溪翁庄" for f in mine["features"])
    assert as_user("manager1").get("/collections/patrol_tracks/items",
                                   params={"datetime": "2026-11-01/2026-11-20"}).status_code == 400


# --- /docs offline ------------------------------------------------------------------------------


def test_docs_work_in_chromium_with_the_network_cut(browser, server, client):
    page = client.get("/docs", headers={"accept": "text/html"})
    assert "cdn" not in page.text.lower() and "/docs/assets/swagger-ui-bundle.js" in page.text
    before = len(browser.requested())
    browser.goto(f"{server}/docs")
    assert browser.wait_for("document.querySelectorAll('.opblock').length > 20", timeout=60)
    text = browser.evaluate("document.body.innerText")
    assert "/collections/{collectionId}/items" in text and "密云水库保水网格 GIS" in text
    fetched = browser.requested()[before:]
    assert any(u.endswith("/openapi.json") for u in fetched)
    assert all(u.startswith(server) or u.startswith(("data:", "blob:")) for u in fetched), fetched
    assert client.get("/docs/assets/../../etc/passwd").status_code == 404
