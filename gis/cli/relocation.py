"""Mountain relocation: ``relocation plan-add | progress | subsidy | tables | villages | site-check``."""

from __future__ import annotations

from pathlib import Path

import click

from gis.cli.options import COUNT, DAY, MONTH, YEAR, pass_workspace
from gis.cli.tables import emit, out_option
from gis.schema import BUILDING_FORMS, RELOCATION_KINDS, RELOCATION_MODES, report_title


@click.group("relocation")
def relocation() -> None:
    """山区农民搬迁：计划、补助、进度、统计表、新址核查。"""


@relocation.command("plan-add")
@click.option("--year", "plan_year", type=YEAR, required=True, help="计划年度（工程第一年）。")
@click.option("--town", required=True)
@click.option("--village", required=True)
@click.option("--kind", type=click.Choice(list(RELOCATION_KINDS)), required=True)
@click.option("--mode", type=click.Choice(list(RELOCATION_MODES)), required=True)
@click.option("--households", type=COUNT, required=True)
@click.option("--people", type=COUNT, required=True, help="上年 1 月 1 日前登记的农业户籍人口。")
@click.option("--hazard-households", type=COUNT, default=0)
@click.option("--hazard-people", type=COUNT, default=0)
@click.option("--low-income-households", type=COUNT, default=0)
@click.option("--low-income-people", type=COUNT, default=0)
@click.option("--new-houses", type=COUNT, required=True)
@click.option("--old-houses", type=COUNT, required=True, help="拆除旧宅数。")
@click.option("--standard-houses", type=COUNT, default=0, help="达到抗震节能标准的新宅数。")
@click.option("--building-form", type=click.Choice(list(BUILDING_FORMS)), default="two_storey")
@click.option("--natural-villages", type=COUNT, default=1)
@click.option("--town-plan-on", default=None, help="镇上报计划日期。")
@pass_workspace("data_dir", "user")
def plan_add(ws, **fields) -> None:
    """登记一个村的搬迁计划。"""
    from gis.relocation.plans import add_plan, payments

    plan = add_plan(ws.ledger, user=ws.user, **fields)
    money = payments(plan)
    click.echo(f"搬迁计划 {plan['plan_id']}：{plan['town']}{plan['village']} {plan['households']} 户 {plan['people']} 人；"
               f"补助 市级 {money['city_yuan']:,} 元、区级 {money['district_yuan']:,} 元")


@relocation.command("progress")
@click.argument("plan_id")
@click.option("--month", type=MONTH, required=True, help="YYYY-MM。")
@click.option("--started", type=float, default=0.0, help="开工户数占计划比例 0–1。")
@click.option("--structure", "structure_done", type=float, default=0.0, help="完成主体比例 0–1。")
@click.option("--moved-in", type=float, default=0.0, help="入住比例 0–1。")
@click.option("--demolished", "old_houses_demolished", type=COUNT, default=0, help="旧房拆除户数。")
@click.option("--accepted-on", type=DAY, default=None, help="竣工验收日期。")
@click.option("--problems", default="", help="存在的主要问题。")
@pass_workspace("data_dir", "user")
def progress(ws, plan_id, **fields) -> None:
    """填报某计划的月度进度。"""
    from gis.localtime import parse_month
    from gis.relocation.plans import record_progress

    parse_month(fields["month"])
    record_progress(ws.ledger, user=ws.user, plan_id=plan_id, **fields)
    click.echo(f"{plan_id} {fields['month']} 进度已填报。")


@relocation.command("subsidy")
@click.argument("plan_id")
@click.option("--progress", "works", type=float, default=None, help="工程进度 0–1（默认取最近月报的完成主体比例）。")
@pass_workspace("data_dir")
def subsidy(ws, plan_id, works) -> None:
    """某计划的补助明细与当前可拨付资金（30% / 至 80% / 验收后 20%）。"""
    from gis.cli.tables import show_table
    from gis.relocation.plans import get_plan, latest_progress, payments, subsidies

    ledger = ws.ledger
    plan = get_plan(ledger, plan_id)
    done = latest_progress(ledger, plan_id) or {}
    works = done.get("structure_done", 0.0) if works is None else works
    lines = subsidies(plan)
    show_table(lines.rename(columns={"unit": "标准", "purpose": "用途", "payer": "资金来源", "count": "数量",
                                     "yuan_each": "单价(元)", "amount_yuan": "金额(元)"}).drop(columns="rule"),
               f"{plan_id} 补助")
    money = payments(plan, works, accepted=bool(done.get("accepted_on")), started=bool(done.get("started")))
    click.echo(f"市级 {money['city_yuan']:,} 元，区级 {money['district_yuan']:,} 元，合计 {money['total_yuan']:,} 元；"
               f"市级资金现可拨付 {money['city_share_payable']:.0%} = {money['city_payable_yuan']:,} 元")


@relocation.command("tables")
@click.option("--year", type=YEAR, required=True, help="计划统计表的年度。")
@click.option("--month", type=MONTH, default=None, help="实施进度统计表的月份 YYYY-MM（默认只出计划表）。")
@click.option("--as-of", "as_of", type=DAY, default=None, help="判断滞后的日期（默认今天）。")
@out_option
@pass_workspace("data_dir")
def tables(ws, year, month, as_of, out) -> None:
    """附件 1 计划统计表、附件 2 实施进度统计表，以及滞后事项。"""
    from gis.localtime import parse_day, parse_month, today_local
    from gis.reports.relocation import relocation_sheets
    from gis.reports.writers import reports_dir

    if month:
        parse_month(month)
    sheets = relocation_sheets(ws.ledger, year, month, parse_day(as_of, field="--as-of") if as_of else today_local())
    emit(sheets, out, reports_dir(ws.data_dir) / f"relocation-{year}.xlsx", report_title("relocation", year=year))


@relocation.command("villages")  # not a layer
@pass_workspace("layers")
def villages(ws) -> None:
    """位于隐患区的村庄及户数、人口。"""
    from gis.layers import gpkg
    from gis.cli.tables import show_table
    from gis.relocation.plans import hazard_villages

    path = ws.layers
    from gis.schema import HAZARD_LEVELS, HAZARD_TYPES, HAZARD_ZONES, VILLAGES

    frame = hazard_villages(gpkg.read_layer(path, VILLAGES.name), gpkg.read_layer(path, HAZARD_ZONES.name))
    frame = frame.assign(hazard_type=frame["hazard_type"].map(HAZARD_TYPES), level=frame["level"].map(HAZARD_LEVELS))
    aliases = {f.name: f.alias for layer in (VILLAGES, HAZARD_ZONES) for f in layer.fields if f.name != "town"}
    show_table(frame.drop(columns="source").rename(columns={**aliases, "town": "镇", "zone_id": "隐患区编号"}),
               f"隐患区内村庄 {len(frame)} 个，{int(frame['households'].sum())} 户，{int(frame['population'].sum())} 人")


@relocation.command("site-check")
@click.argument("site_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--crs", default=None, help="新址文件坐标系（未注明时），或 gcj02 / bd09。")
@click.option("--avoid", multiple=True, metavar="名称=文件",
              help="另需避让的图层，如 生态保护红线=redline.gpkg、自然保护区=reserve.geojson（可多次）。")
@pass_workspace("layers")
def site_check(ws, site_file, crs, avoid) -> None:
    """新址核查：与一级保护区、河道管护范围、隐患区及生态红线等的重叠面积。"""
    from gis.cli.tables import show_table
    from gis.errors import InputError
    from gis.relocation.site import check_site, read_site

    extra = []
    for item in avoid:
        title, sep, path = item.partition("=")
        if not sep or not title or not path:
            raise InputError(f"--avoid 应写作 名称=文件，收到 {item}", field="--avoid")
        extra.append((title, Path(path)))
    result = check_site(ws.layers, read_site(site_file, crs), extra)
    if result.refused:
        show_table(result.conflicts.rename(columns={"title": "图层", "feature": "要素", "overlap_m2": "重叠面积(平方米)",
                                                    "share": "占新址比例"}).drop(columns="layer"), "冲突")
        click.secho(result.verdict(), fg="red")
        raise SystemExit(1)
    click.echo(result.verdict())
