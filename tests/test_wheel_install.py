"""A wheel install works as well as a checkout: data files are package data, not files beside the repo.

The wheel is built from a copy of the sources (nothing written into the work tree) without build
isolation, and installed with ``--no-deps --no-index`` into a fresh virtual environment whose other
packages come from this environment's site-packages: nothing is downloaded.  The installed
``miyun-gis`` then builds the sample and validates it from a folder far from the sources.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin folder of a fresh venv with the product installed from its wheel."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in ("gis", "maps", "api"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                "-q", "-w", work / "dist", source)
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("miyun_gis-*.whl")
    venv = work / "venv"
    made = run(sys.executable, "-m", "venv", "--without-pip", venv)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    outside = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # a checkout on the path looks installed
    done = run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel,
               env=outside)
    assert done.returncode == 0, done.stderr
    assert (site / "gis" / "sample" / "data").is_dir()
    # then the dependencies: this environment's packages, after the wheel's own (their .pth files are
    # not run, so the editable install of the checkout stays out)
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def clean_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIYUN_") and k != "PYTHONPATH"}
    return {**env, "HOME": str(tmp), "XDG_CACHE_HOME": str(tmp / "cache")}


def test_the_installed_package_is_the_wheel_with_its_data(installed, tmp_path):
    found = run(installed / "python", "-c",
                "import gis, gis.settings as s; print(gis.__file__); print(s.SOURCES_DIR)",
                cwd=tmp_path, env=clean_env(tmp_path))
    assert found.returncode == 0, found.stderr
    module, sources = found.stdout.split()
    assert module.startswith(str(installed.parent)) and str(ROOT) not in module
    assert (Path(sources) / "miyun_district_boundary_wgs84.geojson").is_file()
    assert (Path(sources) / "LICENSE-adcode-CC-BY-4.0.md").is_file()


def test_build_sample_and_validate_from_the_wheel(installed, tmp_path):
    env = clean_env(tmp_path)
    out = tmp_path / "layers" / "miyun.gpkg"
    built = run(installed / "miyun-gis", "build-sample", "--out", out, cwd=tmp_path, env=env)
    assert built.returncode == 0, built.stderr
    assert out.is_file() and (tmp_path / "layers" / "miyun_dem.tif").is_file()
    checked = run(installed / "miyun-gis", "validate", out, cwd=tmp_path, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "通过校验 (valid)" in checked.stdout


def test_a_bad_setting_fails_at_start_with_one_chinese_line(installed, tmp_path):
    env = {**clean_env(tmp_path), "MIYUN_BASEMAP": "googlemaps"}
    answer = run(installed / "miyun-gis", "info", cwd=tmp_path, env=env)
    assert answer.returncode == 2
    assert answer.stderr.strip().count("\n") == 0 and "MIYUN_BASEMAP" in answer.stderr
    assert "Traceback" not in answer.stderr
