"""``miyun-gis serve``: the web app on this machine (registered through the ``miyun_gis.commands`` entry point)."""

from __future__ import annotations

import os

import click

from gis.cli.options import pass_workspace


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
    from gis.validate import ensure_valid

    served = ws.but(layers=ensure_valid(ws.layers))
    if workers == 1:  # the server gets this run's workspace itself, not environment variables
        uvicorn.run(create_app(served), host=host, port=port, log_level="info")
        return
    # worker processes are started by uvicorn and build their app from the settings: the environment is
    # the one thing they inherit, so it carries this workspace
    os.environ.update(served.environment())
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info", workers=workers)
