"""``POST /api/assign``: points in, grid, town and zones out."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from api.state import grid_index
from gis.crs import to_wgs84
from gis.errors import InputError

router = APIRouter(tags=["assign 空间归属"])
MAX_POINTS = 100_000


class Points(BaseModel):
    lon: Annotated[list[float], Field(min_length=1, max_length=MAX_POINTS, description="经度（或 x）")]
    lat: Annotated[list[float], Field(min_length=1, max_length=MAX_POINTS, description="纬度（或 y）")]
    crs: Annotated[str, Field(description="EPSG:4326（默认）、其他 EPSG、gcj02 或 bd09")] = "EPSG:4326"

    @model_validator(mode="after")
    def same_length(self) -> "Points":
        if len(self.lon) != len(self.lat):
            raise ValueError("lon 与 lat 的个数应相同")
        return self


@router.post("/api/assign", summary="点的网格、镇与保护区归属")
def assign(points: Points) -> dict:
    lon, lat = np.asarray(points.lon, float), np.asarray(points.lat, float)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise InputError("坐标中有非数值", field="lon/lat")
    lon, lat = to_wgs84(lon, lat, points.crs, where="crs")
    if np.abs(lat).max() > 90 or np.abs(lon).max() > 180:
        raise InputError("经纬度超出范围；投影坐标请在 crs 中声明，如 EPSG:4548", field="lon/lat")
    result = grid_index().assign(lon, lat)
    records = result.astype(object).where(result.notna(), None).to_dict(orient="records")
    return {"count": len(records), "items": records}
