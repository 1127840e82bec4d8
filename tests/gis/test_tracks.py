"""Tracks: every input format, bad input named by row, the store, and the daily figures."""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest
import shapely

from gis.layers import gpkg
from gis.crs import to_web, wgs84_to_gcj02
from gis.join import GridIndex
from gis.tracks import daily
from gis.tracks.importer import import_file
from gis.tracks.pipeline import load_reference, run_daily, run_days_dask
from gis.tracks.store import read_day

DAY = "2026-11-20"


@pytest.fixture(scope="module")
def index(sample_layers) -> GridIndex:
    return GridIndex.from_layers(sample_layers)


@pytest.fixture(scope="module")
def reference(sample_layers) -> daily.Reference:
    return load_reference(sample_layers)


@pytest.fixture(scope="module")
def grid(sample_layers):
    grids = gpkg.read_layer(sample_layers, "grids").set_index("grid_id")
    return "XWZ-K05", grids.geometry["XWZ-K05"]


def walk_in(geom, n: int, step_s: int = 15, start: str = f"{DAY}T09:00:00+08:00", speed: float = 1.2,
            noise: float = 3.0, seed: int = 0) -> pd.DataFrame:
    """A walk along the inside of a grid: lon/lat, UTC times."""
    rng = np.random.default_rng(seed)
    part = max(getattr(geom, "geoms", [geom]), key=lambda p: p.area)
    loop = part.buffer(-10).exterior
    s = np.mod(np.arange(n) * step_s * speed, loop.length)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(loop, s)) + rng.normal(0, noise, (n, 2))
    lon, lat = to_web(xy[:, 0], xy[:, 1])
    times = pd.Timestamp(start).tz_convert("UTC") + pd.to_timedelta(np.arange(n) * step_s, unit="s")
    return pd.DataFrame({"time": times, "lon": lon, "lat": lat, "x": xy[:, 0], "y": xy[:, 1]})


def write_csv(path, staff, walk, **extra) -> None:
    frame = pd.DataFrame({"staff_id": staff, "time": walk["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "lon": walk["lon"].round(7), "lat": walk["lat"].round(7), **extra})
    frame.to_csv(path, index=False)


def gpx_text(walks: list[tuple[str, list[pd.DataFrame]]], version: str = "1.1", zone: bool = True) -> str:
    ns = "http://www.topografix.com/GPX/1/1" if version == "1.1" else "http://www.topografix.com/GPX/1/0"
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="{version}" creator="test" xmlns="{ns}">']
    for name, segments in walks:
        out.append(f"<trk><name>{name}</name>")
        for seg in segments:
            out.append("<trkseg>")
            for t, lon, lat in zip(seg["time"], seg["lon"], seg["lat"]):
                stamp = t.strftime("%Y-%m-%dT%H:%M:%SZ") if zone else t.tz_convert("Asia/Shanghai").strftime(
                    "%Y-%m-%dT%H:%M:%S")
                out.append(f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><time>{stamp}</time></trkpt>')
            out.append("</trkseg>")
        out.append("</trk>")
    out.append("</gpx>")
    return "\n".join(out)


def test_gpx_with_several_tracks_and_segments_and_naive_times(tmp_path, index, grid):
    grid_id, geom = grid
    a = walk_in(geom, 120)
    b = walk_in(geom, 80, start=f"{DAY}T14:00:00+08:00", seed=1)
    path = tmp_path / "two.gpx"
    path.write_text(gpx_text([(f"{grid_id}-01", [a.iloc[:60], a.iloc[60:]]), (f"{grid_id}-02", [b])], zone=False))
    result = import_file(path, index, tmp_path / "data")
    assert not result.failed and result.stored == 200
    assert any("按北京时间" in str(n) for n in result.notices)
    fixes = read_day(tmp_path / "data", DAY)
    assert set(fixes["staff_id"]) == {f"{grid_id}-01", f"{grid_id}-02"}
    first = fixes[fixes["staff_id"] == f"{grid_id}-01"]["time"].min()
    assert first == pd.Timestamp(f"{DAY}T01:00:00Z")  # 09:00 in Beijing
    assert (fixes["grid_id"] == grid_id).mean() > 0.95


def test_gpx_1_0_and_staff_option(tmp_path, index, grid):
    grid_id, geom = grid
    path = tmp_path / "old.gpx"
    path.write_text(gpx_text([("", [walk_in(geom, 30)])], version="1.0"))
    result = import_file(path, index, tmp_path / "data", staff=f"{grid_id}-07")
    assert result.stored == 30
    assert set(read_day(tmp_path / "data", DAY)["staff_id"]) == {f"{grid_id}-07"}


def test_csv_bad_rows_are_named_and_good_rows_kept(tmp_path, index, grid):
    grid_id, geom = grid
    walk = walk_in(geom, 50)
    path = tmp_path / "phone.csv"
    write_csv(path, f"{grid_id}-03", walk)
    lines = path.read_text().splitlines()
    lines[3] = f"{grid_id}-03,,116.9,40.5"                         # row 4: no time
    lines[5] = f"{grid_id}-03,{DAY}T01:10:00Z,abc,40.5"             # row 6: bad longitude
    lon, lat = walk["lon"][7], walk["lat"][7]
    lines[8] = f"{grid_id}-03,{DAY}T01:20:00Z,{lat},{lon}"          # row 9: swapped
    lines[10] = f"{grid_id}-03,{DAY}T01:30:00Z,2.35,48.85"          # row 11: Paris
    path.write_text("\n".join(lines) + "\n")
    result = import_file(path, index, tmp_path / "data")
    text = "\n".join(str(n) for n in result.notices)
    assert "phone.csv 第 4 行：缺少或无法识别时间" in text
    assert "phone.csv 第 6 行：缺少或无法识别经度" in text
    assert "经纬度顺序颠倒" in text
    assert "phone.csv 第 11 行：坐标不在中国境内" in text
    assert result.stored == 47
    lines[20] += ",extra,fields"  # a line with the wrong number of fields: the file is refused, naming the line
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("\n".join(lines) + "\n")
    refused = import_file(ragged, index, tmp_path / "data")
    assert refused.failed and "line 21" in str(list(refused.notices)[-1])


def test_geojson_points_and_lines(tmp_path, index, grid):
    import json

    grid_id, geom = grid
    walk = walk_in(geom, 20)
    stamps = walk["time"].dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").tolist()
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                 "properties": {"staff_id": f"{grid_id}-04", "time": t}}
                for lon, lat, t in zip(walk["lon"][:10], walk["lat"][:10], stamps[:10])]
    features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [
        [lon, lat] for lon, lat in zip(walk["lon"][10:], walk["lat"][10:])]},
        "properties": {"staff_id": f"{grid_id}-04", "times": stamps[10:]}})
    features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": []}, "properties": {}})
    path = tmp_path / "track.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = import_file(path, index, tmp_path / "data")
    assert result.stored == 20
    assert any("第 12 行：不支持的几何类型 'Polygon'" in str(n) for n in result.notices)


def test_same_file_twice_is_stored_once(tmp_path, index, grid):
    grid_id, geom = grid
    path = tmp_path / "again.csv"
    write_csv(path, f"{grid_id}-05", walk_in(geom, 40))
    assert import_file(path, index, tmp_path / "data").stored == 40
    second = import_file(path, index, tmp_path / "data")
    assert second.skipped and second.stored == 0
    assert "未重复存储" in str(list(second.notices)[0])
    assert len(read_day(tmp_path / "data", DAY)) == 40


def test_undeclared_gcj02_is_warned_and_declared_gcj02_converted(tmp_path, index, grid):
    grid_id, geom = grid
    walk = walk_in(geom, 60, noise=0.5)
    glon, glat = wgs84_to_gcj02(walk["lon"].to_numpy(), walk["lat"].to_numpy())
    amap = walk.assign(lon=glon, lat=glat)
    path = tmp_path / "amap.csv"
    write_csv(path, f"{grid_id}-06", amap)
    warned = import_file(path, index, tmp_path / "undeclared")
    assert any("疑似 GCJ-02" in str(n) for n in warned.notices)
    declared = import_file(path, index, tmp_path / "declared", crs="gcj02")
    assert not any("疑似 GCJ-02" in str(n) for n in declared.notices)
    fixes = read_day(tmp_path / "declared", DAY)
    assert np.hypot(fixes["x"] - walk["x"], fixes["y"] - walk["y"]).max() < 0.05


@pytest.mark.parametrize("content, message", [
    ("<gpx><trk><trkseg><trkpt lat='40.5'", "不是有效的 GPX"),
    ('<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
     '<gpx version="1.1"><trk><name>&xxe;</name><trkseg><trkpt lat="40.5" lon="116.9">'
     '<time>2026-11-20T01:00:00Z</time></trkpt></trkseg></trk></gpx>', "GPX"),
    ("", "文件为空"),
])
def test_malformed_and_hostile_gpx_is_refused_by_name(tmp_path, index, content, message):
    path = tmp_path / "bad.gpx"
    path.write_text(content)
    result = import_file(path, index, tmp_path / "data")
    assert result.failed
    text = str(list(result.notices)[-1])
    assert text.startswith("bad.gpx") and message in text
    assert "root:" not in text


def test_jumps_are_flagged_and_left_out_of_figures(tmp_path, index, reference, grid):
    grid_id, geom = grid
    walk = walk_in(geom, 240)
    walk.loc[100, "lon"] += 0.03  # a 2.5 km spike for one fix
    path = tmp_path / "spike.csv"
    write_csv(path, f"{grid_id}-08", walk)
    result = import_file(path, index, tmp_path / "data")
    assert result.flagged == 1
    fixes = read_day(tmp_path / "data", DAY)
    assert fixes.loc[fixes["flag"] == "jump", "time"].tolist() == [walk["time"][100]]
    grids, staff = daily.daily_figures(DAY, fixes, reference)
    me = staff.set_index("staff_id").loc[f"{grid_id}-08"]
    assert me["jumps"] == 1
    # an hour of walking at 1.2 m/s, the spike left out: about 4.3 km
    assert 3.8 < me["distance_km"] < 5.0


def test_daily_figures_by_hand(tmp_path, index, reference, grid, sample_layers):
    grid_id, geom = grid
    data = tmp_path / "data"
    walker = walk_in(geom, 240)                                   # 09:00–10:00 local
    copycat = walker.assign(lon=walker["lon"] + 1e-6)             # the same track, 8 cm east
    # a fake: a perfectly straight line at constant speed, 5 minutes and more
    straight = walk_in(geom, 40, start=f"{DAY}T11:00:00+08:00")
    x0, y0 = straight["x"][0], straight["y"][0]
    xs = x0 + np.arange(40) * 15 * 1.1
    lon, lat = to_web(xs, np.full(40, y0))
    straight = straight.assign(lon=lon, lat=lat)
    for name, staff, walk in (("w.csv", f"{grid_id}-01", walker), ("c.csv", f"{grid_id}-02", copycat),
                              ("s.csv", f"{grid_id}-03", straight)):
        write_csv(tmp_path / name, staff, walk)
        assert not import_file(tmp_path / name, index, data).failed
    grids, staff, paths = run_daily(DAY, reference, data)
    row = grids.set_index("grid_id").loc[grid_id]
    assert row["uncovered_hours"] == 22 and row["uncovered_list"] == "0–8时，10时，12–23时"
    assert 0.2 < row["coverage_50m"] <= 1.0
    assert row["staff_present"] == 3
    assert 8.0 < row["patrol_km"] < 10.5   # two walkers an hour each at 1.2 m/s, plus the straight bit
    assert row["markers_total"] >= 1
    people = staff.set_index("staff_id")
    assert people.loc[f"{grid_id}-01", "same_track_as"] == f"{grid_id}-02"
    assert people.loc[f"{grid_id}-03", "straight_runs"] >= 1
    assert people.loc[f"{grid_id}-01", "straight_runs"] == 0
    assert people.loc[f"{grid_id}-01", "share_own_grid"] > 0.9
    assert abs(people.loc[f"{grid_id}-01", "on_duty_hours"] - 1.0) < 0.02
    # the Excel report has Chinese headers
    book = pd.read_excel(paths[0], sheet_name=None, header=1)  # row 1: the title
    assert set(book) - {"示例数据"} == {"网格日报", "保水员日报"}  # 示例数据: the sample mark sheet
    assert "无人时段数(小时)" in book["网格日报"].columns and len(book["网格日报"]) == 160

    # the next day the first walker sends yesterday's track again, shifted by a day
    replay = walker.assign(time=walker["time"] + pd.Timedelta(days=1))
    write_csv(tmp_path / "replay.csv", f"{grid_id}-01", replay)
    import_file(tmp_path / "replay.csv", index, data)
    _, staff2, _ = run_daily("2026-11-21", reference, data)
    assert staff2.set_index("staff_id").loc[f"{grid_id}-01", "same_as_day"] == DAY


def test_dask_engine_gives_the_same_numbers(tmp_path, index, reference, sample_layers, grid):
    """dask-geopandas reads each stored (day, town) file as a partition; a day's partitions meet in one
    task; the figures equal the day-by-day in-memory path's, including a walk that crosses from one
    town into another and a track replayed from the day before (found although the days run side by side)."""
    grid_id, geom = grid
    grids = gpkg.read_layer(sample_layers, "grids").set_index("grid_id")
    other_id = grids.index[grids["town"] != grids.loc[grid_id, "town"]][0]
    data = tmp_path / "data"
    there = walk_in(grids.geometry[other_id], 300, start="2026-11-20T09:20:00+08:00", seed=1)
    for day, seed in (("2026-11-20", 1), ("2026-11-21", 2)):
        here = walk_in(geom, 300, start=f"{day}T08:00:00+08:00", seed=seed)
        shifted = there.assign(time=there["time"] + (pd.Timestamp(day) - pd.Timestamp("2026-11-20")))
        write_csv(tmp_path / f"{day}.csv", f"{grid_id}-01", pd.concat([here, shifted], ignore_index=True))
        write_csv(tmp_path / f"{day}-other.csv", f"{other_id}-02", shifted)  # the same track both days
        for name in (f"{day}.csv", f"{day}-other.csv"):
            assert not import_file(tmp_path / name, index, data).failed
    days = ["2026-11-20", "2026-11-21", "2026-11-22"]  # the last has no fixes at all
    assert len(list((data / "tracks" / "date=2026-11-20").glob("town=*/*.parquet"))) == 3
    grid_d, staff_d = run_days_dask(days, sample_layers, data)  # first, with no fingerprints saved yet
    memory = [run_daily(d, reference, data)[:2] for d in days]
    pd.testing.assert_frame_equal(pd.concat([m[0] for m in memory], ignore_index=True), grid_d)
    pd.testing.assert_frame_equal(pd.concat([m[1] for m in memory], ignore_index=True), staff_d)
    walker = staff_d[staff_d["staff_id"] == f"{grid_id}-01"]
    assert len(walker) == 2 and (walker["grids_visited"] == "，".join(sorted([grid_id, other_id]))).all()
    replayed = staff_d.set_index(["date", "staff_id"]).loc[("2026-11-21", f"{other_id}-02")]
    assert replayed["same_as_day"] == "2026-11-20" and replayed["same_track_as"] == f"{grid_id}-01"
    assert len(grid_d) == 3 * len(grids)


def test_simulated_day_is_believable_and_marked(tmp_path, sample_layers):
    from gis.tracks.pipeline import simulate_and_store

    count, _ = simulate_and_store(DAY, sample_layers, tmp_path / "data", n_staff=60)
    fixes = read_day(tmp_path / "data", DAY)
    assert count == len(fixes) > 60 * 1000
    assert fixes["synthetic"].all()
    good = fixes[fixes["flag"] == ""]
    assert good["grid_id"].notna().mean() > 0.9
    steps = good.groupby("staff_id")["time"].diff().dt.total_seconds().dropna()
    assert 10 <= steps.median() <= 20


def test_store_is_geoparquet_that_geopandas_reads(tmp_path, index, grid):
    import geopandas as gpd

    grid_id, geom = grid
    path = tmp_path / "geo.csv"
    walk = walk_in(geom, 30)
    write_csv(path, f"{grid_id}-09", walk)
    import_file(path, index, tmp_path / "data")
    stored = sorted((tmp_path / "data" / "tracks").glob("date=*/town=*/*.parquet"))
    frame = gpd.read_parquet(stored[0])
    assert frame.crs.to_epsg() == 4548 and len(frame) == 30
    assert np.allclose(frame.geometry.x, frame["x"]) and frame["town"].iat[0] == "溪翁庄"


def test_a_write_killed_half_way_leaves_the_day_readable(tmp_path, index, grid):
    """The hidden temporary file of an interrupted write is not part of the store."""
    grid_id, geom = grid
    path = tmp_path / "walk.csv"
    write_csv(path, f"{grid_id}-03", walk_in(geom, 20))
    import_file(path, index, tmp_path / "data")
    partition = next((tmp_path / "data" / "tracks").glob("date=*/town=*"))
    (partition / ".abc123-half-written.parquet").write_bytes(b"PAR1 truncated")
    day = partition.parent.name.split("=", 1)[1]
    assert len(read_day(tmp_path / "data", day)) == 20
    # the next import into that partition removes what a killed writer left there an hour ago or more
    stale, fresh = partition / ".walk-k3x9_q2z.parquet", partition / ".walk-a1b2c3d4.parquet"
    for leftover in (stale, fresh):
        leftover.write_bytes(b"PAR1 truncated")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    other = tmp_path / "walk2.csv"
    write_csv(other, f"{grid_id}-04", walk_in(geom, 20))
    import_file(other, index, tmp_path / "data")
    assert not stale.exists() and fresh.exists()  # a write in progress is never touched
    assert len(read_day(tmp_path / "data", day)) == 40


def test_csv_saved_by_excel_in_gbk_is_read(tmp_path, index, grid):
    """Excel in China saves CSV as GBK: read as GB18030, and said so."""
    grid_id, geom = grid
    walk = walk_in(geom, 30)
    path = tmp_path / "导出.csv"
    frame = pd.DataFrame({"staff_id": f"{grid_id}-05", "time": walk["time"].dt.strftime("%Y-%m-%d %H:%M:%S"),
                          "lon": walk["lon"].round(7), "lat": walk["lat"].round(7), "备注": "正常巡查"})
    frame.to_csv(path, index=False, encoding="gbk")
    result = import_file(path, index, tmp_path / "data")
    assert not result.failed and result.stored == 30
    assert any("GB18030" in str(n) for n in result.notices)
