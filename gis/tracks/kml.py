"""Read tracks from KML and KMZ (Google Earth, 两步路, 六只脚, GPSBabel) with fastkml.

What carries time becomes fixes: ``gx:Track`` and ``gx:MultiTrack`` (a ``when`` per ``gx:coord``),
points with a ``TimeStamp``, and a ``LineString`` with a ``TimeSpan`` (its vertices get times spread
by distance between begin and end — said so in a warning, since the phone did not record them).
A line with no time is not a patrol track and is skipped with a notice.

Hardened like the GPX path: DTDs and entities are refused by defusedxml before fastkml sees the
file; a KMZ is opened as a zip with its members' sizes checked before they are read.  Chinese apps
usually write GCJ-02: a file that says so (GCJ-02 / 火星坐标 in its text) is converted to WGS84 here;
one that does not is checked by the importer, which warns when the points fit the grids far better
once converted.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as defused

from gis.crs import gcj02_to_wgs84
from gis.errors import InputError
from gis.tracks.notices import Notices

MAX_KML_BYTES = 512 * 1024 * 1024
_DECLARES_GCJ02 = re.compile(rb"gcj-?02|\xe7\x81\xab\xe6\x98\x9f\xe5\x9d\x90\xe6\xa0\x87", re.IGNORECASE)  # 火星坐标


def _kmz_document(path: Path) -> bytes:
    """The KML inside a KMZ: ``doc.kml``, else the first ``.kml`` member."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if m.filename.lower().endswith(".kml")]
            if not members:
                raise InputError("KMZ 中没有 .kml 文件", file=path.name)
            member = next((m for m in members if m.filename.lower() == "doc.kml"), members[0])
            if member.file_size > MAX_KML_BYTES:
                raise InputError(f"KMZ 中的 {member.filename} 解压后过大（{member.file_size / 2**20:.0f} MB）",
                                 file=path.name)
            with archive.open(member) as handle:
                data = handle.read(MAX_KML_BYTES + 1)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise InputError(f"不是有效的 KMZ（zip）文件：{exc}", file=path.name) from None
    if len(data) > MAX_KML_BYTES:
        raise InputError("KMZ 解压后过大", file=path.name)
    return data


def _parse(data: bytes, name: str):
    from fastkml import kml

    try:  # refuse DTDs and entities (XXE, "billion laughs") before fastkml (lxml) sees the file
        defused.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise InputError("KML 含 DTD 或实体声明，出于安全原因拒收 (DTD or entities refused)", file=name) from None
    except defused.ParseError as exc:
        raise InputError(f"不是有效的 KML 文件 (malformed KML): {exc}", file=name) from None
    try:
        return kml.KML.from_string(data, strict=False)
    except Exception as exc:  # noqa: BLE001 - fastkml raises many kinds for bad documents
        raise InputError(f"不是有效的 KML 文件 (malformed KML): {exc}", file=name) from None


def _when(value) -> datetime | None:
    return getattr(value, "dt", None) if value is not None else None


GENERIC_FOLDERS = {"points", "tracks", "track", "paths", "waypoints", "轨迹", "轨迹点", "航点"}


def _placemarks(feature, folders: tuple[str, ...] = ()):
    """Each placemark with the names of the folders it is in (outermost first)."""
    if len(folders) > 50:
        raise InputError("KML 文件夹嵌套过深")
    if type(feature).__name__ == "Placemark":
        yield feature, folders
    name = (getattr(feature, "name", None) or "").strip()
    for child in getattr(feature, "features", None) or []:
        yield from _placemarks(child, (*folders, name))


def _folder_name(folders: tuple[str, ...]) -> str | None:
    """The innermost folder with a name of its own (GPSBabel puts a track's points in "Points")."""
    return next((f for f in reversed(folders) if f and f.lower() not in GENERIC_FOLDERS), None)


def _spread(coords: np.ndarray, begin: datetime, end: datetime) -> list[datetime]:
    """Times for a line's vertices between ``begin`` and ``end``, in proportion to the distance along it."""
    steps = np.hypot(*np.diff(coords[:, :2], axis=0).T) if len(coords) > 1 else np.array([])
    along = np.r_[0.0, np.cumsum(steps)]
    share = along / along[-1] if len(along) and along[-1] > 0 else np.linspace(0, 1, len(coords))
    return [begin + (end - begin) * float(s) for s in share]


def read_kml(path: Path, staff: str | None, notices: Notices) -> pd.DataFrame:
    """Fixes from a ``.kml`` or ``.kmz`` file (columns as every reader's, see :mod:`gis.tracks.readers`)."""
    from gis.tracks.readers import _empty, _keep_complete, to_utc

    path = Path(path)
    data = _kmz_document(path) if path.suffix.lower() == ".kmz" else path.read_bytes()
    document = _parse(data, path.name)
    rows, number = [], 0
    try:
        placemarks = [p for top in document.features or [] for p in _placemarks(top)]
    except InputError as err:
        raise InputError(err.message, file=path.name) from None
    for placemark, folders in placemarks:
        geometry = placemark.kml_geometry
        # a track names its staff member; a time-stamped point is one of a track's points, named by its folder
        who = staff or ((_folder_name(folders) or placemark.name) if type(geometry).__name__ == "Point"
                        else placemark.name or _folder_name(folders))
        kind = type(geometry).__name__
        tracks = geometry.tracks if kind == "MultiTrack" else [geometry] if kind == "Track" else []
        for track in tracks:
            for item in track.track_items or []:
                number += 1
                if item.coord is not None:
                    rows.append((who, _when(item.when), item.coord.x, item.coord.y, np.nan, number))
        if kind == "Point":
            number += 1
            stamp = getattr(placemark.times, "timestamp", None)
            rows.append((who, _when(stamp), geometry.geometry.x, geometry.geometry.y, np.nan, number))
        elif kind == "LineString":
            coords = np.asarray(geometry.geometry.coords, dtype=float)
            begin, end = _when(getattr(placemark.times, "begin", None)), _when(getattr(placemark.times, "end", None))
            if begin is None or end is None:
                notices.add(path.name, f"线 {placemark.name or ''} 没有时间（TimeSpan），不是巡查轨迹，已跳过",
                            level="info")
                number += len(coords)
                continue
            notices.add(path.name, f"线 {placemark.name or ''} 只有起止时间：{len(coords)} 个点的时间按距离在起止之间"
                        "推算，不是手机记录的时间")
            for (lon, lat, *_), when in zip(coords, _spread(coords, begin, end)):
                number += 1
                rows.append((who, when, lon, lat, np.nan, number))
        elif not tracks and geometry is not None:
            notices.add(path.name, f"不支持的几何类型 {kind}（{placemark.name or ''}），已跳过", level="info")
    if not rows:
        return _empty()
    frame = pd.DataFrame(rows, columns=["staff_id", "time", "lon", "lat", "accuracy_m", "row"])
    if _DECLARES_GCJ02.search(data):
        frame["lon"], frame["lat"] = gcj02_to_wgs84(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
        notices.add(path.name, "文件声明坐标为 GCJ-02（火星坐标），已转换为 WGS84", level="info")
    if frame["staff_id"].isna().all():
        raise InputError("KML 中没有保水员编号（轨迹名称）；请用 --staff 指定", file=path.name)
    frame["time"] = to_utc(frame["time"].map(lambda t: None if pd.isna(t) else t.isoformat()), path.name, notices)
    return _keep_complete(frame, path.name, notices)
