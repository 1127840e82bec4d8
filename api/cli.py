"""``miyun-gis serve``: the web app on this machine (registered through the ``miyun_gis.commands`` entry point)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from gis.cli.options import layers_option, resolve_layers


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@layers_option
def serve(host: str, port: int, layers: Path | None) -> None:
    """启动网页与接口服务（默认只在本机 127.0.0.1）。"""
    import uvicorn

    from gis.validate import ensure_valid

    os.environ["MIYUN_LAYERS"] = str(ensure_valid(resolve_layers(layers)))
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info")
