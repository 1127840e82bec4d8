"""Staff, assessment and money: ``staff …``, ``assess …``, ``funds``."""

from __future__ import annotations

from pathlib import Path

import click

from gis.cli.options import DAY, RECORD_ID, YEAR, pass_workspace
from gis.cli.tables import emit, out_option, show_or_export, show_table
from gis.schema import DEDUCTION_KINDS, GRIDS, MECHANISM_ITEMS, RESULT_EVENTS, report_title


def _grid_towns(ws) -> dict[str, str]:
    from gis.layers import gpkg

    grids = gpkg.read_layer(ws.layers, GRIDS.name, columns=["grid_id", "town"], read_geometry=False)
    return dict(zip(grids["grid_id"], grids["town"]))


def _pairs(items: tuple[str, ...], option: str) -> dict[str, str]:
    """``KEY=NUMBER`` options as a dict, with a clear error naming the option."""
    from gis.errors import InputError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            float(value)
        except ValueError:
            raise InputError(f"应写作 名称=数值，收到 {item}", field=option) from None
        if not sep or not key.strip():
            raise InputError(f"应写作 名称=数值，收到 {item}", field=option)
        out[key.strip()] = value
    return out


@click.group("staff")
def staff() -> None:
    """网格保水员：花名册、其他公益性岗位、扣分、申诉、辞退名单、缺岗线索。"""


@staff.command("load-sample")
@pass_workspace
def load_sample(ws) -> None:
    """按图层定额生成示例花名册（编号，不含姓名；标记为合成数据）。"""
    from gis.staff.roster import SAMPLE_SOURCE, load_roster, sample_roster

    count = load_roster(ws.ledger, sample_roster(ws.layers), _grid_towns(ws), user=ws.user, source=SAMPLE_SOURCE)
    click.echo(f"示例花名册 {count} 人已载入（示例数据 SAMPLE DATA）。")


@staff.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_workspace
def import_(ws, file) -> None:
    """导入区里的花名册（.xlsx / .csv，中文或英文列名）；有误则整体不导入。"""
    from gis.staff.roster import load_roster, read_roster_file

    count = load_roster(ws.ledger, read_roster_file(file), _grid_towns(ws), user=ws.user, source=f"import: {file.name}",
                        file=str(file))
    click.echo(f"花名册 {count} 人已导入。")


@staff.command("posts")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_workspace("data_dir", "user")
def posts(ws, file) -> None:
    """登记其他公益性岗位人员（护林员、保洁员…），列：person_id/人员识别号、post/岗位。"""
    import pandas as pd

    from gis.errors import InputError
    from gis.reports.writers import header_row
    from gis.staff.roster import add_other_posts

    try:
        frame = pd.read_excel(file, dtype=str, header=header_row(file)) if file.suffix.lower() == ".xlsx" else \
            pd.read_csv(file, dtype=str, encoding="utf-8-sig")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"无法读取：{exc}", file=str(file)) from None
    count = add_other_posts(ws.ledger, frame.fillna(""), user=ws.user, file=str(file))
    click.echo(f"已登记 {count} 人。")


@staff.command("list")
@click.option("--town", default=None)
@out_option
@pass_workspace("data_dir")
def list_(ws, town, out) -> None:
    """花名册（按镇筛选、导出）。"""
    from gis.labels import with_labels
    from gis.schema import STAFF_COLUMNS, STAFF_ROLES, STAFF_STATUSES
    from gis.staff.roster import roster

    frame = with_labels(roster(ws.ledger), {"role": STAFF_ROLES, "status": STAFF_STATUSES})
    if town:
        frame = frame.loc[frame["town"] == town]
    if not out and len(frame):
        click.echo("；".join(f"{t} {n} 人" for t, n in frame.groupby("town").size().items()) + f"；共 {len(frame)} 人")
    show_or_export(frame[list(STAFF_COLUMNS)].rename(columns=STAFF_COLUMNS), out, sheet="花名册", title="花名册",
                   empty="花名册为空；用 miyun-gis staff import 或 staff load-sample 载入。", unit="人")


@staff.command("reevaluations")
@click.option("--date", "on", type=DAY, default=None, help="以此日期计（默认今天），列出 90 天内到期的三年评议。")
@pass_workspace("data_dir")
def reevaluations(ws, on) -> None:
    """三年一评：到期或将到期的保水员。"""
    from gis.localtime import parse_day, today_local
    from gis.staff.roster import reevaluations_due

    day = parse_day(on, field="--date") if on else today_local()
    frame = reevaluations_due(ws.ledger, day)
    if frame.empty:
        click.echo(f"截至 {day}，90 天内没有到期的评议。")
    else:
        click.echo("；".join(f"{t} {n} 人" for t, n in frame.groupby("town").size().items()))
        show_table(frame[["staff_id", "town", "grid_id", "evaluated_on", "due_on"]], f"待评议 {len(frame)} 人", 20)


@staff.command("deduct")
@click.argument("staff_id")
@click.option("--kind", required=True, type=click.Choice(list(DEDUCTION_KINDS)),
              help="；".join(f"{k} {v[1]} −{v[0]}" for k, v in DEDUCTION_KINDS.items()))
@click.option("--date", "occurred_on", type=DAY, required=True, help="发生日期 YYYY-MM-DD。")
@click.option("--evidence", required=True, help="证据：时间、地点、情况、照片或证人。")
@click.option("--case", "case_id", default=None, help="关联案件编号（漏报、迟报）。")
@pass_workspace("data_dir", "user")
def deduct(ws, staff_id, kind, occurred_on, evidence, case_id) -> None:
    """记录扣分。"""
    from gis.staff.deductions import record

    done = record(ws.ledger, user=ws.user, staff_id=staff_id, kind=kind,
                  occurred_on=occurred_on, evidence=evidence, case_id=case_id)
    click.echo(f"扣分记录 {done['deduction_id']}：{staff_id} −{done['points']}（{DEDUCTION_KINDS[kind][1]}）")


@staff.command("appeal")
@click.argument("deduction_id", type=RECORD_ID)
@click.option("--note", required=True, help="申诉理由。")
@pass_workspace("data_dir", "user")
def appeal(ws, deduction_id, note) -> None:
    """保水员申诉：申诉期间该扣分不计。"""
    from gis.staff.deductions import appeal as appeal_deduction

    appeal_deduction(ws.ledger, deduction_id, user=ws.user, note=note)
    click.echo(f"扣分记录 {deduction_id} 申诉中，暂不计分。")


@staff.command("decide")
@click.argument("deduction_id", type=RECORD_ID)
@click.option("--upheld/--overturned", required=True, help="维持扣分 / 撤销扣分。")
@click.option("--date", "on", type=DAY, default=None, help="处理日期（默认今天）。")
@pass_workspace("data_dir", "user")
def decide(ws, deduction_id, upheld, on) -> None:
    """处理申诉。"""
    from gis.staff.deductions import decide as decide_appeal

    decide_appeal(ws.ledger, deduction_id, user=ws.user, upheld=upheld, on=on)
    click.echo(f"扣分记录 {deduction_id}：{'维持扣分' if upheld else '撤销扣分'}。")


@staff.command("dismissals")
@click.option("--year", type=YEAR, required=True)
@pass_workspace("data_dir")
def dismissals(ws, year) -> None:
    """年度累计扣分达 3 分、考核不合格应辞退的保水员。"""
    from gis.staff.deductions import dismissal_list
    from gis.reports.staff import STAFF_POINT_COLUMNS

    frame = dismissal_list(ws.ledger, year)
    if frame.empty:
        click.echo(f"{year} 年没有累计扣分达 3 分的保水员。")
    else:
        show_table(frame.drop(columns="failed").rename(columns=STAFF_POINT_COLUMNS), f"{year} 年应辞退 {len(frame)} 人")


@staff.command("absences")
@click.option("--date", "day", type=DAY, required=True, help="日期 YYYY-MM-DD。")
@out_option
@pass_workspace("data_dir")
def absences(ws, day, out) -> None:
    """由轨迹提出的疑似缺岗名单（班次内本网格无定位），须经管理人员核实后才扣分。"""
    from gis.localtime import parse_day
    from gis.reports.writers import reports_dir
    from gis.staff.deductions import candidate_absences
    from gis.staff.roster import roster

    parse_day(day, field="--date")
    staff_on_roster = roster(ws.ledger)
    if staff_on_roster.empty:
        click.echo("花名册为空；先载入花名册。")
        return
    frame = candidate_absences(ws.data_dir, staff_on_roster, day)
    columns = {"date": "日期", "staff_id": "保水员编号", "town": "镇", "grid_id": "网格编号", "shift_hours": "班次",
               "fixes_that_day": "当日定位点数", "reason": "疑似缺岗原因"}
    emit({"疑似缺岗": frame[list(columns)].rename(columns=columns)}, out,
         reports_dir(ws.data_dir) / f"absences-{day}.xlsx", f"{day} 疑似缺岗 {len(frame)} 人（待核实，不自动扣分）")


@click.group("assess")
def assess() -> None:
    """各镇年度考核（满分 100）：工作机制、保水员、履职结果。"""


@assess.command("mechanism")
@click.option("--town", required=True)
@click.option("--year", type=YEAR, required=True)
@click.option("--item", type=click.IntRange(1, 9), required=True,
              help="；".join(f"{n} {name}（{w} 分）" for n, w, name in MECHANISM_ITEMS))
@click.option("--score", type=float, required=True)
@click.option("--evidence", required=True, help="评分依据。")
@pass_workspace("data_dir", "user")
def mechanism(ws, town, year, item, score, evidence) -> None:
    """为工作机制建设某一项评分。"""
    from gis.staff.assessment import score_mechanism

    score_mechanism(ws.ledger, user=ws.user, town=town, year=year, item=item, score=score,
                    evidence=evidence)
    click.echo(f"{town} {year} 年工作机制第 {item} 项：{score} 分。")


@assess.command("event")
@click.option("--town", required=True)
@click.option("--event", type=click.Choice(list(RESULT_EVENTS)), required=True,
              help="；".join(f"{k} {v}" for k, v in RESULT_EVENTS.items()))
@click.option("--date", "occurred_on", type=DAY, required=True)
@click.option("--evidence", required=True)
@pass_workspace("data_dir", "user")
def event(ws, town, event, occurred_on, evidence) -> None:
    """记录履职结果否决事项（当年履职结果 20 分全扣）。"""
    from gis.staff.assessment import record_result_event

    done = record_result_event(ws.ledger, user=ws.user, town=town, event=event,
                               occurred_on=occurred_on, evidence=evidence)
    click.echo(f"{town} {done['year']} 年：{RESULT_EVENTS[event]}，履职结果 20 分全扣。")


@assess.command("report")
@click.option("--year", type=YEAR, required=True)
@out_option
@pass_workspace("data_dir")
def assess_report(ws, year, out) -> None:
    """各镇考核得分、保水员扣分与辞退名单、扣分明细。"""
    from gis.reports.writers import reports_dir
    from gis.reports.staff import assessment_sheets

    emit(assessment_sheets(ws.ledger, year), out, reports_dir(ws.data_dir) / f"assessment-{year}.xlsx",
         report_title("assessment", year=year))


@click.command("funds")
@click.option("--year", type=YEAR, required=True)
@click.option("--quarter", type=click.IntRange(1, 4), default=None, help="只列该季度劳务补贴拨付。")
@click.option("--spent", multiple=True, metavar="镇=元", help="年终审计认定的运行保障费支出（可多次），用于计算审计后拨付。")
@click.option("--reserve-used", multiple=True, metavar="年度=元", help="各年应急费用使用额（可多次），用于计算结转。")
@out_option
@pass_workspace("layers", "data_dir")
def funds(ws, year, quarter, spent, reserve_used, out) -> None:
    """年度网格化管理资金安排（劳务补贴、保险、运行、宣传、培训、应急）与季度拨付。"""
    from gis.reports.writers import reports_dir
    from gis.reports.staff import funds_sheets, quarterly_sheets

    if quarter:
        emit(quarterly_sheets(ws.ledger, year, quarter), out,
             reports_dir(ws.data_dir) / f"subsidy-{year}-Q{quarter}.xlsx", report_title("subsidy", year=year, quarter=quarter))
        return
    audited = {k: float(v) for k, v in _pairs(spent, "--spent").items()} if spent else None
    used = {int(k): float(v) for k, v in _pairs(reserve_used, "--reserve-used").items()}
    sheets, basis = funds_sheets(ws.ledger, ws.layers, year, audited_spend=audited, reserve_used=used)
    click.echo(basis)
    emit(sheets, out, reports_dir(ws.data_dir) / f"funds-{year}.xlsx", report_title("funds", year=year))
