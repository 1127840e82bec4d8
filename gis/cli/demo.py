"""``miyun-gis demo``: the main job on the built-in sample data, then (with ``--serve``) the web app."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from gis.cli.layers import print_summary, report_validation
from gis.cli.options import pass_workspace
from gis.schema import GRIDS

DEMO_STAFF = 300  # staff whose day is simulated: enough for every page, quick on a laptop


@click.command("demo")
@click.option("--rebuild", is_flag=True, help="即使已存在也重新生成示例图层。")
@click.option("--staff", "n_staff", default=DEMO_STAFF, show_default=True, help="模拟昨日轨迹的保水员人数。")
@click.option("--serve", is_flag=True, help="完成后启动网页服务。")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@pass_workspace("layers", "data_dir")
@click.pass_context
def demo(ctx: click.Context, ws, rebuild: bool, n_staff: int, serve: bool, host: str, port: int) -> None:
    """在示例数据上运行：生成并校验图层，载入示例花名册，模拟昨日巡查并出日报，编制年度资金；--serve 启动网页。"""
    from gis.layers import gpkg
    from gis.localtime import today_local
    from gis.sample.build import build_sample
    from gis.reports.staff import funds_sheets
    from gis.staff.roster import SAMPLE_SOURCE, load_roster, roster, sample_roster
    from gis.tracks.pipeline import load_reference, run_daily, simulate_and_store
    from gis.tracks.store import read_day

    path = ws.layers
    day = (today_local() - timedelta(days=1)).isoformat()
    if rebuild or not path.exists():
        click.echo(f"生成示例图层 → {path}")
        build_sample(path)
    if not report_validation(path, quiet=False):
        raise SystemExit(1)
    print_summary(path)
    if not gpkg.is_sample(path):
        click.echo("图层不是示例数据：不载入示例花名册、不模拟轨迹。")
    else:
        if roster(ws.ledger).empty:
            grids = gpkg.read_layer(path, GRIDS.name, columns=["grid_id", "town"], read_geometry=False)
            count = load_roster(ws.ledger, sample_roster(path), dict(zip(grids["grid_id"], grids["town"])),
                                user="demo", source=SAMPLE_SOURCE)
            click.echo(f"示例花名册：{count} 人（编号，无姓名）")
        else:
            click.echo(f"花名册已有 {len(roster(ws.ledger))} 人，保留")
        _sample_cases(ws, path)
        count, _ = simulate_and_store(day, path, ws.data_dir, n_staff=n_staff)
        _, _, reports = run_daily(day, load_reference(path), ws.data_dir)
        if count:
            click.echo(f"模拟 {day} 巡查：{n_staff} 人 {count:,} 个定位点；日报 → {reports[0]}")
        else:
            kept = len(read_day(ws.data_dir, day, columns=["staff_id"]))
            click.echo(f"{day} 的模拟巡查已存在，保留（{kept:,} 个定位点）；日报 → {reports[0]}")
        sheets, basis = funds_sheets(ws.ledger, path, today_local().year)
        total = sheets["年度资金安排"].iloc[-1]["合计(万元)"]
        click.echo(f"{today_local().year} 年资金安排：{total:,.0f} 万元（{basis}）")
    if serve:
        command = ctx.parent.command.get_command(ctx.parent, "serve") if ctx.parent else None
        if command is None:
            raise click.UsageError("网页服务未安装（api 包）")
        click.echo(f"网页：http://{host}:{port}/   巡查图：http://{host}:{port}/maps/patrols?date={day}")
        ctx.invoke(command, host=host, port=port, layers=path, data_dir=ws.data_dir)  # this run's workspace


def _sample_cases(ws, path: Path) -> None:
    """A handful of sample cases, once; a second run says which it kept."""
    from gis.layers import gpkg
    from gis.crs import to_web
    from gis.localtime import today_local
    from gis.sample.cases import add_sample_cases, sample_cases_in

    kept = sample_cases_in(ws.ledger)
    if kept:
        click.echo(f"示例案件已有 {len(kept)} 件，保留（{kept[0]} 至 {kept[-1]}）")
        return
    grids = gpkg.read_layer(path, GRIDS.name, columns=["grid_id"])
    inner = grids.geometry.buffer(-30)
    inner = inner.where(~inner.is_empty, grids.geometry).representative_point()
    lon, lat = to_web(inner.x.to_numpy(), inner.y.to_numpy())
    made = add_sample_cases(ws.cases, dict(zip(grids["grid_id"], zip(lon, lat))), today_local())
    click.echo(f"示例案件：{len(made)} 件（违建在 3 日自拆期内 1 件、逾期 1 件、已办结 1 件；标注示例数据）")
