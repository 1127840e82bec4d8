"""``miyun-gis serve``: the web app on this machine (registered through the ``miyun_gis.commands`` entry point)."""

from __future__ import annotations

import click

from gis.cli.options import pass_workspace


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@pass_workspace("layers", "data_dir")
def serve(ws, host: str, port: int) -> None:
    """启动网页与接口服务（默认只在本机 127.0.0.1）。"""
    import uvicorn

    from api.app import create_app
    from gis.validate import ensure_valid

    # the server gets this run's workspace itself, not environment variables
    app = create_app(ws.but(layers=ensure_valid(ws.layers)))
    uvicorn.run(app, host=host, port=port, log_level="info")
