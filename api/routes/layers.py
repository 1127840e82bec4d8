"""``POST /api/layers/{layer}``: a GIS officer replaces one reference layer (validated whole, swapped atomically)."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from api.auth import CurrentUser
from api.state import layers_path, ledger
from api.uploads import safe_name, save_limited
from gis.auth.rights import require
from gis.errors import InputError, MiyunError
from gis.layers.replace import import_layer, parse_mapping

router = APIRouter(tags=["layers 图层"])
MAX_LAYER_BYTES = 100 * 1024 * 1024
ACCEPTED = (".geojson", ".json", ".gpkg", ".zip")


@router.post("/api/layers/{layer}", summary="替换一个图层（GeoJSON、GeoPackage 或 zip 打包的 Shapefile；整体校验后原子替换）")
async def replace_layer(layer: str, user: CurrentUser,
                        file: Annotated[UploadFile, File(description="图层文件")],
                        crs: Annotated[str | None, Form(description="EPSG:nnnn、gcj02 或 bd09（文件未注明时）")] = None,
                        mapping: Annotated[list[str] | None, Form(description="字段映射 FIELD=SOURCE，可多个")] = None,
                        source_layer: Annotated[str | None, Form()] = None,
                        make_valid: Annotated[bool, Form()] = False) -> dict:
    require(user, "import_layers")
    name = safe_name(file.filename)
    if not name.lower().endswith(ACCEPTED):
        raise InputError(f"不支持的文件类型；支持 {'、'.join(ACCEPTED)}", file=name)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / name
        await save_limited(file, target, MAX_LAYER_BYTES)
        if name.lower().endswith(".zip"):
            if not zipfile.is_zipfile(target):
                raise InputError("不是有效的 zip 文件", file=name)
            target = Path(f"/vsizip/{target}")
        try:
            count = import_layer(layers_path(), layer, target, crs=crs, mapping=parse_mapping(mapping or []),
                                 source_layer=source_layer, make_valid=make_valid)
        except MiyunError as err:  # name the upload, never the server's temporary path
            if err.file:
                err.file = name
            err.message = err.message.replace(str(target), name).replace(folder, "")
            raise
    ledger().note(user.username, "layers", layer, "imported", f"{count} features from {name}")
    return {"layer": layer, "features": count, "by": user.username}
