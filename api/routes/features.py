"""The layers as GeoJSON in EPSG:4326, shaped after OGC API – Features."""

from __future__ import annotations

import json
from typing import Annotated

import shapely
from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.state import cached, layer_set
from gis.crs import to_storage
from gis.errors import InputError, NotFound
from gis.schema import LAYER_BY_NAME, LAYERS, OGC, WEB_CRS

router = APIRouter(tags=["features 要素"])
MAX_LIMIT = 10_000


@router.get("/collections", summary="图层列表")
def collections() -> dict:
    layers = layer_set()
    return {"collections": [
        {"id": layer.name, "title": layer.title, "description": layer.description,
         "itemType": "feature", "numberMatched": len(layers.frames.get(layer.name, [])),
         "links": [{"rel": "items", "type": "application/geo+json", "href": f"/collections/{layer.name}/items"}]}
        for layer in LAYERS if layer.shown(OGC) and (layer.required or layer.name in layers.frames)]}


def _bbox(value: str | None):
    if value is None:
        return None
    try:
        parts = [float(v) for v in value.split(",")]
    except ValueError:
        raise InputError(f"bbox 应为 经度,纬度,经度,纬度 四个数，收到 {value!r}", field="bbox") from None
    if len(parts) != 4 or not (parts[0] < parts[2] and parts[1] < parts[3]) \
            or not (-180 <= parts[0] <= 180 and -180 <= parts[2] <= 180 and -90 <= parts[1] <= 90 and -90 <= parts[3] <= 90):
        raise InputError(f"bbox 应为 最小经度,最小纬度,最大经度,最大纬度，收到 {value!r}", field="bbox")
    return parts


@router.get("/collections/{layer}/items", summary="图层要素 GeoJSON")
def items(layer: str,
          bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (EPSG:4326)")] = None,
          limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 1000,
          offset: Annotated[int, Query(ge=0)] = 0,
          simplify: Annotated[float, Query(ge=0, le=1000, description="简化容差（米）")] = 0.0) -> Response:
    if layer not in LAYER_BY_NAME:
        raise NotFound(f"图层 {layer} 不存在；可用：{'、'.join(LAYER_BY_NAME)}")
    if layer not in layer_set().frames:  # an optional layer this GeoPackage does not have (yet)
        raise NotFound(f"当前图层文件中没有可选图层 {layer}（{LAYER_BY_NAME[layer].title}）")
    box = _bbox(bbox)
    if simplify:
        frame = layer_set().frames[layer]
        if box is not None:
            x, y = to_storage([box[0], box[2]], [box[1], box[3]])
            frame = frame[frame.intersects(shapely.box(x[0], y[0], x[1], y[1]))]
        matched = len(frame)
        page = frame.iloc[offset: offset + limit]
        page = page.set_geometry(shapely.simplify(page.geometry.array, simplify, preserve_topology=True))
        features = [json.dumps(f, ensure_ascii=False) for f in page.to_crs(WEB_CRS).to_geo_dict(drop_id=False)["features"]]
    else:  # the common case is served from features converted once per version of the layers
        web, all_features = cached(f"features:{layer}", lambda _p: _web_features(layer))
        rows = range(len(web)) if box is None else sorted(web.sindex.query(shapely.box(*box), predicate="intersects"))
        rows = list(rows)
        matched = len(rows)
        features = [all_features[i] for i in rows[offset: offset + limit]]
    body = (f'{{"type":"FeatureCollection","numberMatched":{matched},"numberReturned":{len(features)},'
            f'"features":[{",".join(features)}]}}')
    return Response(body, media_type="application/geo+json")


def _web_features(layer: str):
    """The layer in EPSG:4326 and each feature serialised once, so that a page of them is a join."""
    web = layer_set().frames[layer].to_crs(WEB_CRS)
    return web, [json.dumps(f, ensure_ascii=False) for f in web.to_geo_dict(drop_id=False)["features"]]
