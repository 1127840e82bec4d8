"""Fake-patrol evidence: a small labelled benchmark (recall per kind, false positives on honest
staff-days) and the evidence in the daily report of tracks imported as files."""

from __future__ import annotations

import re

import numpy as np
import openpyxl
import pandas as pd
import pytest
from fake_tracks import write_csv

from gis.layers import gpkg
from gis.join import GridIndex
from gis.schema import FAKE_KINDS, FAKE_THRESHOLDS
from gis.tracks import fakes, inject
from gis.tracks.importer import import_file
from gis.tracks.pipeline import load_reference, run_daily

DAY = "2026-11-20"
RECALL_TARGET = 0.95
FALSE_POSITIVE_TARGET = 0.01


@pytest.fixture(scope="module")
def world(sample_layers) -> inject.World:
    return inject.World(gpkg.read_layer(sample_layers, "grids"), gpkg.read_layer(sample_layers, "villages"))


@pytest.fixture(scope="module")
def index(sample_layers) -> GridIndex:
    return GridIndex.from_layers(sample_layers)


def test_every_threshold_says_what_it_means():
    assert FAKE_THRESHOLDS and all(len(t.meaning) >= 12 for t in FAKE_THRESHOLDS.values())
    used = set(re.findall(r'\bt\("(\w+)"\)', open(fakes.__file__, encoding="utf-8").read()))
    assert len(used) > 20
    assert used <= set(FAKE_THRESHOLDS), used - set(FAKE_THRESHOLDS)


def test_small_benchmark_meets_the_targets(world, index):
    grids = world.grids.sample(frac=1, random_state=19)
    grids = grids[grids["staff_quota"].cumsum() <= 260]["grid_id"]  # whole grids: colleagues to copy from
    staff = sorted(world.roster.loc[world.roster["grid_id"].isin(set(grids)), "staff_id"])
    days = [(pd.Timestamp(DAY) - pd.Timedelta(days=k)).strftime("%Y-%m-%d") for k in range(5, 0, -1)]
    earlier = {d: world.honest(d, staff, spikes=False) for d in days}
    history = [fakes.samples_of_frames(d, earlier[d]) for d in days]
    tracks, labels = inject.labelled_day(world, DAY, 0.12, earlier, staff)
    found = inject.detect(DAY, tracks, index, fakes.grid_edges(index.grids), history)
    table = inject.confusion(found, labels).set_index("kind")
    assert set(table.index) == set(FAKE_KINDS) and (table["injected"] >= 2).all(), table
    assert (table["recall"] >= RECALL_TARGET).all(), table
    assert table.attrs["false_positive_rate"] <= FALSE_POSITIVE_TARGET, table.attrs
    assert table.attrs["honest"] >= 200
    # every flagged staff-day carries reasons with numbers, and a score
    flagged = found[found["fake_kinds"] != ""]
    assert (flagged["fake_score"] > 0).all() and flagged["fake_reasons"].str.contains(r"\d").all()
    copier = next(s for s, k in labels.items() if k == "copy")
    reason = found.set_index("staff_id").loc[copier, "fake_reasons"]
    assert "轨迹重合" in reason and "时差" in reason and "%" in reason


def test_daily_report_carries_the_evidence(tmp_path, world, index, sample_layers):
    grid_id = "XWZ-K05"
    mates = world.roster.loc[world.roster["grid_id"] == grid_id, "staff_id"].tolist()
    honest = world.honest(DAY, mates, spikes=False)
    a, b, c = sorted(honest)[:3]
    fake_copy = inject.inject(world, "copy", b, DAY, {a: honest[a]})
    fake_still = inject.inject(world, "still", c, DAY, honest)
    data = tmp_path / "data"
    path = tmp_path / "day.csv"
    write_csv(path, {a: honest[a], b: fake_copy, c: fake_still})
    result = import_file(path, index, data)
    assert result.stored > 0 and not result.failed
    ref = load_reference(sample_layers)
    grid, staff, paths = run_daily(DAY, ref, data)
    people = staff.set_index("staff_id")
    assert grid.set_index("grid_id").loc[grid_id, "fake_suspects"] == f"{b}，{c}"  # the grid's page and popup
    assert people.loc[a, "fake_kinds"] == "" and people.loc[a, "fake_score"] == 0
    assert "copy" in people.loc[b, "fake_kinds"] and f"与 {a} 轨迹重合" in people.loc[b, "fake_reasons"]
    assert f"轨迹被 {b} 复制" in people.loc[a, "fake_reasons"]  # a note for the manager, no score
    assert people.loc[c, "fake_kinds"] == "still" and "小时原地未动" in people.loc[c, "fake_reasons"]
    sheet = openpyxl.load_workbook(next(p for p in paths if p.suffix == ".xlsx"))["保水员日报"]
    headers = [cell.value for cell in sheet[2]]  # under the title row
    assert {"虚假巡查疑点分", "疑点类型"} <= set(headers) and any("不自动扣分" in h for h in headers)
    # the day's minute samples are kept: the next day a replay of it is caught from them
    assert fakes.samples_path(data, DAY).exists()
    next_day = "2026-11-21"
    replay = honest[a].assign(time=honest[a]["time"] + pd.Timedelta(days=1, minutes=25),
                              x=honest[a]["x"] + 2.0, y=honest[a]["y"] - 2.0)
    path2 = tmp_path / "day2.csv"
    write_csv(path2, {a: replay})
    import_file(path2, index, data)
    _, staff2, _ = run_daily(next_day, ref, data)
    row = staff2.set_index("staff_id").loc[a]
    assert "replay" in row["fake_kinds"] and f"与本人 {DAY} 的轨迹重合" in row["fake_reasons"]
    assert "时间后移 25 分钟" in row["fake_reasons"]


def test_stored_mock_flags_feed_the_evidence(index):
    """A tracker app's per-fix mock flag and constant accuracy become reasons."""
    t = np.arange(0, 4 * 3600, 13.0) + 1.7e9
    rng = np.random.default_rng(1)
    x = 500_000 + np.cumsum(rng.normal(0, 10, len(t)))
    y = 4_480_000 + np.cumsum(rng.normal(0, 10, len(t)))
    track = fakes.Track(t, x, y)
    sensors = {"mock": np.r_[np.ones(5), np.zeros(len(t) - 5)], "accuracy": np.full(len(t), 5.0)}
    found = fakes.evidence(DAY, {"S-1": track}, {"S-1": np.full(len(t), -1)}, [], {"S-1": sensors})
    row = found.iloc[0]
    assert row["fake_kinds"] == "mock" and "5 个定位点带模拟位置标记" in row["fake_reasons"]
    assert "定位精度恒为 5" in row["fake_reasons"] and row["fake_score"] == 90


def test_tracker_app_columns_whatever_their_type():
    """Apps send the mock flag as booleans, numbers or words; unknown words count as neither."""
    times = pd.date_range("2026-11-20T01:00Z", periods=4, freq="15s")
    sensors = pd.DataFrame({"staff_id": "S-1", "time": times, "mock": ["true", "0", "是", "maybe"],
                            "accuracy": ["5", "5.0", "x", None]})
    got = fakes._sensors_by_staff(sensors, np.array(["R-0", "S-1"], dtype=object), np.ones(4, np.int32),
                                  times.as_unit("ns").asi8)["S-1"]
    assert np.array_equal(got["mock"][:3], [1.0, 0.0, 1.0]) and np.isnan(got["mock"][3])
    assert got["accuracy"][0] == 5.0 and np.isnan(got["accuracy"][2])


def test_sensor_match_is_a_left_join_on_staff_and_time_whatever_the_time_span():
    """The sort-based match equals a pandas left merge (first duplicate kept), also when times lie so far
    apart that one int64 key per pair cannot hold them and the general join is taken."""
    rng = np.random.default_rng(5)
    for spread in (10**9, 10**18):  # a day's fixes; times ~30 years apart
        right_code, right_ns = rng.integers(0, 50, 3000), rng.integers(0, 400, 3000) * (spread // 400)
        left_code, left_ns = rng.integers(0, 60, 2000), rng.integers(0, 400, 2000) * (spread // 400)
        got = fakes._first_match(left_code, left_ns, right_code, right_ns)
        right = pd.DataFrame({"code": right_code, "ns": right_ns, "row": np.arange(3000)}).drop_duplicates(["code", "ns"])
        want = pd.DataFrame({"code": left_code, "ns": left_ns}).merge(right, on=["code", "ns"], how="left")["row"]
        assert np.array_equal(got, want.fillna(-1).to_numpy(np.int64)) and (got >= 0).any() and (got < 0).any()
