"""Login attempts: brute force made expensive without letting one person lock out an office.

* Per (user name, address): after ``LOGIN_MAX_FAILURES`` failures the next attempt waits a delay that
  doubles with every further failure (1, 2, 4 … minutes, at most the window); a success clears it.
  Someone guessing at one account from one place slows down fast, while the same user at another
  address, and every other user at that address, log in as usual.
* Per address: ``ADDRESS_FACTOR`` times as many failures within the window (a district office behind
  one NAT has many users) before that address waits until the window passes.

The counters live in SQLite in the data folder (``logins.sqlite``), not in process memory, so they hold
across the worker processes of ``miyun-gis serve --workers N`` and across restarts.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from gis.errors import TooManyRequests
from gis.schema import LOGIN_MAX_FAILURES, LOGIN_WINDOW_MINUTES

ADDRESS_FACTOR = 20  # failures per address = 20 × per (name, address): 100 in 15 minutes
FIRST_DELAY_S = 60.0


class LoginLimiter:
    def __init__(self, max_failures: int = LOGIN_MAX_FAILURES, window_s: float = LOGIN_WINDOW_MINUTES * 60,
                 path: Path | None = None):
        self.max_failures = max_failures
        self.window_s = window_s
        self._path = path

    def _db(self) -> sqlite3.Connection:
        from api.state import current  # the served workspace's data directory

        path = self._path or current().data_dir / "logins.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        db.execute("pragma journal_mode=wal")
        db.execute("create table if not exists failures (key text primary key, count integer not null, "
                   "first_at real not null, last_at real not null)")
        return db

    def delay_s(self, failures: int) -> float:
        """How long (name, address) waits after ``failures`` failures in a row."""
        if failures < self.max_failures:
            return 0.0
        return min(self.window_s, FIRST_DELAY_S * 2 ** (failures - self.max_failures))

    def _refuse(self, wait: float) -> None:
        wait = int(wait) + 1
        raise TooManyRequests(f"登录失败次数过多，请 {wait // 60 + 1} 分钟后再试", value=wait)

    def check(self, name_key: str, address_key: str) -> None:
        """Refuse (429) while the pair's delay or the address's window lasts."""
        now = time.time()
        db = self._db()
        try:
            rows = dict((k, (c, f, last)) for k, c, f, last in db.execute(
                "select key, count, first_at, last_at from failures where key in (?, ?)",
                (_pair(name_key, address_key), address_key)))
        finally:
            db.close()
        pair = rows.get(_pair(name_key, address_key))
        if pair and now - pair[2] < self.window_s:
            wait = pair[2] + self.delay_s(pair[0]) - now
            if wait > 0:
                self._refuse(wait)
        address = rows.get(address_key)
        if address and now - address[1] < self.window_s and address[0] >= self.max_failures * ADDRESS_FACTOR:
            self._refuse(address[1] + self.window_s - now)

    def failed(self, name_key: str, address_key: str) -> None:
        now = time.time()
        db = self._db()
        try:
            db.execute("begin immediate")
            for key, fresh_after in ((_pair(name_key, address_key), "last_at"), (address_key, "first_at")):
                # a pair's run of failures ends a window after its last one; an address's window is fixed
                db.execute(f"""insert into failures values (?, 1, ?, ?) on conflict(key) do update set
                    count = case when ? - {fresh_after} > ? then 1 else count + 1 end,
                    first_at = case when ? - {fresh_after} > ? then excluded.first_at else first_at end,
                    last_at = excluded.last_at""", (key, now, now, now, self.window_s, now, self.window_s))
            db.execute("delete from failures where last_at < ?", (now - 2 * self.window_s,))
            db.execute("commit")
        finally:
            db.close()

    def succeeded(self, name_key: str, address_key: str | None = None) -> None:
        """A good password: the pair's failures are forgotten (the address's are not)."""
        db = self._db()
        try:
            if address_key is None:
                db.execute("delete from failures where key like ? escape '\\'",
                           (name_key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "|%",))
            else:
                db.execute("delete from failures where key = ?", (_pair(name_key, address_key),))
        finally:
            db.close()


def _pair(name_key: str, address_key: str) -> str:
    return f"{name_key}|{address_key}"


LIMITER = LoginLimiter()
