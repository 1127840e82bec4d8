"""The roster of grid staff (网格保水员花名册) and the register of other public-welfare posts.

The district's roster is imported from Excel or CSV; until then the sample
roster gives every grid its quota of staff as codes (``XWZ-K01-03``), never
invented names.  Nobody may hold a staff post and another public-welfare post
(护林员, 保洁员 …): both imports refuse such a person, naming the rows.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gis.layers import gpkg
from gis.errors import InputError
from gis.ledger.db import Ledger
from gis.localtime import parse_day
from gis.reports.writers import header_row
from gis.staff.codes import roster_from_grids
from gis.schema import (
    GRIDS,
    OTHER_POSTS,
    PROGRAMME_START,
    QUOTA_BY_TOWN,
    REEVALUATION_YEARS,
    STAFF_CODE,
    STAFF_COLUMNS,
    STAFF_ROLES,
    STAFF_STATUSES,
    SYNTHETIC_PREFIX,
    VILLAGES,
)

REQUIRED = ("staff_id", "person_id", "town", "grid_id", "start_date")
# a roster exported by `staff list --out` reads back: its Chinese labels to codes
FROM_LABELS = {"role": {v: k for k, v in STAFF_ROLES.items()}, "status": {v: k for k, v in STAFF_STATUSES.items()}}
SAMPLE_SOURCE = f"{SYNTHETIC_PREFIX}: sample roster from the grid quotas (codes, no names)"


def sample_roster(layers: Path) -> pd.DataFrame:
    """Every grid's quota of staff as codes; the first of each grid leads it; village = the town's
    village nearest the grid."""
    grids = gpkg.read_layer(layers, GRIDS.name)
    villages = gpkg.read_layer(layers, VILLAGES.name)
    roster = roster_from_grids(grids).drop(columns=["shift"])
    centres = gpd.GeoDataFrame(grids[["grid_id", "town"]], geometry=grids.geometry.representative_point())
    nearest = {}
    for town, group in centres.groupby("town"):
        own = villages.loc[villages["town"] == town]
        pool = own if len(own) else villages
        joined = gpd.sjoin_nearest(group, pool[["name", "geometry"]], how="left")
        nearest.update(joined.drop_duplicates("grid_id").set_index("grid_id")["name"].to_dict())
    roster["village"] = roster["grid_id"].map(nearest).fillna("")
    roster["person_id"] = "P-" + roster["staff_id"]
    roster["name"] = ""
    roster["role"] = np.where(roster["staff_id"].str.endswith("-01"), "leader", "member")
    roster["start_date"] = PROGRAMME_START
    roster["end_date"] = None
    roster["evaluated_on"] = PROGRAMME_START
    roster["status"] = "active"
    return roster


def _canonical(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """English column names from English or Chinese headers; required columns present; text values."""
    by_chinese = {v: k for k, v in STAFF_COLUMNS.items()}
    frame = frame.rename(columns=lambda c: by_chinese.get(str(c).strip(), str(c).strip()))
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"缺少列：{'、'.join(f'{c}（{STAFF_COLUMNS[c]}）' for c in missing)}", file=file)
    for column in STAFF_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    frame = frame[list(STAFF_COLUMNS)].astype(object).where(frame[list(STAFF_COLUMNS)].notna(), "")
    frame = frame.map(lambda v: str(v).strip())
    for column, codes in FROM_LABELS.items():
        frame[column] = frame[column].map(lambda v, codes=codes: codes.get(v, v))
    return frame


def read_roster_file(path: Path) -> pd.DataFrame:
    """A roster from .xlsx or .csv (UTF-8 or GBK), Chinese or English headers."""
    if not path.exists():
        raise InputError("文件不存在 (file not found)", file=str(path))
    try:
        header = 0
        if path.suffix.lower() == ".xlsx":
            header = header_row(path)
            frame = pd.read_excel(path, dtype=str, header=header)
        elif path.suffix.lower() == ".csv":
            try:
                frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
            except UnicodeDecodeError:
                frame = pd.read_csv(path, dtype=str, encoding="gbk")
        else:
            raise InputError("花名册应为 .xlsx 或 .csv", file=str(path))
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(f"无法读取：{exc}", file=str(path)) from None
    frame = _canonical(frame, str(path))
    frame.attrs["first_row"] = header + 2  # the sheet row of the first record, for messages
    return frame


def check_roster(frame: pd.DataFrame, grid_towns: dict[str, str], taken: set[str], file: str) -> pd.DataFrame:
    """Refuse a roster with unknown towns or grids, bad dates, duplicates or people in other posts."""
    first_row = frame.attrs.get("first_row", 2)  # below the header (and a title row above it)
    frame = _canonical(frame, file)
    problems = []
    for row, rec in enumerate(frame.to_dict("records"), start=first_row):
        where = f"第 {row} 行"
        if not all(rec[c] for c in REQUIRED):
            problems.append(f"{where}：{'、'.join(STAFF_COLUMNS[c] for c in REQUIRED if not rec[c])} 为空")
            continue
        if not STAFF_CODE.fullmatch(rec["staff_id"]):
            problems.append(f"{where}：保水员编号 {rec['staff_id'][:20]!r} 只能含字母、数字、汉字、- _ .")
        if rec["town"] not in QUOTA_BY_TOWN:
            problems.append(f"{where}：镇 {rec['town']} 不在网格化管理范围内")
        if grid_towns.get(rec["grid_id"]) != rec["town"]:
            problems.append(f"{where}：网格 {rec['grid_id']} 不属于 {rec['town']}")
        for column in ("start_date", "end_date", "evaluated_on"):
            if rec[column]:
                try:
                    parse_day(rec[column][:10], field=column)
                except InputError:
                    problems.append(f"{where}：{STAFF_COLUMNS[column]} {rec[column]} 不是日期")
        if rec["status"] and rec["status"] not in STAFF_STATUSES:
            problems.append(f"{where}：状态 {rec['status']} 应为 {'、'.join(STAFF_STATUSES)}")
        if rec["role"] and rec["role"] not in STAFF_ROLES:
            problems.append(f"{where}：岗位 {rec['role']} 应为 {'、'.join(STAFF_ROLES)}")
        if rec["person_id"] in taken:
            problems.append(f"{where}：{rec['person_id']} 已在其他公益性岗位登记，不能兼任保水员")
    for column in ("staff_id", "person_id"):
        dup = frame.loc[frame[column].duplicated(), column]
        if len(dup):
            problems.append(f"{STAFF_COLUMNS[column]} 重复：{'、'.join(dup.unique()[:5])}")
    if problems:
        more = f"……共 {len(problems)} 处" if len(problems) > 10 else ""
        raise InputError("花名册有误，未导入：" + "；".join(problems[:10]) + more, file=file)
    frame["role"] = frame["role"].replace("", "member")
    frame["status"] = frame["status"].replace("", "active")
    frame["evaluated_on"] = np.where(frame["evaluated_on"] == "", frame["start_date"], frame["evaluated_on"])
    for column in ("start_date", "end_date", "evaluated_on"):
        frame[column] = frame[column].str[:10]
    frame["end_date"] = frame["end_date"].replace("", None)
    return frame


def load_roster(ledger: Ledger, frame: pd.DataFrame, grid_towns: dict[str, str], *, user: str, source: str,
                file: str = "花名册") -> int:
    """Replace the roster with ``frame`` in one transaction (staff with deductions keep their history).

    Returns the number of staff loaded.
    """
    taken = {r["person_id"] for r in ledger.query("SELECT person_id FROM other_posts")}
    frame = check_roster(frame, grid_towns, taken, file)
    with ledger.write(user) as tx:
        current = {r["staff_id"]: dict(r) for r in tx.execute("SELECT * FROM staff").fetchall()}
        for rec in frame.to_dict("records"):
            values = {**rec, "source": source}
            old = current.pop(rec["staff_id"], None)
            if old is None:
                tx.insert("staff", rec["staff_id"], values)
            else:
                tx.update("staff", {"staff_id": rec["staff_id"]}, old, values)
        for staff_id, old in current.items():  # no longer on the roster: kept as having left
            if old["status"] == "active":
                tx.update("staff", {"staff_id": staff_id}, old, {"status": "left"})
    return len(frame)


def add_other_posts(ledger: Ledger, frame: pd.DataFrame, *, user: str, file: str = "公益性岗位名册") -> int:
    """Register people in other public-welfare posts; refuses anyone who is grid staff."""
    frame = frame.rename(columns={"人员识别号": "person_id", "岗位": "post", "镇": "town", "起始日期": "since"})
    if not {"person_id", "post"} <= set(frame.columns):
        raise InputError("缺少列：人员识别号(person_id)、岗位(post)", file=file)
    staff = {r["person_id"]: r["staff_id"] for r in ledger.query("SELECT person_id, staff_id FROM staff "
                                                                  "WHERE status = 'active'")}
    problems = []
    for row, rec in enumerate(frame.to_dict("records"), start=2):
        if rec["post"] not in OTHER_POSTS:
            problems.append(f"第 {row} 行：岗位 {rec['post']} 应为 {'、'.join(OTHER_POSTS)}")
        if rec["person_id"] in staff:
            problems.append(f"第 {row} 行：{rec['person_id']} 是在岗保水员 {staff[rec['person_id']]}，不能兼任")
    if problems:
        raise InputError("；".join(problems[:10]), file=file)
    with ledger.write(user) as tx:
        for rec in frame.to_dict("records"):
            tx.upsert("other_posts", {"person_id": rec["person_id"], "post": rec["post"]},
                      {"town": rec.get("town") or "", "since": rec.get("since")})
    return len(frame)


def roster(ledger: Ledger, *, active_on: date | None = None) -> pd.DataFrame:
    """The roster; with ``active_on``, the staff on duty that day."""
    frame = pd.DataFrame([dict(r) for r in ledger.query("SELECT * FROM staff ORDER BY staff_id")],
                         columns=[*STAFF_COLUMNS, "source"])
    if active_on is not None:
        day = active_on.isoformat()
        on_duty = (frame["start_date"] <= day) & (frame["end_date"].isna() | (frame["end_date"] >= day)) \
            & frame["status"].isin(["active"])
        frame = frame.loc[on_duty]
    return frame.reset_index(drop=True)


def reevaluations_due(ledger: Ledger, on: date, within_days: int = 90) -> pd.DataFrame:
    """Active staff whose 3-yearly re-evaluation falls due within ``within_days`` of ``on`` (or is past)."""
    frame = roster(ledger)
    frame = frame.loc[frame["status"] == "active"].copy()
    last = pd.to_datetime(frame["evaluated_on"])
    frame["due_on"] = (last + pd.DateOffset(years=REEVALUATION_YEARS)).dt.date.astype(str)
    horizon = (pd.Timestamp(on) + pd.Timedelta(days=within_days)).date().isoformat()
    return frame.loc[frame["due_on"] <= horizon].sort_values(["due_on", "staff_id"]).reset_index(drop=True)
