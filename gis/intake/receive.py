"""Accepting a request's fixes: its device (or signed-in staff member), the checks, the inbox.

The same for every way in (OsmAnd protocol, Traccar JSON, OwnTracks, the mobile page's batches):
one request carries the fixes of one staff member; any fix refused refuses the request, and nothing
of it is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from gis.errors import Forbidden, InputError, TooLarge
from gis.intake.devices import Device, device_for_secret
from gis.intake.inbox import Inbox, Stored
from gis.intake.protocols import LiveFix, check
from gis.ledger.db import Ledger
from gis.schema import MAX_FIXES_PER_REQUEST


class Malformed(InputError):
    """A body that is not what the protocol sends (not JSON, not a form)."""

    status = 400


def one_device(ledger: Ledger, fixes: Sequence[LiveFix], *, default_secret: str | None = None,
               name: str | None = None) -> Device:
    """The one device the fixes came from; refused when unknown, revoked, or when the request mixes
    devices of different staff members."""
    secrets = {fix.secret or default_secret for fix in fixes} or {default_secret}
    devices = [device_for_secret(ledger, secret, name=name) for secret in sorted(secrets, key=str)]
    staff = {d.staff_id for d in devices}
    if len(staff) > 1:
        raise Forbidden(f"一次请求只能含同一保水员的定位；收到 {'、'.join(sorted(staff))} 的设备")
    return devices[0]


def accept(inbox: Inbox, fixes: Sequence[LiveFix], *, staff_id: str, app: str, device_id: str,
           added: datetime, batch_id: str | None = None) -> Stored:
    """Check every fix, then store them all in one transaction (returns once they are on disk)."""
    if len(fixes) > MAX_FIXES_PER_REQUEST:
        raise TooLarge(f"一次最多 {MAX_FIXES_PER_REQUEST} 个定位点，收到 {len(fixes)} 个；请分批发送",
                       field="fixes")
    now = datetime.now(timezone.utc)
    many = len(fixes) > 1
    for number, fix in enumerate(fixes):
        check(fix, added=added, now=now, field=f"[{number}]." if many else "")
    return inbox.add(fixes, staff_id=staff_id, app=app, device_id=device_id, batch_id=batch_id)
