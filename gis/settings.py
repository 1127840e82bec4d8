"""Every setting of the product, read once from the environment and checked at start.

Layers: ``--layers PATH``, else ``MIYUN_LAYERS``, else ``layers/miyun.gpkg``.
Writable data (ledger, tracks, outputs): ``MIYUN_DATA_DIR``, else ``data/``.
Web basemap: ``MIYUN_BASEMAP`` (hillshade, none, tianditu, or an XYZ URL), ``MIYUN_TIANDITU_KEY``,
``MIYUN_BASEMAP_CRS`` (wgs84 or gcj02), ``MIYUN_BASEMAP_ATTRIBUTION``.
The operator recorded in the audit trail: ``MIYUN_USER``, else the login name.
Grid indexes cached on disk: ``MIYUN_INDEX_CACHE`` (1, the default, or 0 to always build).

A bad value fails when the settings are read — at the start of every command and of the
server — with one Chinese line naming the variable (an :class:`~gis.errors.InputError`),
not later when a page is drawn.  Data files the product reads at run time (the sample's
real sources) are package data, found through :mod:`importlib.resources`, so a wheel
install works as well as a checkout.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gis.errors import InputError

ENV_PREFIX = "MIYUN_"
# the real public data the sample is built on (package data of gis.sample, with their licences)
SOURCES_DIR = Path(str(resources.files("gis.sample") / "data"))
REPO_ROOT = SOURCES_DIR.parents[2]  # a checkout's root; kept for old callers, nothing reads files there

BASEMAP_CHOICES = ("hillshade", "none", "tianditu")


def _basemap(value: str) -> str:
    value = value.strip()
    if value in BASEMAP_CHOICES or all(part in value for part in ("{z}", "{x}", "{y}")):
        return value
    raise ValueError(f"MIYUN_BASEMAP 应为 hillshade、none、tianditu 或含 {{z}}/{{x}}/{{y}} 的地址，收到 {value!r}")


def _crs_name(value: object) -> object:
    return value.strip().lower().replace("-", "") if isinstance(value, str) else value


Basemap = Annotated[str, AfterValidator(_basemap)]
BasemapCRS = Annotated[Literal["wgs84", "gcj02"], BeforeValidator(_crs_name)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, validate_assignment=True)

    layers: Path = Path("layers/miyun.gpkg")
    data_dir: Path = Path("data")
    # web basemap: "hillshade" (from the DEM, offline; the default), "none", "tianditu" (needs
    # tianditu_key and internet) or an XYZ URL template such as http://tiles.local/{z}/{x}/{y}.png
    basemap: Basemap = "hillshade"
    tianditu_key: str = ""
    basemap_crs: BasemapCRS = "wgs84"  # "gcj02" for AMap/Tencent-style tiles: the pages then warn of the shift
    basemap_attribution: str = ""
    compact_seconds: float = 300.0  # MIYUN_COMPACT_SECONDS: how often the server folds live fixes in (0: never)
    user: str = ""  # the operator in the audit trail; empty: the login name
    index_cache: bool = True  # keep built grid indexes on disk (MIYUN_INDEX_CACHE=0: always build)

    def __init__(self, **values):
        try:
            super().__init__(**values)
        except ValidationError as err:
            raise settings_error(err) from None

    @model_validator(mode="after")
    def _tianditu_needs_a_key(self) -> "Settings":
        if self.basemap == "tianditu" and not self.tianditu_key:
            raise ValueError("天地图底图需要密钥：设置 MIYUN_TIANDITU_KEY")
        return self

    @property
    def operator(self) -> str:
        """Who is recorded in the audit trail: ``MIYUN_USER``, else the login name."""
        import getpass

        return self.user or getpass.getuser()


def settings_error(err: ValidationError) -> InputError:
    """The first problem of a validation as one Chinese line naming the variable."""
    first = err.errors()[0]
    name = ENV_PREFIX + str(first["loc"][0]).upper() if first.get("loc") else "MIYUN_BASEMAP"
    message = str(first.get("msg", "")).removeprefix("Value error, ")
    if first.get("type") == "literal_error":
        allowed = "、".join(str(v) for v in (first.get("ctx") or {}).get("expected", "").replace("'", "").split(" or "))
        message = f"{name} 应为 {allowed}，收到 {first.get('input')!r}"
    elif first.get("type") in ("bool_parsing", "bool_type"):
        message = f"{name} 应为 1 或 0，收到 {first.get('input')!r}"
    elif not first.get("loc") and "MIYUN_TIANDITU_KEY" in message:
        name = "MIYUN_BASEMAP"
    elif first.get("type") != "value_error":
        message = f"{name} 的值 {first.get('input')!r} 无效（{message}）"
    return InputError(message, field=name)


def get_settings(layers: str | Path | None = None) -> Settings:
    """Settings from the environment, with an explicit layers path taking precedence."""
    settings = Settings()
    if layers is not None:
        settings.layers = Path(layers)
    return settings
