"""Options shared by every subcommand."""

from __future__ import annotations

from pathlib import Path

import click

from gis.settings import get_settings

layers_option = click.option(
    "--layers", "layers", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="图层 GeoPackage；默认取环境变量 MIYUN_LAYERS，否则 layers/miyun.gpkg。",
)
quiet_option = click.option("--quiet", "-q", is_flag=True, help="只输出错误 (for scripts)。")


def resolve_layers(layers: Path | None) -> Path:
    """``--layers``, else ``MIYUN_LAYERS``, else ``layers/miyun.gpkg``."""
    return get_settings(layers).layers

data_dir_option = click.option(
    "--data-dir", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="可写数据目录（台账、轨迹、报表）；默认取环境变量 MIYUN_DATA_DIR，否则 data/。",
)


def resolve_data_dir(data_dir: Path | None) -> Path:
    """``--data-dir``, else ``MIYUN_DATA_DIR``, else ``data/``."""
    return Path(data_dir) if data_dir else get_settings().data_dir
