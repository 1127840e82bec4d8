"""Map pages (Folium, offline): overview, town, grid, cases and patrols.

Pages are rendered once per version of the layers and then served from memory;
what changes during the day (cases, tracks, staff) the page fetches from the
JSON routes when it opens.
"""

from __future__ import annotations

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from api.auth import CurrentUser
from api.state import cached, layer_set
from gis.auth.rights import require_grid, require_town
from gis.auth.users import User
from gis.localtime import today_local
from gis.lookup import one_grid, town_grids
from gis.schema import CASE_STATUSES, DUTIES

router = APIRouter(tags=["pages 页面"])


def _render(key: str, **kwargs) -> HTMLResponse:
    from maps.web import overview

    def build(_path):
        layers = layer_set()
        return overview(layers.frames, sample=layers.sample, hillshade=layers.hillshade, **kwargs).get_root().render()

    return HTMLResponse(cached(key, build))


def _not_field_staff(user: User) -> None:
    """Field staff see their own grid's page only."""
    if user.role == "field_staff":
        require_grid(user, None)


@router.get("/", response_class=HTMLResponse, summary="总览图（保水员转到本网格图）")
def index(user: CurrentUser):
    if user.role == "field_staff":
        return RedirectResponse(f"/maps/grids/{user.grid_id}", status_code=303)
    return _render("page:/")


@router.get("/maps/towns/{town}", response_class=HTMLResponse, summary="镇网格图")
def town_map(town: str, user: CurrentUser) -> HTMLResponse:
    from maps.web import case_options

    _not_field_staff(user)
    chosen = town_grids(layer_set().frames["grids"], town)
    require_town(user, town)
    dynamic = [("cases", case_options(url=f"/api/cases/geojson?open=true&town={town}", cluster=True,
                                      title=f"{town} 未结案件"))]
    return _render(f"page:town:{town}", focus=chosen.geometry, page_title=f"{town}镇", dynamic=dynamic)


@router.get("/maps/grids/{grid_id}", response_class=HTMLResponse, summary="网格图：邻近网格、保水员、未结案件、今日轨迹")
def grid_map(grid_id: str, user: CurrentUser) -> HTMLResponse:
    from maps.web import case_options

    chosen = one_grid(layer_set().frames["grids"], grid_id)
    require_grid(user, grid_id, chosen["town"].iloc[0])
    today = today_local().isoformat()
    dynamic = [("gridDetail", case_options(grid=grid_id, today=today))]
    panel = f'<div id="miyun-staff"></div><a href="/grids/{html.escape(grid_id)}/printout.pdf">打印网格图 PDF</a>'
    return _render(f"page:grid:{grid_id}:{today}", focus=chosen.geometry, page_title=grid_id, dynamic=dynamic,
                   panel=panel)


def _options(values: dict[str, str], name: str) -> str:
    items = "".join(f'<option value="{k}">{html.escape(v.split("：")[0])}</option>' for k, v in values.items())
    return f'<select name="{name}"><option value="">全部</option>{items}</select>'


@router.get("/maps/cases", response_class=HTMLResponse,
            summary="案件图：按状态、类别、月份、逾期筛选，热力图（参数 status、category、month、overdue）")
def cases_map(user: CurrentUser) -> HTMLResponse:
    from maps.web import case_options

    _not_field_staff(user)
    form = ('<form method="get" action="/maps/cases"><b>案件筛选</b><br>'
            f'状态 {_options(CASE_STATUSES, "status")}<br>类别 {_options(DUTIES, "category")}<br>'
            '月份 <input name="month" placeholder="2026-10" size="8"><br>'
            '<label><input type="checkbox" name="overdue" value="true"> 只看逾期</label> <button>查询</button></form>'
            '<script>(function(){var p=new URLSearchParams(location.search),f=document.forms[1]||document.forms[0];'
            'p.forEach(function(v,k){var e=f.elements[k];if(!e)return;if(e.type==="checkbox")e.checked=v==="true";'
            'else e.value=v;});})();</script>')
    dynamic = [("cases", case_options(url="/api/cases/geojson", passQuery=True, heat=True, title="筛选结果"))]
    return _render("page:cases", page_title="案件", dynamic=dynamic, panel=form)


@router.get("/maps/patrols", response_class=HTMLResponse,
            summary="巡查图：网格按轨迹覆盖率与 24 小时在岗着色，当日轨迹（参数 date=YYYY-MM-DD）")
def patrols_map(user: CurrentUser) -> HTMLResponse:
    _not_field_staff(user)
    today = today_local().isoformat()
    form = ('<form method="get" action="/maps/patrols"><b>巡查日期</b> '
            '<input id="miyun-date" name="date" type="date"> <button>查看</button></form>'
            '<div><i style="background:#d7191c"></i>≤20% <i style="background:#fdae61"></i>≤40% '
            '<i style="background:#ffffbf"></i>≤60% <i style="background:#a6d96a"></i>≤80% '
            '<i style="background:#1a9641"></i>&gt;80%（覆盖率）</div>')
    return _render(f"page:patrols:{today}", page_title="巡查", dynamic=[("patrols", {"today": today})], panel=form)
