"""A process killed (SIGKILL) at any moment of a layer import, a track import or a case update leaves
every store readable and consistent."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from gis.layers import gpkg
from gis.layers.validate import validate

MIYUN = str(Path(sys.executable).with_name("miyun-gis"))
ROUNDS = 6


def run_and_kill(args: list[str], env: dict, delay: float) -> bool:
    """Start a command and SIGKILL it after ``delay`` seconds; True when it was still running."""
    proc = subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    alive = proc.poll() is None
    if alive:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    return alive


def test_killed_layer_imports_leave_valid_layers(layers_copy, tmp_path):
    villages = gpkg.read_layer(layers_copy, "villages")
    source = tmp_path / "villages.geojson"
    villages.to_file(source, driver="GeoJSON")
    rng = random.Random(7)
    killed = 0
    for _ in range(ROUNDS):
        killed += run_and_kill([MIYUN, "import-layer", "villages", str(source), "--layers", str(layers_copy)],
                               {}, rng.uniform(0.3, 2.5))
        assert validate(layers_copy) == []
        assert len(gpkg.read_layer(layers_copy, "villages")) == len(villages)
    assert killed >= ROUNDS // 2  # most rounds really were cut short


def test_killed_track_imports_lose_nothing_once_repeated(sample_layers, tmp_path):
    from gis.tracks.pipeline import simulate_and_store
    from gis.tracks.store import read_day

    day = "2026-11-17"
    csv = tmp_path / "day.csv"
    expected, _ = simulate_and_store(day, sample_layers, tmp_path, n_staff=40, out=csv)
    data = tmp_path / "data"
    env = {"MIYUN_LAYERS": str(sample_layers)}
    rng = random.Random(11)
    for _ in range(ROUNDS):
        run_and_kill([MIYUN, "tracks", "import", str(csv), "--data-dir", str(data)], env, rng.uniform(1.0, 8.0))
        read_day(data, day)  # readable after every kill
    done = subprocess.run([MIYUN, "tracks", "import", str(csv), "--data-dir", str(data)], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert len(read_day(data, day)) == expected
    again = subprocess.run([MIYUN, "tracks", "import", str(csv), "--data-dir", str(data)], env={**os.environ, **env},
                           capture_output=True, text=True, timeout=600)
    assert "已于" in again.stdout + again.stderr and len(read_day(data, day)) == expected


UPDATER = """
import sys
from gis.ledger.cases import Cases
from gis.ledger.db import Ledger
cases = Cases(Ledger.in_dir(sys.argv[1]), lambda: None)
ids = [r["case_id"] for r in cases.ledger.query("SELECT case_id FROM cases")]
n = 0
while True:
    n += 1
    cases.update(ids[n % len(ids)], user="writer", note=f"note {n}", description=f"description {n}")
"""


def test_killed_case_updates_leave_a_consistent_ledger(tmp_path, grid_index, grid_points):
    from gis.ledger.cases import Cases
    from gis.ledger.db import Ledger

    cases = Cases(Ledger.in_dir(tmp_path), lambda: grid_index)
    for grid in ("XWZ-K01", "XWZ-K02", "SC-K01"):
        cases.add(user="u", category="sewage", source="patrol", reporter="r", lon=grid_points[grid][0],
                  lat=grid_points[grid][1])
    script = tmp_path / "updater.py"
    script.write_text(UPDATER)
    rng = random.Random(3)
    for _ in range(ROUNDS):
        run_and_kill([sys.executable, str(script), str(tmp_path)], {}, rng.uniform(1.0, 3.0))
        db = sqlite3.connect(tmp_path / "ledger.sqlite")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for case_id, version in db.execute("SELECT case_id, version FROM cases"):
            events = db.execute("SELECT COUNT(*) FROM case_events WHERE case_id = ?", (case_id,)).fetchone()[0]
            assert version == events  # one event per version: every update landed whole or not at all
            audits = db.execute("SELECT COUNT(*) FROM audit WHERE record_id = ? AND field = 'version'",
                                (case_id,)).fetchone()[0]
            assert audits == version  # the creation's line, then one per update
        db.close()
    assert sum(v for (v,) in sqlite3.connect(tmp_path / "ledger.sqlite").execute("SELECT version FROM cases")) > 10
