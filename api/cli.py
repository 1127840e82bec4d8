"""``miyun-gis serve``: the web app on this machine (registered through the ``miyun_gis.commands`` entry point)."""

from __future__ import annotations

import os

import click

from gis.cli.options import pass_workspace


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
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="工作进程数（多核机器上可设为核数）；各进程按图层文件与轨迹文件的版本各自更新缓存")
@pass_workspace("layers", "data_dir")
def serve(ws, host: str, port: int, workers: int) -> None:
    """启动网页与接口服务（默认只在本机 127.0.0.1）。

    With ``--workers N`` uvicorn runs N processes on one socket.  Every cache in the app is keyed
    by what it is built from on disk (the layer file, a day's track files, the ledger), so a layer
    import or a track upload answered by one worker is seen by all at their next request.
    """
    import uvicorn

    from api.app import create_app
    from gis.layers.validate import ensure_valid

    served = ws.but(layers=ensure_valid(ws.layers))
    check_port_free(host, port)
    if workers == 1:  # the server gets this run's workspace itself, not environment variables
        uvicorn.run(create_app(served), host=host, port=port, log_level="info")
        return
    # worker processes are started by uvicorn and build their app from the settings: the environment is
    # the one thing they inherit, so it carries this workspace
    os.environ.update(served.environment())
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info", workers=workers)
