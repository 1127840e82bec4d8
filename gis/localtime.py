"""Times as users give and see them (Asia/Shanghai) and as the product stores them (UTC)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from gis.errors import InputError
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
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL)
    moment = moment.astimezone(timezone.utc)
    if not allow_future and moment > now_utc() + FUTURE_SLACK:
        raise InputError(f"时间 {value} 在未来", field=field, value=str(value))
    return moment


def parse_day(value: str | date, *, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"日期格式不对：{value!r}；应为 YYYY-MM-DD", field=field, value=value) from None


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


def parse_month(value: str, *, field: str = "--month") -> tuple[datetime, datetime]:
    """The UTC bounds [start, end) of a calendar month in Asia/Shanghai, from 'YYYY-MM'."""
    try:
        first = datetime.strptime(str(value).strip(), "%Y-%m").date()
    except ValueError:
        raise InputError(f"月份格式不对：{value!r}；应为 YYYY-MM", field=field, value=value) from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    start = datetime.combine(first, time(), LOCAL).astimezone(timezone.utc)
    end = datetime.combine(following, time(), LOCAL).astimezone(timezone.utc)
    return start, end


def next_month_day(month: str, day: int) -> date:
    """Day ``day`` of the month after 'YYYY-MM' (the monthly report deadline)."""
    first = datetime.strptime(month, "%Y-%m").date()
    return (first.replace(day=28) + timedelta(days=4)).replace(day=day)
