"""Answering with office tables: JSON (one list of rows per sheet) or an Excel download."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

import pandas as pd
from fastapi import Query
from fastapi.responses import Response

from gis.reports import write_excel

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Format = Annotated[Literal["json", "xlsx"], Query(description="json 或 xlsx")]


def sheets_response(sheets: dict[str, pd.DataFrame], fmt: str, filename: str, extra: dict | None = None):
    if fmt == "xlsx":
        with tempfile.TemporaryDirectory() as folder:
            content = write_excel(Path(folder) / filename, sheets).read_bytes()
        return Response(content, media_type=XLSX,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})
    tables = {name: frame.astype(object).where(frame.notna(), None).to_dict("records")
              for name, frame in sheets.items()}
    return {**(extra or {}), "sheets": tables}
