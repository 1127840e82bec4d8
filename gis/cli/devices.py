"""``miyun-gis devices add | list | revoke``: phones with a tracker app, each bound to one staff member.

``add`` prints, once, what to type into the app; only the secret's hash is kept.
"""

from __future__ import annotations

import click

from gis.cli.options import pass_workspace
from gis.schema import DEVICE_APPS

SERVER_URL_HELP = "手机访问本服务的地址（默认取环境变量 MIYUN_PUBLIC_URL，否则 http://127.0.0.1:8000）。"


def _server_url(value: str | None) -> str:
    from gis.settings import get_settings

    return (value or get_settings().public_url).rstrip("/")


def instructions(app: str, url: str, device_id: str, secret: str) -> list[str]:
    """What to type into the app, line by line (shown once)."""
    if app == "owntracks":
        return ["OwnTracks：设置 → 连接 (Connection)",
                "  模式 Mode：HTTP",
                f"  地址 URL：{url}/ingest/owntracks",
                f"  用户名 Username：{device_id}",
                f"  密码 Password：{secret}"]
    return ["Traccar Client：",
            f"  设备标识 Device identifier：{secret}",
            f"  服务器地址 Server URL：{url}/ingest/osmand",
            "OsmAnd：在线跟踪 (Online tracking) 的网址：",
            f"  {url}/ingest/osmand?id={secret}&lat={{0}}&lon={{1}}&timestamp={{2}}&hdop={{3}}"
            "&altitude={4}&speed={5}&bearing={6}"]


@click.group("devices")
def devices() -> None:
    """定位设备（Traccar Client、OsmAnd、OwnTracks）：登记、列出、停用。"""


@devices.command("add")
@click.argument("staff_id")
@click.option("--app", type=click.Choice(list(DEVICE_APPS)), default="osmand", show_default=True,
              help="；".join(f"{k} {v}" for k, v in DEVICE_APPS.items()))
@click.option("--label", default="", help="备注（如手机型号）。")
@click.option("--server-url", default=None, help=SERVER_URL_HELP)
@pass_workspace
def add(ws, staff_id, app, label, server_url) -> None:
    """为保水员登记一台手机，打印一次应在应用中填写的内容。"""
    from gis.layers import gpkg
    from gis.intake.devices import add_device, known_staff
    from gis.schema import GRIDS

    grids = gpkg.read_layer(ws.layers, GRIDS.name, columns=["grid_id"], read_geometry=False)
    staff = known_staff(ws.ledger, staff_id, set(grids["grid_id"]))
    device, secret = add_device(ws.ledger, staff, app, by=ws.user, label=label)
    click.echo(f"设备 {device.device_id} 已登记给保水员 {staff}（{DEVICE_APPS[app]}）。")
    click.echo("请在手机上填写（密钥只显示这一次，服务器只保存其摘要）：")
    for line in instructions(app, _server_url(server_url), device.device_id, secret):
        click.echo(line)


@devices.command("list")
@click.option("--staff", "staff_id", default=None, help="只列此保水员的设备。")
@pass_workspace("data_dir")
def list_(ws, staff_id) -> None:
    """列出设备（不含密钥）及最近一次定位。"""
    import pandas as pd

    from gis.cli.tables import show_table
    from gis.intake.devices import list_devices
    from gis.intake.inbox import Inbox

    rows = list_devices(ws.ledger, staff_id)
    if not rows:
        click.echo("尚无设备；用 miyun-gis devices add 保水员编号 登记。")
        return
    inbox = Inbox(ws.data_dir)
    frame = pd.DataFrame(rows)
    frame["app"] = frame["app"].map(lambda a: DEVICE_APPS.short.get(a, a))
    frame["state"] = frame["revoked_at"].map(lambda r: f"已停用 {r}" if r else "使用中")
    frame["last_fix"] = frame["staff_id"].map(lambda s: inbox.last_fix(s) or "")
    headers = {"device_id": "设备", "staff_id": "保水员", "app": "应用", "label": "备注", "created_at": "登记时间",
               "state": "状态", "last_fix": "最近定位（该保水员）"}
    show_table(frame[list(headers)].rename(columns=headers), "定位设备")


@devices.command("revoke")
@click.argument("device_id")
@pass_workspace("data_dir", "user")
def revoke(ws, device_id) -> None:
    """停用设备：立即不再接收它的定位（已收到的保留）。"""
    from gis.intake.devices import revoke_device

    revoke_device(ws.ledger, device_id, by=ws.user)
    click.echo(f"设备 {device_id} 已停用。")
