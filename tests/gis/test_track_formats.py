"""Track files as people have them: KML/KMZ (GPSBabel's exports, gx:Track as 六只脚 and 两步路 write it,
GCJ-02 declared or not), GPX from OsmAnd and GPSLogger, CSV with other column names and gpsbabel's
unicsv with Date and Time columns — files written by the real tool where it is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile

import numpy as np
import pandas as pd
import pytest
import shapely

from gis.layers import gpkg
from gis.crs import to_web, wgs84_to_gcj02
from gis.tracks.importer import import_file
from gis.tracks.notices import Notices
from gis.tracks.readers import read_fixes
from gis.tracks.store import read_day

GPSBABEL = shutil.which("gpsbabel")
STAFF = "XWZ-K05-01"
DAY = "2026-11-20"


@pytest.fixture(scope="module")
def walk(sample_layers) -> pd.DataFrame:
    """60 fixes, 30 s apart, walking along the inside of grid XWZ-K05 from 09:00 Miyun time."""
    grids = gpkg.read_layer(sample_layers, "grids").set_index("grid_id")
    loop = grids.geometry["XWZ-K05"].buffer(-20)
    loop = max(getattr(loop, "geoms", [loop]), key=lambda p: p.area).exterior
    xy = shapely.get_coordinates(shapely.line_interpolate_point(loop, np.mod(np.arange(60) * 30.0, loop.length)))
    lon, lat = to_web(xy[:, 0], xy[:, 1])
    times = pd.date_range(f"{DAY}T01:00:00Z", periods=60, freq="30s")
    return pd.DataFrame({"time": times, "lon": np.round(lon, 7), "lat": np.round(lat, 7)})


def _gpx(walk, creator="test", version="1.1", extra="") -> str:
    points = "".join(f'<trkpt lat="{r.lat}" lon="{r.lon}"><ele>152.0</ele><time>{r.time:%Y-%m-%dT%H:%M:%SZ}</time>'
                     f"{extra}</trkpt>\n" for r in walk.itertuples())
    ns = "http://www.topografix.com/GPX/1/1" if version == "1.1" else "http://www.topografix.com/GPX/1/0"
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="{version}" creator="{creator}" xmlns="{ns}">'
            f"<trk><name>{STAFF}</name><trkseg>\n{points}</trkseg></trk></gpx>\n")


def _same_fixes(frame: pd.DataFrame, walk: pd.DataFrame, tolerance: float = 1e-6) -> None:
    frame = frame.sort_values("time").reset_index(drop=True)
    assert len(frame) == len(walk)
    assert (frame["time"].to_numpy() == walk["time"].to_numpy()).all()
    assert np.allclose(frame["lon"], walk["lon"], atol=tolerance) and np.allclose(frame["lat"], walk["lat"],
                                                                                   atol=tolerance)


@pytest.mark.skipif(GPSBABEL is None, reason="gpsbabel not installed (bash .ci/setup --test installs it)")
@pytest.mark.parametrize("options", ["kml,track=1,points=0", "kml"])
def test_kml_and_kmz_from_gpsbabel(tmp_path, walk, grid_index, options):
    """gx:Track (track=1), and GPSBabel's default: time-stamped points in the track's folder plus an untimed line."""
    gpx = tmp_path / "walk.gpx"
    gpx.write_text(_gpx(walk), encoding="utf-8")
    kml = tmp_path / "walk.kml"
    subprocess.run([GPSBABEL, "-t", "-i", "gpx", "-f", str(gpx), "-o", options, "-F", str(kml)], check=True)
    notices = Notices()
    frame = read_fixes(kml, None, notices)
    assert set(frame["staff_id"]) == {STAFF}
    _same_fixes(frame, walk)
    kmz = tmp_path / "walk.kmz"
    with zipfile.ZipFile(kmz, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(kml, "doc.kml")
    result = import_file(kmz, grid_index, tmp_path / "data")
    assert result.stored == 60 and not result.failed, [str(n) for n in result.notices]
    stored = read_day(tmp_path / "data", DAY)
    assert set(stored["grid_id"]) == {"XWZ-K05"} and set(stored["staff_id"]) == {STAFF}


def _six_feet_kml(walk, declare: bool) -> str:
    """A gx:Track as 六只脚 / 两步路 export it: Chinese names, GCJ-02 coordinates."""
    lon, lat = wgs84_to_gcj02(walk["lon"].to_numpy(), walk["lat"].to_numpy())
    whens = "".join(f"<when>{t:%Y-%m-%dT%H:%M:%S}+08:00</when>" for t in walk["time"].dt.tz_convert("Asia/Shanghai"))
    coords = "".join(f"<gx:coord>{x:.7f} {y:.7f} 152</gx:coord>" for x, y in zip(lon, lat))
    note = "<description>坐标系：GCJ-02（火星坐标）</description>" if declare else "<description>两步路导出</description>"
    return ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2" '
            'xmlns:gx="http://www.google.com/kml/ext/2.2"><Document><name>密云巡河</name>' + note +
            f"<Placemark><name>{STAFF}</name><gx:Track><altitudeMode>clampToGround</altitudeMode>{whens}{coords}"
            "</gx:Track></Placemark><Placemark><name>起点</name><Point><coordinates>116.9,40.4</coordinates></Point>"
            "</Placemark></Document></kml>")


def test_gcj02_kml_converted_when_declared_and_warned_when_not(tmp_path, walk, grid_index):
    declared = tmp_path / "六只脚-巡河.kml"
    declared.write_text(_six_feet_kml(walk, declare=True), encoding="utf-8")
    notices = Notices()
    frame = read_fixes(declared, None, notices)
    _same_fixes(frame, walk, tolerance=1e-6)
    assert any("GCJ-02" in n.message and "已转换" in n.message for n in notices)
    silent = tmp_path / "两步路-巡河.kml"
    silent.write_text(_six_feet_kml(walk, declare=False), encoding="utf-8")
    result = import_file(silent, grid_index, tmp_path / "data")
    assert result.stored == 60
    assert any("疑似 GCJ-02" in n.message for n in result.notices), [str(n) for n in result.notices]


def test_linestring_with_timespan_gets_times_said_so(tmp_path, walk):
    coords = " ".join(f"{r.lon},{r.lat},150" for r in walk.itertuples())
    text = ('<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>XWZ-K05-01</name>'
            "<TimeSpan><begin>2026-11-20T09:00:00+08:00</begin><end>2026-11-20T09:29:30+08:00</end></TimeSpan>"
            f"<LineString><coordinates>{coords}</coordinates></LineString></Placemark>"
            "<Placemark><name>untimed</name><LineString><coordinates>116.9,40.4 116.91,40.41</coordinates>"
            "</LineString></Placemark></Document></kml>")
    path = tmp_path / "line.kml"
    path.write_text(text, encoding="utf-8")
    notices = Notices()
    frame = read_fixes(path, None, notices)
    assert len(frame) == 60 and set(frame["staff_id"]) == {STAFF}
    assert frame["time"].min() == walk["time"].min() and frame["time"].max() == walk["time"].max()
    assert any("推算" in n.message for n in notices) and any("没有时间" in n.message for n in notices)


@pytest.mark.parametrize("content, message", [
    ('<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>&x;</name></Document></kml>', "DTD"),
    ('<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark>', "malformed KML"),
])
def test_hostile_and_broken_kml_is_refused_by_name(tmp_path, grid_index, content, message):
    path = tmp_path / "bad.kml"
    path.write_text(content, encoding="utf-8")
    result = import_file(path, grid_index, tmp_path / "data")
    assert result.failed and message in str(result.notices.items[0]) and "bad.kml" in str(result.notices.items[0])
    broken = tmp_path / "bad.kmz"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    result = import_file(broken, grid_index, tmp_path / "data")
    assert result.failed and "KMZ" in result.notices.items[0].message


def test_gpx_from_osmand_and_gpslogger(tmp_path, walk, grid_index):
    osmand = _gpx(walk, creator="OsmAnd Maps 4.7.3 (4.7.3.1)",
                  extra="<hdop>3.2</hdop><extensions><osmand:speed>1.05</osmand:speed></extensions>")
    osmand = osmand.replace('xmlns="http://www.topografix.com/GPX/1/1"', 'xmlns="http://www.topografix.com/GPX/1/1" '
                            'xmlns:osmand="https://osmand.net" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')
    logger = _gpx(walk, creator="GPSLogger 131 - http://gpslogger.mendhak.com/", version="1.0",
                  extra="<course>271.3</course><speed>1.1</speed><geoidheight>-9.0</geoidheight><src>gps</src>"
                        "<sat>9</sat><hdop>0.9</hdop><vdop>1.3</vdop><pdop>1.6</pdop>")
    for name, text in (("osmand.gpx", osmand), ("20261120.gpx", logger)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        frame = read_fixes(path, None, Notices())
        _same_fixes(frame, walk)
        assert set(frame["staff_id"]) == {STAFF}
    assert import_file(tmp_path / "osmand.gpx", grid_index, tmp_path / "data").stored == 60


@pytest.mark.parametrize("header", ["staff_id,time,latitude,longitude,accuracy",
                                    "Staff,DateTime,Lat,Lng,Accuracy_m"])
def test_csv_with_other_column_names(tmp_path, walk, header):
    lines = [header] + [f"{STAFF},{r.time:%Y-%m-%dT%H:%M:%SZ},{r.lat},{r.lon},5" for r in walk.itertuples()]
    path = tmp_path / "aliases.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = read_fixes(path, None, Notices())
    _same_fixes(frame, walk)
    assert (frame["accuracy_m"] == 5).all()


@pytest.mark.skipif(GPSBABEL is None, reason="gpsbabel not installed (bash .ci/setup --test installs it)")
def test_gpsbabel_unicsv_with_date_and_time_columns(tmp_path, walk):
    """unicsv writes Date and Time in two columns, in the local time of the machine (here Miyun's)."""
    gpx = tmp_path / "walk.gpx"
    gpx.write_text(_gpx(walk), encoding="utf-8")
    out = tmp_path / "walk.csv"
    subprocess.run([GPSBABEL, "-t", "-i", "gpx", "-f", str(gpx), "-o", "unicsv", "-F", str(out)], check=True,
                   env={**os.environ, "TZ": "Asia/Shanghai"})
    assert out.read_text().splitlines()[0] == "No,Latitude,Longitude,Altitude,Date,Time"
    notices = Notices()
    frame = read_fixes(out, STAFF, notices)
    _same_fixes(frame, walk)
    assert any("北京时间" in n.message for n in notices)
