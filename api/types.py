"""Bounded types for path, query and body values (``gis.limits``): a value beyond them is a 422 naming
the field, before any handler, SQLite or date arithmetic sees it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

from gis.limits import MAX_COUNT, MAX_ID, MAX_OFFSET, YEAR_MAX, YEAR_MIN

RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="编号")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
YearQuery = Annotated[int, Query(ge=YEAR_MIN, le=YEAR_MAX, description="年度")]
Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Version = Annotated[int, Field(ge=1, le=MAX_ID, description="所依据的版本（GET 得到）；他人已修改时 409")]

# the forms gis.localtime accepts, declared so that clients (and the fuzzer) know them; the parser then
# checks the range and that the day exists
DAY_PATTERN = r"^\d{4}[-/]\d{2}[-/]\d{2}$"
MONTH_PATTERN = r"^\d{4}[-/]\d{2}$"
DayPath = Annotated[str, Path(pattern=DAY_PATTERN, description="YYYY-MM-DD（北京时间）")]
Day = Annotated[str, Query(pattern=DAY_PATTERN, description="YYYY-MM-DD（北京时间）")]
OptionalDay = Annotated[str | None, Query(pattern=DAY_PATTERN, description="YYYY-MM-DD（北京时间），默认今天")]
Month = Annotated[str, Query(pattern=MONTH_PATTERN, description="YYYY-MM")]
OptionalMonth = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM")]
