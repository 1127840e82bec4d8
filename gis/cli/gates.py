"""Fence gate commands: ``gates pass-add | pass-revoke | passes | entry | log``."""

from __future__ import annotations

from pathlib import Path

import click

from gis.cli.options import DAY, pass_workspace
from gis.schema import ENTRY_KINDS, PASS_OFFICES, report_title


@click.group("gates")
def gates() -> None:
    """围网进出口：通行证明登记、进出登记与核对。"""


@gates.command("pass-add")
@click.option("--pass-no", required=True, help="通行证明编号。")
@click.option("--holder", required=True, help="持证人或单位。")
@click.option("--kind", type=click.Choice(list(ENTRY_KINDS)), required=True)
@click.option("--plate", default=None, help="车牌号（车辆证）。")
@click.option("--office", type=click.Choice(list(PASS_OFFICES)), required=True, help="签发机关。")
@click.option("--from", "valid_from", type=DAY, required=True, help="有效期起 YYYY-MM-DD。")
@click.option("--to", "valid_to", type=DAY, required=True, help="有效期止 YYYY-MM-DD。")
@click.option("--gates", "gate_list", default=None, help="限用进出口编号，逗号分隔（默认全部）。")
@pass_workspace("data_dir", "user")
def pass_add(ws, pass_no, holder, kind, plate, office, valid_from, valid_to, gate_list) -> None:
    """登记通行证明。"""
    from gis.ledger.gates import add_pass

    add_pass(ws.ledger, user=ws.user, pass_no=pass_no, holder=holder, kind=kind, plate=plate,
             office=office, valid_from=valid_from, valid_to=valid_to, gates=gate_list)
    click.echo(f"已登记通行证明 {pass_no}（{PASS_OFFICES[office]}签发，{valid_from} 至 {valid_to}）")


@gates.command("pass-revoke")
@click.argument("pass_no")
@pass_workspace("data_dir", "user")
def pass_revoke(ws, pass_no) -> None:
    """注销通行证明。"""
    from gis.ledger.gates import revoke_pass

    revoke_pass(ws.ledger, pass_no, user=ws.user)
    click.echo(f"已注销 {pass_no}")


@gates.command("passes")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="导出 .xlsx 或 .csv。")
@pass_workspace("data_dir")
def passes(ws, out) -> None:
    """通行证明登记簿。"""
    from gis.cli.tables import show_or_export
    from gis.ledger.gates import passes_table

    frame = passes_table(ws.ledger)
    show_or_export(frame, out, sheet="通行证明", title=report_title("gate_passes", count=len(frame), valid=(frame['状态'] == '有效').sum()),
                   empty="尚未登记通行证明。", unit="份")


@gates.command("entry")
@click.option("--gate", "gate_id", required=True, help="进出口编号。")
@click.option("--kind", type=click.Choice(list(ENTRY_KINDS)), required=True)
@click.option("--pass-no", default=None, help="出示的通行证明编号（无则不填）。")
@click.option("--who", default="", help="人员姓名或单位。")
@click.option("--plate", default=None)
@click.option("--in", "time_in", default=None, help="进入时间（默认现在）。")
@click.option("--out", "time_out", default=None, help="离开时间。")
@pass_workspace
def entry(ws, gate_id, kind, pass_no, who, plate, time_in, time_out) -> None:
    """登记一次进出并与通行证明核对。"""
    from gis.ledger.gates import log_entry

    logged = log_entry(ws.ledger, ws.gate_ids(), user=ws.user, gate_id=gate_id, kind=kind, pass_no=pass_no, who=who,
                       plate=plate, time_in=time_in, time_out=time_out)
    if logged["problems"]:
        click.secho(f"已登记，存在问题：{logged['problems']}", fg="yellow")
    else:
        click.echo("已登记，通行证明有效。")


@gates.command("log")
@click.option("--date", "day", type=DAY, required=True, help="日期 YYYY-MM-DD（北京时间）。")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="导出 .xlsx 或 .csv。")
@pass_workspace("data_dir")
def log(ws, day, out) -> None:
    """某日进出登记及核对结果。"""
    from gis.cli.tables import show_or_export
    from gis.ledger.gates import entries_on
    from gis.localtime import parse_day

    frame = entries_on(ws.ledger, parse_day(day, field="--date"))
    problems = int((frame["问题"] != "").sum())
    show_or_export(frame, out, sheet="进出登记", title=report_title("gate_entries", day=day, count=len(frame), problems=problems),
                   empty=f"{day} 没有进出登记。", unit="条")
