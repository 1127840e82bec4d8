"""The grid archive over HTTP: ``GET /grids/{grid_id}/archive.pdf`` (网格档案, 密政发〔2022〕22号)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.auth import CurrentUser
from api.routes.printouts import _pdf
from api.state import atlas_for
from gis.auth.rights import require, require_grid
from maps.archive import print_archive
from maps.printout import Atlas

router = APIRouter(tags=["printouts 打印"])


@router.get("/grids/{grid_id}/archive.pdf", summary="网格档案 PDF：四至、地图、保水员及履历、本年案件、本月巡查")
def grid_archive(grid_id: str, user: CurrentUser, atlas: Annotated[Atlas, Depends(atlas_for)],
                 month: Annotated[str | None, Query(description="档案月份 YYYY-MM，默认本月")] = None) -> Response:
    row = atlas.grid(grid_id)  # 404 before any work
    require(user, "read_reports")  # the town's record of its staff: offices only
    require_grid(user, grid_id, row["town"])  # town operators: their own town's grids
    return _pdf(lambda out: print_archive(atlas, grid_id, out, month), f"网格档案-{grid_id}")
