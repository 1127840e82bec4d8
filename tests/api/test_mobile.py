"""The mobile page /m/ in real headless Chromium, phone-sized, as a field staff member uses it in the
hills: geolocation from DevTools, the network cut and restored, a dropped connection."""

from __future__ import annotations

import io
import json
import time

import pytest
from conftest import PASSWORD
from PIL import Image

from gis.layers import gpkg
from gis.auth.users import add_user, change_password
from gis.ledger.db import Ledger
from gis.tracks.store import read_day

STAFF = "XWZ-K05-04"


@pytest.fixture(scope="module")
def staff_account(accounts, sample_layers) -> str:
    ledger = Ledger.in_dir(accounts[0])
    grids = gpkg.read_layer(sample_layers, "grids", columns=["grid_id", "town"], read_geometry=False)
    once = add_user(ledger, by="tests", username=STAFF, role="field_staff", grid_id="XWZ-K05",
                    grid_towns=dict(zip(grids["grid_id"], grids["town"])))
    change_password(ledger, STAFF, once, PASSWORD)
    return STAFF


@pytest.fixture(scope="module")
def phone(server, staff_account, tmp_path_factory):
    from browser import CHROMIUM

    if CHROMIUM is None:
        pytest.skip("Debian chromium not installed (bash .ci/setup --test installs it)")
    from devtools import Phone

    chromium = Phone(tmp_path_factory.mktemp("phone"))
    chromium.login(server, staff_account, PASSWORD)
    chromium.allow_geolocation(server)
    yield chromium
    chromium.close()


def _cases(accounts, client_id: str) -> list[dict]:
    ledger = Ledger.in_dir(accounts[0])
    return [dict(r) for r in ledger.query("SELECT case_id, grid_id, town, category, reporter, description FROM cases "
                                          "WHERE clue_id = ?", (f"mobile:{client_id}",))]


def _queue(phone) -> list[dict]:
    return phone.evaluate("miyun.queue().then(items => items.map(i => ({id: i.id, kind: i.kind, state: i.state, "
                          "message: i.message, fixes: i.fixes ? i.fixes.length : 0})))")


def _open(phone, server) -> None:
    phone.goto(f"{server}/m/", settle=0.5)
    assert phone.wait_for("window.miyun && miyun.ready === true", timeout=60), phone.dom()[:2000]


def test_page_is_installable_and_loads_nothing_from_elsewhere(phone, server):
    _open(phone, server)
    assert phone.wait_for("navigator.serviceWorker.controller !== null", timeout=30)
    _open(phone, server)
    assert phone.evaluate("document.documentElement.lang") == "zh-CN"
    assert "保水巡查" in phone.evaluate("document.title")
    assert phone.evaluate("document.querySelectorAll('#category option').length") == 10
    assert phone.evaluate("document.querySelectorAll('#map path.leaflet-interactive').length") > 1
    assert "XWZ-K05" in phone.evaluate("document.getElementById('who').textContent")
    manifest = phone.evaluate("fetch('/m/manifest.webmanifest').then(r => r.json())")
    assert manifest["start_url"] == "/m/" and manifest["display"] == "standalone"
    hosts = {url.split("/")[2] for url in phone.requested() if url.startswith("http")}
    assert hosts == {server.split("/")[2]}, hosts
    assert not [u for u in phone.requested() if not u.startswith(("http://127.0.0.1", "data:", "blob:"))]


def test_report_made_offline_is_one_case_after_a_dropped_connection(phone, server, accounts, grid_points, tmp_path):
    lon, lat = grid_points["XWZ-K05"]
    _open(phone, server)
    phone.geolocate(lat, lon, accuracy=6)
    phone.network(online=False)
    assert phone._service_workers(), "the Service Worker is cut off too"
    photo = tmp_path / "现场.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 90)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    phone.evaluate("document.querySelector('[data-tab=report]').click(); "
                   "document.getElementById('category').value = 'construction'; "
                   "document.getElementById('note').value = '河道边新搭彩钢板房一间'; true")
    phone.choose_file("#photo", photo)
    phone.evaluate("document.getElementById('locate').click(); true")
    assert phone.wait_for("document.getElementById('where').textContent.includes('手机定位')", timeout=30)
    phone.evaluate("document.getElementById('save').click(); true")
    assert phone.wait_for("miyun.queue().then(q => q.length === 1)", timeout=20)
    [item] = _queue(phone)
    assert item["state"] == "waiting" and not _cases(accounts, item["id"])
    assert "有网络后自动发送" in phone.evaluate("document.getElementById('report-msg').textContent")
    # the page opened again with no network: from the Service Worker, the report still waiting
    _open(phone, server)
    assert "离线" in phone.evaluate("document.getElementById('net').textContent")
    assert phone.evaluate("document.querySelectorAll('#map path.leaflet-interactive').length") > 1
    assert phone.evaluate("document.getElementById('badge').textContent") == "1"
    time.sleep(1)
    assert not _cases(accounts, item["id"])
    # the network returns; the first answer is lost on the way back, the page retries
    assert phone.drop_response("*/api/mobile/reports*", lambda: phone.network(online=True))
    assert phone.wait_for(f"miyun.queue().then(q => q.find(i => i.id === {json.dumps(item['id'])}).state === 'sent')",
                          timeout=60)
    [case] = _cases(accounts, item["id"])
    assert case["grid_id"] == "XWZ-K05" and case["town"] == "溪翁庄" and case["category"] == "construction"
    assert case["reporter"] == STAFF and "彩钢板房" in case["description"] and "精度约 6 米" in case["description"]
    [sent] = [q for q in _queue(phone) if q["id"] == item["id"]]
    assert "重发，未重复登记" in sent["message"]
    evidence = Ledger.in_dir(accounts[0]).query("SELECT format FROM evidence WHERE case_id = ?", (case["case_id"],))
    assert [e["format"] for e in evidence] == ["JPEG"]
    phone.evaluate("document.querySelector('[data-tab=queue]').click(); true")
    assert "已登记为案件 " + case["case_id"] in phone.evaluate("document.getElementById('queue').textContent")


def test_patrol_recorded_offline_is_uploaded_into_the_day(phone, server, accounts, grid_points, sample_layers):
    from phones import inbox_rows, run

    lon, lat = grid_points["XWZ-K05"]
    _open(phone, server)
    phone.geolocate(lat, lon)
    phone.network(online=False)
    phone.evaluate("document.querySelector('[data-tab=patrol]').click(); "
                   "document.getElementById('patrol-start').click(); true")
    for k in range(1, 8):
        phone.pump(1.2)
        phone.geolocate(lat + k * 4e-5, lon + k * 2e-5)
    assert phone.wait_for("document.getElementById('patrol-status').textContent.includes('已记录')", timeout=20)
    phone.pump(1.2)
    phone.evaluate("document.getElementById('patrol-stop').click(); true")
    assert phone.wait_for("miyun.queue().then(q => q.some(i => i.kind === 'batch'))", timeout=20)
    [batch] = [q for q in _queue(phone) if q["kind"] == "batch"]
    assert batch["state"] == "waiting" and batch["fixes"] >= 5
    assert not [r for r in inbox_rows(accounts[0], STAFF)]
    phone.network(online=True)
    assert phone.wait_for("miyun.queue().then(q => q.filter(i => i.kind === 'batch').every(i => i.state === 'sent'))",
                          timeout=60)
    rows = inbox_rows(accounts[0], STAFF)
    assert len(rows) == batch["fixes"] and {r["app"] for r in rows} == {"mobile"}
    # the same batch sent again (a retry after a lost answer) stores nothing twice
    again = phone.evaluate(
        "miyun.queue().then(q => q.find(i => i.kind === 'batch')).then(item => fetch('/api/mobile/patrols/batches', "
        "{method: 'POST', credentials: 'same-origin', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': "
        "decodeURIComponent(document.cookie.split('; ').find(c => c.startsWith('miyun_csrf=')).split('=')[1])}, "
        "body: JSON.stringify({batch_id: item.id, fixes: item.fixes})})).then(r => r.json())")
    assert again["repeated_batch"] is True and again["stored"] == 0
    assert len(inbox_rows(accounts[0], STAFF)) == len(rows)
    result = run("tracks", "compact", data_dir=accounts[0], layers=sample_layers)
    assert result.returncode == 0, result.stderr
    day = time.strftime("%Y-%m-%d", time.gmtime(rows[0]["time_ms"] / 1000 + 8 * 3600))
    stored = read_day(accounts[0], day)
    mine = stored.loc[stored["staff_id"] == STAFF]
    assert len(mine) == len(rows) and set(mine["grid_id"]) == {"XWZ-K05"}


def test_mobile_routes_refuse_bad_input_and_keep_one_case_per_report(server, accounts, staff_account, grid_points):
    import httpx

    from gis.auth.users import issue

    token, _ = issue(Ledger.in_dir(accounts[0]), staff_account, kind="token", name="tests")
    phone = httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    lon, lat = grid_points["XWZ-K05"]
    report = {"client_id": "0b7e4f6a-1c2d-4e5f-8a9b-000000000001", "category": "sanitation", "lon": str(lon),
              "lat": str(lat), "note": "路边倾倒垃圾"}
    first = phone.post("/api/mobile/reports", data=report)
    second = phone.post("/api/mobile/reports", data=report)
    assert first.status_code == 201 and second.status_code == 200, (first.text, second.text)
    assert first.json()["case_id"] == second.json()["case_id"] and second.json()["duplicate"] is True
    assert len(_cases(accounts, report["client_id"])) == 1
    other_lon, other_lat = grid_points["TST-K01"] if "TST-K01" in grid_points else next(
        p for g, p in grid_points.items() if not g.startswith("XWZ"))
    refused = [
        ({**report, "client_id": "x"}, 422, "客户端编号"),
        ({**report, "client_id": "0b7e4f6a-0002", "category": "aliens"}, 422, "未知取值"),
        ({**report, "client_id": "0b7e4f6a-0003", "lon": str(other_lon), "lat": str(other_lat)}, 403, "本"),
        ({**report, "client_id": "0b7e4f6a-0004", "reported_at": "2099-01-01T00:00:00Z"}, 422, "未来"),
    ]
    for data, status, word in refused:
        answer = phone.post("/api/mobile/reports", data=data)
        assert answer.status_code == status and word in answer.json()["error"]["message"], answer.text
        assert not _cases(accounts, data["client_id"])
    bad_photo = phone.post("/api/mobile/reports", data={**report, "client_id": "0b7e4f6a-0005"},
                           files={"photo": ("x.jpg", b"<script>not an image</script>", "image/jpeg")})
    assert bad_photo.status_code == 422 and not _cases(accounts, "0b7e4f6a-0005")
    batch = {"batch_id": "b0000000-0001", "fixes": [{"time": "2026-11-20T01:00:00Z", "lat": lat, "lon": lon}]}
    assert phone.post("/api/mobile/patrols/batches", json={**batch, "fixes": [{"lat": lat}]}).status_code == 422
    assert phone.post("/api/mobile/patrols/batches", content=b"[1,").status_code == 400
    office = httpx.post(f"{server}/api/mobile/patrols/batches", json=batch,
                        headers={"Authorization": f"Bearer {accounts[1]['xwz_k05']}"})
    assert office.status_code == 403 and "保水员编号" in office.json()["error"]["message"]
