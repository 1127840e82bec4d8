"""Where the product finds its layers and writes its data.

Layers: ``--layers PATH``, else ``MIYUN_LAYERS``, else ``layers/miyun.gpkg``.
Writable data (ledger, tracks, outputs): ``MIYUN_DATA_DIR``, else ``data/``.
Web basemap: ``MIYUN_BASEMAP`` (hillshade, none, tianditu, or an XYZ URL), ``MIYUN_TIANDITU_KEY``,
``MIYUN_BASEMAP_CRS`` (wgs84 or gcj02), ``MIYUN_BASEMAP_ATTRIBUTION``.
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
    # web basemap: "hillshade" (from the DEM, offline; the default), "none", "tianditu" (needs
    # tianditu_key and internet) or an XYZ URL template such as http://tiles.local/{z}/{x}/{y}.png
    basemap: str = "hillshade"
    tianditu_key: str = ""
    basemap_crs: str = "wgs84"  # "gcj02" for AMap/Tencent-style tiles: the pages then warn of the shift
    basemap_attribution: str = ""
    compact_seconds: float = 300.0  # MIYUN_COMPACT_SECONDS: how often the server folds live fixes in (0: never)


def get_settings(layers: str | Path | None = None) -> Settings:
    """Settings from the environment, with an explicit layers path taking precedence."""
    settings = Settings()
    if layers is not None:
        settings.layers = Path(layers)
    return settings
