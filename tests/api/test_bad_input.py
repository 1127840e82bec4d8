"""The hostile-input corpus (tests/data/bad/) against the real server: 4xx with a clear message, never a 500,
nothing stored."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
# tricky_*: files that must be accepted, but only when read right (tests/gis/test_track_safety.py)
TRACK_FILES = sorted(p.name for p in BAD.glob("*") if p.suffix in (".gpx", ".geojson", ".csv")
                     and not p.name.startswith("tricky_"))


def stored_track_files(accounts) -> list[Path]:
    return sorted((accounts[0] / "tracks").rglob("*.parquet"))


@pytest.mark.parametrize("name", TRACK_FILES)
def test_hostile_track_files_are_refused_and_nothing_is_stored(client, accounts, name):
    before = stored_track_files(accounts)
    answer = client.post("/api/tracks", files={"file": (name, (BAD / name).read_bytes())})
    assert 400 <= answer.status_code < 500, (name, answer.status_code, answer.text)
    error = answer.json()["error"]
    assert name in error["message"] and error["message_en"]
    assert stored_track_files(accounts) == before


@pytest.mark.parametrize("name", ["photo_truncated.jpg", "photo_svg_script.jpg", "photo_exe.png"])
def test_hostile_photos_are_refused(client, grid_points, name):
    lon, lat = grid_points["XWZ-K10"]
    case = client.post("/api/cases", json={"category": "fire", "reporter": "r", "lon": lon, "lat": lat}).json()
    answer = client.post(f"/api/cases/{case['case_id']}/evidence", files={"file": (name, (BAD / name).read_bytes())})
    assert answer.status_code == 422 and "图片" in answer.json()["error"]["message"]
    assert client.get(f"/api/cases/{case['case_id']}").json()["evidence"] == []


def test_a_roster_that_is_not_a_spreadsheet_is_refused(client):
    before = client.get("/api/staff", params={"limit": 1}).json()["count"]
    data = (BAD / "roster_not_xlsx.xlsx").read_bytes()
    answer = client.post("/api/staff/roster", files={"file": ("roster_not_xlsx.xlsx", data)})
    assert answer.status_code == 422 and "roster_not_xlsx.xlsx" in answer.json()["error"]["message"]
    assert client.get("/api/staff", params={"limit": 1}).json()["count"] == before


@pytest.mark.parametrize("route, field, limit_mb", [("/api/tracks", "file", 50), ("/api/layers/villages", "file", 100)])
def test_oversize_uploads_are_413(client, accounts, route, field, limit_mb):
    before = stored_track_files(accounts)
    big = io.BytesIO(b"0" * ((limit_mb + 1) * 2**20))
    answer = client.post(route, files={field: ("big.geojson", big)})
    assert answer.status_code == 413 and f"{limit_mb} MB" in answer.json()["error"]["message"]
    assert stored_track_files(accounts) == before


def test_oversize_photo_is_413(client, grid_points):
    lon, lat = grid_points["XWZ-K11"]
    case = client.post("/api/cases", json={"category": "fire", "reporter": "r", "lon": lon, "lat": lat}).json()
    answer = client.post(f"/api/cases/{case['case_id']}/evidence",
                         files={"file": ("huge.jpg", io.BytesIO(b"\xff" * (21 * 2**20)))})
    assert answer.status_code == 413


def test_path_traversal_in_file_names_goes_nowhere(client, accounts, tmp_path, sample_layers):
    from gis.tracks.pipeline import simulate_and_store

    csv = tmp_path / "day.csv"
    simulate_and_store("2026-11-18", sample_layers, tmp_path, n_staff=3, out=csv)
    answer = client.post("/api/tracks", files={"file": ("../../../../tmp/evil/../../etc/x.csv", csv.read_bytes())})
    assert answer.status_code == 200 and answer.json()["file"] == "x.csv"
    assert not Path("/etc/x.csv").exists() and not Path("/tmp/evil").exists()
    assert httpx_status(client, "/api/reports/files/..%2F..%2Fledger.sqlite") == 404


def httpx_status(client, path: str) -> int:
    return client.get(path).status_code


def test_markup_in_every_text_field_is_kept_as_text(client, as_user, grid_points, server):
    script = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    lon, lat = grid_points["XWZ-K12"]
    case = client.post("/api/cases", json={"category": "construction", "reporter": script, "lon": lon, "lat": lat,
                                           "description": script, "clue_id": script}).json()
    assert case["description"] == script and case["reporter"] == script
    noted = client.patch(f"/api/cases/{case['case_id']}", json={"version": 1, "note": script, "description": script})
    assert noted.status_code == 200 and noted.json()["history"][-1]["note"] == script
    plan = client.post("/api/relocation/plans", json={
        "plan_year": 2027, "town": "溪翁庄", "village": script, "kind": "hazard", "mode": "merge", "households": 2,
        "people": 5, "new_houses": 2, "old_houses": 2})
    assert plan.status_code == 201 and plan.json()["village"] == script
    login = client.get("/login", params={"next": '"><script>alert(1)</script>'})
    assert "<script>alert(1)</script>" not in login.text
    page = client.get("/maps/grids/XWZ-K12")
    assert script not in page.text  # case texts reach the page as JSON and are escaped there


@pytest.mark.parametrize("body", [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"category": "fire", "reporter": "r", "geometry": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    b'{"category": "fire", "reporter": "r", "lon": 1e999, "lat": 40.5}',
    b'{"category": "fire", "reporter": "r", "geometry": {"type": "Polygon", "coordinates": [[[1e308, 1e308]]]}}',
    b"\xff\xfe not json",
])
def test_hostile_json_bodies_are_4xx(client, body):
    answer = client.post("/api/cases", content=body, headers={"content-type": "application/json"})
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["error"]["message"]
