"""Answering with office tables: JSON (one list of rows per sheet) or an Excel download."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

import pandas as pd
from fastapi import Query
from fastapi.responses import Response

from gis.reports.writers import write_excel

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Format = Annotated[Literal["json", "xlsx"], Query(description="json 或 xlsx")]


def sheets_response(sheets: dict[str, pd.DataFrame], fmt: str, filename: str, extra: dict | None = None,
                    title: str | None = None):
    """JSON, or the workbook (``title``: its Chinese title, by default its sheets' names) marked sample
    when the served layers are the sample."""
    if fmt == "xlsx":
        from api.state import current

        sample = current().layer_set().sample  # the served layers', not the environment's
        with tempfile.TemporaryDirectory() as folder:
            content = write_excel(Path(folder) / filename, sheets, sample=sample, title=title).read_bytes()
        return Response(content, media_type=XLSX,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})
    tables = {name: frame.astype(object).where(frame.notna(), None).to_dict("records")
              for name, frame in sheets.items()}
    return {**(extra or {}), "sheets": tables}


TOWN_COLUMNS = ("镇", "乡镇")


def town_rows(sheets: dict[str, pd.DataFrame], town: str | None) -> dict[str, pd.DataFrame]:
    """With ``town``, only that town's rows, and only the sheets that have a town column."""
    if not town:
        return sheets
    out = {}
    for name, frame in sheets.items():
        column = next((c for c in TOWN_COLUMNS if c in frame.columns), None)
        if column:
            out[name] = frame.loc[frame[column] == town].reset_index(drop=True)
    return out
