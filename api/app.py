"""The FastAPI app: ``uvicorn api.app:create_app --factory`` or ``miyun-gis serve``."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import errors
from api.routes import assign, cases, features, pages, patrols, printouts, reports, staff, tracks
from api.state import cache_dir


def create_app() -> FastAPI:
    app = FastAPI(title="密云水库保水网格 GIS", version="0.1.0",
                  description="Miyun water-protection grid GIS: maps, printouts and data for managers.")
    errors.install(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict:
        return {"status": "ok"}

    from maps.web import STATIC_PREFIX, asset_dirs

    for name, folder in asset_dirs().items():
        app.mount(f"{STATIC_PREFIX}/{name}", StaticFiles(directory=folder), name=f"static-{name}")
    cache_dir().mkdir(parents=True, exist_ok=True)
    app.mount(f"{STATIC_PREFIX}/cache", StaticFiles(directory=cache_dir()), name="static-cache")
    app.include_router(pages.router)
    app.include_router(features.router)
    app.include_router(assign.router)
    app.include_router(tracks.router)
    app.include_router(printouts.router)
    app.include_router(cases.router)
    app.include_router(reports.router)
    app.include_router(staff.router)
    app.include_router(patrols.router)
    return app
