"""Tracker apps pointed at the server, sending exactly what their public protocol documents say:
the OsmAnd protocol as Traccar Client and OsmAnd send it (query, POST with a query, form), Traccar
Client 9's JSON, OwnTracks' HTTP mode with Basic auth."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from phones import add_phone, inbox_rows, run

STAFF = "XWZ-K05-01"
OTHER_STAFF = "XWZ-K05-02"


@pytest.fixture(scope="module")
def phones(server, accounts, sample_layers):
    data = accounts[0]
    return {"osmand": add_phone(STAFF, data, sample_layers), "owntracks": add_phone(STAFF, data, sample_layers,
                                                                                    "owntracks"),
            "other": add_phone(OTHER_STAFF, data, sample_layers)}


@pytest.fixture(scope="module")
def spot(grid_points):
    return grid_points["XWZ-K05"]


def _ago(minutes: float) -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=minutes)


def _stored_at(data, when: datetime) -> list[dict]:
    ms = int(when.timestamp() * 1000)
    return [r for r in inbox_rows(data) if r["time_ms"] == ms]


def test_osmand_get_query_as_osmand_sends_it(server, accounts, phones, spot):
    """OsmAnd's online tracking URL template: id, lat={0}, lon={1}, timestamp={2} (ms), hdop={3},
    altitude={4}, speed={5}, bearing={6}."""
    when = _ago(9)
    url = (f"{server}/ingest/osmand?id={phones['osmand'].secret}&lat={spot[1]:.6f}&lon={spot[0]:.6f}"
           f"&timestamp={int(when.timestamp() * 1000)}&hdop=6.0&altitude=160.5&speed=1.2&bearing=270")
    answer = httpx.get(url)
    assert answer.status_code == 200 and answer.content == b""
    [row] = _stored_at(accounts[0], when)
    assert row["staff_id"] == STAFF and row["device_id"] == phones["osmand"].device_id
    assert row["lat"] == pytest.approx(spot[1], abs=1e-6) and row["lon"] == pytest.approx(spot[0], abs=1e-6)
    assert row["accuracy_m"] == 6.0 and row["altitude_m"] == 160.5 and row["bearing_deg"] == 270
    assert row["speed_ms"] == pytest.approx(1.2 * 1852 / 3600)  # Traccar reads OsmAnd's speed as knots
    assert row["app"] == "osmand" and row["valid"] == 1 and row["mock"] == 0


def test_traccar_client_post_with_query_and_form(server, accounts, phones, spot):
    """Traccar Client (Android up to 8) POSTs its parameters in the query; a form body works the same."""
    when = _ago(8)
    params = {"id": phones["osmand"].secret, "timestamp": str(int(when.timestamp())), "lat": f"{spot[1]}",
              "lon": f"{spot[0]}", "speed": "0.0", "bearing": "0.0", "altitude": "150.0", "accuracy": "12.0",
              "batt": "87.0", "charge": "false"}
    assert httpx.post(f"{server}/ingest/osmand", params=params).status_code == 200
    later = when + timedelta(seconds=30)
    form = {**params, "timestamp": later.strftime("%Y-%m-%dT%H:%M:%SZ")}
    answer = httpx.post(f"{server}/ingest/osmand", data=form)
    assert answer.status_code == 200 and answer.content == b""
    [first] = _stored_at(accounts[0], when)
    [second] = _stored_at(accounts[0], later)
    assert first["battery_pct"] == 87.0 and first["charging"] == 0 and first["accuracy_m"] == 12.0
    assert second["staff_id"] == STAFF


def test_traccar_client_9_json_single_and_list(server, accounts, phones, spot):
    """The JSON of Traccar Client 9 (traccar.org/osmand), one location, then a queue of them."""
    def body(when, **location):
        return {"location": {"timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                             "coords": {"latitude": spot[1], "longitude": spot[0], "accuracy": 4.5, "speed": 1.1,
                                        "heading": 90.0, "altitude": 158.0},
                             "is_moving": True, "odometer": 120.0, "event": "motionchange",
                             "battery": {"level": 0.64, "is_charging": False},
                             "activity": {"type": "walking"}, "extras": {}, **location},
                "device_id": phones["osmand"].secret}

    when = _ago(7)
    answer = httpx.post(f"{server}/ingest/osmand", json=body(when))
    assert answer.status_code == 200 and answer.content == b""
    [row] = _stored_at(accounts[0], when)
    assert row["activity"] == "walking" and row["moving"] == 1 and row["battery_pct"] == pytest.approx(64.0)
    assert row["speed_ms"] == 1.1 and row["accuracy_m"] == 4.5 and row["mock"] == 0
    queue = [body(when + timedelta(seconds=10 * k), mock=(k == 2)) for k in range(1, 4)]
    assert httpx.post(f"{server}/ingest/osmand", json=queue).status_code == 200
    rows = [_stored_at(accounts[0], when + timedelta(seconds=10 * k))[0] for k in range(1, 4)]
    assert [r["mock"] for r in rows] == [0, 1, 0]  # a mock location is kept as evidence


def test_owntracks_http_mode_with_basic_auth(server, accounts, phones, spot):
    """OwnTracks (booklet, tech/http and tech/json): Basic auth, a location message; the answer is a JSON array."""
    phone = phones["owntracks"]
    auth = (phone.device_id, phone.secret)
    tst = int(_ago(6).timestamp())
    message = {"_type": "location", "tid": "JJ", "lat": spot[1], "lon": spot[0], "tst": tst, "acc": 8, "alt": 161,
               "vel": 4, "cog": 271, "batt": 41, "bs": 1, "conn": "m", "t": "u", "created_at": tst + 1}
    answer = httpx.post(f"{server}/ingest/owntracks", json=message, auth=auth,
                        headers={"X-Limit-U": phone.device_id, "X-Limit-D": "phone"})
    assert answer.status_code == 200 and answer.json() == []
    [row] = [r for r in inbox_rows(accounts[0]) if r["time_ms"] == tst * 1000]
    assert row["staff_id"] == STAFF and row["app"] == "owntracks" and row["accuracy_m"] == 8
    assert row["speed_ms"] == pytest.approx(4 / 3.6) and row["battery_pct"] == 41 and row["charging"] == 0
    before = len(inbox_rows(accounts[0]))
    for other in ({"_type": "lwt", "tst": tst}, {"_type": "transition", "event": "enter", "tst": tst}):
        answer = httpx.post(f"{server}/ingest/owntracks", json=other, auth=auth)
        assert answer.status_code == 200 and answer.json() == []
    assert httpx.post(f"{server}/ingest/owntracks", content=b"", auth=auth).json() == []
    assert len(inbox_rows(accounts[0])) == before


def test_resent_fixes_are_stored_once(server, accounts, phones, spot):
    when = _ago(5)
    url = (f"{server}/ingest/osmand?id={phones['osmand'].secret}&lat={spot[1]}&lon={spot[0]}"
           f"&timestamp={int(when.timestamp())}")
    for _ in range(3):
        assert httpx.get(url).status_code == 200
    assert len(_stored_at(accounts[0], when)) == 1


def _refused(answer: httpx.Response, status: int, *words: str) -> None:
    assert answer.status_code == status, answer.text
    message = answer.json()["error"]["message"]
    for word in words:
        assert word in message, message


def test_bad_requests_are_4xx_and_store_nothing(server, accounts, phones, spot):
    secret = phones["osmand"].secret
    base = {"id": secret, "lat": f"{spot[1]}", "lon": f"{spot[0]}", "timestamp": str(int(_ago(4).timestamp()))}
    before = len(inbox_rows(accounts[0]))
    cases = [
        ({**base, "lat": ""}, 422, "lat"),
        ({**base, "lon": "116.9abc"}, 422, "数字"),
        ({k: v for k, v in base.items() if k != "lon"}, 422, "lon"),
        ({**base, "lat": "48.85833", "lon": "2.29513"}, 422, "中国境内"),  # the booklet's Paris example
        ({**base, "timestamp": str(int(time.time()) + 3600)}, 422, "未来"),
        ({**base, "timestamp": "1497476456"}, 422, "早于设备登记时间"),
        ({**base, "speed": "900"}, 422, "速度"),
        ({**base, "lat": "nan"}, 422, "有限"),
        ({**base, "timestamp": "yesterday"}, 422, "时间"),
    ]
    for params, status, word in cases:
        answer = httpx.get(f"{server}/ingest/osmand", params=params)
        _refused(answer, status, word)
        assert answer.json()["error"]["field"], answer.text
    _refused(httpx.post(f"{server}/ingest/osmand", content=b'{"location": {"timestamp": ',
                        headers={"Content-Type": "application/json"}), 400, "JSON")
    one = {"location": {"timestamp": _ago(3).isoformat(), "coords": {"latitude": spot[1], "longitude": spot[0]}},
           "device_id": secret}
    _refused(httpx.post(f"{server}/ingest/osmand", json=[one] * 1001), 413, "1000")
    # one bad fix in a queue refuses the whole request
    bad = {**one, "location": {**one["location"], "coords": {"latitude": spot[1]}}}
    good = {**one, "location": {**one["location"], "timestamp": _ago(2).isoformat()}}
    _refused(httpx.post(f"{server}/ingest/osmand", json=[good, bad]), 422, "缺少")
    # a queue mixing another staff member's device is refused
    theirs = {**good, "device_id": phones["other"].secret}
    _refused(httpx.post(f"{server}/ingest/osmand", json=[good, theirs]), 403, "同一保水员")
    # OwnTracks with the user name of one device and the password of another
    ot = {"_type": "location", "lat": spot[1], "lon": spot[0], "tst": int(_ago(2).timestamp())}
    _refused(httpx.post(f"{server}/ingest/owntracks", json=ot, auth=(phones["owntracks"].device_id, secret)), 403,
             "另一台设备")
    _refused(httpx.post(f"{server}/ingest/owntracks", json=ot), 401, "Basic")
    _refused(httpx.post(f"{server}/ingest/owntracks", content=b"{nope", auth=(phones["owntracks"].device_id,
                                                                              phones["owntracks"].secret)), 400, "JSON")
    _refused(httpx.get(f"{server}/ingest/osmand", params={**base, "id": "not-a-device"}), 401, "未登记")
    _refused(httpx.get(f"{server}/ingest/osmand", params={k: v for k, v in base.items() if k != "id"}), 422, "id")
    assert len(inbox_rows(accounts[0])) == before
    assert httpx.get(f"{server}/healthz").status_code == 200


def test_revoked_device_is_refused_at_once(server, accounts, sample_layers, spot):
    phone = add_phone(OTHER_STAFF, accounts[0], sample_layers)
    params = {"id": phone.secret, "lat": f"{spot[1]}", "lon": f"{spot[0]}", "timestamp": str(int(_ago(1).timestamp()))}
    assert httpx.get(f"{server}/ingest/osmand", params=params).status_code == 200
    result = run("devices", "revoke", phone.device_id, data_dir=accounts[0])
    assert result.returncode == 0, result.stderr
    before = len(inbox_rows(accounts[0]))
    params["timestamp"] = str(int(_ago(0.5).timestamp()))
    _refused(httpx.get(f"{server}/ingest/osmand", params=params), 403, "已于")
    assert len(inbox_rows(accounts[0])) == before
    listing = run("devices", "list", data_dir=accounts[0])
    assert listing.returncode == 0 and phone.device_id in listing.stdout and "已停用" in listing.stdout
    assert phone.secret not in listing.stdout


def test_devices_add_refuses_unknown_staff(accounts, sample_layers):
    result = run("devices", "add", "NOPE-K99-01", data_dir=accounts[0], layers=sample_layers)
    assert result.returncode != 0 and "没有保水员 NOPE-K99-01" in result.stderr


def test_only_hashes_are_stored(accounts, phones):
    stored = b"".join(p.read_bytes() for p in accounts[0].glob("ledger.sqlite*"))
    for phone in phones.values():
        assert phone.secret.encode() not in stored
        assert len(phone.secret) >= 26  # ≥ 128 bits in base32
