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


def _default_user() -> str:
    return get_settings().operator


user_option = click.option("--user", "user", default=_default_user, show_default="MIYUN_USER 或登录名",
                           help="记入审计日志的操作人。")


def workspace(layers: Path | None, data_dir: Path | None):
    """The installation's layers and data directory, as the options and environment give them."""
    from gis.workspace import Workspace

    return Workspace(resolve_layers(layers), resolve_data_dir(data_dir))
