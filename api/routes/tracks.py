"""``POST /api/tracks``: a phone or an office uploads GPX, CSV or GeoJSON tracks."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from api.routes.assign import grid_index
from gis.errors import InputError, TooLarge
from gis.settings import get_settings
from gis.tracks.importer import import_file
from gis.tracks.readers import READERS

router = APIRouter(tags=["tracks 轨迹"])
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
_CHUNK = 1 << 20


def _safe_name(name: str | None) -> str:
    """The file's own name without any folder part, reduced to harmless characters."""
    base = Path((name or "").replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\-\u4e00-\u9fff]", "_", base).lstrip(".")
    return cleaned[:120] or "upload"


@router.post("/api/tracks", summary="上传轨迹文件（GPX、CSV、GeoJSON）")
async def upload_tracks(file: Annotated[UploadFile, File(description="轨迹文件")],
                        staff: Annotated[str | None, Form(description="保水员编号（文件中没有时）")] = None,
                        crs: Annotated[str | None, Form(description="EPSG:nnnn、gcj02 或 bd09")] = None) -> dict:
    name = _safe_name(file.filename)
    if Path(name).suffix.lower() not in READERS:
        raise InputError(f"不支持的文件类型；支持 {'、'.join(sorted(READERS))}", file=name)
    folder = Path(get_settings().data_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex[:12]}-{name}"
    size = 0
    try:
        with open(target, "wb") as out:
            while chunk := await file.read(_CHUNK):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise TooLarge(f"文件超过上传上限 {MAX_UPLOAD_BYTES // 2**20} MB；大文件请用 miyun-gis tracks import",
                                   file=name)
                out.write(chunk)
        result = import_file(target, grid_index(), Path(get_settings().data_dir), staff=staff, crs=crs)
    finally:
        target.unlink(missing_ok=True)
    notices = [{"row": n.row, "level": n.level, "message": n.message} for n in result.notices]
    if result.failed:
        raise InputError("；".join(n["message"] for n in notices if n["level"] == "warning") or "无法导入", file=name)
    return {"file": name, "stored": result.stored, "flagged": result.flagged, "already_imported": result.skipped,
            "notices": notices}
