"""Writing tables for the offices: Excel (one sheet per table, readable widths) and CSV (UTF-8 with BOM,
so Excel opens the Chinese headers), each written atomically.

The one writer of every sheet and CSV the product makes, and it never writes a formula: text that a
spreadsheet would take as one (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, as
the OWASP CSV-injection guidance lists, and their full-width forms) is kept as text — in Excel a string
cell with Excel's own quote prefix (the text reads as typed), in CSV with a leading apostrophe.  Numbers
stay numbers.  Each Excel file is checked after writing: no cell holds a formula.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from gis.atomic import replacing
from gis.errors import InputError

MAX_COLUMN_WIDTH = 60
RATE_WORDS = ("率", "占比")  # a column of shares 0–1 shown as percentages
SAMPLE_SHEET = "示例数据"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def is_formula_text(value) -> bool:
    """Whether a spreadsheet would take this text as a formula (or DDE) if written as it is."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell a spreadsheet would take as a formula prefixed with ``'``
    (numeric columns untouched)."""
    out = None
    for column in frame.columns:
        values = frame[column]
        if values.dtype.kind in "biufcmM" or isinstance(values.dtype, pd.DatetimeTZDtype):
            continue
        risky = values.map(is_formula_text).astype(bool)
        if risky.any():
            out = frame.copy() if out is None else out
            out[column] = values.astype(object).where(~risky, "'" + values.astype(str))
    return frame if out is None else out


def _text_cells(sheet) -> int:
    """Make every formula-like cell of a written sheet a text cell with Excel's quote prefix; returns how
    many there were."""
    count = 0
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f" or is_formula_text(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
                count += 1
    return count


def check_no_formulas(path: str | Path) -> None:
    """The invariant of every workbook written: no cell holds a formula (raises ``RuntimeError``)."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    try:
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        raise RuntimeError(f"{path}: formula in {sheet.title}!{cell.coordinate}")
    finally:
        workbook.close()


def reports_dir(data_dir: str | Path) -> Path:
    """Where reports are written by default: ``<data dir>/reports``."""
    return Path(data_dir) / "reports"


def _width(values) -> float:
    longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(v)) for v in values), default=4)
    return min(MAX_COLUMN_WIDTH, longest + 2)


def _number_format(name: str, values: pd.Series) -> str | None:
    """How people read a numeric column: shares as %, decimals with one to three places, whole numbers
    with thousands separators; dates as dates."""
    if values.dtype.kind in "mM":
        return "yyyy-mm-dd hh:mm" if (values.dropna().dt.normalize() != values.dropna()).any() else "yyyy-mm-dd"
    if values.dtype.kind not in "iuf" or values.dtype == bool:
        return None
    if any(w in str(name) for w in RATE_WORDS) and values.dropna().between(0, 1.5).all():
        return "0.0%"
    return "#,##0" if values.dtype.kind in "iu" else "#,##0.0##"


def _format_numbers(sheet, frame: pd.DataFrame) -> None:
    for i, column in enumerate(frame.columns, start=1):
        fmt = _number_format(column, frame[column])
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, max_row=len(frame) + 1, min_col=i, max_col=i):
                cell.number_format = fmt


_SAMPLE_CACHE: dict[tuple, bool] = {}


def configured_layers_are_sample() -> bool:
    """Whether the layers this installation uses (``MIYUN_LAYERS``) are the sample (cached per file version)."""
    from gis.errors import MiyunError
    from gis.settings import get_settings

    try:
        path = get_settings().layers
    except MiyunError:
        return False
    return layers_are_sample(path)


def layers_are_sample(path: str | Path) -> bool:
    """Whether the layers at ``path`` (a workspace's) are the sample (cached per file version)."""
    from gis.layers import gpkg
    from gis.errors import MiyunError

    try:
        path = Path(path)
        key = (str(path), path.stat().st_mtime_ns)
        if key not in _SAMPLE_CACHE:
            _SAMPLE_CACHE[key] = gpkg.is_sample(path)
        return _SAMPLE_CACHE[key]
    except (OSError, MiyunError):
        return False


def _mark_sample(workbook) -> None:
    """示例数据 SAMPLE DATA in the document properties, on every printed page and on a sheet of its own."""
    from gis.schema import SAMPLE_MARK

    props = workbook.properties
    props.title = f"{SAMPLE_MARK} {props.title or ''}".strip()
    props.subject = props.keywords = props.category = SAMPLE_MARK
    props.description = f"{SAMPLE_MARK}：由示例图层（合成数据）生成，不是真实数据。"
    note = workbook.create_sheet(SAMPLE_SHEET)
    note["A1"] = SAMPLE_MARK
    note["A2"] = "本文件由示例图层（合成数据）生成，仅供演示，不是真实数据。"
    note.column_dimensions["A"].width = 60
    for sheet in workbook.worksheets:
        sheet.oddHeader.center.text = sheet.evenHeader.center.text = SAMPLE_MARK


def write_excel(path: str | Path, sheets: Mapping[str, pd.DataFrame], *, sample: bool | None = None) -> Path:
    """One sheet per frame, header row frozen, columns wide enough for their Chinese headers, numbers
    formatted for people; ``sample`` (default: whether the configured layers are the sample) marks the
    workbook 示例数据 SAMPLE DATA."""
    path = Path(path)
    sample = configured_layers_are_sample() if sample is None else sample
    with replacing(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name, index=False)
                sheet = writer.sheets[name]
                _text_cells(sheet)
                _format_numbers(sheet, frame)
                sheet.freeze_panes = "A2"
                for i, column in enumerate(frame.columns, start=1):
                    sample_values = [column, *frame[column].head(200).tolist()]
                    sheet.column_dimensions[get_column_letter(i)].width = _width(sample_values)
            writer.book.properties.title = path.stem
            writer.book.properties.creator = "miyun-gis"
            if sample:
                _mark_sample(writer.book)
        check_no_formulas(tmp)
    return path


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    path = Path(path)
    with replacing(path) as tmp:
        # CRLF ends records (RFC 4180, as Excel writes): a CR inside a value then gets quoted, too
        neutralise_csv(frame).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def write_table(path: str | Path, sheets: Mapping[str, pd.DataFrame], *, sample: bool | None = None) -> Path:
    """By the file's suffix: ``.xlsx`` gets every sheet (marked as in :func:`write_excel`), ``.csv`` the first."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return write_excel(path, sheets, sample=sample)
    if path.suffix.lower() == ".csv":
        return write_csv(path, next(iter(sheets.values())))
    raise InputError("输出文件应为 .xlsx 或 .csv", file=str(path))
