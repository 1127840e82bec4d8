"""``miyun-gis tracks compact``: fold the live fixes received from phones into the track store."""

from __future__ import annotations

import click

from gis.cli.options import pass_workspace, quiet_option


@click.command("compact")
@click.option("--all", "refold_all", is_flag=True, help="重新归并收件箱中的每一天（例如换了图层之后）。")
@pass_workspace("layers", "data_dir")
@quiet_option
def compact(ws, refold_all, quiet) -> None:
    """把手机实时上报的定位归并进轨迹库（网页服务每隔几分钟自动执行）。"""
    from gis.intake.compact import compact as fold

    result = fold(ws.data_dir, ws.index, refold_all=refold_all)
    for day in result.days:
        for notice in day.notices:
            if not quiet or notice.level == "warning":
                click.echo(str(notice), err=notice.level == "warning")
        if not quiet:
            extra = f"，其中迟到 {day.late} 个" if day.late else ""
            held = f"；{day.held} 个无效或模拟位置留在收件箱" if day.held else ""
            click.echo(f"{day.day}：轨迹库中实时定位 {day.stored} 个{extra}{held}")
    if not quiet and not result.days:
        click.echo("没有新的实时定位需要归并。")
