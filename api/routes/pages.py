"""Map pages (Folium, offline): the overview, a town's map and a grid's map.

Pages are rendered once per version of the layers and then served from memory.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.state import cached, layer_set
from gis.errors import NotFound
from gis.schema import QUOTA_BY_TOWN

router = APIRouter(tags=["pages 页面"])


def _render(key: str, **kwargs) -> HTMLResponse:
    from maps.web import overview

    def build(_path):
        layers = layer_set()
        return overview(layers.frames, sample=layers.sample, hillshade=layers.hillshade, **kwargs).get_root().render()

    return HTMLResponse(cached(key, build))


@router.get("/", response_class=HTMLResponse, summary="总览图")
def index() -> HTMLResponse:
    return _render("page:/")


@router.get("/maps/towns/{town}", response_class=HTMLResponse, summary="镇网格图")
def town_map(town: str) -> HTMLResponse:
    if town not in QUOTA_BY_TOWN:
        raise NotFound(f"镇 {town} 不在网格化管理范围内；应为 {'、'.join(QUOTA_BY_TOWN)}")
    grids = layer_set().frames["grids"]
    return _render(f"page:town:{town}", focus=grids.loc[grids["town"] == town].geometry, page_title=f"{town}镇")


@router.get("/maps/grids/{grid_id}", response_class=HTMLResponse, summary="网格图")
def grid_map(grid_id: str) -> HTMLResponse:
    grids = layer_set().frames["grids"]
    chosen = grids.loc[grids["grid_id"] == grid_id]
    if chosen.empty:
        raise NotFound(f"网格 {grid_id} 不存在；网格编号形如 XWZ-K01、TST-H03")
    return _render(f"page:grid:{grid_id}", focus=chosen.geometry, page_title=grid_id)
