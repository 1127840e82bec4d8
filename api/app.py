"""The FastAPI app: ``uvicorn api.app:create_app --factory`` or ``miyun-gis serve``."""

from __future__ import annotations

import sys
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from api import errors
from api.auth import Authenticate
from api.response_cache import ResponseCache
from api.routes import (
    account,
    archive,
    assign,
    cases,
    gates,
    ingest,
    layers,
    mobile,
    pages,
    patrols,
    printouts,
    reports,
    staff,
    tracks,
)
from api.ogc import docs as ogc_docs
from api.ogc import routes as ogc_routes
from api.state import open_workspace
from gis.auth.users import FIRST_ADMIN, ensure_first_admin
from gis.settings import get_settings
from gis.workspace import Workspace


@asynccontextmanager
async def lifespan(app: FastAPI):
    served = open_workspace(app, app.state.start_workspace)  # the app's one workspace, on app.state
    password = ensure_first_admin(served.ledger())
    if password:  # the very first start: printed once, stored only as a hash
        print(f"\n首次启动：已建立管理员 {FIRST_ADMIN}，一次性密码（只显示这一次，登录后须修改）：{password}\n",
              file=sys.stderr, flush=True)
    patrols.start_warming()  # the newest day's figures computed when its tracks change, not on first request
    yield


def create_app(workspace: Workspace | None = None) -> FastAPI:
    """The app over ``workspace`` (from ``miyun-gis serve``), else over the settings — a bad ``MIYUN_*``
    value fails here, at start, with one Chinese line."""
    workspace = workspace or Workspace.from_settings(get_settings())
    app = FastAPI(title="密云水库保水网格 GIS", version="0.1.0", lifespan=lifespan, docs_url=None,  # /docs: api.ogc.docs
                  description="Miyun water-protection grid GIS: maps, printouts and data for managers. "
                              "Log in at /login, or send Authorization: Bearer <token> (miyun-gis users token).")
    app.state.start_workspace = workspace
    errors.install(app)
    ogc_docs.install(app)  # OpenAPI 3.0 document, /docs offline
    app.add_middleware(ResponseCache)  # inside authentication: keyed by the user's scope
    app.add_middleware(Authenticate)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)  # outermost: what the cache does not keep

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict:
        return {"status": "ok"}

    from maps.web import STATIC_PREFIX, asset_dirs

    for name, folder in asset_dirs().items():
        app.mount(f"{STATIC_PREFIX}/{name}", StaticFiles(directory=folder), name=f"static-{name}")
    workspace.cache_dir.mkdir(parents=True, exist_ok=True)
    app.mount(f"{STATIC_PREFIX}/cache", StaticFiles(directory=workspace.cache_dir), name="static-cache")
    for module in (account, pages, ogc_routes, ogc_docs, assign, tracks, printouts, cases, reports, staff, patrols,
                   gates, layers, archive):
        app.include_router(module.router)
    app.include_router(ingest.router)  # live fixes from tracker apps (device authentication)
    app.include_router(mobile.router)  # /m/: the mobile page for field staff
    return app
