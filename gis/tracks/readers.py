"""Read GPS fixes from GPX 1.0/1.1, CSV and GeoJSON into one table.

Every reader returns a DataFrame with ``staff_id`` (categorical), ``time`` (UTC),
``lon``, ``lat`` (as given: any CRS, converted later), ``accuracy_m`` and
``row`` (the line or point number in the file, for messages).  Rows that
cannot be read are skipped with a notice naming the row; a file that cannot
be read at all raises :class:`~gis.errors.InputError` naming the file.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import gpxpy
import gpxpy.gpx
import numpy as np
import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as defused

from gis.errors import InputError
from gis.schema import LOCAL_TZ, STAFF_CODE
from gis.tracks.notices import Notices

COLUMNS = ["staff_id", "time", "lon", "lat", "accuracy_m", "row"]
MAX_FILE_BYTES = 1024 * 1024 * 1024  # a district day exported as CSV is about 300 MB


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
        COLUMNS, ["object", "datetime64[ns, UTC]", "float64", "float64", "float64", "int64"])})


_HAS_ZONE = r"(?:[zZ]|[+-]\d{2}:?\d{2})$"


def to_utc(values: pd.Series, name: str, notices: Notices) -> pd.Series:
    """Parse ISO-like times to UTC; those without a zone are taken as Asia/Shanghai (and said so).

    Whole columns of one ISO 8601 form take the fast path; mixed forms are parsed one by one.

    Parameters
    ----------
    values : the time texts of a file
    name : the file's name, for the notice
    notices : where the local-time assumption is noted

    Returns
    -------
    Series of ``datetime64[ns, UTC]`` (``NaT`` where unreadable)

    Examples
    --------
    >>> notices = Notices()
    >>> to_utc(pd.Series(["2026-11-21T08:00:00+08:00", "2026-11-21T00:30:00Z"]), "a.csv", notices).tolist()
    [Timestamp('2026-11-21 00:00:00+0000', tz='UTC'), Timestamp('2026-11-21 00:30:00+0000', tz='UTC')]
    >>> to_utc(pd.Series(["2026-11-21 08:00", "21/11/2026 8:05", "not a time"]), "a.csv", notices).tolist()
    [Timestamp('2026-11-21 00:00:00+0000', tz='UTC'), Timestamp('2026-11-21 00:05:00+0000', tz='UTC'), NaT]
    >>> [str(n) for n in notices]
    ['a.csv：时间没有时区，按北京时间 (Asia/Shanghai) 处理']
    """
    text = values.astype(object).where(values.notna(), None)
    try:
        parsed = pd.to_datetime(text, format="ISO8601")
    except (ValueError, TypeError):
        parsed = None
    if parsed is not None:
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            return parsed.dt.tz_convert("UTC")
        if parsed.notna().any():
            notices.add(name, "时间没有时区，按北京时间 (Asia/Shanghai) 处理", level="info")
        return parsed.dt.tz_localize(LOCAL_TZ, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    text = pd.Series(text, dtype="string").str.strip()
    zoned = text.str.contains(_HAS_ZONE, regex=True, na=False).to_numpy()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if zoned.any():
        out[zoned] = pd.to_datetime(text[zoned], errors="coerce", utc=True, format="mixed")
    naive = ~zoned & text.notna().to_numpy()
    if naive.any():
        local = pd.to_datetime(text[naive], errors="coerce", format="mixed")
        out[naive] = local.dt.tz_localize(LOCAL_TZ, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
        notices.add(name, "时间没有时区，按北京时间 (Asia/Shanghai) 处理", level="info")
    return out


def read_gpx(path: Path, staff: str | None, notices: Notices) -> pd.DataFrame:
    """Fixes of a GPX 1.0 or 1.1 file (track points, else route points or waypoints); DTDs and entities
    refused.  ``staff`` names the staff member when the file does not (its track name otherwise).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "k01.gpx"
    >>> _ = path.write_text('''<gpx version="1.1" creator="phone" xmlns="http://www.topografix.com/GPX/1/1">
    ... <trk><name>XWZ-K01-01</name><trkseg>
    ... <trkpt lat="40.38" lon="116.85"><time>2026-11-21T00:00:00Z</time></trkpt>
    ... <trkpt lat="40.39" lon="116.86"><time>2026-11-21T00:01:00Z</time></trkpt>
    ... </trkseg></trk></gpx>''', encoding="utf-8")
    >>> read_gpx(path, None, Notices())[["staff_id", "lon", "lat"]].values.tolist()
    [['XWZ-K01-01', 116.85, 40.38], ['XWZ-K01-01', 116.86, 40.39]]
    >>> _ = path.write_text('<!DOCTYPE gpx [<!ENTITY a "a">]><gpx>&a;</gpx>', encoding="utf-8")
    >>> read_gpx(path, None, Notices())
    Traceback (most recent call last):
    ...
    gis.errors.InputError: 文件 k01.gpx：GPX 含 DTD 或实体声明，出于安全原因拒收 (DTD or entities refused)
    """
    text = path.read_text(encoding="utf-8", errors="replace")
    try:  # refuse DTDs and entities (XXE, "billion laughs") before the GPX parser sees the file
        defused.fromstring(text.encode("utf-8"), forbid_dtd=True)
    except DefusedXmlException:
        raise InputError("GPX 含 DTD 或实体声明，出于安全原因拒收 (DTD or entities refused)", file=path.name) from None
    except defused.ParseError as exc:
        raise InputError(f"不是有效的 GPX 文件 (malformed GPX): {exc}", file=path.name) from None
    try:
        gpx = gpxpy.parse(text)
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        raise InputError(f"不是有效的 GPX 文件 (malformed GPX): {exc}", file=path.name) from None
    rows = []
    number = 0
    for track in gpx.tracks:
        who = staff or track.name or gpx.author_name or gpx.name
        for segment in track.segments:
            for point in segment.points:
                number += 1
                time = point.time
                accuracy = point.horizontal_dilution * 5.0 if point.horizontal_dilution else np.nan
                rows.append((who, time, point.longitude, point.latitude, accuracy, number))
    for route in gpx.routes:
        if route.points:
            notices.add(path.name, f"忽略航线 {route.name or ''}：航线没有时间，不是巡查轨迹", level="info")
    if not rows:
        return _empty()
    frame = pd.DataFrame(rows, columns=COLUMNS)
    missing_staff = frame["staff_id"].isna()
    if missing_staff.all():
        raise InputError("GPX 中没有保水员编号（轨迹名称）；请用 --staff 指定", file=path.name)
    notices.rows(path.name, frame.loc[missing_staff, "row"], "轨迹没有保水员编号，已跳过 (no staff id)")
    frame = frame[~missing_staff]
    no_time = frame["time"].isna()
    notices.rows(path.name, frame.loc[no_time, "row"], "轨迹点没有时间，已跳过 (no time)")
    frame = frame[~no_time].copy()
    frame["time"] = to_utc(frame["time"].map(lambda t: t.isoformat()), path.name, notices)
    return frame.reset_index(drop=True)


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))  # UTF-32 LE starts like UTF-16 LE
ENCODING_NOTICE = {"gb18030": "文件不是 UTF-8 编码，已按 GB18030（GBK）读取",
                   "utf-16": "文件为 UTF-16 编码（带 BOM），已按 UTF-16 读取",
                   "utf-32": "文件为 UTF-32 编码（带 BOM），已按 UTF-32 读取"}


def _encoding(path: Path) -> str:
    """The byte-order mark's encoding (UTF-8, UTF-16 or UTF-32, as Windows tools write them), else UTF-8,
    else GB18030 — a superset of the GBK that Excel in China writes; the first megabyte decides."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the end of the sample
            return "gb18030"
    return "utf-8-sig"


def _arrow_csv(path: Path, names: dict[str, str], staff: str | None, time_type,
               encoding: str) -> pd.DataFrame | None:
    """The whole file parsed by Arrow's multi-threaded reader with typed columns, or None when a value
    does not parse as its type (the caller then reads it as text and names the rows)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    types = {"lon": pa.float64(), "lat": pa.float64(), "accuracy": pa.float64(), "time": time_type,
             "staff_id": pa.dictionary(pa.int32(), pa.string())}
    wanted = [original for original, name in names.items() if name in types and not (staff and name == "staff_id")]
    try:
        table = pa_csv.read_csv(path, read_options=pa_csv.ReadOptions(encoding="utf8" if encoding == "utf-8-sig"
                                                                      else encoding),
                                convert_options=pa_csv.ConvertOptions(
                                    column_types={c: types[names[c]] for c in wanted}, include_columns=wanted))
    except (pa.ArrowException, UnicodeError):
        return None
    frame = table.to_pandas()
    frame.columns = [names[c] for c in frame.columns]
    return frame


def read_csv(path: Path, staff: str | None, notices: Notices) -> pd.DataFrame:
    """Fixes of a CSV file ``staff_id,time,lon,lat[,accuracy]`` (UTF-8, else GB18030 as Excel in China
    saves it).

    Clean files take the fast path (Arrow parses numbers and ISO 8601 times, with or without a
    zone); a file with bad values is read again as text so that each bad row can be named.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "day.csv"
    >>> _ = path.write_text("staff_id,time,lon,lat\\nXWZ-K01-01,2026-11-21T08:00+08:00,116.85,40.38\\n"
    ...                     "XWZ-K01-01,yesterday,116.86,40.39\\n", encoding="utf-8")
    >>> notices = Notices()
    >>> read_csv(path, None, notices)[["staff_id", "row"]].values.tolist()
    [['XWZ-K01-01', 2]]
    >>> [str(n) for n in notices]
    ['day.csv：时间没有时区，按北京时间 (Asia/Shanghai) 处理', 'day.csv 第 3 行：缺少或无法识别时间 (time)，已跳过']
    """
    import pyarrow as pa

    encoding = _encoding(path)
    if encoding in ENCODING_NOTICE:
        notices.add(path.name, ENCODING_NOTICE[encoding], level="info")
    try:
        header = pd.read_csv(path, nrows=0, encoding=encoding)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError) as exc:
        raise InputError(f"无法读取 CSV (malformed CSV): {exc}", file=path.name) from None
    names = {c: CSV_ALIASES.get(c.strip().lower(), c.strip().lower()) for c in header.columns}
    missing = [c for c in ("time", "lon", "lat") + (() if staff else ("staff_id",)) if c not in names.values()]
    if missing:
        raise InputError(f"CSV 缺少列 {', '.join(missing)}；应为 staff_id, time, lon, lat[, accuracy]",
                         file=path.name)
    raw = _arrow_csv(path, names, staff, pa.timestamp("us", tz="UTC"), encoding)
    if raw is not None:
        times = raw["time"]
    else:
        raw = _arrow_csv(path, names, staff, pa.timestamp("us"), encoding)
        if raw is not None:
            notices.add(path.name, "时间没有时区，按北京时间 (Asia/Shanghai) 处理", level="info")
            times = raw["time"].dt.tz_localize(LOCAL_TZ, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
        else:
            raw = _text_csv(path, encoding)
            raw.columns = [names.get(c, c) for c in raw.columns]
            if "date" in raw and "time" in raw:  # gpsbabel's unicsv: Date and Time in two columns
                raw["time"] = raw["date"].str.strip() + " " + raw["time"].str.strip()
            times = to_utc(raw["time"], path.name, notices)
    frame = pd.DataFrame({
        "staff_id": _strip_staff(pd.Series(staff, index=raw.index, dtype="category") if staff else raw["staff_id"]),
        "time": times,
        "lon": pd.to_numeric(raw["lon"], errors="coerce"),
        "lat": pd.to_numeric(raw["lat"], errors="coerce"),
        "accuracy_m": pd.to_numeric(raw["accuracy"], errors="coerce") if "accuracy" in raw else np.nan,
        "row": np.arange(len(raw)) + 2,  # line numbers, after the header
    })
    del raw
    return _keep_complete(frame, path.name, notices)


def _text_csv(path: Path, encoding: str) -> pd.DataFrame:
    """Every value as text (the slow path for files with bad values); a line with the wrong number of
    fields refuses the file, naming the line (row numbers after it could not be trusted)."""
    try:
        return pd.read_csv(path, dtype=object, encoding=encoding, skipinitialspace=True,
                           on_bad_lines="error", keep_default_na=False)
    except (pd.errors.ParserError, UnicodeError) as exc:
        raise InputError(f"无法读取 CSV (malformed CSV): {exc}", file=path.name) from None


def _strip_staff(values: pd.Series) -> pd.Series:
    """Staff codes without surrounding blanks, empty as missing, as a categorical whose categories
    sort as the codes do (each distinct code stripped once)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("category")
    cleaned = np.array([str(c).strip() for c in values.cat.categories], dtype=object)
    categories = np.unique(cleaned[cleaned != ""]) if len(cleaned) else np.array([], dtype=object)
    position = pd.Index(categories).get_indexer(cleaned)  # -1 for the empty code
    codes = values.cat.codes.to_numpy()
    new_codes = np.where(codes >= 0, np.r_[position, -1][codes], -1)
    return pd.Series(pd.Categorical.from_codes(new_codes, categories=pd.Index(categories, dtype=object)),
                     index=values.index)


def _keep_complete(frame: pd.DataFrame, name: str, notices: Notices) -> pd.DataFrame:
    for column, label in (("staff_id", "保水员编号"), ("time", "时间"), ("lon", "经度"), ("lat", "纬度")):
        bad = frame[column].isna()
        if column in ("lon", "lat"):
            bad |= ~np.isfinite(frame[column].astype(float))
        notices.rows(name, frame.loc[bad, "row"], f"缺少或无法识别{label} ({column})，已跳过")
        frame = frame[~bad]
    return frame[COLUMNS].reset_index(drop=True)


def read_geojson(path: Path, staff: str | None, notices: Notices) -> pd.DataFrame:
    """Fixes of a GeoJSON FeatureCollection (or Feature) of points, or of lines with a time per vertex;
    ``staff_id`` and ``time`` from the properties.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "day.geojson"
    >>> _ = path.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
    ...     "geometry": {"type": "Point", "coordinates": [116.85, 40.38]},
    ...     "properties": {"staff_id": "XWZ-K01-01", "time": "2026-11-21T00:00:00Z"}}]}), encoding="utf-8")
    >>> read_geojson(path, None, Notices())[["staff_id", "lon", "lat"]].values.tolist()
    [['XWZ-K01-01', 116.85, 40.38]]
    """
    try:
        data = json.loads(path.read_bytes())  # UTF-8, -16 or -32, with or without a BOM (RFC 8259 §8.1)
    except (json.JSONDecodeError, UnicodeError) as exc:
        raise InputError(f"不是有效的 GeoJSON (malformed JSON): {exc}", file=path.name) from None
    except RecursionError:
        raise InputError("GeoJSON 嵌套过深，拒收 (nested too deeply)", file=path.name) from None
    if not isinstance(data, dict) or data.get("type") not in ("FeatureCollection", "Feature"):
        raise InputError("GeoJSON 应为 FeatureCollection 或 Feature", file=path.name)
    features = data.get("features", [data]) if data["type"] == "FeatureCollection" else [data]
    if not isinstance(features, list):
        raise InputError("GeoJSON 的 features 应为数组", file=path.name)
    rows = []
    for number, feature in enumerate(features, 1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or not isinstance(props or {}, dict):
            notices.add(path.name, "要素没有几何或属性不是对象，已跳过", row=number)
            continue
        props = props or {}
        who = staff or _scalar_text(props.get("staff_id"))
        coords = geometry.get("coordinates")
        kind = geometry.get("type")
        accuracy = props.get("accuracy") if isinstance(props.get("accuracy"), (int, float)) else None
        props = {**props, "accuracy": accuracy, "time": _scalar_text(props.get("time"))}
        if not isinstance(coords, list):
            notices.add(path.name, "要素的坐标不是数组，已跳过", row=number)
            continue
        try:
            if kind == "Point":
                rows.append((who, props.get("time"), float(coords[0]), float(coords[1]),
                             props.get("accuracy"), number))
            elif kind == "LineString":
                times = props.get("times") or props.get("coordTimes") or []
                if not isinstance(times, list) or len(times) != len(coords):
                    notices.add(path.name, "线要素的 times 与坐标个数不符，已跳过", row=number)
                    continue
                for (lon, lat, *_), time in zip(coords, times):
                    rows.append((who, _scalar_text(time), float(lon), float(lat), props.get("accuracy"), number))
            else:
                notices.add(path.name, f"不支持的几何类型 {kind!r}，已跳过", row=number)
        except (TypeError, ValueError, IndexError, KeyError, OverflowError):
            notices.add(path.name, "坐标无法识别，已跳过", row=number)
    if not rows:
        return _empty()
    frame = pd.DataFrame(rows, columns=["staff_id", "time", "lon", "lat", "accuracy_m", "row"])
    frame["accuracy_m"] = pd.to_numeric(frame["accuracy_m"], errors="coerce")
    frame["time"] = to_utc(frame["time"].astype("string"), path.name, notices)
    return _keep_complete(frame, path.name, notices)


def _scalar_text(value) -> str | None:
    """A JSON property as text (numbers too), or None for null, objects and arrays."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return str(value)


READERS = {".gpx": read_gpx, ".csv": read_csv, ".geojson": read_geojson, ".json": read_geojson}


def read_kml(path: Path, staff: str | None, notices: Notices) -> pd.DataFrame:
    """Read a KML or KMZ track (``gx:Track``, timed points, a timed line): see :mod:`gis.tracks.kml`.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "k01.kml"
    >>> _ = path.write_text('''<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
    ... <Placemark><name>XWZ-K01-01</name><gx:Track>
    ... <when>2026-11-21T00:00:00Z</when><when>2026-11-21T00:01:00Z</when>
    ... <gx:coord>116.85 40.38 150</gx:coord><gx:coord>116.851 40.381 150</gx:coord>
    ... </gx:Track></Placemark></kml>''', encoding="utf-8")
    >>> read_kml(path, "XWZ-K01-01", Notices())[["lon", "lat"]].values.tolist()
    [[116.85, 40.38], [116.851, 40.381]]
    """
    from gis.tracks.kml import read_kml as read  # KML/KMZ through fastkml: its own module

    return read(path, staff, notices)


READERS.update({".kml": read_kml, ".kmz": read_kml})
# common column names of phone and GPS exports → ours (latitude/longitude, lat/lng, gpsbabel unicsv)
CSV_ALIASES = {"latitude": "lat", "longitude": "lon", "lng": "lon", "long": "lon", "datetime": "time",
               "date_time": "time", "staff": "staff_id", "accuracy_m": "accuracy"}


def read_fixes(path: Path, staff: str | None, notices: Notices) -> pd.DataFrame:
    """Read one file of fixes, choosing the reader by extension.

    Parameters
    ----------
    path : a ``.gpx``, ``.csv``, ``.geojson`` or ``.json`` file
    staff : the staff code for files that carry none
    notices : skipped rows and assumptions are noted here

    Returns
    -------
    DataFrame
        ``staff_id`` (categorical), ``time`` (UTC), ``lon``, ``lat``, ``accuracy_m`` and the file's ``row``.

    Raises
    ------
    InputError
        Missing, empty, oversize or unsupported files, and files with no usable fix.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> text = ("staff_id,time,lon,lat\\n=cmd|' /C calc'!A0,2026-11-21T08:00,116.85,40.38\\n"
    ...         "XWZ-K01-01,2026-11-21T08:00,116.85,40.38\\n")
    >>> _ = (folder / "day.csv").write_text(text, encoding="utf-8")
    >>> notices = Notices()
    >>> read_fixes(folder / "day.csv", None, notices)["staff_id"].tolist()
    ['XWZ-K01-01']
    >>> str(list(notices)[-1])
    'day.csv 第 2 行：保水员编号只能含字母、数字、汉字、- _ .（至多 40 个），已跳过'
    >>> read_fixes(folder / "day.kml", None, notices)
    Traceback (most recent call last):
    ...
    gis.errors.InputError: 文件 .../day.kml：文件不存在 (file not found)
    """
    path = Path(path)
    if not path.exists():
        raise InputError("文件不存在 (file not found)", file=str(path))
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(f"不支持的文件类型 {path.suffix or '(无扩展名)'}；支持 GPX、CSV、GeoJSON", file=path.name)
    size = path.stat().st_size
    if size == 0:
        raise InputError("文件为空 (empty file)", file=path.name)
    if size > MAX_FILE_BYTES:
        raise InputError(f"文件过大（{size / 2**20:.0f} MB，上限 {MAX_FILE_BYTES // 2**20} MB）", file=path.name)
    frame = reader(path, staff, notices)
    frame["staff_id"] = _strip_staff(frame["staff_id"])
    codes = frame["staff_id"].cat.codes.to_numpy()
    good = np.array([bool(STAFF_CODE.fullmatch(c)) for c in frame["staff_id"].cat.categories] + [False])
    bad = ~good[codes]  # a missing code (-1) takes the last entry
    if bad.any():
        notices.rows(path.name, frame.loc[bad, "row"], "保水员编号只能含字母、数字、汉字、- _ .（至多 40 个），已跳过")
        frame = frame.loc[~bad].reset_index(drop=True)
        frame["staff_id"] = frame["staff_id"].cat.remove_unused_categories()
    if frame.empty:
        raise InputError("文件中没有可用的轨迹点 (no usable fixes)", file=path.name)
    return frame
