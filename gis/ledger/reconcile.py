"""Satellite clues against the towns' patrol ledgers (密政发〔2022〕19号 第十六条).

Each month the planning bureau compares the satellite-image clues with what
every town reported.  A clue and a ledger case match when they lie within
``tolerance_m`` of each other.  A clue that matches none of the month's cases
but a case the town reported in an earlier month and has not closed is no
omission either (the structure was in the ledger already).  Per town: clues
matched by the month's cases, clues matched by earlier open cases, clues
missing from the ledger, ledger cases not among the clues, and the
consistency rate — matched clues of either kind over all clues (100 % when
there were none) — judged against the user's threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.errors import InputError
from gis.layers.replace import read_source, to_storage_crs
from gis.join import GridIndex
from gis.ledger.cases import Cases
from gis.ledger.monthly import findings, open_before
from gis.localtime import local_text
from gis.schema import (
    CASE_COLUMNS,
    JUDGEMENTS,
    RECONCILE_CASE_COLUMNS,
    RECONCILE_CLUE_COLUMNS,
    RECONCILE_COLUMNS,
    RECONCILE_RESULTS,
    STORAGE_CRS,
    TOWN_QUOTAS,
)

MATCH_TOLERANCE_M = 30.0
DEFAULT_THRESHOLD = 0.8
CLUE_ID_FIELDS = ("clue_id", "线索编号", "图斑编号", "JCBH", "TBBH", "id")
OUTSIDE_TOWNS = "其他"


@dataclass
class Reconciliation:
    month: str
    summary: pd.DataFrame  # one row per town, English columns
    clues: gpd.GeoDataFrame  # the clues with town, grid, result and matched case ids
    ledger: gpd.GeoDataFrame  # the town cases (points) with result and matched clue ids

    def sheets(self) -> dict[str, pd.DataFrame]:
        summary = self.summary.copy()
        summary["consistency"] = (summary["consistency"] * 100).round(1).astype(str) + "%"
        summary["judgement"] = summary["judgement"].map(JUDGEMENTS)
        clue_cols = RECONCILE_CLUE_COLUMNS
        case_cols = {**CASE_COLUMNS, **RECONCILE_CASE_COLUMNS}
        return {
            "比对汇总": summary.rename(columns=RECONCILE_COLUMNS),
            "卫片线索": pd.DataFrame(self.clues.drop(columns="geometry"))[list(clue_cols)].rename(columns=clue_cols),
            "巡查台账": pd.DataFrame(self.ledger.drop(columns="geometry")).rename(columns=case_cols),
        }

    def write_layer(self, path: Path) -> Path:
        from dataclasses import replace

        from gis.layers import outputs

        return outputs.write(path, {
            "reconcile_clues": (replace(outputs.RECONCILE_CLUES, title=f"{self.month} 卫片线索比对"), self.clues),
            "reconcile_ledger": (replace(outputs.RECONCILE_LEDGER, title=f"{self.month} 巡查台账比对"),
                                 self.ledger),
        })


def read_clues(path: Path, crs: str | None = None) -> gpd.GeoDataFrame:
    """Clue polygons (or points) from any OGR file, in EPSG:4548, each with a ``clue_id``."""
    frame = to_storage_crs(read_source(path, None), crs, path)
    if frame.empty:
        raise InputError("线索文件没有要素", file=str(path))
    for i, geom in enumerate(frame.geometry, start=1):
        if geom is None or geom.is_empty:
            raise InputError("要素没有几何", file=str(path), row=i)
        if not geom.is_valid:
            raise InputError(f"面不合法：{shapely.is_valid_reason(geom)}", file=str(path), row=i)
    id_field = next((f for f in CLUE_ID_FIELDS if f in frame.columns), None)
    ids = frame[id_field].astype(str) if id_field else pd.Series([f"线索{i:04d}" for i in range(1, len(frame) + 1)])
    if ids.duplicated().any():
        raise InputError(f"线索编号重复：{'、'.join(ids[ids.duplicated()].unique()[:5])}", file=str(path),
                         field=id_field)
    return gpd.GeoDataFrame({"clue_id": ids.to_numpy()}, geometry=frame.geometry.to_numpy(), crs=STORAGE_CRS)


def _pairs(clues: np.ndarray, cases: np.ndarray, tolerance_m: float) -> tuple[np.ndarray, np.ndarray]:
    if not len(clues) or not len(cases):
        return np.array([], int), np.array([], int)
    clue_idx, case_idx = shapely.STRtree(cases).query(clues, predicate="dwithin", distance=tolerance_m)
    return clue_idx, case_idx


def _partners(ids: np.ndarray, left: np.ndarray, right: np.ndarray, n: int) -> list[str]:
    out = [[] for _ in range(n)]
    for a, b in zip(left, right):
        out[a].append(str(ids[b]))
    return [";".join(sorted(set(p))) for p in out]


def reconcile(cases: Cases, index: GridIndex, clues: gpd.GeoDataFrame, month: str, *,
              tolerance_m: float = MATCH_TOLERANCE_M, threshold: float = DEFAULT_THRESHOLD) -> Reconciliation:
    """Compare ``clues`` (EPSG:4548, with ``clue_id``) with the towns' ledgers for ``month``."""
    if not 0 <= threshold <= 1:
        raise InputError("一致率阈值应在 0 到 1 之间", field="threshold", value=threshold)
    placed = index.assign_polygons(clues.geometry) if len(clues) else pd.DataFrame(columns=["town", "grid_id"])
    clues = clues.assign(town=placed["town"].fillna(OUTSIDE_TOWNS).to_numpy(), grid_id=placed["grid_id"].to_numpy(),
                         area_m2=np.round(clues.geometry.area.to_numpy(), 1), month=month)
    ledger = findings(cases, month)
    clue_geoms = np.asarray(clues.geometry.array)
    clue_idx, case_idx = _pairs(clue_geoms, cases.geometries(ledger), tolerance_m)
    clue_hit = np.isin(np.arange(len(clues)), clue_idx)
    case_hit = np.isin(np.arange(len(ledger)), case_idx)
    earlier = open_before(cases, month)  # still-open cases of earlier months: the clue is no omission
    rest = np.flatnonzero(~clue_hit)
    old_clue, old_case = _pairs(clue_geoms[rest], cases.geometries(earlier), tolerance_m)
    old_clue = rest[old_clue]
    earlier_hit = np.isin(np.arange(len(clues)), old_clue)
    clues["result"] = np.select([clue_hit, earlier_hit], [RECONCILE_RESULTS["matched"],
                                                          RECONCILE_RESULTS["matched_earlier"]],
                                RECONCILE_RESULTS["missing_from_ledger"])
    clues["matched"] = _partners(np.r_[ledger["case_id"].to_numpy(), earlier["case_id"].to_numpy()],
                                 np.r_[clue_idx, old_clue], np.r_[case_idx, len(ledger) + old_case], len(clues))
    ledger = ledger.assign(result=np.where(case_hit, RECONCILE_RESULTS["matched"], RECONCILE_RESULTS["not_in_clues"]),
                           matched=_partners(clues["clue_id"].to_numpy(), case_idx, clue_idx, len(ledger)),
                           reported_at=ledger["reported_at"].map(local_text))
    ledger = ledger[[c for c in CASE_COLUMNS if c in ledger.columns] + ["result", "matched"]]
    ledger_layer = gpd.GeoDataFrame(ledger, geometry=gpd.points_from_xy(ledger["lon"], ledger["lat"]),
                                    crs="EPSG:4326").to_crs(STORAGE_CRS)
    towns = [q.name for q in TOWN_QUOTAS]
    towns += sorted(set(clues["town"]) - set(towns))
    rows = []
    for town in towns:
        here = clues["town"].to_numpy() == town
        mine, before = clue_hit[here], earlier_hit[here]
        agreeing = mine | before
        ledger_only = int((~case_hit[ledger["town"].to_numpy() == town]).sum())
        rate = float(agreeing.mean()) if len(agreeing) else 1.0
        rows.append({"town": town, "month": month, "clues": len(mine), "matched": int(mine.sum()),
                     "matched_earlier": int(before.sum()),
                     "missing_from_ledger": int((~agreeing).sum()), "not_in_clues": ledger_only,
                     "consistency": round(rate, 4),
                     "judgement": "consistent" if rate >= threshold else "discrepant"})
    return Reconciliation(month, pd.DataFrame(rows), clues, ledger_layer)
