"""Printouts over HTTP: ``GET /grids/{grid_id}/printout.pdf`` and ``GET /towns/{town}/printout.pdf``."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.auth import CurrentUser
from api.state import atlas_for
from gis.auth.rights import require_grid
from maps.printout import Atlas, Page, print_grid, print_town

router = APIRouter(tags=["printouts 打印"])
_PYPLOT = threading.Lock()  # matplotlib's pyplot is not thread-safe

Size = Annotated[Literal["A4", "A3"], Query(description="纸张 paper size")]
Orientation = Annotated[Literal["portrait", "landscape"], Query(description="方向 orientation")]


def _pdf(make, name: str) -> Response:
    with tempfile.TemporaryDirectory() as tmp, _PYPLOT:
        path = make(Path(tmp) / f"{name}.pdf")
        content = path.read_bytes()
    ascii_name = name.encode("ascii", "ignore").decode() or "printout"
    return Response(content, media_type="application/pdf", headers={
        "Content-Disposition": f"inline; filename=\"{ascii_name}.pdf\"; filename*=UTF-8''{quote(name)}.pdf"})


@router.get("/grids/{grid_id}/printout.pdf", summary="网格图 PDF")
def grid_printout(grid_id: str, user: CurrentUser, atlas: Annotated[Atlas, Depends(atlas_for)], size: Size = "A4",
                  orientation: Orientation = "portrait") -> Response:
    row = atlas.grid(grid_id)  # 404 before any work
    require_grid(user, grid_id, row["town"])  # a grid's printout lists its staff and open cases
    return _pdf(lambda out: print_grid(atlas, grid_id, out, Page(size, orientation)), grid_id)


@router.get("/towns/{town}/printout.pdf", summary="全镇网格图册 PDF")
def town_printout(town: str, user: CurrentUser, atlas: Annotated[Atlas, Depends(atlas_for)], size: Size = "A4",
                  orientation: Orientation = "portrait") -> Response:
    atlas.town_grids(town)
    require_grid(user, None, town)  # field staff: never a whole town; town operators: their own
    return _pdf(lambda out: print_town(atlas, town, out, Page(size, orientation)), f"{town}镇保水网格图册")
