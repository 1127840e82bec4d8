"""The grid archive (网格档案, 密政发〔2022〕22号): one PDF per grid, what the town keeps for it.

Page 1: the grid's map (drawn as the printouts draw it), its four boundaries and figures;
then its staff and their history (joined, left, deductions, re-evaluations), its cases of the
year with their outcomes, and the month's patrol figures from the daily reports.  Pages are
added as the tables need.  ``miyun-gis archive --grid ID`` and ``GET /grids/{id}/archive.pdf``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import matplotlib.pyplot as plt
import pandas as pd

from gis.cli.options import pass_workspace, quiet_option
from gis.fourbounds import four_boundaries
from gis.ledger.grid_archive import cases_of_year, patrol_month, staff_history
from gis.schema import GRID_KINDS, LOCAL_TZ
from maps.printout import MU_PER_M2, Atlas, Page, _save

ROWS_PER_PAGE = 26


def _month(value: str | None) -> str:
    from gis.localtime import parse_month

    month = value or datetime.now(ZoneInfo(LOCAL_TZ)).strftime("%Y-%m")
    parse_month(month, field="--month")
    return month


def _cover(atlas: Atlas, grid_id: str, month: str, page: Page):
    row = atlas.grid(grid_id)
    fig = plt.figure(figsize=page.inches())
    minx, miny, maxx, maxy = row.geometry.bounds
    rect = [0.08, 0.36, 0.86, 0.52]
    aspect = (rect[2] * page.inches()[0]) / (rect[3] * page.inches()[1])
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_w = max(maxx - minx, (maxy - miny) * aspect) / 2 * 1.25 + 100
    extent = (cx - half_w, cy - half_w / aspect, cx + half_w, cy + half_w / aspect)
    atlas.draw_map(fig.add_axes(rect), extent, focus=grid_id)
    bounds = four_boundaries(grid_id, atlas.grids, atlas.fence, atlas.contour)
    fig.text(0.05, 0.965, f"网格档案　{grid_id}", fontsize=18, va="top")
    fig.text(0.05, 0.928, f"{row['town']}镇 · {GRID_KINDS.get(row['kind'], row['kind'])} · 面积 "
             f"{row['area_m2'] * MU_PER_M2:,.0f} 亩（{row['area_m2'] / 1e6:.3f} 平方公里）· 保水员定额 "
             f"{int(row['staff_quota'])} 人 · 档案月份 {month}", fontsize=9, va="top")
    text = fig.add_axes([0.06, 0.05, 0.88, 0.28])
    text.axis("off")
    lines = ["四至："] + [f"　{side}至：{what}" for side, what in bounds.items()]
    text.text(0, 1, "\n".join(lines), fontsize=9, va="top", transform=text.transAxes, linespacing=1.8)
    atlas._stamp(fig)
    return fig


def _table_pages(atlas: Atlas, title: str, frame: pd.DataFrame, empty: str, page: Page, widths=None):
    """The table over as many pages as it needs (ROWS_PER_PAGE rows each)."""
    chunks = [frame.iloc[i:i + ROWS_PER_PAGE] for i in range(0, len(frame), ROWS_PER_PAGE)] or [frame]
    for n, chunk in enumerate(chunks):
        fig = plt.figure(figsize=page.inches())
        suffix = f"（续 {n + 1}/{len(chunks)}）" if len(chunks) > 1 else ""
        fig.text(0.05, 0.965, f"{title}{suffix}", fontsize=14, va="top")
        ax = fig.add_axes([0.04, 0.06, 0.92, 0.86])
        ax.axis("off")
        if chunk.empty:
            ax.text(0, 1, empty, fontsize=10, va="top", transform=ax.transAxes)
        else:
            cells = [[_wrap(v) for v in r] for r in chunk.astype(str).to_numpy().tolist()]
            height = min(1.0, 0.034 * (len(cells) + 1) * max(1, max(c.count("\n") + 1 for r in cells for c in r) * 0.7))
            table = ax.table(cellText=cells, colLabels=list(chunk.columns), loc="top", cellLoc="left",
                             bbox=[0, 1 - height, 1, height], colWidths=widths)
            table.auto_set_font_size(False)
            table.set_fontsize(6.2)
        atlas._stamp(fig)
        yield fig


def _wrap(text: str, width: int = 40) -> str:
    return "\n".join(text[i:i + width] for i in range(0, len(text), width)) if len(text) > width else text


def archive_pages(atlas: Atlas, grid_id: str, month: str, page: Page = Page()):
    year = int(month[:4])
    yield _cover(atlas, grid_id, month, page)
    staff = staff_history(atlas.ledger, grid_id, year)
    if staff.empty:  # no roster loaded yet: the grid's staff codes
        codes, leader = atlas.staff_of(grid_id)
        staff = pd.DataFrame({"编号": codes, "职务": ["网格长" if c == leader else "网格员" for c in codes],
                              "说明": "花名册未导入，按定额编号"})
    yield from _table_pages(atlas, f"{grid_id} 保水员及其履历（{year} 年扣分）", staff, "无", page,
                            widths=[0.1, 0.07, 0.06, 0.09, 0.09, 0.06, 0.2, 0.07, 0.26] if len(staff.columns) == 9
                            else None)
    yield from _table_pages(atlas, f"{grid_id} {year} 年案件及办理结果", cases_of_year(atlas.ledger, grid_id, year),
                            f"{year} 年本网格无案件。", page, widths=[0.2, 0.14, 0.2, 0.2, 0.26])
    patrol = patrol_month(atlas.data_dir, grid_id, month)
    if len(patrol):
        total = pd.DataFrame([{"日期": f"合计 {len(patrol)} 天", "到岗人数": "",
                               "巡查里程(公里)": round(patrol["巡查里程(公里)"].sum(), 2),
                               "巡查时长(小时)": round(patrol["巡查时长(小时)"].sum(), 2),
                               "无人时段(小时)": int(patrol["无人时段(小时)"].sum()),
                               "50米覆盖率": round(patrol["50米覆盖率"].mean(), 3),
                               "界桩": "", "虚假巡查疑点(人)": int(patrol["虚假巡查疑点(人)"].sum())}])
        patrol = pd.concat([patrol, total], ignore_index=True)
    yield from _table_pages(atlas, f"{grid_id} {month} 巡查情况（据巡查日报）", patrol,
                            f"{month} 尚无巡查日报（miyun-gis tracks daily）。", page)


def print_archive(atlas: Atlas, grid_id: str, out: Path, month: str | None = None, page: Page = Page()) -> Path:
    atlas.grid(grid_id)  # a clear error before any file is touched
    return _save(out, archive_pages(atlas, grid_id, _month(month), page))


@click.command("archive")
@click.option("--grid", "grid_id", required=True, help="网格编号，如 XWZ-K05。")
@click.option("--month", default=None, help="档案月份 YYYY-MM（默认本月；案件取该年）。")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="输出 PDF（默认 data/printouts/网格档案-ID-YYYY-MM.pdf）。")
@pass_workspace("layers", "data_dir")
@quiet_option
def archive(ws, grid_id, month, out, quiet) -> None:
    """网格档案 PDF：四至、地图、保水员及履历、本年案件、本月巡查情况。"""
    month = _month(month)
    data = ws.data_dir
    atlas = Atlas(ws.layers, data_dir=data)
    path = print_archive(atlas, grid_id, out or data / "printouts" / f"网格档案-{grid_id}-{month}.pdf", month)
    if not quiet:
        click.echo(str(path))
