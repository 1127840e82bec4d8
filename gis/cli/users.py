"""``miyun-gis users add | list | disable | enable | reset | token``: accounts of the web app.

Run on the server by whoever runs it; each change is recorded in the audit
trail under ``--user``.  Passwords and tokens are printed once and stored only
as hashes.
"""

from __future__ import annotations

import click

from gis.cli.options import pass_workspace
from gis.schema import GRIDS, ROLES


@click.group("users")
def users() -> None:
    """网页用户：新建、列出、停用、重置密码、签发接口令牌。"""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLES)), required=True,
              help="；".join(f"{k} {v}" for k, v in ROLES.items()))
@click.option("--town", default=None, help="镇操作员的所属镇。")
@click.option("--grid", "grid_id", default=None, help="网格保水员的网格编号。")
@pass_workspace
def add(ws, username, role, town, grid_id) -> None:
    """新建用户，打印一次性密码（首次登录须修改）。"""
    from gis.layers import gpkg
    from gis.auth.users import add_user

    grid_towns = None
    if role == "field_staff":
        grids = gpkg.read_layer(ws.layers, GRIDS.name, columns=["grid_id", "town"], read_geometry=False)
        grid_towns = dict(zip(grids["grid_id"], grids["town"]))
    password = add_user(ws.ledger, by=ws.user, username=username, role=role, town=town, grid_id=grid_id,
                        grid_towns=grid_towns)
    click.echo(f"用户 {username}（{ROLES[role]}）已建立。一次性密码（只显示这一次，首次登录须修改）：{password}")


@users.command("list")
@pass_workspace("data_dir")
def list_(ws) -> None:
    """列出用户。"""
    from gis.auth.users import list_users
    from gis.cli.tables import show_table

    rows = list_users(ws.ledger)
    if not rows:
        click.echo("尚无用户；首次启动网页服务时会建立 admin 并打印一次性密码。")
        return
    import pandas as pd

    frame = pd.DataFrame(rows)
    frame["role"] = frame["role"].map(ROLES.short)
    frame["must_change"] = frame["must_change"].map({1: "待改密码", 0: ""})
    frame["disabled"] = frame["disabled"].map({1: "已停用", 0: ""})
    show_table(frame.rename(columns={"username": "用户名", "role": "角色", "town": "镇", "grid_id": "网格",
                                     "must_change": "密码", "disabled": "状态", "created_at": "建立时间",
                                     "created_by": "建立人"}), f"用户 {len(frame)} 个")


@users.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="恢复启用。")
@pass_workspace("data_dir", "user")
def disable(ws, username, enable) -> None:
    """停用用户（其登录和令牌立即失效）。"""
    from gis.auth.users import set_disabled

    set_disabled(ws.ledger, username, by=ws.user, disabled=not enable)
    click.echo(f"用户 {username} 已{'启用' if enable else '停用'}。")


@users.command("reset")
@click.argument("username")
@pass_workspace("data_dir", "user")
def reset(ws, username) -> None:
    """重置密码：打印新的一次性密码，原登录和令牌全部失效。"""
    from gis.auth.users import reset_password

    password = reset_password(ws.ledger, username, by=ws.user)
    click.echo(f"用户 {username} 的一次性密码（只显示这一次）：{password}")


@users.command("token")
@click.argument("username")
@click.option("--name", default="", help="令牌用途，如 手机、脚本。")
@click.option("--days", default=365, show_default=True, type=click.IntRange(1, 3650))
@pass_workspace("data_dir")
def token(ws, username, name, days) -> None:
    """为脚本或手机签发接口令牌（Authorization: Bearer …），只显示这一次。"""
    from gis.auth.users import issue

    value, _ = issue(ws.ledger, username, kind="token", name=name, hours=days * 24)
    click.echo(value)
