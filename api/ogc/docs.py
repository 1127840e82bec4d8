"""``/docs``: Swagger UI from the installed swagger-ui-bundle package — nothing from a CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from gis.errors import NotFound

router = APIRouter(tags=["docs 接口文档"])
ASSET_PREFIX = "/docs/assets"
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
          "favicon-32x32.png": "image/png"}


@router.get("/docs", include_in_schema=False)
def docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="密云水库保水网格 GIS · 接口文档",
                               swagger_js_url=f"{ASSET_PREFIX}/swagger-ui-bundle.js",
                               swagger_css_url=f"{ASSET_PREFIX}/swagger-ui.css",
                               swagger_favicon_url=f"{ASSET_PREFIX}/favicon-32x32.png",
                               swagger_ui_parameters={"validatorUrl": None})


@router.get(ASSET_PREFIX + "/{name}", include_in_schema=False)
def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise NotFound(f"没有这个文档资源 {name}")
    return FileResponse(Path(swagger_ui_path) / name, media_type=ASSETS[name],
                        headers={"Cache-Control": "public, max-age=86400"})
