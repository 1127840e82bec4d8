"""Writing tables for the offices: Excel (one sheet per table, readable widths) and CSV (UTF-8 with BOM,
so Excel opens the Chinese headers), each written atomically."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from gis.atomic import replacing
from gis.errors import InputError

MAX_COLUMN_WIDTH = 60


def reports_dir(data_dir: str | Path) -> Path:
    """Where reports are written by default: ``<data dir>/reports``."""
    return Path(data_dir) / "reports"


def _width(values) -> float:
    longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(v)) for v in values), default=4)
    return min(MAX_COLUMN_WIDTH, longest + 2)


def write_excel(path: str | Path, sheets: Mapping[str, pd.DataFrame]) -> Path:
    """One sheet per frame, header row frozen, columns wide enough for their Chinese headers."""
    path = Path(path)
    with replacing(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name, index=False)
                sheet = writer.sheets[name]
                sheet.freeze_panes = "A2"
                for i, column in enumerate(frame.columns, start=1):
                    sample = [column, *frame[column].head(200).tolist()]
                    sheet.column_dimensions[get_column_letter(i)].width = _width(sample)
    return path


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    path = Path(path)
    with replacing(path) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")
    return path


def write_table(path: str | Path, sheets: Mapping[str, pd.DataFrame]) -> Path:
    """By the file's suffix: ``.xlsx`` gets every sheet, ``.csv`` the first."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return write_excel(path, sheets)
    if path.suffix.lower() == ".csv":
        return write_csv(path, next(iter(sheets.values())))
    raise InputError("输出文件应为 .xlsx 或 .csv", file=str(path))
