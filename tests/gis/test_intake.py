"""The inbox of live fixes folded into the track store: same cleaning and grids as a file import,
idempotent, invalid and mock locations held back, late fixes said so."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
import shapely

from gis.layers import gpkg
from gis.crs import to_web
from gis.intake.compact import LIVE_SOURCE, compact, day_status, pending
from gis.intake.inbox import Inbox
from gis.intake.protocols import LiveFix, parse_time
from gis.tracks.store import day_files, read_day

STAFF = "XWZ-K05-01"


@pytest.fixture(scope="module")
def walk(sample_layers):
    """Lon/lat of a slow walk along the inside of grid XWZ-K05."""
    grids = gpkg.read_layer(sample_layers, "grids").set_index("grid_id")
    loop = grids.geometry["XWZ-K05"].buffer(-15)
    loop = max(getattr(loop, "geoms", [loop]), key=lambda p: p.area).exterior
    xy = shapely.get_coordinates(shapely.line_interpolate_point(loop, np.arange(200) * 20.0))
    return np.column_stack(to_web(xy[:, 0], xy[:, 1]))


def _fixes(walk, start: datetime, n: int, step_s: int = 30, **extra) -> list[LiveFix]:
    return [LiveFix(time=start + timedelta(seconds=step_s * k), lon=float(walk[k, 0]), lat=float(walk[k, 1]),
                    accuracy_m=5.0, **extra) for k in range(n)]


def _add(inbox, fixes, staff=STAFF):
    return inbox.add(fixes, staff_id=staff, app="osmand", device_id="d0001test")


def test_fold_stores_the_day_like_an_import_and_is_idempotent(tmp_path, grid_index, walk):
    start = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)  # 09:00 in Miyun
    inbox = Inbox(tmp_path)
    assert _add(inbox, _fixes(walk, start, 40)).stored == 40
    assert _add(inbox, _fixes(walk, start, 40)).stored == 0  # resent queue: nothing new
    assert _add(inbox, _fixes(walk, start + timedelta(seconds=5), 3, mock=True)).stored == 3
    assert _add(inbox, _fixes(walk, start + timedelta(seconds=7), 2, valid=False)).stored == 2
    assert pending(inbox) == 45
    result = compact(tmp_path, grid_index)
    assert [d.day for d in result.days] == ["2026-11-20"] and result.days[0].held == 5
    day = read_day(tmp_path, "2026-11-20")
    assert len(day) == 40 and set(day["staff_id"]) == {STAFF} and set(day["source_file"]) == {LIVE_SOURCE}
    assert set(day["grid_id"]) == {"XWZ-K05"} and set(day["town"]) == {"溪翁庄"}  # the core's assignment
    assert day["time"].min() == pd.Timestamp(start) and (day["flag"] == "").all()
    files = day_files(tmp_path, "2026-11-20")
    assert pending(inbox) == 0 and compact(tmp_path, grid_index).days == []
    # more fixes of the same day: the day's files are replaced, not added to
    _add(inbox, _fixes(walk, start + timedelta(hours=1), 20))
    compact(tmp_path, grid_index)
    assert len(day_files(tmp_path, "2026-11-20")) == len(files)  # the day's files replaced, not added to
    assert len(read_day(tmp_path, "2026-11-20")) == 60
    compact(tmp_path, grid_index, refold_all=True)
    assert len(read_day(tmp_path, "2026-11-20")) == 60
    status = day_status(tmp_path, "2026-11-20")
    assert status["live_fixes"] == 60 and status["held_back"] == 5


def test_late_fixes_are_folded_and_said_so(tmp_path, grid_index, walk):
    yesterday = datetime.now(timezone.utc) - timedelta(days=1, hours=2)
    inbox = Inbox(tmp_path)
    _add(inbox, _fixes(walk, yesterday, 10))  # a phone offline all day sends its queue today
    result = compact(tmp_path, grid_index)
    [fold] = result.days
    assert fold.late == 10
    status = day_status(tmp_path, fold.day)
    assert status["late_fixes"] == 10 and status["recomputed_after_late_fixes_at"]
    assert "迟到" in status["note"] and "重新计算" in status["note"]
    assert len(read_day(tmp_path, fold.day)) == 10


def test_jumps_are_flagged_on_the_whole_day(tmp_path, grid_index, walk):
    start = datetime(2026, 11, 21, 1, 0, tzinfo=timezone.utc)
    inbox = Inbox(tmp_path)
    _add(inbox, _fixes(walk, start, 10))
    compact(tmp_path, grid_index)
    far = LiveFix(time=start + timedelta(seconds=301), lon=float(walk[0, 0]) + 0.2, lat=float(walk[0, 1]))
    _add(inbox, [far])  # a jump arriving in a later request is judged against the fixes before it
    compact(tmp_path, grid_index)
    day = read_day(tmp_path, "2026-11-21")
    assert day.loc[day["time"] == pd.Timestamp(far.time), "flag"].tolist() == ["jump"]


@pytest.mark.parametrize("value, expected", [
    (1700000000, "2023-11-14T22:13:20+00:00"), ("1700000000123", "2023-11-14T22:13:20.123000+00:00"),
    ("2026-11-20T09:00:00+08:00", "2026-11-20T01:00:00+00:00"), ("2026-11-20 09:00:00", "2026-11-20T01:00:00+00:00"),
    ("2000-01-01T00:00:00.000Z", "2000-01-01T00:00:00+00:00")])
def test_timestamps_as_the_apps_send_them(value, expected):
    assert parse_time(value, "timestamp").isoformat() == expected
