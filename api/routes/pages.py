"""Map pages (Folium, offline): overview, town, grid, cases and patrols.

Pages are rendered once per version of the layers and then served from memory;
what changes during the day (cases, tracks, staff) the page fetches from the
JSON routes when it opens.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.auth import CurrentUser
from api.state import built_for_layers, current, layer_set
from gis.auth.rights import require_grid, require_town
from gis.auth.users import User
from gis.errors import MiyunError
from gis.localtime import parse_day, today_local
from gis.lookup import one_grid, town_grids
from gis.schema import CASE_STATUSES, DUTIES, GRIDS, Vocabulary

router = APIRouter(tags=["pages 页面"])


def _render(key: str, **kwargs) -> HTMLResponse:
    from maps.web import overview

    def build(_path):
        layers = layer_set()
        return overview(layers.frames, sample=layers.sample, hillshade=layers.hillshade, settings=current().settings,
                        **kwargs).get_root().render()

    return HTMLResponse(built_for_layers(key, build))


def _wants_html(request: Request) -> bool:
    """A browser asks for HTML first; API clients (``*/*``, JSON) get the JSON error."""
    return "text/html" in request.headers.get("accept", "")


def _page(request: Request, make: Callable[[], HTMLResponse]) -> HTMLResponse:
    """Build a page; a product error becomes a friendly HTML page for browsers (JSON for API clients)."""
    try:
        return make()
    except MiyunError as err:
        if not _wants_html(request):
            raise
        from api.errors import status_of
        from maps.web import error_page

        status = status_of(err)
        return HTMLResponse(error_page(status, str(err)), status_code=status)


def latest_day() -> str | None:
    """The latest Asia/Shanghai day with stored tracks, if any."""
    from gis.tracks.store import stored_days

    days = stored_days(current().data_dir)
    return days[-1] if days else None


def _not_field_staff(user: User) -> None:
    """Field staff see their own grid's page only."""
    if user.role == "field_staff":
        require_grid(user, None)


def overview_page() -> HTMLResponse:
    """The overview map's HTML (the ``/`` page for browsers)."""
    return _render("page:/")


@router.head("/", include_in_schema=False)
@router.get("/", response_class=HTMLResponse,
            summary="总览图（保水员转到本网格图）；GIS 软件（Accept: application/json 或 f=json）得到 OGC API 登录页 JSON")
def index(user: CurrentUser, request: Request):
    from api.ogc.routes import landing_page, wants_json

    if wants_json(request):
        return landing_page(request)
    if user.role == "field_staff":
        return RedirectResponse(f"/maps/grids/{user.grid_id}", status_code=303)
    return overview_page()


@router.get("/maps/towns/{town}", response_class=HTMLResponse, summary="镇网格图：镇的网格、保水员、未结案件、最近一日覆盖率")
def town_map(town: str, user: CurrentUser, request: Request) -> HTMLResponse:
    def make() -> HTMLResponse:
        from maps.web import case_options, town_heading

        _not_field_staff(user)
        grids = layer_set().frames[GRIDS.name]
        chosen = town_grids(grids, town)
        require_town(user, town)
        latest = latest_day()
        dynamic = [("townDetail", case_options(town=town, latest=latest))]
        return _render(f"page:town:{town}:{latest}", focus=chosen.geometry, page_title=f"{town}镇", dynamic=dynamic,
                       heading=town_heading(town, grids))

    return _page(request, make)


@router.get("/maps/grids/{grid_id}", response_class=HTMLResponse,
            summary="网格图：邻近网格、保水员、未结案件、某日轨迹（参数 date=YYYY-MM-DD，默认最近有轨迹的一天）")
def grid_map(grid_id: str, user: CurrentUser, request: Request) -> HTMLResponse:
    def make() -> HTMLResponse:
        from maps.web import case_options, date_form, evidence_labels

        chosen = one_grid(layer_set().frames[GRIDS.name], grid_id)
        require_grid(user, grid_id, chosen["town"].iloc[0])
        _check_date(request)
        today = today_local().isoformat()
        latest = latest_day() or today
        dynamic = [("gridDetail", case_options(grid=grid_id, today=today, latest=latest, evidence=evidence_labels()))]
        safe = html.escape(grid_id)
        panel = (f'<div class="miyun-heading"><h1>网格 {safe}</h1></div>{date_form(f"/maps/grids/{grid_id}", "轨迹日期")}'
                 f'<div id="miyun-tracks-note"></div><div id="miyun-fakes"></div><div id="miyun-staff"></div>'
                 f'<a href="/grids/{safe}/printout.pdf">打印网格图 PDF</a>')
        return _render(f"page:grid:{grid_id}:{today}:{latest}", focus=chosen.geometry, page_title=grid_id,
                       dynamic=dynamic, panel=panel)

    return _page(request, make)


def _check_date(request: Request) -> None:
    """A ``date`` in the address must be YYYY-MM-DD (the page says so instead of showing nothing)."""
    day = request.query_params.get("date")
    if day:
        parse_day(day, field="date")


def _options(values: dict[str, str], name: str) -> str:
    labels = values.short if isinstance(values, Vocabulary) else values
    items = "".join(f'<option value="{k}">{html.escape(v)}</option>' for k, v in labels.items())
    return f'<select name="{name}"><option value="">全部</option>{items}</select>'


@router.get("/maps/cases", response_class=HTMLResponse,
            summary="案件图：按状态、类别、月份、逾期筛选，可排序的案件列表，热力图（参数 status、category、month、overdue）")
def cases_map(user: CurrentUser, request: Request) -> HTMLResponse:
    def make() -> HTMLResponse:
        from maps.web import case_options

        _not_field_staff(user)
        form = ('<form method="get" action="/maps/cases" id="miyun-case-filter"><b>案件筛选</b><br>'
                f'状态 {_options(CASE_STATUSES, "status")} 类别 {_options(DUTIES, "category")}<br>'
                '月份 <input name="month" placeholder="YYYY-MM" size="8" pattern="\\d{4}-\\d{2}"> '
                '<label><input type="checkbox" name="overdue" value="true"> 只看逾期</label> <button>查询</button></form>'
                '<script>(function(){var p=new URLSearchParams(location.search),f=document.getElementById("miyun-case-filter");'
                'p.forEach(function(v,k){var e=f.elements[k];if(!e)return;if(e.type==="checkbox")e.checked=v==="true";'
                'else e.value=v;});})();</script><div id="miyun-case-list"></div>')
        dynamic = [("cases", case_options(url="/api/cases/geojson", passQuery=True, heat=True, title="筛选结果"))]
        return _render("page:cases", page_title="案件", dynamic=dynamic, panel=form)

    return _page(request, make)


@router.get("/maps/patrols", response_class=HTMLResponse,
            summary="巡查图：网格按轨迹覆盖率与 24 小时在岗着色，当日轨迹（参数 date=YYYY-MM-DD，默认最近有轨迹的一天）")
def patrols_map(user: CurrentUser, request: Request) -> HTMLResponse:
    def make() -> HTMLResponse:
        from maps.web import date_form

        _not_field_staff(user)
        _check_date(request)
        today = today_local().isoformat()
        latest = latest_day()
        return _render(f"page:patrols:{today}:{latest}", page_title="巡查", grids_by_town=False,
                       dynamic=[("patrols", {"today": today, "latest": latest})],
                       panel=date_form("/maps/patrols", "巡查日期"))

    return _page(request, make)
