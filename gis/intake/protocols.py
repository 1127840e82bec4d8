"""What the tracker apps send, read into one kind of fix — and refused whole when any part is wrong.

* OsmAnd protocol (Traccar Client up to 8, OsmAnd's online tracking): query or form parameters
  ``id``/``deviceid``, ``lat``, ``lon`` (or ``location=lat,lon``), ``timestamp`` (Unix seconds or
  milliseconds, ISO 8601, or ``yyyy-MM-dd HH:mm:ss``), ``speed`` (knots, as Traccar reads it),
  ``bearing``/``heading``, ``altitude``, ``accuracy`` (else ``hdop``), ``batt`` (%), ``charge``, ``valid``.
* Traccar Client 9+: the JSON of its location SDK, one object or a list: ``{"location": {"timestamp",
  "coords": {"latitude", "longitude", "accuracy", "speed" (m/s), "heading", "altitude"}, "is_moving",
  "battery": {"level" (0–1), "is_charging"}, "activity": {"type"}, "mock", "extras"}, "device_id"}``.
* OwnTracks HTTP mode: ``{"_type": "location", "lat", "lon", "tst", "acc", "alt", "vel" (km/h), "cog",
  "batt", "bs", "tid", "conn", …}``; other ``_type``s carry no position.

Each reader returns :class:`LiveFix` records or raises :class:`~gis.errors.InputError` naming the field.
:func:`check` then refuses a fix outside China, in the future, before its device was added, or with
an absurd speed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from gis.errors import InputError
from gis.localtime import FUTURE_SLACK, LOCAL
from gis.schema import MAX_REPORTED_SPEED_MS
from gis.tracks.clean import CHINA_LONLAT

KNOT_MS = 1852 / 3600
_EPOCH_MS_FROM = 2**31  # a Unix time above this is in milliseconds (as Traccar reads it)


@dataclass(frozen=True)
class LiveFix:
    """One position as a phone reported it; ``secret`` is the credential it came with (OsmAnd ``id``)."""

    time: datetime
    lon: float
    lat: float
    accuracy_m: float | None = None
    speed_ms: float | None = None
    bearing_deg: float | None = None
    altitude_m: float | None = None
    battery_pct: float | None = None
    charging: bool | None = None
    activity: str | None = None
    moving: bool | None = None
    mock: bool = False
    valid: bool = True
    secret: str | None = None


def _number(value, field: str, *, required: bool = False, unknown_below: float | None = None) -> float | None:
    """A finite number from text or JSON; ``None`` when absent (or below ``unknown_below``: the SDK's -1)."""
    if value is None or value == "":
        if required:
            raise InputError("缺少此项", field=field)
        return None
    if isinstance(value, bool):
        raise InputError(f"应为数字，收到 {value!r}", field=field, value=value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"应为数字，收到 {str(value)[:40]!r}", field=field, value=str(value)[:40]) from None
    if not math.isfinite(number):
        raise InputError(f"应为有限数字，收到 {value!r}", field=field, value=str(value))
    if unknown_below is not None and number < unknown_below:
        return None
    return number


def _flag(value, field: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise InputError(f"应为 true/false/1/0，收到 {str(value)[:20]!r}", field=field, value=str(value)[:20])


def _text(value, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError("应为文字", field=field)
    return value.strip()[:40] or None


def parse_time(value, field: str) -> datetime:
    """Unix seconds or milliseconds (number or digits), or ISO 8601 / ``yyyy-MM-dd HH:mm:ss`` text
    (without a zone: Asia/Shanghai)."""
    if value is None or value == "":
        raise InputError("缺少定位时间", field=field)
    if isinstance(value, bool):
        raise InputError(f"时间无法识别：{value!r}", field=field)
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().replace(".", "", 1).isdigit()):
        seconds = _number(value, field, required=True)
        if seconds >= _EPOCH_MS_FROM:
            seconds /= 1000.0
        try:
            return datetime.fromtimestamp(seconds, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise InputError(f"时间超出范围：{value!r}", field=field, value=str(value)[:40]) from None
    if not isinstance(value, str) or len(value) > 40:
        raise InputError("时间无法识别", field=field)
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"时间无法识别：{value!r}；应为 Unix 秒、毫秒或 ISO 8601", field=field,
                         value=value) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL)
    return moment.astimezone(timezone.utc)


# -- OsmAnd protocol: query or form parameters ---------------------------------------------------

def osmand_params(params: Mapping[str, str]) -> LiveFix:
    """One fix from the OsmAnd protocol's parameters (the first value of each)."""
    secret = params.get("id") or params.get("deviceid")
    if not secret:
        raise InputError("缺少设备标识 id（或 deviceid）", field="id")
    lat, lon = params.get("lat"), params.get("lon")
    if (lat is None or lon is None) and params.get("location"):
        parts = params["location"].split(",")
        if len(parts) != 2:
            raise InputError("location 应为 纬度,经度", field="location", value=params["location"][:40])
        lat, lon = parts
    accuracy = _number(params.get("accuracy"), "accuracy")
    if accuracy is None:
        accuracy = _number(params.get("hdop"), "hdop")
    speed = _number(params.get("speed"), "speed")
    return LiveFix(
        time=parse_time(params.get("timestamp"), "timestamp"),
        lat=_number(lat, "lat", required=True), lon=_number(lon, "lon", required=True),
        accuracy_m=accuracy, speed_ms=None if speed is None else speed * KNOT_MS,
        bearing_deg=_number(params.get("bearing", params.get("heading")), "bearing"),
        altitude_m=_number(params.get("altitude"), "altitude"),
        battery_pct=_number(params.get("batt"), "batt"), charging=_flag(params.get("charge"), "charge"),
        activity=_text(params.get("activity"), "activity"), moving=_flag(params.get("motion"), "motion"),
        mock=bool(_flag(params.get("mock"), "mock")), valid=_flag(params.get("valid"), "valid") is not False,
        secret=secret)


# -- Traccar Client 9+: JSON ------------------------------------------------------------------------

def _object(value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError("应为 JSON 对象", field=field)
    return value


def traccar_json(body) -> list[LiveFix]:
    """Fixes from Traccar Client's JSON: one object or a list of them."""
    items = body if isinstance(body, list) else [body]
    fixes = []
    for number, item in enumerate(items):
        where = f"[{number}]" if isinstance(body, list) else ""
        item = _object(item, where or "body")
        location = item.get("location")
        if not isinstance(location, dict):
            raise InputError("缺少 location 对象", field=f"{where}location")
        coords = _object(location.get("coords"), f"{where}location.coords")
        battery = _object(location.get("battery"), f"{where}location.battery")
        activity = _object(location.get("activity"), f"{where}location.activity")
        level = _number(battery.get("level"), f"{where}location.battery.level", unknown_below=0)
        secret = item.get("device_id", item.get("deviceid", item.get("id")))
        fixes.append(LiveFix(
            time=parse_time(location.get("timestamp"), f"{where}location.timestamp"),
            lat=_number(coords.get("latitude"), f"{where}location.coords.latitude", required=True),
            lon=_number(coords.get("longitude"), f"{where}location.coords.longitude", required=True),
            accuracy_m=_number(coords.get("accuracy"), f"{where}location.coords.accuracy", unknown_below=0),
            speed_ms=_number(coords.get("speed"), f"{where}location.coords.speed", unknown_below=0),
            bearing_deg=_number(coords.get("heading"), f"{where}location.coords.heading", unknown_below=0),
            altitude_m=_number(coords.get("altitude"), f"{where}location.coords.altitude"),
            battery_pct=None if level is None else level * 100.0,
            charging=_flag(battery.get("is_charging"), f"{where}location.battery.is_charging"),
            activity=_text(activity.get("type"), f"{where}location.activity.type"),
            moving=_flag(location.get("is_moving"), f"{where}location.is_moving"),
            mock=bool(_flag(location.get("mock"), f"{where}location.mock")),
            secret=None if secret is None else str(secret)))
    return fixes


# -- OwnTracks HTTP mode ----------------------------------------------------------------------------

OWNTRACKS_CHARGING = {2: True, 3: True, 1: False}  # bs: 0 unknown, 1 unplugged, 2 charging, 3 full


def owntracks(body) -> LiveFix | None:
    """The fix of an OwnTracks ``location`` message; ``None`` for its other message types."""
    if not isinstance(body, dict):
        raise InputError("OwnTracks 消息应为 JSON 对象", field="body")
    if body.get("_type") != "location":
        return None
    vel = _number(body.get("vel"), "vel", unknown_below=0)
    bs = _number(body.get("bs"), "bs")
    return LiveFix(
        time=parse_time(body.get("tst"), "tst"),
        lat=_number(body.get("lat"), "lat", required=True), lon=_number(body.get("lon"), "lon", required=True),
        accuracy_m=_number(body.get("acc"), "acc", unknown_below=0),
        speed_ms=None if vel is None else vel / 3.6,
        bearing_deg=_number(body.get("cog"), "cog", unknown_below=0),
        altitude_m=_number(body.get("alt"), "alt"),
        battery_pct=_number(body.get("batt"), "batt", unknown_below=0),
        charging=OWNTRACKS_CHARGING.get(int(bs)) if bs is not None else None,
        activity=_text(body.get("m") if isinstance(body.get("m"), str) else None, "m"))


# -- the checks every fix passes before it is stored ------------------------------------------------

def check(fix: LiveFix, *, added: datetime, now: datetime | None = None, field: str = "") -> LiveFix:
    """The fix when it is plausible; :class:`InputError` naming the field otherwise."""
    now = now or datetime.now(timezone.utc)
    minx, miny, maxx, maxy = CHINA_LONLAT
    if not (miny <= fix.lat <= maxy):
        raise InputError(f"纬度 {fix.lat} 不在中国境内（{miny}–{maxy}）", field=f"{field}lat", value=fix.lat)
    if not (minx <= fix.lon <= maxx):
        raise InputError(f"经度 {fix.lon} 不在中国境内（{minx}–{maxx}）", field=f"{field}lon", value=fix.lon)
    if fix.time > now + FUTURE_SLACK:
        raise InputError(f"定位时间 {fix.time:%Y-%m-%dT%H:%M:%SZ} 在未来（手机时钟不准？）", field=f"{field}time",
                         value=fix.time.isoformat())
    if fix.time < added - FUTURE_SLACK:
        raise InputError(f"定位时间 {fix.time:%Y-%m-%dT%H:%M:%SZ} 早于设备登记时间 {added:%Y-%m-%dT%H:%M:%SZ}",
                         field=f"{field}time", value=fix.time.isoformat())
    if fix.speed_ms is not None and not (0 <= fix.speed_ms <= MAX_REPORTED_SPEED_MS):
        raise InputError(f"速度 {fix.speed_ms:.0f} 米/秒 不合常理（上限 {MAX_REPORTED_SPEED_MS:.0f}）",
                         field=f"{field}speed", value=fix.speed_ms)
    if fix.accuracy_m is not None and fix.accuracy_m < 0:
        raise InputError("精度不能为负", field=f"{field}accuracy", value=fix.accuracy_m)
    if fix.battery_pct is not None and not (0 <= fix.battery_pct <= 100):
        raise InputError(f"电量 {fix.battery_pct} 应在 0–100 之间", field=f"{field}batt", value=fix.battery_pct)
    if fix.bearing_deg is not None and not (0 <= fix.bearing_deg <= 360):
        raise InputError(f"方向 {fix.bearing_deg} 应在 0–360 度之间", field=f"{field}bearing", value=fix.bearing_deg)
    if fix.altitude_m is not None and not (-500 <= fix.altitude_m <= 9000):
        raise InputError(f"海拔 {fix.altitude_m} 米不合常理", field=f"{field}altitude", value=fix.altitude_m)
    return fix

