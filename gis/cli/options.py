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
