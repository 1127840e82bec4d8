"""``POST /api/tracks``: a phone or an office uploads GPX, CSV or GeoJSON tracks."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from api.auth import CurrentUser
from api.state import grid_index, layer_set, ledger
from api.uploads import safe_name, save_limited
from gis.auth import rights
from gis.auth.rights import require
from gis.auth.users import User
from gis.errors import InputError
from gis.schema import GRIDS
from gis.settings import get_settings
from gis.tracks.importer import import_file
from gis.tracks.readers import READERS

router = APIRouter(tags=["tracks 轨迹"])
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def staff_checker(user: User):
    """Field staff may upload only their grid's staff; town operators only their town's
    (the rule: :func:`gis.auth.rights.staff_checker`)."""
    return rights.staff_checker(user, ledger(), layer_set().frames[GRIDS.name])


@router.post("/api/tracks", summary="上传轨迹文件（GPX、CSV、GeoJSON）")
async def upload_tracks(user: CurrentUser, file: Annotated[UploadFile, File(description="轨迹文件")],
                        staff: Annotated[str | None, Form(description="保水员编号（文件中没有时）")] = None,
                        crs: Annotated[str | None, Form(description="EPSG:nnnn、gcj02 或 bd09")] = None) -> dict:
    require(user, "upload_tracks")
    name = safe_name(file.filename)
    if Path(name).suffix.lower() not in READERS:
        raise InputError(f"不支持的文件类型；支持 {'、'.join(sorted(READERS))}", file=name)
    folder = Path(get_settings().data_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex[:12]}-{name}"
    try:
        await save_limited(file, target, MAX_UPLOAD_BYTES, "；大文件请用 miyun-gis tracks import")
        result = import_file(target, grid_index(), Path(get_settings().data_dir), staff=staff, crs=crs,
                             check_staff=staff_checker(user), user=user.username)
    finally:
        target.unlink(missing_ok=True)
    if result.stored:
        ledger().note(user.username, "tracks", name, "replaced" if result.replaced else "imported",
                      f"{result.stored} fixes")
    notices = [{"row": n.row, "level": n.level, "message": n.message} for n in result.notices]
    if result.failed:
        raise InputError("；".join(n["message"] for n in notices if n["level"] == "warning") or "无法导入", file=name)
    return {"file": name, "stored": result.stored, "flagged": result.flagged, "already_imported": result.skipped,
            "replaced": result.replaced, "notices": notices}
