"""Tables in the terminal and in files, the same way for every command.

A terminal table fits the terminal (80 columns on most office machines):
key columns — ids, codes, totals and other numbers — are never cut; the
other columns wrap, and when even that does not fit, the rightmost of them
are left out, saying which and where the whole table is (or how to get it).
"""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

out_option = click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                          help="输出 .xlsx 或 .csv。")

KEY_WORDS = ("编号", "合计", "总计", "小计", "代码", "id", "ID")
CELL_PADDING = 3  # rich: one space each side and the column rule
MIN_WRAPPED = 6  # a wrapped column keeps at least this many cells
DATE = r"\d{4}-\d{2}-\d{2}"
DATE_CELLS = 10  # a date is not broken


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), "").astype(str)


def key_columns(frame: pd.DataFrame) -> list[str]:
    """The columns never cut: the first one (the row's id), ids and codes by name, totals and numbers."""
    keys = []
    for i, column in enumerate(frame.columns):
        name = str(column)
        if i == 0 or any(w in name for w in KEY_WORDS) or pd.api.types.is_numeric_dtype(frame[column]):
            keys.append(column)
    return keys


def _natural_widths(frame: pd.DataFrame) -> dict:
    """Terminal cells each column takes unwrapped (its header or its longest value)."""
    from rich.cells import cell_len

    cells = _cells(frame)
    return {c: max([cell_len(str(c))] + [cell_len(v) for v in cells[c]]) for c in frame.columns}


def fit_columns(frame: pd.DataFrame, width: int) -> tuple[list[list], dict, list]:
    """Column blocks that each fit ``width`` terminal cells, the width of every column, and the
    non-key columns left out.

    Non-key columns are narrowed (their text wraps) down to a few cells, then left out from the
    right, until the keys fit at full width; keys alone too wide for one table are shown in
    several tables, each led by the first column."""
    keys = set(key_columns(frame))
    natural = _natural_widths(frame)
    cells = _cells(frame)
    least = {c: natural[c] if c in keys else min(natural[c], DATE_CELLS if cells[c].str.match(DATE).any()
                                                  else MIN_WRAPPED) for c in frame.columns}

    def needed(columns, sizes) -> int:
        return 1 + sum(sizes[c] + CELL_PADDING for c in columns)

    shown, left_out = list(frame.columns), []
    while needed(shown, least) > width and any(c not in keys for c in shown):
        other = [c for c in shown if c not in keys][-1]
        shown.remove(other)
        left_out.insert(0, other)
    widths = dict(natural)  # then the room there is goes back to the wrapped columns, widest narrowed first
    while needed(shown, widths) > width:
        narrow = [c for c in shown if widths[c] > least[c]]
        if not narrow:
            break
        widest = max(narrow, key=lambda c: widths[c] - least[c])
        widths[widest] -= 1
    if needed(shown, widths) <= width or len(shown) < 2:
        return [shown], widths, left_out
    lead, blocks = shown[0], []
    for column in shown[1:]:
        if blocks and needed([lead, *blocks[-1], column], widths) <= width:
            blocks[-1].append(column)
        else:
            blocks.append([column])
    return [[lead, *b] for b in blocks], widths, left_out


def show_table(frame: pd.DataFrame, title: str, limit: int = 200, full: Path | None = None) -> None:
    """A frame as a terminal table (first ``limit`` rows) that fits the terminal; ``full``: where the
    whole table was written, said when something is left out."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    part = frame.head(limit)
    blocks, widths, left_out = fit_columns(part, console.width)
    keys = set(key_columns(part))
    cells = _cells(part)
    for n, block in enumerate(blocks):
        table = Table(title=title if n == 0 else f"{title}（续 {n}）", show_lines=False)
        for column in block:
            numeric = column in keys and pd.api.types.is_numeric_dtype(part[column])
            table.add_column(str(column), width=widths[column], overflow="fold",
                             justify="right" if numeric else "left")
        for row in cells[block].itertuples(index=False):
            table.add_row(*row)
        console.print(table)
    where = f"完整表格见 {full}" if full else "用 --out 导出完整表格"
    if left_out:
        click.echo(f"终端宽 {console.width} 列，未显示：{'、'.join(map(str, left_out))}；{where}。")
    if len(frame) > limit:
        click.echo(f"……共 {len(frame)} 行，仅显示前 {limit} 行；{where}。")


def workspace_is_sample() -> bool:
    """Whether the command's workspace (``--layers`` or ``MIYUN_LAYERS``) holds the sample layers: its
    workbooks are then marked 示例数据 SAMPLE DATA, whichever way the layers were given."""
    from gis.cli.options import current_workspace
    from gis.reports.writers import layers_are_sample

    return layers_are_sample(current_workspace().layers)


def show_or_export(table: pd.DataFrame, out: Path | None, *, sheet: str, title: str, empty: str,
                   unit: str = "行") -> None:
    """``--out`` given: write the table there; else show it, or say ``empty`` when there is nothing."""
    from gis.reports.writers import write_table

    if out:
        write_table(out, {sheet: table}, sample=workspace_is_sample(), title=title)
        click.echo(f"{len(table)} {unit} → {out}")
    elif table.empty:
        click.echo(empty)
    else:
        show_table(table, title)


def emit(sheets: dict[str, pd.DataFrame], out: Path | None, default: Path, title: str) -> None:
    """Write every sheet to ``out`` (or ``default``), then show the first one."""
    from gis.reports.writers import write_table

    written = write_table(out or default, sheets, sample=workspace_is_sample(), title=title)
    show_table(next(iter(sheets.values())), title, limit=40, full=written)
    click.echo(f"→ {written}")
