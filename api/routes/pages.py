"""Map pages (Folium, offline)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.state import layer_set

router = APIRouter(tags=["pages 页面"])


@router.get("/", response_class=HTMLResponse, summary="总览图")
def overview() -> HTMLResponse:
    from maps.web import overview as build

    layers = layer_set()
    page = build(layers.frames, sample=layers.sample, hillshade=layers.hillshade).get_root().render()
    return HTMLResponse(page)
