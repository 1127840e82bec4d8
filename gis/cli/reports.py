"""Office reports over the ledger: ``report monthly | submit`` and ``reconcile``."""

from __future__ import annotations

from pathlib import Path

import click

from gis.cli.options import DAY, MONTH, pass_workspace
from gis.schema import report_title


@click.group("report")
def report() -> None:
    """报表：违法建设巡查月报。"""


@report.command("monthly")
@click.option("--month", type=MONTH, required=True, help="月份 YYYY-MM。")
@click.option("--as-of", "as_of", type=DAY, default=None, help="以此日期判断是否逾期未报（默认今天）。")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="输出 .xlsx（默认 data/reports/monthly-YYYY-MM.xlsx）或 .csv。")
@pass_workspace("data_dir")
def monthly(ws, month, as_of, out) -> None:
    """各镇月度巡查发现违法用地违法建设情况（次月 20 日前报区规自分局）。"""
    from gis.cli.tables import show_table, workspace_is_sample
    from gis.ledger.monthly import monthly_report
    from gis.ledger.visits import month_sheet
    from gis.localtime import parse_day, parse_month, today_local
    from gis.reports.writers import reports_dir, write_table

    sheets = monthly_report(ws.cases, month, as_of=parse_day(as_of, field="--as-of") if as_of else None)
    sheets["通知书期限到场核查"] = month_sheet(ws.cases, ws.data_dir, parse_month(month),
                                       parse_day(as_of, field="--as-of") if as_of else today_local())
    out = out or reports_dir(ws.data_dir) / f"monthly-{month}.xlsx"
    write_table(out, sheets, sample=workspace_is_sample(), title=report_title("monthly", month=month))
    show_table(next(iter(sheets.values())), f"{month} 各镇月报")
    late = sheets["逾期未报"]
    if len(late):
        click.secho(f"逾期：{'、'.join(late.iloc[:, 0])}", fg="yellow")
    click.echo(f"→ {out}")


@report.command("submit")
@click.option("--town", required=True)
@click.option("--month", type=MONTH, required=True, help="月份 YYYY-MM。")
@click.option("--time", "at", default=None, help="报送时间（默认现在）。")
@pass_workspace("data_dir", "user")
def submit(ws, town, month, at) -> None:
    """镇报送月报（本月无发现即为零报告）。"""
    from gis.ledger.monthly import submit as submit_report

    result = submit_report(ws.cases, town, month, user=ws.user, at=at)
    kind = "零报告" if result["zero_report"] else f"发现 {result['findings']} 处"
    click.echo(f"{town} {month} 月报已报送：{kind}（截止 {result['due']}）")


@click.command("reconcile")
@click.option("--month", type=MONTH, required=True, help="月份 YYYY-MM。")
@click.option("--clues", "clues_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="卫片线索图斑（GeoJSON、GeoPackage、Shapefile…）。")
@click.option("--crs", default=None, help="线索文件坐标系（文件未注明时），或 gcj02 / bd09。")
@click.option("--tolerance", default=30.0, show_default=True, help="线索与台账点位相距不超过此米数即视为一致。")
@click.option("--threshold", default=0.8, show_default=True, help="一致率不低于此值判为基本一致。")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Excel 输出（默认 data/reports/reconcile-YYYY-MM.xlsx）；同名 .gpkg 图层一并输出。")
@pass_workspace("layers", "data_dir")
def reconcile(ws, month, clues_file, crs, tolerance, threshold, out) -> None:
    """卫片线索与各镇巡查台账比对。"""
    from gis.cli.tables import show_table, workspace_is_sample
    from gis.ledger.reconcile import read_clues
    from gis.ledger.reconcile import reconcile as compare
    from gis.localtime import parse_month
    from gis.reports.writers import reports_dir, write_excel

    parse_month(month)
    result = compare(ws.cases, ws.index, read_clues(clues_file, crs), month, tolerance_m=tolerance,
                     threshold=threshold)
    out = out or reports_dir(ws.data_dir) / f"reconcile-{month}.xlsx"
    sheets = result.sheets()
    write_excel(out, sheets, sample=workspace_is_sample(), title=report_title("reconcile", month=month))
    layer = result.write_layer(out.with_suffix(".gpkg"))
    show_table(sheets["比对汇总"], f"{month} 卫片线索比对")
    click.echo(f"→ {out}\n→ {layer}（QGIS 图层）")
