"""Property tests (hypothesis) for the parsers users reach: dates and months, coordinates and CRS, and
track files (CSV, GPX, GeoJSON).  Whatever the input, the only exception that escapes is the product's own
:class:`~gis.errors.InputError` (a message naming the file, row or field); what comes out keeps the
product's invariants (days in range; stored fixes finite, in the CRS area of use, UTC)."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis.errors import InputError
from gis.limits import YEAR_MAX, YEAR_MIN
from gis.localtime import month_first, parse_day, parse_moment
from gis.tracks.clean import AREA_OF_USE
from gis.tracks.notices import Notices
from gis.tracks.readers import read_fixes

FAST = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
FILES = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))

DATEISH = st.one_of(
    st.text(max_size=30),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(str),
    st.builds(lambda y, m, d, sep: f"{y}{sep}{m}{sep}{d}", st.integers(-10, 100000), st.integers(-1, 40),
              st.integers(-1, 40), st.sampled_from(["-", "/", ".", "", " "])),
)


@FAST
@given(DATEISH)
def test_a_day_is_in_range_or_an_input_error(text):
    try:
        day = parse_day(text, field="date")
    except InputError as err:
        assert err.field == "date" and err.message
    else:
        assert YEAR_MIN <= day.year <= YEAR_MAX


@FAST
@given(st.one_of(st.text(max_size=12), st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(0, 99999),
                                                 st.integers(0, 99))))
def test_a_month_is_in_range_or_an_input_error(text):
    try:
        first = month_first(text, field="month")
    except InputError:
        return
    assert first.day == 1 and YEAR_MIN <= first.year <= YEAR_MAX


@FAST
@given(st.one_of(st.text(max_size=40), st.datetimes().map(lambda d: d.isoformat()),
                 st.datetimes().map(lambda d: d.isoformat() + "+14:00")))
def test_a_moment_is_utc_or_an_input_error(text):
    try:
        moment = parse_moment(text, field="time", allow_future=True)
    except InputError:
        return
    assert moment.utcoffset().total_seconds() == 0 and YEAR_MIN - 1 <= moment.year <= YEAR_MAX + 1


COORDINATE = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-200, 200),
                       st.floats(115, 119), st.floats(39, 42))


@FAST
@given(st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["gcj02", "bd09", "EPSG:4326", "EPSG:4548",
                                                                   "EPSG:99999", "WGS84", "+proj=bogus"])),
       st.lists(st.tuples(COORDINATE, COORDINATE), min_size=1, max_size=5))
def test_a_case_location_is_a_geometry_or_an_input_error(crs, points):
    from gis.ledger.location import to_storage_geometry

    lon, lat = points[0]
    try:
        geom = to_storage_geometry(lon=lon, lat=lat, crs=crs)
    except InputError:
        pass
    else:
        assert np.isfinite([geom.x, geom.y]).all()
    ring = [[a, b] for a, b in points] + [[points[0][0], points[0][1]]]
    try:
        to_storage_geometry(geometry={"type": "Polygon", "coordinates": [ring]}, crs=crs)
    except InputError:
        pass


def check_fixes_out(frame) -> None:
    assert list(frame.columns) == ["staff_id", "time", "lon", "lat", "accuracy_m", "row"]
    assert np.isfinite(frame["lon"].to_numpy(float)).all() and np.isfinite(frame["lat"].to_numpy(float)).all()
    assert str(frame["time"].dt.tz) == "UTC" and not frame["time"].isna().any()


def read(name: str, content: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            frame = read_fixes(path, None, Notices())
        except InputError as err:
            assert err.file == name or name in str(err)
            return None
        check_fixes_out(frame)
        return frame


CELL = st.one_of(st.text(max_size=12), st.floats().map(str), st.integers().map(str),
                 st.sampled_from(["", "NaN", "inf", "-inf", "1e999", "XWZ-K05-01", "=1+1", "2026-11-20T01:00:00Z",
                                  "0001-01-01T00:00:00", "9999-12-31 23:59:59", "2026-13-45", "116.95", "40.51"]))


@FILES
@given(st.lists(st.lists(CELL, min_size=3, max_size=6), max_size=8),
       st.sampled_from(["staff_id,time,lon,lat", "staff_id,time,lon,lat,accuracy", "time,lon,lat", "a,b"]),
       st.sampled_from(["utf-8", "utf-16", "gb18030", "utf-8-sig"]))
def test_any_csv_gives_fixes_or_an_input_error(rows, header, encoding):
    text = header + "\n" + "\n".join(",".join(c.replace(",", " ").replace("\n", " ") for c in row) for row in rows)
    read("t.csv", text.encode(encoding, errors="replace"))


@FILES
@given(st.lists(st.tuples(st.one_of(COORDINATE.map(str), st.text(max_size=6)),
                          st.one_of(COORDINATE.map(str), st.text(max_size=6)),
                          st.one_of(st.just("2026-11-20T01:00:00Z"), st.text(max_size=25))), max_size=6),
       st.one_of(st.just("XWZ-K05-01"), st.text(max_size=10)))
def test_any_gpx_gives_fixes_or_an_input_error(points, name):
    from xml.sax.saxutils import escape, quoteattr

    body = "".join(f"<trkpt lat={quoteattr(a)} lon={quoteattr(b)}><time>{escape(t)}</time></trkpt>"
                   for a, b, t in points)
    text = (f'<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
            f"<trk><name>{escape(name)}</name><trkseg>{body}</trkseg></trk></gpx>")
    read("t.gpx", text.encode("utf-8", errors="replace"))


JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), st.text(max_size=8)),
                    lambda inner: st.one_of(st.lists(inner, max_size=4),
                                            st.dictionaries(st.text(max_size=6), inner, max_size=4)), max_leaves=12)
FEATURE = st.fixed_dictionaries({
    "type": st.sampled_from(["Feature", "Nope"]),
    "geometry": st.one_of(JSON, st.fixed_dictionaries({
        "type": st.sampled_from(["Point", "LineString", "Polygon"]),
        "coordinates": st.one_of(JSON, st.tuples(COORDINATE, COORDINATE).map(list),
                                 st.lists(st.tuples(COORDINATE, COORDINATE).map(list), max_size=4))})),
    "properties": st.one_of(JSON, st.fixed_dictionaries({
        "staff_id": st.one_of(st.just("XWZ-K05-01"), JSON), "time": st.one_of(st.just("2026-11-20T01:00:00Z"), JSON),
        "times": st.one_of(JSON, st.lists(st.just("2026-11-20T01:00:00Z"), max_size=4))}))})


@FILES
@given(st.one_of(JSON, st.fixed_dictionaries({"type": st.just("FeatureCollection"),
                                              "features": st.one_of(JSON, st.lists(FEATURE, max_size=5))})))
def test_any_geojson_gives_fixes_or_an_input_error(data):
    read("t.geojson", json.dumps(data, allow_nan=True).encode())


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.floats(-200, 200), st.floats(-200, 200)), min_size=1, max_size=6),
       st.sampled_from([None, "gcj02", "bd09", "EPSG:4548", "EPSG:3857"]))
def test_whatever_is_stored_keeps_the_fix_invariant(grid_index, points, crs):
    """Through the whole import (swap, CRS conversion, cleaning, the store): each fix stored is finite
    and inside the CRS area of use, or the file is refused with a message."""
    from gis.tracks.importer import import_file
    from gis.tracks.store import read_day, stored_days

    rows = "".join(f"XWZ-K05-01,2026-11-20T01:{i:02d}:00Z,{a!r},{b!r}\n" for i, (a, b) in enumerate(points))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.csv"
        path.write_text("staff_id,time,lon,lat\n" + rows)
        result = import_file(path, grid_index, Path(folder) / "data", crs=crs)
        assert result.failed or result.stored > 0
        for day in stored_days(Path(folder) / "data"):
            fixes = read_day(Path(folder) / "data", day)
            values = fixes[["lon", "lat", "x", "y"]].to_numpy(float)
            assert np.isfinite(values).all()
            minx, miny, maxx, maxy = AREA_OF_USE
            assert ((fixes["lon"] >= minx) & (fixes["lon"] <= maxx) & (fixes["lat"] >= miny)
                    & (fixes["lat"] <= maxy)).all()
