"""Options shared by every subcommand, and the workspace they describe.

The ``miyun-gis`` group takes ``--layers``, ``--data-dir`` and ``--user`` and builds one
:class:`~gis.workspace.Workspace` from them and the validated settings (``ctx.obj``).
A command decorated with :func:`pass_workspace` receives it as its first argument; the same
options given after the command's name take precedence, as they always have.
"""

from __future__ import annotations

import functools
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
# in pass_workspace: no default here, so that the group's --user and the settings apply
_user_override = click.option("--user", "user", default=None, show_default="MIYUN_USER 或登录名",
                              help="记入审计日志的操作人。")
WORKSPACE_OPTIONS = {"layers": layers_option, "data_dir": data_dir_option, "user": _user_override}


def workspace(layers: Path | None, data_dir: Path | None):
    """The installation's layers and data directory, as the options and environment give them."""
    return current_workspace(layers=layers, data_dir=data_dir)


def current_workspace(*, layers: Path | None = None, data_dir: Path | None = None, user: str | None = None):
    """The group's workspace (``ctx.obj``), or one from the settings outside the group, with a
    command's own ``--layers``/``--data-dir``/``--user`` taking precedence."""
    from gis.workspace import Workspace

    ctx = click.get_current_context(silent=True)
    base = ctx.find_object(Workspace) if ctx is not None else None
    if base is None:
        base = Workspace.from_settings(get_settings())
    return base.but(layers=layers, data_dir=data_dir, user=user)


def pass_workspace(*which: str):
    """Give a command the workspace as its first argument, with the options that may override it.

    ``@pass_workspace`` adds ``--layers``, ``--data-dir`` and ``--user``;
    ``@pass_workspace("layers")`` only those named.  Replaces the repeated
    ``@layers_option @data_dir_option @user_option`` and ``workspace(layers, data_dir)``.
    """
    if len(which) == 1 and callable(which[0]):
        return pass_workspace()(which[0])
    names = which or tuple(WORKSPACE_OPTIONS)

    def decorate(f):
        @functools.wraps(f)
        def run(*args, **kwargs):
            overrides = {name: kwargs.pop(name, None) for name in names}
            ws = current_workspace(**overrides)
            ctx = click.get_current_context(silent=True)
            if ctx is not None:
                ctx.obj = ws  # what the command writes (workbooks' sample mark …) follows its own options
            return f(ws, *args, **kwargs)

        for name in reversed(names):
            run = WORKSPACE_OPTIONS[name](run)
        return run

    return decorate


def group_workspace_options(f):
    """The group's ``--layers``, ``--data-dir`` and ``--user`` (for every command)."""
    for name in reversed(WORKSPACE_OPTIONS):
        f = WORKSPACE_OPTIONS[name](f)
    return f


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


class _BoundedInteger(_Bounded):
    """A bounded whole number: text that is no integer at all is refused in Click's own (Chinese) words,
    "'--year' 的值无效：'abc' 不是有效的整数。" with the help hint, like every other option; an integer
    out of the product's bounds is the product's one-line error."""

    def convert(self, value, param, ctx):
        if isinstance(value, str):
            value = click.INT.convert(value, param, ctx)
        return super().convert(value, param, ctx)


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
YEAR = _BoundedInteger("YYYY", _integer(_limits().YEAR_MIN, _limits().YEAR_MAX, "年份"))
RECORD_ID = _BoundedInteger("ID", _integer(1, _limits().MAX_ID, "编号"))
COUNT = _BoundedInteger("N", _integer(0, _limits().MAX_COUNT, "数量"))
