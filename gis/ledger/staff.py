"""The ledger's staff rows as the routes and printouts ask for them: the SQL stays here."""

from __future__ import annotations

from gis.ledger.db import Ledger


def staff_town(ledger: Ledger, staff_id: str) -> str | None:
    """The town of a staff member on the roster (None when not on it)."""
    row = ledger.one("SELECT town FROM staff WHERE staff_id = ?", (staff_id,))
    return row["town"] if row else None


def deduction_town(ledger: Ledger, deduction_id: int) -> str | None:
    """The town of the staff member a deduction was recorded against (None for an unknown deduction)."""
    row = ledger.one("SELECT s.town FROM deductions d JOIN staff s USING (staff_id) WHERE d.deduction_id = ?",
                     (deduction_id,))
    return row["town"] if row else None


def staff_places(ledger: Ledger) -> dict[str, tuple[str | None, str | None]]:
    """Every staff code on the roster → (grid id, town)."""
    return {r["staff_id"]: (r["grid_id"], r["town"]) for r in ledger.query("SELECT staff_id, grid_id, town FROM staff")}


def active_staff_of_grid(ledger: Ledger, grid_id: str) -> list[dict]:
    """The grid's active staff (``staff_id``, ``name``, ``role``), by code."""
    return [dict(r) for r in ledger.query("SELECT staff_id, name, role FROM staff WHERE grid_id = ? "
                                          "AND status = 'active' ORDER BY staff_id", (grid_id,))]
