"""Phones bound to staff members: a tracker app (Traccar Client, OsmAnd, OwnTracks) on one phone.

A device's secret is what the app sends to prove who it is: Traccar Client and
OsmAnd send only ``id``, so there the identifier *is* the secret; OwnTracks sends
HTTP Basic with the device's public name as user and the secret as password.
Secrets are random (:data:`~gis.schema.DEVICE_SECRET_BITS` bits), shown once
when the device is added, and stored only as a SHA-256 hash (a random secret of
that length needs no slow hash).  Revoking a device stops acceptance at once:
every request looks the device up.  The table lives in the ledger, with the
audit trail of every change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from gis.errors import Forbidden, InputError, NotFound, Unauthorized
from gis.ledger.db import Ledger
from gis.staff.codes import grid_of_staff
from gis.schema import DEVICE_APPS, DEVICE_SECRET_BITS, DEVICES_TABLE, STAFF_CODE

_TABLE = f"""CREATE TABLE IF NOT EXISTS {DEVICES_TABLE} (
    device_id TEXT PRIMARY KEY,          -- public name (OwnTracks user name), not a secret
    secret_hash TEXT NOT NULL UNIQUE,    -- SHA-256 of the secret, hex
    staff_id TEXT NOT NULL, app TEXT NOT NULL, label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL, created_by TEXT NOT NULL,
    revoked_at TEXT, revoked_by TEXT
)"""
_INDEX = f"CREATE INDEX IF NOT EXISTS {DEVICES_TABLE}_staff ON {DEVICES_TABLE}(staff_id)"


@dataclass(frozen=True)
class Device:
    device_id: str
    staff_id: str
    app: str
    created_at: str
    revoked_at: str | None = None

    @property
    def added(self) -> datetime:
        return datetime.fromisoformat(self.created_at.replace("Z", "+00:00"))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """A random secret of at least :data:`DEVICE_SECRET_BITS` bits, in lower-case base32 (easy to type)."""
    raw = secrets.token_bytes((DEVICE_SECRET_BITS + 7) // 8)
    return base64.b32encode(raw).decode().rstrip("=").lower()[: (DEVICE_SECRET_BITS + 4) // 5]


_ENSURED: set[str] = set()


def ensure_table(ledger: Ledger) -> None:
    """The device table in this ledger (made once per ledger file and process)."""
    key = str(ledger.path.resolve())
    if key not in _ENSURED:
        ledger.connection.execute(_TABLE)
        ledger.connection.execute(_INDEX)
        _ENSURED.add(key)


def known_staff(ledger: Ledger, staff_id: str, grid_ids: set[str]) -> str:
    """The staff code when it names a staff member of the roster (or of a grid's quota); else refuse."""
    code = (staff_id or "").strip()
    if not STAFF_CODE.fullmatch(code):
        raise InputError("保水员编号只能含字母、数字、汉字、- _ .（至多 40 个）", field="staff_id", value=staff_id)
    row = ledger.one("SELECT status FROM staff WHERE staff_id = ?", (code,))
    if row is not None:
        if row["status"] != "active":
            raise InputError(f"保水员 {code} 不在岗（{row['status']}），不能绑定设备", field="staff_id", value=code)
        return code
    if grid_of_staff(code) in grid_ids:
        return code
    raise NotFound(f"没有保水员 {code}（花名册中没有，也不属于任何网格）", field="staff_id", value=code)


def add_device(ledger: Ledger, staff_id: str, app: str, *, by: str, label: str = "") -> tuple[Device, str]:
    """Bind a new device to ``staff_id`` (already checked); returns it and its secret (show it once)."""
    if app not in DEVICE_APPS:
        raise InputError(f"未知应用 {app}；应为 {'、'.join(DEVICE_APPS)}", field="app", value=app)
    ensure_table(ledger)
    secret = new_secret()
    with ledger.write(by) as tx:
        number = tx.one(f"SELECT COUNT(*) AS n FROM {DEVICES_TABLE}")["n"] + 1
        device_id = f"d{number:04d}{secrets.token_hex(2)}"
        values = {"device_id": device_id, "secret_hash": _hash(secret), "staff_id": staff_id, "app": app,
                  "label": label[:100], "created_at": tx.at, "created_by": by}
        tx.insert(DEVICES_TABLE, device_id, values)
    return Device(device_id, staff_id, app, values["created_at"]), secret


def list_devices(ledger: Ledger, staff_id: str | None = None) -> list[dict]:
    ensure_table(ledger)
    sql = f"SELECT device_id, staff_id, app, label, created_at, created_by, revoked_at, revoked_by FROM {DEVICES_TABLE}"
    rows = ledger.query(sql + (" WHERE staff_id = ?" if staff_id else "") + " ORDER BY created_at, device_id",
                        (staff_id,) if staff_id else ())
    return [dict(r) for r in rows]


def revoke_device(ledger: Ledger, device_id: str, *, by: str) -> None:
    ensure_table(ledger)
    with ledger.write(by) as tx:
        row = tx.one(f"SELECT * FROM {DEVICES_TABLE} WHERE device_id = ?", (device_id,))
        if row is None:
            raise NotFound(f"没有设备 {device_id}", field="device_id", value=device_id)
        if row["revoked_at"] is None:
            tx.update(DEVICES_TABLE, {"device_id": device_id}, dict(row), {"revoked_at": tx.at, "revoked_by": by})


def device_for_secret(ledger: Ledger, secret: str | None, *, name: str | None = None) -> Device:
    """The live device whose secret this is; :class:`Unauthorized` when unknown, :class:`Forbidden` when
    revoked or (with ``name``, OwnTracks' user name) when the secret belongs to another device."""
    if not secret or len(secret) > 200:
        raise Unauthorized("缺少设备标识或设备标识无效（请用 miyun-gis devices add 登记设备）")
    ensure_table(ledger)
    row = ledger.one(f"SELECT * FROM {DEVICES_TABLE} WHERE secret_hash = ?", (_hash(secret),))
    if row is None:
        raise Unauthorized("未登记的设备（设备标识不对，或设备未登记）")
    if name is not None and not hmac.compare_digest(name, row["device_id"]):
        raise Forbidden(f"用户名 {name} 与设备密码不符：密码属于另一台设备")
    if row["revoked_at"]:
        raise Forbidden(f"设备 {row['device_id']} 已于 {row['revoked_at']} 停用，不再接收定位")
    return Device(row["device_id"], row["staff_id"], row["app"], row["created_at"])
