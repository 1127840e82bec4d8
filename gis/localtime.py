"""Times as users give and see them (Asia/Shanghai) and as the product stores them (UTC)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from gis.errors import InputError
from gis.limits import YEAR_MAX, YEAR_MIN
from gis.schema import LOCAL_TZ

LOCAL = ZoneInfo(LOCAL_TZ)
FUTURE_SLACK = timedelta(minutes=10)  # phone clocks run a little fast


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def parse_moment(value: str | datetime | None, *, field: str, default_now: bool = True,
                 allow_future: bool = False) -> datetime:
    """An aware UTC datetime from ISO text; a time without zone is Asia/Shanghai."""
    if value is None or value == "":
        if default_now:
            return now_utc()
        raise InputError("缺少时间", field=field)
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"时间格式不对：{value!r}；应为 2026-11-22T09:30 或 2026-11-22 09:30:00+08:00",
                             field=field, value=value) from None
    if not YEAR_MIN <= moment.year <= YEAR_MAX:
        raise InputError(f"时间 {value} 超出范围（{YEAR_MIN}–{YEAR_MAX} 年）", field=field, value=str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL)
    moment = moment.astimezone(timezone.utc)
    if not allow_future and moment > now_utc() + FUTURE_SLACK:
        raise InputError(f"时间 {value} 在未来", field=field, value=str(value))
    return moment


_DAY = re.compile(r"(\d{4})([-/])(\d{2})\2(\d{2})")
_MONTH = re.compile(r"(\d{4})[-/](\d{2})")
DAY_FORM = "YYYY-MM-DD（如 2026-11-20；也可 2026/11/20）"


def _in_range(day: date, value, field: str) -> date:
    if not YEAR_MIN <= day.year <= YEAR_MAX:
        raise InputError(f"日期 {value} 超出范围（{YEAR_MIN}-01-01 至 {YEAR_MAX}-12-31）", field=field, value=str(value))
    return day


def parse_day(value: str | date, *, field: str) -> date:
    """A calendar day from ``YYYY-MM-DD`` (or the unambiguous ``YYYY/MM/DD``), years
    ``YEAR_MIN``–``YEAR_MAX``; any other form (``01-12-2026``, ``20261201``, ``2026-W48-1``) is refused
    naming the expected form, never reinterpreted.  The one day parser of the CLI and the API."""
    if isinstance(value, datetime):
        return _in_range(value.date(), value, field)
    if isinstance(value, date):
        return _in_range(value, value, field)
    text = str(value).strip()
    match = _DAY.fullmatch(text)
    if not match:
        raise InputError(f"日期格式不对：{value!r}；应为 {DAY_FORM}", field=field, value=str(value))
    try:
        day = date(int(match[1]), int(match[3]), int(match[4]))
    except ValueError:
        raise InputError(f"没有这一天：{value!r}；应为 {DAY_FORM}", field=field, value=str(value)) from None
    return _in_range(day, value, field)


def day_text(value: str | date, *, field: str) -> str:
    """:func:`parse_day` as ``YYYY-MM-DD`` text."""
    return parse_day(value, field=field).isoformat()


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai calendar day of an aware datetime."""
    return moment.astimezone(LOCAL).date()


def local_text(stored: str | None) -> str:
    """A stored UTC time as Asia/Shanghai text for people (empty for None)."""
    if not stored:
        return ""
    return datetime.fromisoformat(stored.replace("Z", "+00:00")).astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def today_local() -> date:
    return local_date(now_utc())


def month_first(value: str, *, field: str = "--month") -> date:
    """The first day of the month ``YYYY-MM`` (or ``YYYY/MM``), years ``YEAR_MIN``–``YEAR_MAX``."""
    match = _MONTH.fullmatch(str(value).strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise InputError(f"月份格式不对：{value!r}；应为 YYYY-MM（如 2026-11）", field=field, value=str(value))
    return _in_range(date(int(match[1]), int(match[2]), 1), value, field)


def parse_month(value: str, *, field: str = "--month") -> tuple[datetime, datetime]:
    """The UTC bounds [start, end) of a calendar month in Asia/Shanghai, from 'YYYY-MM'."""
    first = month_first(value, field=field)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    start = datetime.combine(first, time(), LOCAL).astimezone(timezone.utc)
    end = datetime.combine(following, time(), LOCAL).astimezone(timezone.utc)
    return start, end


def next_month_day(month: str, day: int) -> date:
    """Day ``day`` of the month after 'YYYY-MM' (the monthly report deadline)."""
    first = month_first(month)
    return (first.replace(day=28) + timedelta(days=4)).replace(day=day)
