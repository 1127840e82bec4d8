"""Reference-layer commands: build-sample, validate, import-layer, info."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from gis.cli.options import pass_workspace, quiet_option
from gis.schema import GRIDS, LAYERS

console = Console()


def print_counts(counts: dict[str, int], title: str) -> None:
    table = Table(title=title)
    table.add_column("图层 layer")
    table.add_column("名称")
    table.add_column("要素数", justify="right")
    for layer in LAYERS:
        if layer.name in counts:
            table.add_row(layer.name, layer.title, str(counts[layer.name]))
    console.print(table)


def report_validation(path: Path, quiet: bool) -> bool:
    """Print every problem (or a pass line); True when the layers are fit for use."""
    from gis.layers.validate import validate as run_validation

    found = run_validation(path, warnings=True)
    for warning in (p for p in found if p.warning):
        click.secho(f"警告 warning: {warning}", fg="yellow", err=True)
    problems = [p for p in found if not p.warning]
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.secho(f"{path}: {len(problems)} 个问题，图层不可用 (validation failed)", fg="red", err=True)
    elif not quiet:
        click.secho(f"{path}: 通过校验 (valid)", fg="green")
    return not problems


@click.command("build-sample")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="输出 GeoPackage；默认同 --layers。")
@click.option("--dem", "dem", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="真实高程模型 GeoTIFF（如 Copernicus 30 m），代替合成高程。")
@pass_workspace("layers")
@quiet_option
def build_sample(ws, out: Path | None, dem: Path | None, quiet: bool) -> None:
    """生成示例图层（真实区界、镇驻地、村庄 + 合成要素）并校验。"""
    from gis.sample.build import build_sample as build

    out = out or ws.layers
    with console.status("生成示例图层 building sample layers…", spinner="dots") if not quiet else nullcontext():
        counts = build(out, dem_file=dem)
    if not quiet:
        print_counts(counts, f"示例数据 SAMPLE DATA → {out}")
    if not report_validation(out, quiet):
        raise SystemExit(1)


@click.command("validate")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_workspace("layers")
@quiet_option
def validate(ws, path: Path | None, quiet: bool) -> None:
    """校验图层：缺图层/字段、坐标系、几何、编号、重叠、覆盖、定额、河长。"""
    if not report_validation(path or ws.layers, quiet):
        raise SystemExit(1)


@click.command("import-layer")
@click.argument("layer", type=click.Choice([layer.name for layer in LAYERS]))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--crs", "crs", default=None, help="源数据坐标系：EPSG:nnnn、gcj02 或 bd09。")
@click.option("--map", "mapping", multiple=True, metavar="FIELD=SOURCE",
              help="字段映射：图层字段=源字段，可重复。")
@click.option("--source-layer", default=None, help="源文件中的图层名（多图层 GeoPackage）。")
@click.option("--make-valid", is_flag=True, help="修复无效几何后再校验。")
@pass_workspace
@quiet_option
def import_layer(ws, layer: str, file: Path, crs: str | None, mapping: tuple[str, ...], source_layer: str | None,
                 make_valid: bool, quiet: bool) -> None:
    """用真实数据替换一个图层（坐标转换、字段映射、整体校验、原子替换）。"""
    from gis.layers.replace import import_layer as run_import
    from gis.layers.replace import parse_mapping
    from gis.ledger.db import Ledger

    target = ws.layers
    count = run_import(target, layer, file, crs=crs, mapping=parse_mapping(list(mapping)),
                       source_layer=source_layer, make_valid=make_valid)
    Ledger.in_dir(ws.data_dir).note(ws.user, "layers", layer, "imported",
                                                   f"{count} features from {Path(file).name}")
    if not quiet:
        click.secho(f"已导入 {count} 个要素到 {layer}（{target}），校验通过。", fg="green")


def print_summary(path: Path) -> None:
    """Feature counts per layer, grids per town and kind, and the sample flag."""
    from gis.layers import gpkg

    frames = gpkg.read_layers(path)
    sample = any(gpkg.is_synthetic(frame) for frame in frames.values())
    print_counts({name: len(frame) for name, frame in frames.items()},
                 f"{path}" + ("（示例数据 SAMPLE DATA）" if sample else ""))
    grids = frames.get(GRIDS.name)
    if grids is not None and {"town", "kind", "staff_quota"} <= set(grids.columns):
        from gis.schema import GRID_KINDS

        table = grids.groupby(["town", "kind"]).size().unstack(fill_value=0).rename(columns=GRID_KINDS)
        click.echo(table.rename_axis(index="镇", columns="网格类型").to_string())
        click.echo(f"网格 {len(grids)} 个，保水员定额 {int(grids['staff_quota'].sum())} 人。")


@click.command("info")
@pass_workspace("layers")
def info(ws) -> None:
    """列出图层、要素数、各镇网格，以及是否为示例数据。"""
    print_summary(ws.layers)


@click.command("catalogue")
@click.option("--write", "write", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="把目录写入此 Markdown 文件（替换生成的部分）。")
def catalogue(write: Path | None) -> None:
    """图层目录（图层、几何、字段及中文别名、维护单位、来源），由 schema 生成。"""
    from gis.layers.catalogue import catalogue_markdown, replace_catalogue

    if write is None:
        click.echo(catalogue_markdown())
    else:
        write.write_text(replace_catalogue(write.read_text() if write.exists() else ""))
