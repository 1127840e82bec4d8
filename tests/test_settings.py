"""Settings: every MIYUN_* variable in one class, checked when read, one Chinese line when wrong."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

import pytest

from gis import join_cache
from gis.errors import InputError
from gis.settings import SOURCES_DIR, Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_miyun_env(monkeypatch):
    import os

    for name in [n for n in os.environ if n.startswith("MIYUN_")]:
        monkeypatch.delenv(name)


def test_defaults():
    s = Settings()
    assert (s.layers, s.data_dir, s.basemap, s.basemap_crs, s.index_cache) == (
        Path("layers/miyun.gpkg"), Path("data"), "hillshade", "wgs84", True)
    assert s.operator == getpass.getuser()


@pytest.mark.parametrize(("name", "value", "words"), [
    ("MIYUN_BASEMAP", "googlemaps", "hillshade、none、tianditu"),
    ("MIYUN_BASEMAP", "tianditu", "MIYUN_TIANDITU_KEY"),
    ("MIYUN_BASEMAP_CRS", "mercator", "wgs84、gcj02"),
    ("MIYUN_INDEX_CACHE", "maybe", "1 或 0"),
])
def test_a_bad_value_is_one_chinese_line_naming_the_variable(monkeypatch, name, value, words):
    monkeypatch.setenv(name, value)
    with pytest.raises(InputError) as err:
        Settings()
    text = str(err.value)
    expected = "MIYUN_BASEMAP" if name == "MIYUN_BASEMAP" else name
    assert err.value.field == expected and words in text and "\n" not in text
    assert re.search(r"[\u4e00-\u9fff]", text)


def test_values_are_normalised_and_typed(monkeypatch):
    monkeypatch.setenv("MIYUN_BASEMAP_CRS", "GCJ-02")
    monkeypatch.setenv("MIYUN_BASEMAP", " http://tiles.office.local/{z}/{x}/{y}.png ")
    monkeypatch.setenv("MIYUN_USER", "gis-officer")
    monkeypatch.setenv("MIYUN_INDEX_CACHE", "0")
    s = Settings()
    assert s.basemap_crs == "gcj02" and s.basemap == "http://tiles.office.local/{z}/{x}/{y}.png"
    assert s.operator == "gis-officer" and s.index_cache is False
    assert join_cache.enabled() is False
    monkeypatch.setenv("MIYUN_INDEX_CACHE", "1")
    assert join_cache.enabled() is True


def test_every_miyun_variable_the_code_reads_is_a_setting():
    fields = {f"MIYUN_{name.upper()}" for name in Settings.model_fields}
    mentioned = set()
    for folder in ("gis", "api", "maps"):
        for path in (ROOT / folder).rglob("*.py"):
            mentioned |= set(re.findall(r"MIYUN_[A-Z_]+[A-Z]", path.read_text(encoding="utf-8")))
    assert mentioned <= fields, mentioned - fields
    for folder in ("gis", "api", "maps"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"(environ\.get\(|environ\[|getenv\()[\"']MIYUN_", text), \
                f"{path}: read MIYUN_* through Settings; hand a Workspace on instead of setting the environment"


def test_the_sample_sources_are_package_data():
    assert SOURCES_DIR == ROOT / "gis" / "sample" / "data"
    assert (SOURCES_DIR / "miyun_villages_wgs84.geojson").is_file()
