"""Chinese labels of the schema's enumeration codes, for every writer of Chinese output.

Sheets, CSV files, terminal lines and pages show ``在施违法建设``, not
``building_in_progress``: each writer passes its frame (or a code) through
here, with the enumerations of :mod:`gis.schema` as the one source.
"""

from __future__ import annotations

import pandas as pd

from gis.schema import (
    CASE_SOURCES,
    CASE_STATUSES,
    CONSTRUCTION_KINDS,
    DEDUCTION_STATES,
    DUTIES,
    ENTRY_KINDS,
    GRID_KINDS,
    HAZARD_LEVELS,
    HAZARD_TYPES,
    JUDGEMENTS,
    ORDER_KINDS,
    OTHER_POSTS,
    PASS_OFFICES,
    RECONCILE_RESULTS,
    STAFF_ROLES,
    STAFF_STATUSES,
)

DUTY_LABELS = DUTIES.short

# the columns of a case row that hold codes, and the labels of each
CASE_LABELS = {"status": CASE_STATUSES, "source": CASE_SOURCES, "subtype": CONSTRUCTION_KINDS,
               "order_kind": ORDER_KINDS, "category": DUTY_LABELS}
# the columns of the other frames that hold codes (a column name means one enumeration there)
FIELD_LABELS = {"kind": GRID_KINDS, "hazard_type": HAZARD_TYPES, "level": HAZARD_LEVELS, "judgement": JUDGEMENTS,
                "result": RECONCILE_RESULTS, "office": PASS_OFFICES, "entry_kind": ENTRY_KINDS,
                "role": STAFF_ROLES, "staff_status": STAFF_STATUSES, "post": OTHER_POSTS,
                "deduction_state": DEDUCTION_STATES}

ALL_ENUMERATIONS = (CASE_SOURCES, CASE_STATUSES, CONSTRUCTION_KINDS, DEDUCTION_STATES, DUTIES, ENTRY_KINDS,
                    GRID_KINDS, HAZARD_LEVELS, HAZARD_TYPES, JUDGEMENTS, ORDER_KINDS, OTHER_POSTS, PASS_OFFICES,
                    RECONCILE_RESULTS, STAFF_ROLES, STAFF_STATUSES)
ALL_CODES = frozenset(code for enumeration in ALL_ENUMERATIONS for code in enumeration)


def status_label(code: str | None) -> str:
    """A case status in Chinese; no status yet (the case's first event) is 登记."""
    return CASE_STATUSES.get(code, code) if code else "登记"


def with_labels(frame: pd.DataFrame, labels: dict[str, dict[str, str]]) -> pd.DataFrame:
    """``frame`` with the codes of the columns named in ``labels`` replaced by their Chinese labels."""
    out = frame.copy()
    for column, names in labels.items():
        if column in out:
            out[column] = out[column].map(lambda v, names=names: names.get(v, v) if isinstance(v, str) else v)
    return out
