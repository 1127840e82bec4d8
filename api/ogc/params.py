"""Query parameters of the features API: parsed strictly, anything wrong or unknown is a 400.

OGC API – Features Part 1 (/req/core/query-param-invalid, /req/core/query-param-unknown) asks
for 400 on a parameter the API does not define or a value it cannot use; a ``limit`` above the
documented maximum is not an error but is clamped to it (/rec/core/fc-limit-response).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import shapely
from fastapi import Request

from api.ogc import crs as ogc_crs
from gis.errors import InputError
from gis.localtime import LOCAL

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
FORMATS = {"json", "geojson"}


class ParameterError(InputError):
    """A query parameter the features API does not define, or a value it cannot use (HTTP 400)."""

    status = 400


def check_known(request: Request, allowed: set[str]) -> None:
    """Refuse parameters the route does not define (and repeated ones)."""
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ParameterError(f"未知的查询参数 {'、'.join(unknown)}；此处可用：{'、'.join(sorted(allowed))}",
                             field=unknown[0])
    repeated = sorted(k for k in set(request.query_params) if len(request.query_params.getlist(k)) > 1)
    if repeated:
        raise ParameterError(f"查询参数 {repeated[0]} 只能给一次", field=repeated[0])


def check_format(value: str | None, allowed: set[str] = FORMATS) -> str:
    if value is None:
        return "json"
    if value not in allowed:
        raise ParameterError(f"f 应为 {'、'.join(sorted(allowed))}，收到 {value!r}", field="f", value=value)
    return value


def limit(value: int) -> int:
    """The page size: at least 1, at most :data:`MAX_LIMIT` (larger values are clamped)."""
    if value < 1:
        raise ParameterError(f"limit 应为正整数，收到 {value}", field="limit", value=value)
    return min(value, MAX_LIMIT)


def crs(value: str | None, field: str = "crs") -> str:
    """A supported CRS URI (CRS84 when not given)."""
    if value is None:
        return ogc_crs.CRS84
    found = ogc_crs.uri(value)
    if found is None:
        raise ParameterError(f"{field} 不支持 {value!r}；可用：{'、'.join(ogc_crs.SUPPORTED)}", field=field, value=value)
    return found


def bbox(value: str | None, bbox_crs: str | None):
    """The bbox as a storage-CRS polygon (corners in the axis order of ``bbox-crs``, CRS84 by default)."""
    if value is None:
        if bbox_crs is not None:
            raise ParameterError("给了 bbox-crs 却没有 bbox", field="bbox-crs")
        return None
    where = crs(bbox_crs, "bbox-crs")
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        raise ParameterError(f"bbox 应为 4 个（或 6 个）逗号分隔的数，收到 {value!r}", field="bbox",
                             value=value) from None
    if len(numbers) == 6:  # 3-D: drop the heights
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(map(_finite, numbers)):
        raise ParameterError(f"bbox 应为 4 个（或 6 个）逗号分隔的数，收到 {value!r}", field="bbox", value=value)
    a1, b1, a2, b2 = numbers
    if ogc_crs.swaps_axes(where) and where != ogc_crs.STORAGE_URI:
        lat_low, lat_high = a1, a2
    else:
        lat_low, lat_high = b1, b2
    if where != ogc_crs.STORAGE_URI and not (-90 <= lat_low <= 90 and -90 <= lat_high <= 90):
        raise ParameterError(f"bbox 的纬度超出 -90…90（bbox-crs 为 {where} 时的轴顺序）：{value!r}",
                             field="bbox", value=value)
    if b1 > b2 or (a1 > a2 and not _crosses_antimeridian(where, a1, a2)):
        raise ParameterError(f"bbox 的下限大于上限：{value!r}", field="bbox", value=value)
    return ogc_crs.to_storage(shapely.box(a1, b1, a2, b2), where)


def _crosses_antimeridian(where: str, a1: float, a2: float) -> bool:
    return False  # Miyun is nowhere near 180°: a reversed box is a mistake


def _finite(v: float) -> bool:
    return v == v and abs(v) != float("inf")


def _instant(text: str, *, end: bool) -> datetime | None:
    if text in ("", ".."):
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)  # a date: the local day (Asia/Shanghai)
            start = datetime.combine(day, time(), tzinfo=LOCAL)
            return (start + timedelta(days=1) if end else start).astimezone(timezone.utc)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ParameterError(f"datetime 应为 RFC 3339 时间、日期或区间（a/b、../b、a/..），收到 {text!r}",
                             field="datetime", value=text) from None
    if moment.tzinfo is None:
        raise ParameterError(f"datetime 须带时区（如 2026-06-01T08:00:00Z），收到 {text!r}", field="datetime",
                             value=text)
    return moment.astimezone(timezone.utc)


def interval(value: str | None) -> tuple[datetime | None, datetime | None] | None:
    """``datetime`` as a half-open UTC interval [start, end); None when not given."""
    if value is None:
        return None
    if "/" in value:
        first, _, second = value.partition("/")
        start, end = _instant(first, end=False), _instant(second, end=True)
        if first in ("", "..") and second in ("", ".."):
            raise ParameterError("datetime 区间两端不能都开放", field="datetime", value=value)
    else:
        start, end = _instant(value, end=False), _instant(value, end=True)
        if len(value) > 10:
            end = start + timedelta(microseconds=1)
    if start and end and start >= end:
        raise ParameterError(f"datetime 区间的起点晚于终点：{value!r}", field="datetime", value=value)
    return start, end
