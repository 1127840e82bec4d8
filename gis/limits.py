"""The edges of what the product accepts: years, dates, months, ids and counts.

Every id, date, month, year and count a user gives (CLI option, URL, query or body) is bounded here, so
that a value at the end of the calendar or beyond 64 bits is refused in one line (exit 2, HTTP 4xx) and
never reaches arithmetic that overflows.  Dates and months are parsed by ``gis.localtime`` with these
bounds, for the CLI and the API alike.
"""

from __future__ import annotations

from gis.errors import InputError

YEAR_MIN, YEAR_MAX = 2000, 2100  # the programme's years (staff, funds, reports, tracks)
MAX_ID = 2**63 - 1  # SQLite's INTEGER
MAX_COUNT = 1_000_000  # households, people, houses, points … far above any real one
MAX_OFFSET = 10_000_000  # paging


def check_year(year: int, *, field: str) -> int:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise InputError(f"年份 {year} 超出范围（{YEAR_MIN}–{YEAR_MAX}）", field=field, value=year)
    return year


def parse_id(value, *, field: str) -> int:
    """A record number from text or int: 1 … 2⁶³−1."""
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InputError(f"编号应为正整数，收到 {value!r}", field=field, value=value) from None
    if not 1 <= number <= MAX_ID:
        raise InputError(f"编号 {value} 超出范围（1–{MAX_ID}）", field=field, value=value)
    return number
