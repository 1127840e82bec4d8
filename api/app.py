"""The FastAPI app: ``uvicorn api.app:create_app --factory`` or ``miyun-gis serve``."""

from __future__ import annotations

import sys
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import errors
from api.auth import authenticate
from api.routes import (
    account,
    archive,
    assign,
    cases,
    features,
    gates,
    layers,
    pages,
    patrols,
    printouts,
    reports,
    staff,
    tracks,
)
from api.state import cache_dir, ledger
from gis.auth.users import FIRST_ADMIN, ensure_first_admin


@asynccontextmanager
async def lifespan(_app: FastAPI):
    password = ensure_first_admin(ledger())
    if password:  # the very first start: printed once, stored only as a hash
        print(f"\n首次启动：已建立管理员 {FIRST_ADMIN}，一次性密码（只显示这一次，登录后须修改）：{password}\n",
              file=sys.stderr, flush=True)
    yield


def create_app() -> FastAPI:
    app = FastAPI(title="密云水库保水网格 GIS", version="0.1.0", lifespan=lifespan,
                  description="Miyun water-protection grid GIS: maps, printouts and data for managers. "
                              "Log in at /login, or send Authorization: Bearer <token> (miyun-gis users token).")
    errors.install(app)
    app.middleware("http")(authenticate)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict:
        return {"status": "ok"}

    from maps.web import STATIC_PREFIX, asset_dirs

    for name, folder in asset_dirs().items():
        app.mount(f"{STATIC_PREFIX}/{name}", StaticFiles(directory=folder), name=f"static-{name}")
    cache_dir().mkdir(parents=True, exist_ok=True)
    app.mount(f"{STATIC_PREFIX}/cache", StaticFiles(directory=cache_dir()), name="static-cache")
    for module in (account, pages, features, assign, tracks, printouts, cases, reports, staff, patrols, gates, layers,
                   archive):
        app.include_router(module.router)
    return app
