"""Login attempts: at most LOGIN_MAX_FAILURES failures per user name, and four times as many per address
(an office behind one address has many users), within the window; then 429 until the window passes."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from gis.errors import TooManyRequests
from gis.schema import LOGIN_MAX_FAILURES, LOGIN_WINDOW_MINUTES

ADDRESS_FACTOR = 4


class LoginLimiter:
    def __init__(self, max_failures: int = LOGIN_MAX_FAILURES, window_s: float = LOGIN_WINDOW_MINUTES * 60):
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque:
        stamps = self._failures[key]
        while stamps and now - stamps[0] > self.window_s:
            stamps.popleft()
        return stamps

    def check(self, name_key: str, address_key: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key, limit in ((name_key, self.max_failures), (address_key, self.max_failures * ADDRESS_FACTOR)):
                stamps = self._recent(key, now)
                if len(stamps) >= limit:
                    wait = int(self.window_s - (now - stamps[0])) + 1
                    raise TooManyRequests(f"登录失败次数过多，请 {wait // 60 + 1} 分钟后再试", value=wait)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


LIMITER = LoginLimiter()
