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


def _as_openapi_30(node):
    """FastAPI's OpenAPI 3.1 / JSON Schema 2020-12 constructs in their OpenAPI 3.0 form."""
    if isinstance(node, list):
        return [_as_openapi_30(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _as_openapi_30(v) for k, v in node.items()}
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            node.pop(key)
            if len(rest) == 1:
                node = {**rest[0], **node}
            else:
                node[key] = rest
            node["nullable"] = True
    if isinstance(node.get("type"), list):
        kinds = [t for t in node["type"] if t != "null"]
        node["nullable"] = len(kinds) < len(node["type"]) or node.get("nullable", False)
        node["type"] = kinds[0] if kinds else "string"
    if "const" in node:
        node["enum"] = [node.pop("const")]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), (int, float)) and not isinstance(node.get(bound), bool):
            node[plain] = node.pop(bound)
            node[bound] = True
    if isinstance(node.get("examples"), list) and "schema" not in node:
        examples = node.pop("examples")
        if examples:
            node["example"] = examples[0]
    return node


def install(app) -> None:
    """Serve the OpenAPI document as OpenAPI 3.0 (the OGC ``oas30`` class; Swagger UI 4 reads it)."""
    generate = app.openapi

    def openapi_30() -> dict:
        if not getattr(app, "_openapi_30", None):
            document = _as_openapi_30(generate())
            document["openapi"] = "3.0.3"
            app._openapi_30 = document
        return app._openapi_30

    app.openapi = openapi_30
