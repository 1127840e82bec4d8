"""``miyun-gis print``: grid map printouts for field teams.

Registered with the ``miyun-gis`` group through the ``miyun_gis.commands`` entry
point (pyproject.toml), so that ``gis`` never imports ``maps``.
"""

from __future__ import annotations

from pathlib import Path

import click

from gis.cli.options import pass_workspace, quiet_option


@click.command("print")
@click.option("--grid", "grid_id", default=None, help="网格编号，如 XWZ-K05。")
@click.option("--town", default=None, help="镇名，如 溪翁庄：封面（全镇图与网格索引）+ 每个网格一页。")
@click.option("--all", "all_", is_flag=True, help="全部 160 个网格：每镇一个 PDF（或用 --book 合成一册）。")
@click.option("--book", is_flag=True, help="与 --all 一起：合成一个 PDF。")
@click.option("--size", type=click.Choice(["A4", "A3"]), default="A4", show_default=True)
@click.option("--orientation", type=click.Choice(["portrait", "landscape"]), default="portrait", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="输出 PDF（--all 时为目录）；默认 data/printouts/。")
@pass_workspace("layers", "data_dir")
@quiet_option
def print_(ws, grid_id, town, all_, book, size, orientation, out, quiet) -> None:
    """打印网格图（矢量 PDF，内嵌中文字体）。"""
    from gis.errors import InputError
    from maps.printout import Atlas, Page, print_all, print_grid, print_town

    if sum(bool(v) for v in (grid_id, town, all_)) != 1:
        raise InputError("请只指定 --grid、--town、--all 之一", field="--grid/--town/--all")
    atlas = Atlas(ws.layers, data_dir=ws.data_dir)
    page = Page(size, orientation)
    folder = ws.data_dir / "printouts"
    if grid_id:
        paths = [print_grid(atlas, grid_id, out or folder / f"{grid_id}.pdf", page)]
    elif town:
        paths = [print_town(atlas, town, out or folder / f"{town}镇保水网格图册.pdf", page)]
    else:
        paths = print_all(atlas, out or folder, page, book=book)
    if not quiet:
        for path in paths:
            click.echo(str(path))
