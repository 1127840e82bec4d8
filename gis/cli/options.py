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
    import getpass
    import os

    return os.environ.get("MIYUN_USER") or getpass.getuser()


user_option = click.option("--user", "user", default=_default_user, show_default="MIYUN_USER 或登录名",
                           help="记入审计日志的操作人。")


def workspace(layers: Path | None, data_dir: Path | None):
    """The installation's layers and data directory, as the options and environment give them."""
    from gis.workspace import Workspace

    return Workspace(resolve_layers(layers), resolve_data_dir(data_dir))


class _Bounded(click.ParamType):
    """A value parsed by the product's one parser (``gis.localtime``, ``gis.limits``): a bad value is an
    :class:`~gis.errors.InputError`, printed in one line with exit 2 like every product error."""

    def __init__(self, name: str, parse):
        self.name = name
        self._parse = parse

    def convert(self, value, param, ctx):
        if value is None or not isinstance(value, str) and not isinstance(value, int):
            return value
        field = param.opts[0] if param is not None and param.opts else (param.name if param else self.name)
        return self._parse(value, field)


def _day(value, field):
    from gis.localtime import day_text

    return day_text(value, field=field)


def _month(value, field):
    from gis.localtime import month_first

    return month_first(value, field=field).strftime("%Y-%m")


def _integer(low: int, high: int, what: str):
    def parse(value, field):
        from gis.errors import InputError

        try:
            number = int(str(value).strip())
        except ValueError:
            raise InputError(f"{what}应为整数，收到 {value!r}", field=field, value=value) from None
        if not low <= number <= high:
            raise InputError(f"{what} {value} 超出范围（{low}–{high}）", field=field, value=value)
        return number
    return parse


def _limits():
    from gis import limits

    return limits


DAY = _Bounded("YYYY-MM-DD", _day)  # ISO days only: 01-12-2026 is refused, never read as 2026-01-12
MONTH = _Bounded("YYYY-MM", _month)
YEAR = _Bounded("YYYY", _integer(_limits().YEAR_MIN, _limits().YEAR_MAX, "年份"))
RECORD_ID = _Bounded("ID", _integer(1, _limits().MAX_ID, "编号"))
COUNT = _Bounded("N", _integer(0, _limits().MAX_COUNT, "数量"))
