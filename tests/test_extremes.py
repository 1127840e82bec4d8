"""Values at the ends of the calendar and beyond 64 bits (issue 14, faults 11–12): over HTTP a 4xx naming
the field, on the CLI exit 2 with one line — never a 500 or a traceback; an ambiguous date is refused,
never reinterpreted.  The values are the corpus file ``tests/data/bad/extreme_values.json``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BAD = Path(__file__).resolve().parent / "data" / "bad"
CORPUS = json.loads((BAD / "extreme_values.json").read_text(encoding="utf-8"))
MIYUN = str(Path(sys.executable).with_name("miyun-gis"))


@pytest.mark.parametrize("args", CORPUS["cli"], ids=" ".join)
def test_extreme_values_on_the_cli_are_one_line_and_exit_2(args, tmp_path, sample_layers):
    env = {**os.environ, "MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([MIYUN, *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "data" / "tracks").exists() or not list((tmp_path / "data" / "tracks").rglob("*.parquet"))


def test_an_ambiguous_date_is_refused_naming_the_form(tmp_path, sample_layers):
    env = {**os.environ, "MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([MIYUN, "simulate-tracks", "--date", "01-12-2026", "--staff", "2"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "YYYY-MM-DD" in done.stderr and "01-12-2026" in done.stderr
    assert not (tmp_path / "data" / "tracks" / "date=2026-01-12").exists()
