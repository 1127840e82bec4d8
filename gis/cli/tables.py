"""Tables in the terminal and in files, the same way for every command."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

out_option = click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                          help="输出 .xlsx 或 .csv。")


def show_table(frame: pd.DataFrame, title: str, limit: int = 200) -> None:
    """A frame as a terminal table (first ``limit`` rows)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*["" if pd.isna(v) else str(v) for v in row])
    Console().print(table)
    if len(frame) > limit:
        click.echo(f"……共 {len(frame)} 行，仅显示前 {limit} 行；用 --out 导出全部。")


def show_or_export(table: pd.DataFrame, out: Path | None, *, sheet: str, title: str, empty: str,
                   unit: str = "行") -> None:
    """``--out`` given: write the table there; else show it, or say ``empty`` when there is nothing."""
    from gis.reports import write_table

    if out:
        write_table(out, {sheet: table})
        click.echo(f"{len(table)} {unit} → {out}")
    elif table.empty:
        click.echo(empty)
    else:
        show_table(table, title)


def emit(sheets: dict[str, pd.DataFrame], out: Path | None, default: Path, title: str) -> None:
    """Show the first sheet and write every sheet to ``out`` (or ``default``)."""
    from gis.reports import write_table

    show_table(next(iter(sheets.values())), title, limit=40)
    click.echo(f"→ {write_table(out or default, sheets)}")
