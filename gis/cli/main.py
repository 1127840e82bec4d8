"""``miyun-gis``: the group, error reporting, and the list of subcommands."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gis.cli.options import group_workspace_options
from gis.errors import MiyunError


class Group(click.Group):
    """A click group that reports product errors in one line, without a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except MiyunError as err:
            click.secho(f"错误：{err}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="miyun-gis")
@group_workspace_options
@click.pass_context
def cli(ctx: click.Context, layers: Path | None, data_dir: Path | None, user: str | None) -> None:
    """密云水库水源保护网格化管理 GIS (Miyun water-protection grid GIS)."""
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


_register()


if __name__ == "__main__":
    cli()
