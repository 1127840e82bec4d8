"""``miyun-gis demo``: the main job on the built-in sample data."""

from __future__ import annotations

from pathlib import Path

import click

from gis.cli.layers import print_summary, report_validation
from gis.cli.options import layers_option, resolve_layers


@click.command("demo")
@click.option("--rebuild", is_flag=True, help="即使已存在也重新生成示例图层。")
@layers_option
def demo(rebuild: bool, layers: Path | None) -> None:
    """在示例数据上运行：生成（如缺）并校验图层，打印摘要。"""
    from gis.sample.build import build_sample

    path = resolve_layers(layers)
    if rebuild or not path.exists():
        click.echo(f"生成示例图层 → {path}")
        build_sample(path)
    if not report_validation(path, quiet=False):
        raise SystemExit(1)
    print_summary(path)
