"""Live fixes through a real server: folded into the day in the background, and none lost when the
server (or a fold) is killed with SIGKILL while fixes stream in."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pandas as pd
from conftest import start_server
from probes import free_port
from phones import add_phone, inbox_rows, run

from gis.tracks.store import read_day

STAFF = "XWZ-K05-03"


def _env(layers, data, every: str) -> dict:
    return {"MIYUN_LAYERS": str(layers), "MIYUN_DATA_DIR": str(data), "MIYUN_COMPACT_SECONDS": every}


def _local_day(moment: datetime) -> str:
    return pd.Timestamp(moment).tz_convert("Asia/Shanghai").strftime("%Y-%m-%d")


def test_background_fold_puts_live_fixes_in_the_day(tmp_path, sample_layers, grid_points):
    data = tmp_path / "data"
    phone = add_phone(STAFF, data, sample_layers)
    port = free_port()
    proc = start_server(_env(sample_layers, data, "2"), port)
    try:
        lon, lat = grid_points["XWZ-K05"]
        start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=9)
        for k in range(12):
            form = {"id": phone.secret, "lat": f"{lat + k * 1e-5:.6f}", "lon": f"{lon:.6f}",
                    "timestamp": str(int((start + timedelta(seconds=30 * k)).timestamp())), "accuracy": "6"}
            assert httpx.post(f"http://127.0.0.1:{port}/ingest/osmand", data=form).status_code == 200
        day = _local_day(start)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(read_day(data, day)) < 12:
            time.sleep(1)
        stored = read_day(data, day)
        assert len(stored) == 12 and set(stored["staff_id"]) == {STAFF} and set(stored["grid_id"]) == {"XWZ-K05"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _stream(base: str, secret: str, spot, start: datetime, counter, acked: list, stop: threading.Event) -> None:
    with httpx.Client(timeout=5) as client:
        while not stop.is_set():
            k = next(counter)
            when = start + timedelta(seconds=k)
            form = {"id": secret, "lat": f"{spot[1] + (k % 50) * 1e-6:.6f}", "lon": f"{spot[0]:.6f}",
                    "timestamp": str(int(when.timestamp())), "accuracy": "5"}
            try:
                if client.post(f"{base}/ingest/osmand", data=form).status_code == 200:
                    acked.append(pd.Timestamp(when))
            except httpx.HTTPError:
                if stop.is_set():
                    return
                time.sleep(0.05)


def test_sigkill_while_fixes_stream_in_loses_nothing_answered(tmp_path, sample_layers, grid_points):
    data = tmp_path / "data"
    phone = add_phone(STAFF, data, sample_layers)
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=9)
    counter, acked, stop = itertools.count(), [], threading.Event()
    port = free_port()
    proc = start_server(_env(sample_layers, data, "0"), port)
    threads = [threading.Thread(target=_stream, args=(f"http://127.0.0.1:{port}", phone.secret,
                                                      grid_points["XWZ-K05"], start, counter, acked, stop))
               for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(4)
    os.kill(proc.pid, signal.SIGKILL)  # mid-stream: some requests are in flight
    proc.wait(timeout=30)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    answered = set(acked)
    assert len(answered) > 20, len(answered)
    # a fold killed half-way, then a whole one
    fold = subprocess.Popen([str(Path(sys.executable).with_name("miyun-gis")), "tracks", "compact",
                             "--layers", str(sample_layers), "--data-dir", str(data)])
    time.sleep(3.5)
    fold.send_signal(signal.SIGKILL)
    fold.wait(timeout=30)
    result = run("tracks", "compact", data_dir=data, layers=sample_layers)
    assert result.returncode == 0, result.stderr
    day = read_day(data, _local_day(start))
    stored = set(day["time"])
    assert answered <= stored, f"{len(answered - stored)} fixes answered 200 are missing"
    assert len(day) == len(stored) == len(inbox_rows(data))  # none doubled
    # the server starts again on the same inbox and keeps accepting
    proc = start_server(_env(sample_layers, data, "0"), port)
    try:
        form = {"id": phone.secret, "lat": f"{grid_points['XWZ-K05'][1]}", "lon": f"{grid_points['XWZ-K05'][0]}",
                "timestamp": str(int((start - timedelta(seconds=1)).timestamp()))}
        assert httpx.post(f"http://127.0.0.1:{port}/ingest/osmand", data=form).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
