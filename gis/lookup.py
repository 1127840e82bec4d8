"""Finding a town or a grid by what a user typed, with one clear error when it is not there."""

from __future__ import annotations

import geopandas as gpd

from gis.errors import NotFound
from gis.schema import QUOTA_BY_TOWN


def town_grids(grids: gpd.GeoDataFrame, town: str) -> gpd.GeoDataFrame:
    """The grids of a programme town (404-style error for any other name)."""
    return grids.loc[grids["town"] == check_town(town)]


def one_grid(grids: gpd.GeoDataFrame, grid_id: str) -> gpd.GeoDataFrame:
    """The one-row frame of a grid (404-style error when the id does not exist)."""
    chosen = grids.loc[grids["grid_id"] == grid_id]
    if chosen.empty:
        raise NotFound(f"网格 {grid_id} 不存在；网格编号形如 XWZ-K01、TST-H03")
    return chosen


def check_town(town: str) -> str:
    """``town`` when it is one of the eight programme towns."""
    if town not in QUOTA_BY_TOWN:
        raise NotFound(f"镇 {town} 不在网格化管理范围内；应为 {'、'.join(QUOTA_BY_TOWN)}")
    return town
