"""Map pages (Folium, offline): the overview, a town's map and a grid's map.

Pages are rendered once per version of the layers and then served from memory.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.state import cached, layer_set
from gis.lookup import one_grid, town_grids

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
    chosen = town_grids(layer_set().frames["grids"], town)
    return _render(f"page:town:{town}", focus=chosen.geometry, page_title=f"{town}镇")


@router.get("/maps/grids/{grid_id}", response_class=HTMLResponse, summary="网格图")
def grid_map(grid_id: str) -> HTMLResponse:
    chosen = one_grid(layer_set().frames["grids"], grid_id)
    return _render(f"page:grid:{grid_id}", focus=chosen.geometry, page_title=grid_id)
