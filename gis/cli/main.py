"""``miyun-gis``: the group, error reporting, and the list of subcommands."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gis.cli import zh
from gis.cli.options import group_workspace_options
from gis.errors import MiyunError

zh.install()  # click's own usage, help and error words in Chinese


def fail(message: str, code: int = 2) -> None:
    """Every error of every command: one red line ``错误：…`` on stderr, exit status 2."""
    click.secho(f"错误：{message}", fg="red", err=True)
    sys.exit(code)


class Group(click.Group):
    """A click group that reports product errors and click's usage errors in one line, without a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except MiyunError as err:
            fail(str(err))

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as err:
            hint = f"（用 {err.ctx.command_path} --help 查看用法）" if err.ctx is not None else ""
            fail(" ".join(err.format_message().split()).replace("'.", "'。") + hint)
        except click.ClickException as err:
            fail(" ".join(err.format_message().split()))
        except click.Abort:
            fail("已中止。", 1)
        except MiyunError as err:  # raised while parsing (an option's callback)
            fail(str(err))


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]}, options_metavar="[选项]",
             subcommand_metavar="命令 [参数]...")
@click.version_option(package_name="miyun-gis", help="显示版本并退出。")
@group_workspace_options
@click.pass_context
def cli(ctx: click.Context, layers: Path | None, data_dir: Path | None, user: str | None) -> None:
    """密云水库水源保护网格化管理 GIS (Miyun water-protection grid GIS)。

    每个命令的用法：miyun-gis 命令 --help。图层取 --layers，否则环境变量 MIYUN_LAYERS，否则 layers/miyun.gpkg。
    """
    from gis.settings import get_settings
    from gis.workspace import Workspace

    # every MIYUN_* variable checked here, before any command runs; the one workspace of the run
    ctx.obj = Workspace.from_settings(get_settings(), layers=layers, data_dir=data_dir, user=user)


def _register() -> None:
    from importlib.metadata import entry_points

    from gis.cli import cases, compact, demo, devices, gates, layers, relocation, reports, staff, tracks, users

    for command in (layers.build_sample, layers.validate, layers.import_layer, layers.info,
                    layers.catalogue, tracks.tracks, tracks.simulate_tracks, cases.cases, reports.report,
                    reports.reconcile, gates.gates, staff.staff, staff.assess, staff.funds,
                    relocation.relocation, users.users, demo.demo, devices.devices):
        cli.add_command(command)
    tracks.tracks.add_command(compact.compact)  # miyun-gis tracks compact: live fixes into the store
    # commands of the packages built on gis (maps, api) plug in here
    for entry in entry_points(group="miyun_gis.commands"):
        cli.add_command(entry.load(), name=entry.name)
    zh.localise_metavars(cli)


_register()


if __name__ == "__main__":
    cli()
