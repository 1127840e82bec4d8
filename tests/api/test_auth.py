"""Users, roles and rights against the real server: nobody where they don't belong."""

from __future__ import annotations

import re
import sqlite3

import httpx
import pytest
from conftest import PASSWORD, start_server
from probes import free_port

ANONYMOUS_PATHS = ["/", "/maps/cases", "/maps/grids/XWZ-K05", "/collections", "/collections/grids/items",
                   "/api/cases", "/api/cases/geojson", "/api/reports/funds?year=2026", "/api/staff", "/api/me",
                   "/grids/XWZ-K05/printout.pdf", "/static/leaflet/leaflet.js", "/static/cache/hillshade.png",
                   "/docs", "/openapi.json", "/api/patrols/2026-11-20"]


@pytest.mark.parametrize("path", ANONYMOUS_PATHS)
def test_without_credentials_everything_but_healthz_and_login_is_401(server, path):
    answer = httpx.get(f"{server}{path}", follow_redirects=False)
    assert answer.status_code == 401, path
    assert answer.json()["error"]["code"] == "unauthorized" and answer.headers["www-authenticate"] == "Bearer"


def test_a_browser_is_sent_to_the_login_page(server):
    answer = httpx.get(f"{server}/maps/cases", headers={"accept": "text/html"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/maps/cases"
    login = httpx.get(f"{server}/login")
    assert login.status_code == 200 and "登录" in login.text
    assert httpx.get(f"{server}/healthz").json() == {"status": "ok"}
    for bad in ("Bearer nonsense", "Bearer x" * 50, "Basic YWRtaW46YWRtaW4="):
        assert httpx.get(f"{server}/api/me", headers={"authorization": bad}).status_code == 401


def _login(server: str, username: str, password: str, address: str = "") -> httpx.Response:
    return httpx.post(f"{server}/login", data={"username": username, "password": password, "next": "/maps/cases"},
                      follow_redirects=False)


def test_cookie_sessions_need_the_csrf_token_for_writes(server, grid_points):
    answer = _login(server, "xwz_op", PASSWORD)
    assert answer.status_code == 303 and answer.headers["location"] == "/maps/cases"
    cookie = answer.cookies["miyun_session"]
    csrf = answer.cookies["miyun_csrf"]
    assert "httponly" in answer.headers.get_list("set-cookie")[0].lower()
    assert "samesite=strict" in answer.headers.get_list("set-cookie")[0].lower()
    with httpx.Client(base_url=server, cookies={"miyun_session": cookie}, timeout=120) as browser:
        assert browser.get("/api/me").json()["town"] == "溪翁庄"
        lon, lat = grid_points["XWZ-K09"]
        case = {"category": "sanitation", "reporter": "XWZ-K09-01", "lon": lon, "lat": lat}
        forged = browser.post("/api/cases", json=case)
        assert forged.status_code == 403 and "CSRF" in forged.json()["error"]["message"]
        made = browser.post("/api/cases", json=case, headers={"x-csrf-token": csrf})
        assert made.status_code == 201 and made.json()["reporter"] == "XWZ-K09-01"
        out = browser.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
        assert out.status_code == 303
        assert browser.get("/api/me").status_code == 401


def test_wrong_passwords_are_limited(server):
    for _ in range(5):
        assert _login(server, "gis1", "wrong password!").status_code == 401
    limited = _login(server, "gis1", PASSWORD)
    assert limited.status_code == 429 and "登录失败次数过多" in limited.text
    assert _login(server, "nobody-at-all", "x" * 12).status_code in (401, 429)


def test_roles_and_places(as_user, grid_points, server):
    field, town_op, manager, gis = as_user("xwz_k05"), as_user("xwz_op"), as_user("manager1"), as_user("gis1")
    inside, outside = grid_points["XWZ-K05"], grid_points["XWZ-K06"]
    case = {"category": "fire", "reporter": "XWZ-K05-02"}
    assert field.post("/api/cases", json={**case, "lon": inside[0], "lat": inside[1]}).status_code == 201
    before = len(manager.get("/api/cases", params={"limit": 1000}).json()["items"])
    refused = field.post("/api/cases", json={**case, "lon": outside[0], "lat": outside[1]})
    assert refused.status_code == 403 and "本网格（XWZ-K05）" in refused.json()["error"]["message"]
    assert len(manager.get("/api/cases", params={"limit": 1000}).json()["items"]) == before  # nothing stored
    assert {c["grid_id"] for c in field.get("/api/cases").json()["items"]} == {"XWZ-K05"}
    assert field.get("/maps/cases").status_code == 403
    assert field.get("/api/reports/funds", params={"year": 2026}).status_code == 403
    tst = grid_points["TST-K03"]
    other_town = manager.post("/api/cases", json={"category": "fire", "reporter": "m", "lon": tst[0],
                                                  "lat": tst[1]}).json()
    assert town_op.get(f"/api/cases/{other_town['case_id']}").status_code == 403
    assert town_op.patch(f"/api/cases/{other_town['case_id']}", json={"version": 1, "note": "x"}).status_code == 403
    assert town_op.get("/api/cases", params={"town": "太师屯"}).status_code == 403
    assert {c["town"] for c in town_op.get("/api/cases", params={"limit": 1000}).json()["items"]} == {"溪翁庄"}
    funds = town_op.get("/api/reports/funds", params={"year": 2026}).json()["sheets"]
    assert {r["镇"] for sheet in funds.values() for r in sheet} == {"溪翁庄"}
    assert town_op.post("/api/reports/monthly/submit", json={"town": "太师屯", "month": "2026-09"}).status_code == 403
    geojson = {"type": "FeatureCollection", "features": []}
    files = {"file": ("grids.geojson", str(geojson).replace("'", '"').encode())}
    assert manager.post("/api/layers/grids", files=files).status_code == 403
    assert gis.post("/api/cases", json={**case, "lon": inside[0], "lat": inside[1]}).status_code == 403
    assert gis.post("/api/layers/grids", files=files).status_code == 422  # allowed, but an empty file
    audit = manager.get(f"/api/cases/{other_town['case_id']}").json()["history"][0]
    assert audit["user"] == "manager1"


def test_disabled_accounts_stop_at_once(server, accounts, sample_layers):
    import subprocess
    import sys
    from pathlib import Path

    miyun = str(Path(sys.executable).with_name("miyun-gis"))
    env = {"MIYUN_DATA_DIR": str(accounts[0]), "MIYUN_LAYERS": str(sample_layers), "PATH": "/usr/bin:/bin"}
    made = subprocess.run([miyun, "users", "add", "temp1", "--role", "manager"], capture_output=True, text=True,
                          env=env, check=True).stdout
    once = re.search(r"：(\S+)$", made.strip()).group(1)
    token = subprocess.run([miyun, "users", "token", "temp1"], capture_output=True, text=True, env=env,
                           check=True).stdout.strip()
    me = httpx.get(f"{server}/api/me", headers={"authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["role"] == "manager"
    first = _login(server, "temp1", once)
    assert first.status_code == 303 and first.headers["location"] == "/account/password"
    session = {"miyun_session": first.cookies["miyun_session"]}
    assert httpx.get(f"{server}/api/cases", cookies=session).status_code == 403  # change the password first
    subprocess.run([miyun, "users", "disable", "temp1"], env=env, check=True, capture_output=True)
    assert httpx.get(f"{server}/api/me", headers={"authorization": f"Bearer {token}"}).status_code == 401
    assert _login(server, "temp1", once).status_code == 403


def test_first_start_creates_an_administrator_with_a_one_time_password(sample_layers, tmp_path):
    port = free_port()
    proc = start_server({"MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(tmp_path)}, port, capture=True)
    base = f"http://127.0.0.1:{port}"
    try:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    once = re.search(r"一次性密码（只显示这一次，登录后须修改）：(\S+)", err).group(1)
    proc = start_server({"MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(tmp_path)}, port, capture=True)
    try:
        with httpx.Client(base_url=base) as browser:
            first = browser.post("/login", data={"username": "admin", "password": once}, follow_redirects=False)
            assert first.headers["location"] == "/account/password"
            csrf = first.cookies["miyun_csrf"]
            page = browser.get("/account/password")
            assert "首次登录" in page.text
            changed = browser.post("/account/password", data={"old": once, "new": "a much better secret",
                                                              "again": "a much better secret", "csrf_token": csrf},
                                   follow_redirects=False)
            assert changed.status_code == 303
            assert browser.get("/api/me").json() == {"username": "admin", "role": "admin", "role_cn": "系统管理员",
                                                     "town": None, "grid_id": None, "must_change_password": False}
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "一次性密码" not in err  # printed once only
    stored = sqlite3.connect(tmp_path / "ledger.sqlite").execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2") and once not in stored
