"""Shared fixtures: the sample layers are built once per test session, for real."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gis.layers import gpkg

# what makes a test slow: the sample built for real (~15 s), a real server, headless Chromium, real QGIS
SLOW_FIXTURES = {"sample_layers", "server", "accounts", "browser"}


def pytest_collection_modifyitems(config, items):
    """Mark ``slow`` every test that uses a slow fixture (directly or through another fixture), so that
    ``pytest -m "not slow"`` is the fast lane without a mark to forget on each new test."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("qgis"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def sample_layers(tmp_path_factory) -> Path:
    """A freshly built sample GeoPackage (read-only: copy it before changing it)."""
    from gis.sample.build import build_sample

    path = tmp_path_factory.mktemp("sample") / "miyun.gpkg"
    build_sample(path)
    return path


@pytest.fixture
def layers_copy(sample_layers, tmp_path) -> Path:
    """A private copy of the sample layers (with the DEM) that a test may change."""
    target = tmp_path / "miyun.gpkg"
    shutil.copy2(sample_layers, target)
    shutil.copy2(gpkg.dem_path(sample_layers), gpkg.dem_path(target))
    return target


@pytest.fixture(scope="session")
def grid_index(sample_layers):
    """The grid index of the sample layers, built once."""
    from gis.join import GridIndex

    return GridIndex.from_layers(sample_layers)


@pytest.fixture(scope="session")
def grid_points(sample_layers) -> dict[str, tuple[float, float]]:
    """A WGS84 point well inside each sample grid, by grid id."""
    grids = gpkg.read_layer(sample_layers, "grids")
    shrunk = grids.geometry.buffer(-30)
    inner = shrunk.where(~shrunk.is_empty, grids.geometry).representative_point().to_crs("EPSG:4326")
    return {g: (p.x, p.y) for g, p in zip(grids["grid_id"], inner)}
