"""Writing tables for the offices: Excel (one sheet per table, readable widths) and CSV (UTF-8 with BOM,
so Excel opens the Chinese headers), each written atomically.

The one writer of every sheet and CSV the product makes, and it never writes a formula: text that a
spreadsheet would take as one (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, as
the OWASP CSV-injection guidance lists, and their full-width forms) is kept as text — in Excel a string
cell with Excel's own quote prefix (the text reads as typed), in CSV with a leading apostrophe.  Numbers
stay numbers.  Each Excel file is checked after writing: no cell holds a formula.

Every sheet has the same layout: a title row (row 1: the report's Chinese title, and 示例数据 SAMPLE DATA
when the layers used are the sample), the header on row 2, panes frozen below it.  Cells are typed for
people: a text column of dates (``2026-12-01``), local times (``2026-12-01 09:00``), times of day
(``08:00``) or percentages (``30%``) becomes date, time or % cells; shares 0–1 in a column named as a
rate show as %.  A CSV keeps its header on line 1 for machine readers (pandas, GDAL, Excel); one made
from the sample layers ends with a column ``数据说明`` holding the sample mark on every row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from gis.atomic import replacing
from gis.errors import InputError
from gis.schema import LOCAL_TZ, SAMPLE_MARK

MAX_COLUMN_WIDTH = 60
RATE_WORDS = ("率", "占比", "比例")  # a column of shares 0–1 shown as percentages
SAMPLE_SHEET = "示例数据"
SAMPLE_COLUMN = "数据说明"  # the last column of a CSV made from the sample layers
TITLE_ROW, HEADER_ROW = 1, 2  # every sheet: its title, then the header
DATE_FORMAT, DATETIME_FORMAT, TIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "hh:mm"
# text columns typed for people: (pattern every filled cell matches, how to read it, the cell format)
DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
LOCAL_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?")  # local time, as the sheets show it
UTC_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})")
CLOCK_TEXT = re.compile(r"\d{2}:\d{2}")
PERCENT_TEXT = re.compile(r"-?\d+(\.(\d+))?%")
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


FORMULA_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")  # a cell's <f> (formula), any prefix


def check_no_formulas(path: str | Path) -> None:
    """The invariant of every workbook written: no cell holds a formula (raises ``RuntimeError``).

    Read from the sheets' XML, where a formula is an ``<f>`` element of its cell (a regular-expression
    scan: a district day's sheets are checked in milliseconds, where loading them back took a second).

    Examples
    --------
    >>> import tempfile
    >>> from openpyxl import Workbook
    >>> book = Workbook(); book.active["A1"] = "=1+1"; path = Path(tempfile.mkdtemp()) / "f.xlsx"; book.save(path)
    >>> check_no_formulas(path)
    Traceback (most recent call last):
    ...
    RuntimeError: ...f.xlsx: formula in xl/worksheets/sheet1.xml
    """
    from zipfile import ZipFile

    with ZipFile(path) as book:
        for name in book.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml") and FORMULA_ELEMENT.search(book.read(name)):
                raise RuntimeError(f"{path}: formula in {name}")


def reports_dir(data_dir: str | Path) -> Path:
    """Where reports are written by default: ``<data dir>/reports``."""
    return Path(data_dir) / "reports"


def _cell_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # CJK and full-width forms take two


def _width(values) -> float:
    longest = max((_cell_width(str(v)) for v in values), default=4)
    return min(MAX_COLUMN_WIDTH, longest + 2)


def _filled(values: pd.Series) -> pd.Series:
    return values.notna() & (values.astype(str) != "")


def _typed_text(values: pd.Series) -> tuple[pd.Series, str] | None:
    """A text column whose every filled cell is a date, a local or UTC time, a time of day or a percentage,
    as typed values (empty cells None) and the cell format people read them in; None for other text."""
    filled = _filled(values)
    if not filled.any() or values.dtype.kind in "biufcmM":
        return None
    text = values[filled].astype(str)

    def every(pattern) -> bool:
        return bool(text.map(lambda v: pattern.fullmatch(v) is not None).all())

    if every(DATE_TEXT):
        typed, fmt = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce"), DATE_FORMAT
    elif every(LOCAL_TEXT):
        typed, fmt = pd.to_datetime(text, format="mixed", errors="coerce"), DATETIME_FORMAT
    elif every(UTC_TEXT):
        typed = pd.to_datetime(text, utc=True, format="mixed", errors="coerce").dt.tz_convert(LOCAL_TZ)
        typed, fmt = typed.dt.tz_localize(None), DATETIME_FORMAT
    elif every(CLOCK_TEXT):
        typed = pd.to_datetime(text, format="%H:%M", errors="coerce").dt.time
        fmt = TIME_FORMAT
    elif every(PERCENT_TEXT):
        places = max(len(m.group(2) or "") for m in map(PERCENT_TEXT.fullmatch, text))
        typed = text.str.rstrip("%").astype(float) / 100
        fmt = "0%" if places == 0 else "0." + "0" * places + "%"
    else:
        return None
    if typed.isna().any():  # e.g. 2026-13-40: not a date after all
        return None
    out = pd.Series([None] * len(values), index=values.index, dtype=object)
    out[filled] = list(typed)
    return out, fmt


def _number_format(name: str, values: pd.Series) -> str | None:
    """How people read a numeric column: shares as %, decimals with one to three places, whole numbers
    with thousands separators; dates as dates."""
    if values.dtype.kind in "mM":
        return DATETIME_FORMAT if (values.dropna().dt.normalize() != values.dropna()).any() else DATE_FORMAT
    if values.dtype.kind not in "iuf" or values.dtype == bool:
        return None
    if any(w in str(name) for w in RATE_WORDS) and values.dropna().between(0, 1.5).all():
        return "0.0%"
    return "#,##0" if values.dtype.kind in "iu" else "#,##0.0##"


def for_excel(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The frame with cells typed for people (see the module) and the number format of each column
    that has one; times with a zone are shown in Asia/Shanghai (Excel keeps no zone).

    >>> typed, formats = for_excel(pd.DataFrame({"日期": ["2026-12-01", ""], "比例": ["30%", "80%"],
    ...                                          "说明": ["2026-12-01 起", "—"]}))
    >>> [str(v) for v in typed["日期"]], typed["比例"].tolist(), formats
    (['2026-12-01 00:00:00', 'None'], [0.3, 0.8], {'日期': 'yyyy-mm-dd', '比例': '0%'})
    """
    out, formats = frame.copy(), {}
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            values = out[column] = values.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
        typed = _typed_text(values)
        if typed is not None:
            out[column], formats[column] = typed
        elif fmt := _number_format(column, values):
            formats[column] = fmt
    return out, formats


def _shown(value, fmt: str | None) -> str:
    """About what a cell shows, for its column's width."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if fmt in (DATE_FORMAT, DATETIME_FORMAT, TIME_FORMAT):
        return fmt
    if fmt == "#,##0" and isinstance(value, (int, float)):
        return f"{value:,.0f}"
    if fmt and fmt.endswith("%") and isinstance(value, (int, float)):
        return f"{value * 100:.1f}%"
    return str(value)


def sheet_title(title: str, sample: bool) -> str:
    """The text of a sheet's title row."""
    return f"{title}　{SAMPLE_MARK}" if sample else title


def _lay_out(sheet, frame: pd.DataFrame, typed: pd.DataFrame, formats: dict, title: str) -> None:
    """Title row, frozen header, formats and widths of one written sheet."""
    sheet.cell(TITLE_ROW, 1, title).font = Font(bold=True, size=13)
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1).coordinate
    sheet.print_title_rows = f"{TITLE_ROW}:{HEADER_ROW}"
    last = HEADER_ROW + len(frame)
    for i, column in enumerate(frame.columns, start=1):
        fmt = formats.get(column)
        if fmt:
            cells = sheet.iter_rows(min_row=HEADER_ROW + 1, max_row=last, min_col=i, max_col=i)
            for (cell,), value in zip(cells, typed[column]):
                if fmt == TIME_FORMAT:  # pandas writes a time of day as text
                    cell.value = value
                cell.number_format = fmt
        shown = [column, *(_shown(v, fmt) for v in typed[column].head(200).tolist())]
        sheet.column_dimensions[get_column_letter(i)].width = _width(shown)


def _properties(workbook, title: str, sheets, sample: bool) -> None:
    """Title, subject, keywords and description of the workbook, each with the sample mark when sample."""
    props = workbook.properties
    props.creator = "miyun-gis"
    props.title = f"{SAMPLE_MARK} {title}" if sample else title
    props.subject = f"密云水库水源保护网格化管理 · {title}" + (f"（{SAMPLE_MARK}）" if sample else "")
    props.keywords = "、".join([*map(str, sheets), *([SAMPLE_MARK] if sample else [])])
    if sample:
        props.category = SAMPLE_MARK
        props.description = f"{SAMPLE_MARK}：由示例图层（合成数据）生成，不是真实数据。"


def _mark_sample(workbook) -> None:
    """示例数据 SAMPLE DATA on every printed page and on a sheet of its own (title row, then the note)."""
    note = workbook.create_sheet(SAMPLE_SHEET)
    note.cell(TITLE_ROW, 1, SAMPLE_MARK).font = Font(bold=True, size=13)
    note.cell(HEADER_ROW, 1, "本文件由示例图层（合成数据）生成，仅供演示，不是真实数据。")
    note.column_dimensions["A"].width = 60
    for sheet in workbook.worksheets:
        sheet.oddHeader.center.text = sheet.evenHeader.center.text = SAMPLE_MARK


def write_excel(path: str | Path, sheets: Mapping[str, pd.DataFrame], *, sample: bool,
                title: str | None = None) -> Path:
    """One sheet per frame under a title row (``title`` — the report's Chinese title, by default the
    sheet's name — then the sheet's name), header on row 2 frozen, columns wide enough, cells typed for
    people; ``sample`` (whether the layers the report was made from are the sample: the caller's
    workspace's, never guessed here) marks title rows and document properties 示例数据 SAMPLE DATA."""
    path = Path(path)
    book_title = title or "、".join(map(str, sheets)) or path.stem
    with replacing(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                typed, formats = for_excel(frame)
                typed.to_excel(writer, sheet_name=name, index=False, startrow=HEADER_ROW - 1)
                sheet = writer.sheets[name]
                _text_cells(sheet)
                heading = name if not title or title == name else f"{title} — {name}"
                _lay_out(sheet, frame, typed, formats, sheet_title(heading, sample))
            _properties(writer.book, book_title, sheets, sample)
            if sample:
                _mark_sample(writer.book)
        check_no_formulas(tmp)
    return path


def write_csv(path: str | Path, frame: pd.DataFrame, *, sample: bool) -> Path:
    """UTF-8 with BOM, header on line 1; ``sample``: a last column 数据说明 with the sample mark on every row."""
    path = Path(path)
    if sample:
        frame = frame.assign(**{SAMPLE_COLUMN: SAMPLE_MARK})
    with replacing(path) as tmp:
        # CRLF ends records (RFC 4180, as Excel writes): a CR inside a value then gets quoted, too
        neutralise_csv(frame).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def write_table(path: str | Path, sheets: Mapping[str, pd.DataFrame], *, sample: bool,
                title: str | None = None) -> Path:
    """By the file's suffix: ``.xlsx`` gets every sheet (as :func:`write_excel`), ``.csv`` the first."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return write_excel(path, sheets, sample=sample, title=title)
    if path.suffix.lower() == ".csv":
        return write_csv(path, next(iter(sheets.values())), sample=sample)
    raise InputError("输出文件应为 .xlsx 或 .csv", file=str(path))


def header_row(path: str | Path, sheet_name: str | int = 0) -> int:
    """The 0-based row of a workbook sheet's header, for ``pandas.read_excel(header=…)``: 1 below a title
    row (a first row with only its first cell filled, as this module writes), else 0 (a user's own file)."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True)
    except (OSError, ValueError, KeyError, BadZipFile, InvalidFileException):
        return 0  # not a workbook: the reader says so
    try:
        sheet = workbook.worksheets[sheet_name] if isinstance(sheet_name, int) else workbook[sheet_name]
        rows = [[c for c in row if c not in (None, "")] for row in sheet.iter_rows(max_row=2, values_only=True)]
    except (IndexError, KeyError):
        return 0
    finally:
        workbook.close()
    return 1 if len(rows) == 2 and len(rows[0]) == 1 and len(rows[1]) > 1 else 0


def layers_are_sample(path: str | Path) -> bool:
    """Whether the layers at ``path`` (a workspace's) are the sample (cached per file version)."""
    from gis.errors import MiyunError
    from gis.layers import gpkg

    try:
        path = Path(path)
        key = (str(path), path.stat().st_mtime_ns)
        if key not in _SAMPLE_CACHE:
            _SAMPLE_CACHE[key] = gpkg.is_sample(path)
        return _SAMPLE_CACHE[key]
    except (OSError, MiyunError):
        return False


_SAMPLE_CACHE: dict[tuple, bool] = {}
