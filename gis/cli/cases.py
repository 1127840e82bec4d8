"""Case ledger commands: ``cases add | update | show | list | overdue | evidence | export | utility-list``."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from gis.cli.options import DAY, MONTH, RECORD_ID, pass_workspace
from gis.cli.tables import show_or_export
from gis.labels import CASE_LABELS, status_label
from gis.schema import (
    CASE_COLUMNS,
    CASE_SOURCES,
    CASE_STATUSES,
    CONSTRUCTION_KINDS,
    DUTIES,
    DUTIES_TITLE,
    ORDER_KINDS,
    UTILITY_PROVIDERS,
    VILLAGES,
)

LIST_FIELDS = ("case_id", "town", "grid_id", "category", "status", "reported_at", "deadline", "repeat_of")


LABELS = CASE_LABELS
YES_NO = ("in_zone_l1", "in_river_corridor", "in_hazard_zone", "inside_fence")


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Case rows for people: local times, Chinese labels and headers."""
    from gis.localtime import local_text

    out = frame.copy()
    if "reported_at" in out:
        out["reported_at"] = out["reported_at"].map(local_text)
    for column, labels in LABELS.items():
        if column in out:
            out[column] = out[column].map(lambda v, labels=labels: labels.get(v, v))
    for column in YES_NO:
        if column in out:
            out[column] = out[column].map({1: "是", 0: "否"})
    return out.rename(columns=CASE_COLUMNS)


@click.group("cases")
def cases() -> None:
    """案件台账：登记、办理、查询、逾期。"""


@cases.command("add")
@click.option("--category", required=True, type=click.Choice(list(DUTIES)), help=f"{DUTIES_TITLE}类别。")
@click.option("--source", default="patrol", show_default=True, type=click.Choice(list(CASE_SOURCES)))
@click.option("--reporter", required=True, help="上报人：保水员编号或单位。")
@click.option("--lon", type=float, default=None)
@click.option("--lat", type=float, default=None)
@click.option("--geometry", "geometry_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="GeoJSON 文件（一个点或面），代替 --lon/--lat。")
@click.option("--crs", default=None, help="坐标系：EPSG:nnnn、gcj02 或 bd09（默认 WGS84）。")
@click.option("--time", "reported_at", default=None, help="发现时间（无时区按北京时间；默认现在）。")
@click.option("--description", default="", help="情况描述。")
@click.option("--subtype", type=click.Choice(list(CONSTRUCTION_KINDS)), default=None, help="违建类型。")
@click.option("--deadline", type=DAY, default=None, help="办理期限 YYYY-MM-DD（非违建案件）。")
@click.option("--unit", "responsible_unit", default=None, help="责任单位。")
@click.option("--clue", "clue_id", default=None, help="卫片线索编号。")
@click.option("--evidence", "photos", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="现场照片（可多次）。")
@pass_workspace
def add(ws, category, source, reporter, lon, lat, geometry_file, crs, reported_at, description, subtype, deadline,
        responsible_unit, clue_id, photos) -> None:
    """登记新案件；自动判定网格、镇和保护区。"""
    from gis.ledger.evidence import check_image
    from gis.ledger.location import read_geometry_file

    images = [(p.name, _read(p)) for p in photos]
    for name, data in images:  # refuse bad photos before anything is stored
        check_image(data, name)
    geometry = read_geometry_file(geometry_file) if geometry_file else None
    case = ws.cases.add(user=ws.user, category=category, source=source, reporter=reporter, lon=lon, lat=lat,
                        geometry=geometry, crs=crs, reported_at=reported_at, description=description,
                        subtype=subtype, deadline=deadline, responsible_unit=responsible_unit, clue_id=clue_id)
    _attach(ws, case["case_id"], images, ws.user)
    where = case["grid_id"] or f"网格外（最近网格 {case['nearest_grid_id']}，{case['nearest_grid_m']} 米）"
    click.echo(f"已登记 {case['case_id']}：{case['town'] or '—'} {where}，状态 {CASE_STATUSES[case['status']]}")
    if case["repeat_of"]:
        click.secho(f"屡拆屡建：距已拆除案件 {case['repeat_of']} 不足 30 米，依法从重处理。", fg="yellow")


def _read(path: Path) -> bytes:
    from gis.errors import InputError

    if not path.exists():
        raise InputError("文件不存在 (file not found)", file=str(path))
    return path.read_bytes()


def _attach(ws, case_id: str, images: list[tuple[str, bytes]], user: str) -> None:
    from gis.ledger.evidence import add_evidence

    for name, data in images:
        add_evidence(ws.ledger, ws.evidence_dir, case_id, name, data, user=user)


@cases.command("update")
@click.argument("case_id")
@click.option("--status", type=click.Choice(list(CASE_STATUSES)), default=None, help="新状态。")
@click.option("--order", "order_kind", type=click.Choice(list(ORDER_KINDS)), default=None,
              help="改为 ordered 时下达的通知书：stop 责令停止 / correction 责令改正。")
@click.option("--time", "at", default=None, help="办理时间（无时区按北京时间；默认现在）。")
@click.option("--deadline", type=DAY, default=None, help="延后期限 YYYY-MM-DD（不能提前）。")
@click.option("--unit", "responsible_unit", default=None, help="责任单位（移交时必填）。")
@click.option("--description", default=None)
@click.option("--note", default="", help="办理说明。")
@click.option("--version", "expected_version", type=RECORD_ID, default=None,
              help="所依据的版本；他人已修改时拒绝。")
@click.option("--evidence", "photos", multiple=True, type=click.Path(dir_okay=False, path_type=Path))
@pass_workspace
def update(ws, case_id, status, order_kind, at, deadline, responsible_unit, description, note, expected_version,
           photos) -> None:
    """办理案件：改状态、下达通知书、延期、移交、补充照片。"""
    from gis.ledger.evidence import check_image

    images = [(p.name, _read(p)) for p in photos]
    for name, data in images:
        check_image(data, name)
    case = ws.cases.update(case_id, user=ws.user, status=status, at=at, note=note, order_kind=order_kind,
                           deadline=deadline, responsible_unit=responsible_unit, description=description,
                           expected_version=expected_version)
    _attach(ws, case_id, images, ws.user)
    due = f"，期限 {case['deadline']}" if case["deadline"] else ""
    click.echo(f"{case_id}：{CASE_STATUSES[case['status']]}{due}（版本 {case['version']}）")


@cases.command("show")
@click.argument("case_id")
@pass_workspace("data_dir")
def show(ws, case_id) -> None:
    """案件详情与办理记录。"""
    from gis.localtime import local_text

    case = ws.cases.get(case_id)
    row = readable(pd.DataFrame([{k: case.get(k) for k in CASE_COLUMNS}])).iloc[0]
    for label, value in row.items():
        if not pd.isna(value) and value != "":
            click.echo(f"{label}：{value}")
    click.echo("办理记录：")
    for event in case["history"]:
        click.echo(f"  {local_text(event['at'])} {event['user']} {status_label(event['from_status'])} → "
                   f"{status_label(event['to_status'])} {event['note']}".rstrip())
    for item in case["evidence"]:
        click.echo(f"  照片 {item['filename']} ({item['format']}, {item['bytes']} 字节)")


@cases.command("list")
@click.option("--status", type=click.Choice(list(CASE_STATUSES)), default=None)
@click.option("--category", type=click.Choice(list(DUTIES)), default=None)
@click.option("--town", default=None)
@click.option("--month", type=MONTH, default=None, help="上报月份 YYYY-MM。")
@click.option("--open", "open_only", is_flag=True, help="只列未结案件。")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="导出 .xlsx 或 .csv。")
@pass_workspace("data_dir")
def list_(ws, status, category, town, month, open_only, out) -> None:
    """列出案件（可筛选、导出）。"""
    from gis.localtime import parse_month
    from gis.lookup import check_town

    frame = ws.cases.frame(
        status=status, category=category, town=check_town(town) if town else None,
        month=parse_month(month) if month else None, open_only=open_only)
    fields = [c for c in CASE_COLUMNS if c in frame] if out else list(LIST_FIELDS)
    show_or_export(readable(frame[fields]), out, sheet="案件台账", title=f"案件 {len(frame)} 件",
                   empty="台账中没有符合条件的案件。", unit="件")


@cases.command("overdue")
@click.option("--date", "on", type=DAY, default=None, help="以此日期（北京时间）计，默认今天。")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="导出 .xlsx 或 .csv。")
@pass_workspace("data_dir")
def overdue(ws, on, out) -> None:
    """逾期案件：逾期天数与应启动的督办措施。"""
    from gis.localtime import parse_day, today_local
    from gis.schema import OVERDUE_COLUMNS

    from gis.ledger.visits import with_visits

    day = parse_day(on, field="--date") if on else today_local()
    frame = with_visits(ws.cases, ws.data_dir, ws.cases.overdue(day), day)
    table = readable(frame[list(OVERDUE_COLUMNS)]).rename(columns=OVERDUE_COLUMNS)
    show_or_export(table, out, sheet="逾期案件", title=f"截至 {day} 逾期案件 {len(frame)} 件",
                   empty=f"截至 {day}，没有逾期案件。", unit="件")


@cases.command("export")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="GeoPackage 文件。")
@pass_workspace("data_dir")
def export(ws, out) -> None:
    """导出案件图层（GeoPackage，QGIS 可打开）。"""
    from gis.ledger.export import export_cases

    count = export_cases(ws.cases, out)
    click.echo(f"{count} 件 → {out}")


@cases.command("utility-list")
@click.option("--provider", type=click.Choice(list(UTILITY_PROVIDERS)), default=None,
              help="供应单位类别（默认全部，各出一份）。")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Excel 输出文件夹（默认 data/reports）。")
@pass_workspace("layers", "data_dir")
def utility_list(ws, provider, out_dir) -> None:
    """水电气热通讯禁止接入清单（密政发〔2022〕19号第八、十九条）：在办违建，较上次的变化。"""
    from gis.cli.tables import workspace_is_sample
    from gis.layers import gpkg
    from gis.ledger.utility import issue

    villages = gpkg.read_layer(ws.layers, VILLAGES.name)
    sample = workspace_is_sample()
    for name in [provider] if provider else UTILITY_PROVIDERS:
        out, current, changed = issue(ws.cases, ws.data_dir, name, villages, sample=sample, out_dir=out_dir)
        added, gone = int((changed["change"] == "新增").sum()), int((changed["change"] == "移出").sum())
        click.echo(f"{name}：禁止接入 {len(current)} 处；较上次新增 {added} 处、移出 {gone} 处 → {out}")
