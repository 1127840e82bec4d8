"""Track commands: ``tracks import``, ``tracks daily``, ``simulate-tracks``."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from gis.cli.options import pass_workspace, quiet_option
from gis.errors import InputError


def _date(_ctx, param, value):
    """ISO days only (``YYYY-MM-DD`` or ``YYYY/MM/DD``): ``01-12-2026`` is refused, never read as 2026-01-12."""
    from gis.localtime import day_text

    return None if value is None else day_text(value, field=param.opts[0])


@click.group("tracks")
def tracks() -> None:
    """巡查轨迹：导入、日报。"""


@tracks.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--staff", default=None, help="保水员编号（文件中没有时）。")
@click.option("--crs", default=None, help="坐标系：EPSG:nnnn、gcj02 或 bd09（默认 WGS84）。")
@click.option("--max-speed", default=25.0, show_default=True, help="超过此速度（米/秒）的跳点标记为异常。")
@pass_workspace
@quiet_option
def import_(ws, files, staff, crs, max_speed, quiet) -> None:
    """导入 GPX / CSV / GeoJSON 轨迹文件（可多个）。"""
    from gis.join import GridIndex
    from gis.ledger.db import Ledger
    from gis.tracks.importer import import_file

    missing = [str(p) for p in files if not Path(p).exists()]
    if missing:
        raise InputError(f"文件不存在 (file not found)：{'、'.join(missing)}；未导入任何文件")
    index = GridIndex.from_layers(ws.layers)
    failed = 0
    for path in files:
        result = import_file(path, index, ws.data_dir, staff=staff, crs=crs, max_speed=max_speed, user=ws.user)
        if result.stored:
            Ledger.in_dir(ws.data_dir).note(ws.user, "tracks", Path(path).name,
                                            "replaced" if result.replaced else "imported",
                                            f"{result.stored} fixes")
        for notice in result.notices:
            if not quiet or notice.level == "warning":
                click.echo(str(notice), err=notice.level == "warning")
        if result.failed:
            failed += 1
        elif not result.skipped and not quiet:
            click.echo(f"{result.file}：存储 {result.stored} 个点，其中异常 {result.flagged} 个。")
    if failed:
        raise SystemExit(1)


@tracks.command("daily")
@click.option("--date", "day", required=True, callback=_date, help="日期 YYYY-MM-DD（北京时间）。")
@click.option("--to", "until", default=None, callback=_date, help="到此日期（含），逐日计算。")
@click.option("--engine", type=click.Choice(["memory", "dask"]), default="memory", show_default=True)
@click.option("--scheduler", default=None, help="Dask 调度器地址（默认本机 LocalCluster）。")
@pass_workspace("layers", "data_dir")
@quiet_option
def daily_(ws, day, until, engine, scheduler, quiet) -> None:
    """网格与保水员日报：里程、时长、无人时段、覆盖率、界桩、进出口、异常证据。"""
    from gis.intake.compact import day_status
    from gis.cli.tables import workspace_is_sample
    from gis.reports.writers import reports_dir
    from gis.tracks.daily import write_reports
    from gis.tracks.pipeline import load_reference, run_daily, run_days_dask

    if until and until < day:
        from gis.errors import InputError

        raise InputError(f"--to {until} 早于 --date {day}", field="--to")
    days = [d.strftime("%Y-%m-%d") for d in pd.date_range(day, until or day)]
    layers_path, data = ws.layers, ws.data_dir
    if engine == "dask":
        grid, staff = run_days_dask(days, layers_path, data, scheduler)
        for d in days:
            paths = write_reports(reports_dir(data), d, grid[grid["date"] == d], staff[staff["date"] == d],
                                  sample=workspace_is_sample())
            if not quiet:
                click.echo(f"{d}：{', '.join(str(p) for p in paths)}")
        return
    ref = load_reference(layers_path)
    for d in days:
        grid, staff, paths = run_daily(d, ref, data)
        if not quiet:
            watched = int((grid["uncovered_hours"] == 0).sum())
            suspects = int((staff["fake_score"] > 0).sum()) if "fake_score" in staff else 0
            click.echo(f"{d}：{len(staff)} 名保水员有轨迹；{watched}/{len(grid)} 个网格 24 小时有人；"
                       f"虚假巡查疑点 {suspects} 人（待核实，不自动扣分）；"
                       f"报表 {', '.join(str(p) for p in paths)}")
            live = day_status(data, d)
            if live and live["note"]:
                click.echo(f"{d}：{live['note']}")


@tracks.command("export")
@click.option("--date", "day", required=True, callback=_date, help="日期 YYYY-MM-DD（北京时间）。")
@click.option("--to", "until", default=None, callback=_date, help="到此日期（含）。")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="GeoPackage 文件（默认 报表目录/tracks-日期.gpkg）。")
@pass_workspace("data_dir")
def export_(ws, day, until, out) -> None:
    """导出轨迹为 GeoPackage（定位点 + 每人每日轨迹线，已配样式；QGIS 3.22 / GDAL 3.6 可直接打开）。"""
    from gis.reports.writers import reports_dir
    from gis.tracks.export import export_tracks

    data = ws.data_dir
    out = out or reports_dir(data) / (f"tracks-{day}" + (f"_{until}" if until and until != day else "") + ".gpkg")
    fixes, lines = export_tracks(data, day, until, out)
    click.echo(f"{fixes} 个定位点、{lines} 条轨迹线 → {out}")


@click.command("simulate-tracks")
@click.option("--date", "day", required=True, callback=_date, help="日期 YYYY-MM-DD（北京时间）。")
@click.option("--staff", "n_staff", type=click.IntRange(1, None), default=None, help="模拟人数（默认全部 2150 人）。")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="只写出 CSV 文件，不存入轨迹库。")
@pass_workspace("layers", "data_dir")
@quiet_option
def simulate_tracks(ws, day, n_staff, out, quiet) -> None:
    """在示例图层上模拟一天的巡查轨迹（合成数据，标记为 synthetic）。"""
    from gis.tracks.pipeline import simulate_and_store
    from gis.layers.validate import ensure_valid

    layers_path = ensure_valid(ws.layers)
    count, notices = simulate_and_store(day, layers_path, ws.data_dir, n_staff, out)
    for notice in notices:
        click.echo(str(notice))
    if not quiet:
        click.echo(f"模拟轨迹 {count} 个点" + (f" → {out}" if out else "（已存入轨迹库，标记为合成数据）"))
