"""The FastAPI app: ``uvicorn api.app:create_app --factory`` or ``miyun-gis serve``."""

from __future__ import annotations

from fastapi import FastAPI

from api import errors
from api.routes import printouts


def create_app() -> FastAPI:
    app = FastAPI(title="密云水库保水网格 GIS", version="0.1.0",
                  description="Miyun water-protection grid GIS: maps, printouts and data for managers.")
    errors.install(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict:
        return {"status": "ok"}

    app.include_router(printouts.router)
    return app
