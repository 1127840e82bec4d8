"""Who may call what, and see which town's data: one table for every route in the app's route table,
walked as each role against the real server (issue 14, faults 5–7).

A route missing from ``ROUTES`` fails the test: a new route states its rule here.  For each route and
account: a role that may not call it gets 403; a role that may gets neither 401 nor 403 nor a 5xx (writes
and slow printouts are not sent as those: other tests make them), and no JSON answer to a town operator
or field staff names another town; ``other`` asks for another town's (or grid's) record and must be
refused (403; 404 where it is ``hidden``: not in the caller's OGC collection) to 溪翁庄's operator and to the
field staff of XWZ-K05.  The tracker routes (``device``) authenticate a registered device, not a user: every
user account gets 401 or 403 there and no fix is stored.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from conftest import ACCOUNTS

from gis.schema import CONSTRUCTION_KINDS

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
OWN_TOWN, OTHER_TOWN, OWN_GRID, OTHER_GRID, OTHER_TOWN_GRID = "溪翁庄", "太师屯", "XWZ-K05", "XWZ-K06", "TST-K01"
ALL = frozenset(role for role, _, _ in ACCOUNTS.values())
OFFICES = ALL - {"field_staff"}
DISTRICT = frozenset({"admin", "gis_officer", "manager"})
DESK = frozenset({"admin", "manager"})
WORKERS = frozenset({"admin", "manager", "town_operator"})
BOUND = ("xwz_op", "xwz_k05")  # the accounts tied to 溪翁庄 (and XWZ-K05)
TOWN_KEYS = ("town", "镇", "乡镇")


def csv_of(staff: str, point) -> bytes:
    lon, lat = point
    rows = "".join(f"{staff},2026-11-19T0{h}:00:00Z,{lon + h * 1e-5:.7f},{lat:.7f}\n" for h in range(4))
    return ("staff_id,time,lon,lat\n" + rows).encode()


@dataclass(frozen=True)
class Rule:
    may: frozenset  # the roles that may call the route (the others: 403)
    own: Callable  # ctx → (method, url, httpx keyword arguments): a request about 溪翁庄 / XWZ-K05
    other: Callable | None = None  # ctx → a request about another town's or grid's record
    write: bool = False  # changes data: sent only where it must be refused
    slow: bool = False  # a printout: the allowed answer is checked in tests/api/test_printouts.py
    layers: bool = False  # reference layers, the same for everyone: no town check on the answer
    record: bool = False  # ``own`` names one 溪翁庄 record (not a listing the server scopes)
    device: bool = False  # authenticates a tracker device, not a user: every user account gets 401 or 403
    hidden: bool = False  # ``other`` is not in the caller's collection: 404 (OGC API), not 403


def get(url, **kw):
    return lambda ctx: ("GET", url.format(**ctx), kw)


def send(method, url, **kw):
    def make(ctx):
        args = {k: (v(ctx) if callable(v) else v) for k, v in kw.items()}
        return method, url.format(**ctx), args
    return make


PLAN = {"plan_year": 2027, "village": "测试村", "kind": "hazard", "mode": "merge", "households": 2, "people": 5,
        "new_houses": 2, "old_houses": 2}
SQUARE = {"type": "Polygon", "coordinates": [[[116.95, 40.51], [116.951, 40.51], [116.951, 40.511],
                                              [116.95, 40.511], [116.95, 40.51]]]}
LIVE_FIX = {"id": "scope-no-device", "lat": "40.51", "lon": "116.95", "timestamp": "1795075200"}
PASS = {"pass_no": "SCOPE-1", "holder": "h", "kind": "vehicle", "office": "reservoir_office",
        "valid_from": "2026-01-01", "valid_to": "2026-12-31"}

ROUTES: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): Rule(ALL, get("/healthz")),
    ("GET", "/login"): Rule(ALL, get("/login")),
    ("POST", "/login"): Rule(ALL, send("POST", "/login"), write=True),  # failed logins: tests/api/test_auth.py
    ("POST", "/logout"): Rule(ALL, send("POST", "/logout"), write=True),  # would end the test's token
    ("GET", "/account/password"): Rule(ALL, get("/account/password")),
    ("POST", "/account/password"): Rule(ALL, send("POST", "/account/password"), write=True),
    ("GET", "/api/me"): Rule(ALL, get("/api/me")),
    ("POST", "/api/tokens"): Rule(ALL, send("POST", "/api/tokens", json={}), write=True),
    ("GET", "/"): Rule(ALL, get("/")),
    ("GET", "/maps/towns/{town}"): Rule(OFFICES, get(f"/maps/towns/{OWN_TOWN}"),
                                        other=get(f"/maps/towns/{OTHER_TOWN}"), record=True),
    ("GET", "/maps/grids/{grid_id}"): Rule(ALL, get(f"/maps/grids/{OWN_GRID}"),
                                           other=get(f"/maps/grids/{OTHER_TOWN_GRID}"), record=True),
    ("GET", "/maps/cases"): Rule(OFFICES, get("/maps/cases")),
    ("GET", "/maps/patrols"): Rule(OFFICES, get("/maps/patrols")),
    ("GET", "/collections"): Rule(ALL, get("/collections"), layers=True),
    ("GET", "/conformance"): Rule(ALL, get("/conformance"), layers=True),
    ("GET", "/collections/{collectionId}"): Rule(ALL, get("/collections/cases"), layers=True),
    ("GET", "/collections/{collectionId}/queryables"): Rule(ALL, get("/collections/cases/queryables"), layers=True),
    # the reference layers are everyone's; the cases collection is limited as /api/cases (f=json: checked here)
    ("GET", "/collections/{collectionId}/items"): Rule(ALL, get("/collections/cases/items",
                                                                params={"f": "json", "limit": 1000})),
    # one feature of the caller's collection: another town's case is not in it (404, tests/api/test_ogc.py)
    ("GET", "/collections/{collectionId}/items/{featureId}"): Rule(
        ALL, get("/collections/cases/items/{own_case}", params={"f": "json"}),
        other=get("/collections/cases/items/{other_case}", params={"f": "json"}), record=True, hidden=True),
    ("GET", "/docs"): Rule(ALL, get("/docs")),
    ("GET", "/docs/assets/{name}"): Rule(ALL, get("/docs/assets/swagger-ui.css")),
    ("POST", "/api/assign"): Rule(ALL, send("POST", "/api/assign", json={"lon": [116.95], "lat": [40.51]}),
                                  layers=True),
    ("POST", "/api/tracks"): Rule(
        OFFICES - {"gis_officer"} | {"field_staff"},
        send("POST", "/api/tracks", files=lambda c: {"file": ("scope.csv", csv_of("XWZ-K05-01", c["points"][OWN_GRID]))}),
        other=send("POST", "/api/tracks",
                   files=lambda c: {"file": ("other.csv", csv_of("TST-K01-01", c["points"][OTHER_TOWN_GRID]))}),
        write=True),
    ("GET", "/grids/{grid_id}/printout.pdf"): Rule(ALL, get(f"/grids/{OWN_GRID}/printout.pdf"),
                                                   other=get(f"/grids/{OTHER_TOWN_GRID}/printout.pdf"), slow=True),
    ("GET", "/towns/{town}/printout.pdf"): Rule(OFFICES, get(f"/towns/{OWN_TOWN}/printout.pdf"),
                                                other=get(f"/towns/{OTHER_TOWN}/printout.pdf"), slow=True),
    ("GET", "/api/cases"): Rule(ALL, get("/api/cases"), other=get("/api/cases", params={"town": OTHER_TOWN})),
    ("GET", "/api/cases/geojson"): Rule(ALL, get("/api/cases/geojson"),
                                        other=get("/api/cases/geojson", params={"town": OTHER_TOWN})),
    ("POST", "/api/cases"): Rule(ALL - {"gis_officer"}, send("POST", "/api/cases", json=lambda c: {
        "category": "fire", "reporter": "r", "lon": c["points"][OWN_GRID][0], "lat": c["points"][OWN_GRID][1]}),
        other=send("POST", "/api/cases", json=lambda c: {
            "category": "fire", "reporter": "r", "lon": c["points"][OTHER_TOWN_GRID][0],
            "lat": c["points"][OTHER_TOWN_GRID][1]}), write=True),
    ("GET", "/api/cases/overdue"): Rule(ALL, get("/api/cases/overdue")),
    ("GET", "/api/cases/utility-list"): Rule(ALL, get("/api/cases/utility-list", params={"provider": "供电"})),
    ("GET", "/api/cases/{case_id}/visits"): Rule(ALL, get("/api/cases/{own_case}/visits"),
                                                  other=get("/api/cases/{other_case}/visits"), record=True),
    ("GET", "/api/cases/{case_id}"): Rule(ALL, get("/api/cases/{own_case}"), other=get("/api/cases/{other_case}"),
                                           record=True),
    ("PATCH", "/api/cases/{case_id}"): Rule(WORKERS, send("PATCH", "/api/cases/{own_case}", json={"version": 1}),
                                            other=send("PATCH", "/api/cases/{other_case}", json={"version": 1}),
                                            write=True),
    ("POST", "/api/cases/{case_id}/evidence"): Rule(
        ALL - {"gis_officer"}, send("POST", "/api/cases/{own_case}/evidence", files={"file": ("p.png", b"x")}),
        other=send("POST", "/api/cases/{other_case}/evidence", files={"file": ("p.png", b"x")}), write=True),
    ("GET", "/api/reports/monthly"): Rule(OFFICES, get("/api/reports/monthly", params={"month": "2026-10"})),
    ("POST", "/api/reports/monthly/submit"): Rule(
        WORKERS, send("POST", "/api/reports/monthly/submit", json={"town": OWN_TOWN, "month": "2026-10"}),
        other=send("POST", "/api/reports/monthly/submit", json={"town": OTHER_TOWN, "month": "2026-10"}),
        write=True),
    ("POST", "/api/reports/reconcile"): Rule(DESK, send("POST", "/api/reports/reconcile", data={"month": "2026-10"},
                                                        files={"file": ("c.geojson", b"{}")}), write=True),
    ("GET", "/api/reports/files"): Rule(DISTRICT, get("/api/reports/files")),
    ("GET", "/api/reports/files/{name}"): Rule(DISTRICT, get("/api/reports/files/none.xlsx")),
    ("GET", "/api/staff"): Rule(ALL, get("/api/staff", params={"limit": 50}),
                                other=get("/api/staff", params={"town": OTHER_TOWN})),
    ("POST", "/api/staff/roster"): Rule(DESK, send("POST", "/api/staff/roster", files={"file": ("r.csv", b"x")}),
                                        write=True),
    ("GET", "/api/staff/reevaluations"): Rule(OFFICES, get("/api/staff/reevaluations")),
    ("POST", "/api/staff/deductions"): Rule(WORKERS, send("POST", "/api/staff/deductions", json={
        "staff_id": "XWZ-K05-01", "kind": "absent", "occurred_on": "2026-11-01", "evidence": "e"}),
        other=send("POST", "/api/staff/deductions", json={
            "staff_id": "TST-K01-01", "kind": "absent", "occurred_on": "2026-11-01", "evidence": "e"}), write=True),
    ("POST", "/api/staff/deductions/{deduction_id}/appeal"): Rule(
        WORKERS, send("POST", "/api/staff/deductions/1/appeal", json={"note": "n"}), write=True),
    ("POST", "/api/staff/deductions/{deduction_id}/decision"): Rule(
        DESK, send("POST", "/api/staff/deductions/1/decision", json={"upheld": True}), write=True),
    ("GET", "/api/staff/dismissals"): Rule(OFFICES, get("/api/staff/dismissals", params={"year": 2026})),
    ("GET", "/api/reports/funds"): Rule(OFFICES, get("/api/reports/funds", params={"year": 2026})),
    ("GET", "/api/reports/subsidy"): Rule(OFFICES, get("/api/reports/subsidy", params={"year": 2026, "quarter": 1})),
    ("GET", "/api/reports/assessment"): Rule(OFFICES, get("/api/reports/assessment", params={"year": 2026})),
    ("POST", "/api/relocation/plans"): Rule(WORKERS, send("POST", "/api/relocation/plans",
                                                          json={**PLAN, "town": OWN_TOWN}),
                                            other=send("POST", "/api/relocation/plans",
                                                       json={**PLAN, "town": OTHER_TOWN}), write=True),
    ("GET", "/api/relocation/plans/{plan_id}"): Rule(OFFICES, get("/api/relocation/plans/{own_plan}"),
                                                     other=get("/api/relocation/plans/{other_plan}"), record=True),
    ("POST", "/api/relocation/plans/{plan_id}/progress"): Rule(
        WORKERS, send("POST", "/api/relocation/plans/{own_plan}/progress", json={"month": "2027-03"}),
        other=send("POST", "/api/relocation/plans/{other_plan}/progress", json={"month": "2027-03"}), write=True),
    ("GET", "/api/reports/relocation"): Rule(OFFICES, get("/api/reports/relocation", params={"year": 2027})),
    ("POST", "/api/relocation/site-check"): Rule(OFFICES, send("POST", "/api/relocation/site-check",
                                                               json={"geometry": SQUARE}), layers=True),
    ("GET", "/api/patrols/{day}"): Rule(OFFICES, get("/api/patrols/2026-11-19")),
    ("GET", "/api/patrols/{day}/staff"): Rule(OFFICES, get("/api/patrols/2026-11-19/staff"),
                                              other=get("/api/patrols/2026-11-19/staff", params={"town": OTHER_TOWN})),
    ("GET", "/api/patrols/{day}/tracks"): Rule(ALL, get("/api/patrols/2026-11-19/tracks"),
                                               other=get("/api/patrols/2026-11-19/tracks",
                                                         params={"town": OTHER_TOWN, "grid": OTHER_TOWN_GRID})),
    ("GET", "/api/patrols/{day}/tiles/{z}/{x}/{y}.pbf"): Rule(  # tiles of the caller's town (binary: not read here)
        OFFICES, get("/api/patrols/2026-11-19/tiles/12/3378/1543.pbf")),
    ("POST", "/api/gates/passes"): Rule(DESK, send("POST", "/api/gates/passes", json=PASS), write=True),
    ("POST", "/api/gates/passes/{pass_no}/revoke"): Rule(DESK, send("POST", "/api/gates/passes/SCOPE-1/revoke"),
                                                         write=True),
    ("GET", "/api/gates/passes"): Rule(OFFICES, get("/api/gates/passes")),
    ("POST", "/api/gates/entries"): Rule(ALL - {"gis_officer"}, send("POST", "/api/gates/entries", json={
        "gate_id": "WM-01", "kind": "person", "who": "w", "time_in": "2026-11-19T08:00"}),
        other=send("POST", "/api/gates/entries", json={
            "gate_id": "WM-04", "kind": "person", "who": "w", "time_in": "2026-11-19T08:00"}), write=True),
    ("GET", "/api/gates/entries"): Rule(OFFICES, get("/api/gates/entries", params={"date": "2026-11-19"})),
    ("POST", "/api/layers/{layer}"): Rule(frozenset({"admin", "gis_officer"}), send(
        "POST", "/api/layers/villages", files={"file": ("v.geojson", b"{}")}), write=True),
    ("GET", "/grids/{grid_id}/archive.pdf"): Rule(OFFICES, get(f"/grids/{OWN_GRID}/archive.pdf"),
                                                  other=get(f"/grids/{OTHER_TOWN_GRID}/archive.pdf"), slow=True),
    # the mobile page: any account (the page itself asks /api/mobile/me who it is)
    ("GET", "/m"): Rule(ALL, get("/m")),
    ("GET", "/m/"): Rule(ALL, get("/m/")),
    ("GET", "/m/{name}"): Rule(ALL, get("/m/app.js")),
    ("GET", "/api/mobile/me"): Rule(ALL, get("/api/mobile/me")),
    # the grid and its neighbours with the reference layers near it (the neighbours may be another town's:
    # they are the grids layer everyone reads); another grid is refused to field staff, another town's to
    # town operators
    ("GET", "/api/mobile/map"): Rule(ALL, get("/api/mobile/map", params={"grid": OWN_GRID}),
                                     other=get("/api/mobile/map", params={"grid": OTHER_TOWN_GRID}),
                                     layers=True, record=True),
    ("POST", "/api/mobile/reports"): Rule(ALL - {"gis_officer"}, send("POST", "/api/mobile/reports", data=lambda c: {
        "client_id": "scope-own-0001", "category": "fire", "lon": c["points"][OWN_GRID][0],
        "lat": c["points"][OWN_GRID][1]}),
        other=send("POST", "/api/mobile/reports", data=lambda c: {
            "client_id": "scope-other-0001", "category": "fire", "lon": c["points"][OTHER_TOWN_GRID][0],
            "lat": c["points"][OTHER_TOWN_GRID][1]}), write=True),
    # the fixes are always the caller's own staff code's (an account not named for a staff member of its grid: 403)
    ("POST", "/api/mobile/patrols/batches"): Rule(ALL - {"gis_officer"}, send(
        "POST", "/api/mobile/patrols/batches", json={"batch_id": "scope-batch-0001", "fixes": [
            {"time": "2026-11-19T08:00:00Z", "lat": 40.51, "lon": 116.95}]}), write=True),
    # tracker apps: the device's secret, never a user account (tests/api/test_ingest.py sends real devices)
    ("GET", "/ingest/osmand"): Rule(frozenset(), get("/ingest/osmand", params=LIVE_FIX), device=True),
    ("POST", "/ingest/osmand"): Rule(frozenset(), send("POST", "/ingest/osmand", data=LIVE_FIX), device=True),
    ("POST", "/ingest/owntracks"): Rule(frozenset(), send("POST", "/ingest/owntracks", json={
        "_type": "location", "lat": 40.51, "lon": 116.95, "tst": 1795075200, "tid": "sc"}), device=True),
}


def walk_routes(routes):
    """Every API route of the app, also those of included routers (FastAPI keeps those nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from walk_routes(route.original_router.routes)


@pytest.fixture(scope="module")
def routes(sample_layers, accounts) -> list[tuple[str, str]]:
    import os

    from api.app import create_app

    saved = {k: os.environ.get(k) for k in ("MIYUN_LAYERS", "MIYUN_DATA_DIR")}
    os.environ.update({"MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(accounts[0])})
    try:
        app = create_app()
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return sorted({(m, r.path) for r in walk_routes(app.routes) for m in r.methods if m != "HEAD"})


@pytest.fixture(scope="module")
def ctx(client, grid_points) -> dict:
    """Records of 溪翁庄 (XWZ-K05) and of 太师屯 (TST-K01), made by the administrator."""
    def case(grid):
        lon, lat = grid_points[grid]
        answer = client.post("/api/cases", json={"category": "sewage", "reporter": "scope", "lon": lon, "lat": lat})
        assert answer.status_code == 201, answer.text
        return answer.json()["case_id"]

    def plan(town):
        answer = client.post("/api/relocation/plans", json={**PLAN, "town": town, "village": f"{town}范围测试村"})
        assert answer.status_code == 201, answer.text
        return answer.json()["plan_id"]

    return {"own_case": case(OWN_GRID), "other_case": case(OTHER_TOWN_GRID), "own_plan": plan(OWN_TOWN),
            "other_plan": plan(OTHER_TOWN), "points": grid_points}


def test_every_route_of_the_app_is_in_the_table(routes):
    missing = [r for r in routes if r not in ROUTES]
    assert not missing, f"routes without a rule in ROUTES (say who may call them): {missing}"
    assert not [r for r in ROUTES if r not in routes], "rules for routes the app no longer has"


def towns_in(answer) -> set[str]:
    """Every town an answer names (JSON keys town / 镇 / 乡镇, at any depth)."""
    found: set[str] = set()

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in TOWN_KEYS and isinstance(item, str):
                    found.add(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    if answer.headers.get("content-type", "").startswith("application/json"):
        walk(answer.json())
    return found


def call(as_user, account, request):
    method, url, kwargs = request
    kwargs = {k: (io.BytesIO(v) if isinstance(v, bytes) else v) for k, v in kwargs.items()}
    return as_user(account).request(method, url, follow_redirects=False, **kwargs)


@pytest.mark.parametrize("account", list(ACCOUNTS))
def test_each_role_gets_what_the_table_says(as_user, ctx, routes, account):
    role = ACCOUNTS[account][0]
    town = {"xwz_op": OWN_TOWN, "xwz_k05": OWN_TOWN, "tst_op": OTHER_TOWN}.get(account)
    problems = []
    for key in routes:
        rule = ROUTES[key]
        allowed = role in rule.may
        if allowed and (rule.write or rule.slow):
            continue
        answer = call(as_user, account, rule.own(ctx))
        if account == "tst_op" and rule.record:  # 太师屯's operator: the 溪翁庄 record is another town's
            allowed = False
        refused = (401, 403) if rule.device else (404,) if rule.hidden else (403,)
        if not allowed and answer.status_code not in refused:
            problems.append(f"{key}: {answer.status_code}, expected {refused} for {role}")
        if allowed:
            if answer.status_code in (401, 403) or answer.status_code >= 500:
                problems.append(f"{key}: {answer.status_code} for {role}: {answer.text[:200]}")
            elif town and not rule.layers and towns_in(answer) - {town}:
                problems.append(f"{key}: {account} sees {sorted(towns_in(answer) - {town})}")
        if answer.status_code >= 500:
            problems.append(f"{key}: {answer.status_code}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("account", BOUND)
def test_another_towns_records_are_refused_on_every_route(as_user, ctx, routes, account):
    """Fault 5: 溪翁庄's operator downloaded 太师屯's grid and town printouts (its open cases and staff)."""
    problems = []
    for key in routes:
        rule = ROUTES[key]
        if rule.other is None:
            continue
        answer = call(as_user, account, rule.other(ctx))
        if answer.status_code != (404 if rule.hidden else 403):
            problems.append(f"{key}: {answer.status_code} for {account}: {answer.text[:120]}")
    assert not problems, "\n".join(problems)


def test_device_routes_store_nothing_for_user_accounts(as_user, accounts, ctx, routes):
    """The tracker routes take a registered device's secret: a user account's bearer token, or its API token
    as OwnTracks' Basic password, is 401/403 and the inbox gets no fix."""
    import base64

    from gis.intake.inbox import Inbox

    inbox = Inbox(accounts[0])
    before = inbox.count()
    problems = []
    for account, token in accounts[1].items():
        basic = base64.b64encode(f"{account}:{token}".encode()).decode()
        requests = [ROUTES[key].own(ctx) for key in routes if ROUTES[key].device]
        requests.append(("POST", "/ingest/owntracks", {"headers": {"Authorization": f"Basic {basic}"},
                                                       "json": {"_type": "location", "lat": 40.51, "lon": 116.95,
                                                                "tst": 1795075200}}))
        requests.append(("GET", "/ingest/osmand", {"params": {**LIVE_FIX, "id": token}}))
        for request in requests:
            answer = call(as_user, account, request)
            if answer.status_code not in (401, 403):
                problems.append(f"{request[:2]}: {answer.status_code} for {account}: {answer.text[:120]}")
    assert not problems, "\n".join(problems)
    assert inbox.count() == before


def test_a_resent_mobile_report_of_another_town_is_refused(client, as_user, grid_points):
    """A mobile report is found again by its client id: a resend by 溪翁庄's accounts of 太师屯's report
    (even with a point of their own grid) is refused before it names that case or adds a photo to it."""
    from PIL import Image

    photo = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(photo, format="PNG")
    lon, lat = grid_points[OTHER_TOWN_GRID]
    made = client.post("/api/mobile/reports", data={"client_id": "scope-resent-0001", "category": "fire",
                                                    "lon": lon, "lat": lat})
    assert made.status_code == 201 and made.json()["town"] == OTHER_TOWN, made.text
    own_lon, own_lat = grid_points[OWN_GRID]
    for account in BOUND:
        again = as_user(account).post("/api/mobile/reports", data={
            "client_id": "scope-resent-0001", "category": "fire", "lon": own_lon, "lat": own_lat},
            files={"photo": ("p.png", io.BytesIO(photo.getvalue()), "image/png")})
        assert again.status_code == 403, again.text
        assert made.json()["case_id"] not in again.text and "duplicate" not in again.text
    assert client.get(f"/api/cases/{made.json()['case_id']}").json()["evidence"] == []


def test_utility_list_changes_name_only_the_callers_cases(client, as_user, accounts, sample_layers, grid_points):
    """The last list issued (by the district, ``miyun-gis cases utility-list``) holds every town's cases: a
    case of another grid is not "gone" (移出) from XWZ-K05's list, nor another town's from 溪翁庄's."""
    import os
    import subprocess
    import sys

    made = {}
    for grid in (OWN_GRID, OTHER_GRID, OTHER_TOWN_GRID):
        lon, lat = grid_points[grid]
        answer = client.post("/api/cases", json={"category": "construction", "reporter": "scope", "lon": lon,
                                                 "lat": lat, "subtype": next(iter(CONSTRUCTION_KINDS))})
        assert answer.status_code == 201, answer.text
        made[grid] = answer.json()["case_id"]
    cli = Path(sys.executable).with_name("miyun-gis")
    issued = subprocess.run([str(cli), "cases", "utility-list", "--provider", "燃气"], capture_output=True,
                            text=True, env={**os.environ, "MIYUN_LAYERS": str(sample_layers),
                                            "MIYUN_DATA_DIR": str(accounts[0])})
    assert issued.returncode == 0, issued.stderr
    for account, own in (("xwz_k05", {made[OWN_GRID]}), ("xwz_op", {made[OWN_GRID], made[OTHER_GRID]})):
        book = as_user(account).get("/api/cases/utility-list", params={"provider": "燃气"})
        assert book.status_code == 200, book.text
        listed = {r["案件编号"] for r in book.json()["sheets"]["禁止接入清单"]}
        changed = {r["案件编号"] for r in book.json()["sheets"]["较上次变化"]}
        assert own <= listed and not changed and not (set(made.values()) - own) & listed, (account, book.text)


def test_rights_are_checked_before_already_imported(client, as_user, grid_points):
    """Fault 6: an upload of a file already imported answered "already imported, at <time>" before
    the caller's rights were checked."""
    content = (BAD / "tricky_other_town.csv").read_bytes()  # 太师屯's staff in TST-K01
    first = client.post("/api/tracks", files={"file": ("tst.csv", io.BytesIO(content))})
    assert first.status_code == 200 and first.json()["stored"] == 4, first.text
    for account in BOUND:
        again = as_user(account).post("/api/tracks", files={"file": ("tst.csv", io.BytesIO(content))})
        assert again.status_code == 403, again.text
        assert "已于" not in again.text and "already" not in again.text


def test_no_error_names_a_server_path(client, accounts):
    """Fault 7: a layer upload's error named the server's temporary path."""
    answers = [
        client.post("/api/layers/villages", files={"file": ("layer_truncated.geojson",
                                                            io.BytesIO((BAD / "layer_truncated.geojson").read_bytes()))}),
        client.post("/api/layers/villages", files={"file": ("bad.geojson", io.BytesIO(b'{"type": "nonsense"'))}),
        client.post("/api/layers/villages", files={"file": ("bad.zip", io.BytesIO(b"PK\x05\x06" + b"\0" * 18))}),
        client.post("/api/layers/villages", files={"file": ("bad.gpkg", io.BytesIO(b"SQLite format 3\0" + b"x" * 80))}),
        client.post("/api/reports/reconcile", data={"month": "2026-10"},
                    files={"file": ("clues.geojson", io.BytesIO(b"{]"))}),
        client.post("/api/staff/roster", files={"file": ("roster.xlsx", io.BytesIO(b"PK not a zip"))}),
    ]
    for answer in answers:
        assert 400 <= answer.status_code < 500, answer.text
        text = answer.text
        for root in ("/tmp", str(accounts[0]), "/work", "/root", "/home", "/vsizip"):
            assert root not in text, text
