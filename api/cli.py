"""``miyun-gis serve``: the web app on this machine (registered through the ``miyun_gis.commands`` entry point)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from gis.cli.options import layers_option, resolve_layers


def check_port_free(host: str, port: int) -> None:
    """A busy port is one clear line, not uvicorn's log of an OSError."""
    import socket

    from gis.errors import InputError

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            import errno

            why = {errno.EADDRINUSE: "端口已被占用", errno.EADDRNOTAVAIL: "本机没有这个地址",
                   errno.EACCES: "没有权限使用这个端口"}.get(err.errno, "无法使用这个地址和端口")
            raise InputError(f"无法在 {host}:{port} 上启动网页服务：{why}；用 --port 换一个端口（或 --host 换地址），"
                             "或先停止占用它的程序", field="--port") from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@layers_option
def serve(host: str, port: int, layers: Path | None) -> None:
    """启动网页与接口服务（默认只在本机 127.0.0.1）。"""
    import uvicorn

    from gis.validate import ensure_valid

    os.environ["MIYUN_LAYERS"] = str(ensure_valid(resolve_layers(layers)))
    check_port_free(host, port)
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info")
