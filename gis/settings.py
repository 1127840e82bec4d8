"""Where the product finds its layers and writes its data.

Layers: ``--layers PATH``, else ``MIYUN_LAYERS``, else ``layers/miyun.gpkg``.
Writable data (ledger, tracks, outputs): ``MIYUN_DATA_DIR``, else ``data/``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCES_DIR = REPO_ROOT / "layers" / "sources"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MIYUN_")

    layers: Path = Path("layers/miyun.gpkg")
    data_dir: Path = Path("data")


def get_settings(layers: str | Path | None = None) -> Settings:
    """Settings from the environment, with an explicit layers path taking precedence."""
    settings = Settings()
    if layers is not None:
        settings.layers = Path(layers)
    return settings
