"""The staff roster as the grids define it: codes, not names.

Until the district's roster is loaded (the staff issue), each grid's staff
quota gives its staff: ``XWZ-K01-03`` is the third staff member of grid
XWZ-K01.  Staff of a grid share the 24 hours in shifts, so that every grid
is watched around the clock.
"""

from __future__ import annotations

import re

import pandas as pd

SHIFT_HOURS = 8
SHIFTS = 24 // SHIFT_HOURS
_STAFF_CODE = re.compile(r"^(?P<grid>[A-Z]+-[KH]\d{2})-(?P<n>\d{2,3})$")


def staff_code(grid_id: str, number: int) -> str:
    return f"{grid_id}-{number:02d}"


def grid_of_staff(staff_id: str) -> str | None:
    """The grid a sample staff code belongs to (None for other codes)."""
    match = _STAFF_CODE.match(str(staff_id))
    return match.group("grid") if match else None


def roster_from_grids(grids: pd.DataFrame) -> pd.DataFrame:
    """One row per staff member: ``staff_id``, ``grid_id``, ``town``, ``shift`` (0, 1, 2 → 0–8, 8–16, 16–24 h)."""
    rows = []
    for grid_id, town, quota in zip(grids["grid_id"], grids["town"], grids["staff_quota"]):
        for k in range(1, int(quota) + 1):
            rows.append({"staff_id": staff_code(grid_id, k), "grid_id": grid_id, "town": town,
                         "shift": (k - 1) % SHIFTS})
    return pd.DataFrame(rows)
