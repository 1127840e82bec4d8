"""Responses that depend only on the layers or on a day's tracks, kept in memory once built.

Pages (``/``, ``/maps/…``), layer collections (``/collections…``) and a day's patrol figures, tracks
and tiles (``/api/patrols/{date}…``) are answered from memory while what they are built from is
unchanged: the layer file (and the local date, for pages) or the day's track files.  Each entry
has a weak ``ETag`` (a hash of its key: the request and the version of what it is built from, so that
every worker gives the same one although bodies name their build time, OGC ``timeStamp``), so a
client that sends ``If-None-Match`` gets ``304 Not Modified``; the body is compressed once per
encoding (Brotli where the client accepts it and the ``brotli`` package is installed, else gzip)
instead of on every request.

The key holds the path, the query, the ``Accept`` and ``Host`` headers (JSON or HTML; the links'
host) and the asking user's role and scope (town, grid), so what one user may see is never served
to another; only ``200`` answers to ``GET`` are kept.  Versions come from
the files on disk, so every worker process of ``miyun-gis serve --workers N`` sees the same
change (a layer import, a new track file) at the next request.

Registered inside the authentication middleware (which gives ``scope["state"]["user"]``).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

try:  # optional: Brotli when the client accepts it and the package is installed
    import brotli
except ImportError:  # pragma: no cover — gzip only
    brotli = None

MAX_BYTES = 256 * 1024 * 1024  # identity and compressed bodies, all entries together
MIN_COMPRESS = 1024
GZIP_LEVEL = 6
BROTLI_QUALITY = 5
_DAY = re.compile(r"^/api/patrols/(\d{4}-\d{2}-\d{2})(?:/|$)")
_DROPPED = {b"content-length", b"content-encoding", b"etag", b"vary", b"cache-control"}


def _layers_version() -> tuple:
    from api.state import layers_path

    stat = layers_path().stat()
    return stat.st_mtime_ns, stat.st_size


def _tracks_version() -> tuple:
    """The state of the track store's manifest (every import and fold changes it): pages name the
    latest day with tracks."""
    from api.state import current
    from gis.tracks.store import tracks_dir

    registry = tracks_dir(current().data_dir) / "imports.sqlite"
    state = []
    for path in (registry, registry.with_name(registry.name + "-wal")):
        try:
            stat = path.stat()
        except FileNotFoundError:
            state.append(None)
        else:
            state.append((stat.st_mtime_ns, stat.st_size))
    return tuple(state)


def _reference_collection(path: str) -> bool:
    """``/collections/{layer}…`` of a reference layer: built from the layer file alone (the list of
    collections, cases and a day's patrols change with the ledger and the tracks)."""
    from gis.schema import LAYER_BY_NAME

    parts = path.split("/")
    return len(parts) > 2 and parts[2] in LAYER_BY_NAME


def version_of(path: str) -> tuple | None:
    """What a cacheable response at ``path`` is built from, or None: not cacheable."""
    try:
        if path == "/" or path.startswith("/maps/"):
            from gis.localtime import today_local

            # pages name today's date and the latest day with tracks
            return _layers_version(), today_local().isoformat(), _tracks_version()
        if path.startswith("/collections/") and _reference_collection(path):
            return (_layers_version(),)
        day = _DAY.match(path)
        if day:
            from api.routes.patrols import day_version

            version = day_version(day.group(1))
            return (_layers_version(), version) if version else None
    except (OSError, ValueError):
        return None
    return None


@dataclass
class Entry:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str
    encoded: dict[str, bytes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(b) for b in self.encoded.values())


def _etag(basis: bytes) -> str:
    return 'W/"' + hashlib.blake2b(basis, digest_size=12).hexdigest() + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2)."""
    tags = [t.strip() for t in if_none_match.split(",")]
    bare = etag.removeprefix("W/")
    return "*" in tags or any(t.removeprefix("W/") == bare for t in tags)


def _encoding(accept: str) -> str | None:
    offered = {}
    for part in accept.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        offered[name.strip()] = q
    if brotli is not None and offered.get("br", 0) > 0:
        return "br"
    if offered.get("gzip", 0) > 0:
        return "gzip"
    return None


def _compress(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(body, quality=BROTLI_QUALITY)
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


class ResponseCache:
    """ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, version: Callable[[str], tuple | None] = version_of,
                 max_bytes: int = MAX_BYTES):
        self.app = app
        self.version = version
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.size = 0
        self.locks: dict[tuple, asyncio.Lock] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = scope.get("state", {}).get("user") if scope["type"] == "http" else None
        if user is None or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        version = self.version(scope["path"])  # a stat or two: no thread needed
        if version is None:
            await self.app(scope, receive, send)
            return
        request = Headers(scope=scope)
        # the answer depends on what is asked for (JSON or HTML by Accept) and on the host its links name
        key = (scope["path"], scope.get("query_string", b""), request.get("accept", ""), request.get("host", ""),
               user.role, user.town, user.grid_id, version)
        entry = self._get(key)
        if entry is None and scope["method"] == "HEAD":  # a HEAD answer has no body to keep
            await self.app(scope, receive, send)
            return
        if entry is None:
            lock = self.locks.setdefault(key, asyncio.Lock())
            async with lock:  # one build per key; the others wait for it
                entry = self._get(key)
                if entry is None:
                    entry, passed = await self._build(scope, receive, key)
                    if entry is None:  # not a 200: answered as it came, not kept
                        for message in passed:
                            await send(message)
                        self.locks.pop(key, None)
                        return
                    self._put(key, entry)
            self.locks.pop(key, None)
        await self._answer(entry, scope, send)

    def _get(self, key: tuple) -> Entry | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def _put(self, key: tuple, entry: Entry) -> None:
        stale = [k for k in self.entries if k[:-1] == key[:-1]]  # older versions of the same response
        for k in stale:
            self.size -= self.entries.pop(k).size
        self.entries[key] = entry
        self.size += entry.size
        while self.size > self.max_bytes and len(self.entries) > 1:
            _, old = self.entries.popitem(last=False)
            self.size -= old.size

    async def _build(self, scope: Scope, receive: Receive, key: tuple) -> tuple[Entry | None, list[Message]]:
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, capture)
        start = messages[0] if messages and messages[0]["type"] == "http.response.start" else None
        headers = Headers(raw=start["headers"]) if start else None
        if start is None or start["status"] != 200 or "set-cookie" in headers or "content-encoding" in headers \
                or any(m["type"] != "http.response.body" for m in messages[1:]):
            return None, messages
        body = b"".join(m.get("body", b"") for m in messages[1:])
        kept = [(k, v) for k, v in start["headers"] if k.lower() not in _DROPPED]
        return Entry(200, kept, body, _etag(repr(key).encode())), []

    async def _answer(self, entry: Entry, scope: Scope, send: Send) -> None:
        request = Headers(scope=scope)
        common = [(b"etag", entry.etag.encode()), (b"vary", b"Accept, Accept-Encoding"),
                  (b"cache-control", b"private, no-cache")]
        if _matches(request.get("if-none-match", ""), entry.etag):
            await send({"type": "http.response.start", "status": 304, "headers": common})
            await send({"type": "http.response.body", "body": b""})
            return
        encoding = _encoding(request.get("accept-encoding", "")) if len(entry.body) >= MIN_COMPRESS else None
        body = entry.body
        headers = entry.headers + common
        if encoding:
            if encoding not in entry.encoded:
                entry.encoded[encoding] = await anyio.to_thread.run_sync(_compress, entry.body, encoding)
                self.size += len(entry.encoded[encoding])
            body = entry.encoded[encoding]
            headers = headers + [(b"content-encoding", encoding.encode())]
        headers = headers + [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
