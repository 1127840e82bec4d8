"""``miyun-gis serve``: the web app on this machine (registered through the ``miyun_gis.commands`` entry point)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from gis.cli.options import layers_option, resolve_layers


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="工作进程数（多核机器上可设为核数）；各进程按图层文件与轨迹文件的版本各自更新缓存")
@layers_option
def serve(host: str, port: int, workers: int, layers: Path | None) -> None:
    """启动网页与接口服务（默认只在本机 127.0.0.1）。

    With ``--workers N`` uvicorn runs N processes on one socket.  Every cache in the app is keyed
    by what it is built from on disk (the layer file, a day's track files, the ledger), so a layer
    import or a track upload answered by one worker is seen by all at their next request.
    """
    import uvicorn

    from gis.validate import ensure_valid

    os.environ["MIYUN_LAYERS"] = str(ensure_valid(resolve_layers(layers)))
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info", workers=workers)
