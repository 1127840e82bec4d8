"""Nothing lost: the track store's invariant at write, imports visible all at once, corrections that
replace, and the encodings Windows tools write (issue 14, faults 1–4).

The files come from the hostile corpus (``tests/data/bad/tricky_*``: accepted, but only when read right).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gis.crs import gcj02_to_wgs84
from gis.errors import InputError
from gis.tracks.importer import import_file
from gis.tracks import store as track_store
from gis.tracks.store import day_files, read_day, stored_days, tracks_dir

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
DAY = "2026-11-20"
MIYUN = str(Path(sys.executable).with_name("miyun-gis"))


def test_swapped_latitude_and_longitude_are_swapped_right(tmp_path, grid_index):
    """Fault 1: the import said "swapped" but stored lon == lat and infinite x, y."""
    source = pd.read_csv(BAD / "tricky_latlon_swapped.csv")
    result = import_file(BAD / "tricky_latlon_swapped.csv", grid_index, tmp_path)
    assert not result.failed and result.stored == 30
    assert any("颠倒" in str(n) for n in result.notices)
    fixes = read_day(tmp_path, DAY)
    assert np.allclose(np.sort(fixes["lon"]), np.sort(source["lat"]))  # the longitude was in the lat column
    assert np.allclose(np.sort(fixes["lat"]), np.sort(source["lon"]))
    assert np.isfinite(fixes[["x", "y"]].to_numpy()).all()
    assert (fixes["grid_id"] == "XWZ-K05").all()


def _fixes(n: int = 5, **change) -> pd.DataFrame:
    frame = pd.DataFrame({
        "staff_id": pd.Categorical(["XWZ-K05-01"] * n),
        "time": pd.date_range("2026-11-20T01:00:00Z", periods=n, freq="15s"),
        "lon": np.full(n, 116.95), "lat": np.full(n, 40.51), "x": np.full(n, 495_760.0),
        "y": np.full(n, 4_483_900.0), "accuracy_m": np.full(n, 5.0),
        "flag": pd.Categorical([""] * n), "grid_id": "XWZ-K05", "town": "溪翁庄",
        "source_file": "t.csv", "synthetic": False})
    for column, value in change.items():
        frame[column] = value
    return frame


@pytest.mark.parametrize("change, words", [
    ({"x": [np.inf, 1.0, 1.0, 1.0, 1.0]}, "有限值"),
    ({"lat": [116.95] * 5}, "适用范围"),
    ({"lon": [np.nan] * 5}, "有限值"),
    ({"lon": [121.47] * 5}, "适用范围"),  # Shanghai: outside EPSG:4548's area of use
    ({"staff_id": [None, "a", "a", "a", "a"]}, "保水员编号"),
    ({"staff_id": ["=HYPERLINK(1)"] * 5}, "保水员编号"),
    ({"time": pd.date_range("2026-11-20T09:00:00", periods=5, freq="15s")}, "UTC"),
    ({"time": pd.date_range("2026-11-20T09:00:00+08:00", periods=5, freq="15s")}, "UTC"),
])
def test_the_store_refuses_fixes_that_break_the_invariant(tmp_path, change, words):
    """Whatever path fixes come by (file import, simulation, live intake), the one write function
    refuses the batch and writes nothing."""
    with pytest.raises(InputError, match=words):
        track_store.write_import(tmp_path, _fixes(**change), "live-batch-1", file_name="live")
    assert not list(tracks_dir(tmp_path).rglob("*.parquet")) and stored_days(tmp_path) == []
    track_store.check_fixes(_fixes(), "ok")  # the good batch passes


KILLER = """
import os, signal, sys
from pathlib import Path
import pyarrow.parquet as pq
from gis.join import GridIndex
from gis.tracks.importer import import_file

calls, real = [0], pq.write_table
def write_then_die(*args, **kwargs):
    calls[0] += 1
    if calls[0] > int(sys.argv[4]):
        os.kill(os.getpid(), signal.SIGKILL)  # a real SIGKILL between two partitions
    return real(*args, **kwargs)
pq.write_table = write_then_die
import_file(Path(sys.argv[1]), GridIndex.from_layers(Path(sys.argv[2])), Path(sys.argv[3]))
"""


def test_an_import_killed_between_partitions_is_invisible_until_completed(tmp_path, sample_layers, grid_index):
    """Fault 2: SIGKILL after some of a day's town partitions left that part of the day visible."""
    from gis.tracks.pipeline import simulate_and_store

    csv = tmp_path / "day.csv"
    expected, _ = simulate_and_store(DAY, sample_layers, tmp_path, n_staff=24, out=csv)
    data = tmp_path / "data"
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    killed = subprocess.run([sys.executable, str(script), str(csv), str(sample_layers), str(data), "3"],
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    written = list(tracks_dir(data).glob(f"date={DAY}/town=*/*.parquet"))
    assert len(written) == 3  # three partitions reached the disk …
    assert day_files(data, DAY) == [] and len(read_day(data, DAY)) == 0  # … but none is part of the store
    daily = subprocess.run([MIYUN, "tracks", "daily", "--date", DAY, "--data-dir", str(data), "-q"],
                           env={**os.environ, "MIYUN_LAYERS": str(sample_layers)}, capture_output=True, text=True,
                           timeout=600)
    assert daily.returncode == 0, daily.stderr
    result = import_file(csv, grid_index, data)  # the re-import completes it
    assert not result.skipped and result.stored == expected
    assert len(read_day(data, DAY)) == expected and len(day_files(data, DAY)) > 3


def test_a_correction_replaces_the_earlier_import_and_says_who(tmp_path, grid_index):
    """Fault 3: re-importing with --crs gcj02 (or another --staff) answered "already imported"."""
    path = BAD / "tricky_gcj02_undeclared.csv"
    first = import_file(path, grid_index, tmp_path, user="xwz_op")
    assert first.stored == 30 and not first.replaced
    raw = pd.read_csv(path)
    assert np.allclose(np.sort(read_day(tmp_path, DAY)["lon"]), np.sort(raw["lon"]))
    again = import_file(path, grid_index, tmp_path, user="xwz_op")
    assert again.skipped and again.stored == 0  # the same options twice: stored once

    fixed = import_file(path, grid_index, tmp_path, crs="gcj02", user="gis1")
    assert fixed.replaced and fixed.stored == 30 and not fixed.skipped
    stored = read_day(tmp_path, DAY)
    lon, lat = gcj02_to_wgs84(raw["lon"].to_numpy(), raw["lat"].to_numpy())
    assert len(stored) == 30 and np.allclose(np.sort(stored["lon"]), np.sort(lon), atol=1e-7)
    assert len(list(tracks_dir(tmp_path).rglob("*.parquet"))) == len(day_files(tmp_path, DAY))  # old files gone

    staffed = import_file(path, grid_index, tmp_path, crs="gcj02", staff="XWZ-K05-07", user="gis1")
    assert staffed.replaced and set(read_day(tmp_path, DAY)["staff_id"]) == {"XWZ-K05-07"}
    assert import_file(path, grid_index, tmp_path, crs="GCJ02", staff="XWZ-K05-07").skipped
    audit = track_store.import_audit(tmp_path)
    assert [a["action"] for a in audit] == ["imported", "replaced", "replaced"]
    assert audit[1]["user"] == "gis1" and '"crs": "gcj02"' in audit[1]["new"] and '"fixes": 30' in audit[1]["old"]


def test_utf16_csv_with_a_bom_is_read(tmp_path, grid_index):
    """Fault 4: a UTF-16 CSV (with a BOM, as Windows tools write) was refused with a codec error."""
    result = import_file(BAD / "tricky_utf16_bom.csv", grid_index, tmp_path)
    assert not result.failed and result.stored == 30, [str(n) for n in result.notices]
    assert any("UTF-16" in str(n) for n in result.notices)
    assert set(read_day(tmp_path, DAY)["staff_id"]) == {"XWZ-K05-03"}


def test_geojson_with_a_utf8_bom_is_read(tmp_path, grid_index):
    source = pd.read_csv(BAD / "tricky_utf16_bom.csv", encoding="utf-16")
    features = ",".join(
        f'{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{a},{b}]}},'
        f'"properties":{{"staff_id":"XWZ-K05-04","time":"{t}"}}}}'
        for t, a, b in zip(source["time"], source["lon"], source["lat"]))
    path = tmp_path / "bom.geojson"
    path.write_bytes(b"\xef\xbb\xbf" + f'{{"type":"FeatureCollection","features":[{features}]}}'.encode())
    assert import_file(path, grid_index, tmp_path / "data").stored == 30


def test_files_of_an_import_killed_long_ago_are_swept(tmp_path, grid_index):
    """Unlisted files never were part of the store; once older than any write takes, the next import into
    their partition gives the space back (a fresh one may be a write in progress and stays)."""
    import time

    assert not import_file(BAD / "tricky_latlon_swapped.csv", grid_index, tmp_path).failed
    folder = day_files(tmp_path, DAY)[0].parent
    stale, fresh = folder / "0123456789abcdef.parquet", folder / "fedcba9876543210.parquet"
    for leftover in (stale, fresh):
        leftover.write_bytes(day_files(tmp_path, DAY)[0].read_bytes())
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert not import_file(BAD / "tricky_utf16_bom.csv", grid_index, tmp_path).failed
    assert not stale.exists() and fresh.exists()
    assert len(read_day(tmp_path, DAY)) == 60  # the two imports, nothing of the leftovers
