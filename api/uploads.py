"""Reading uploads safely: harmless file names and a size limit checked while reading."""

from __future__ import annotations

from pathlib import Path

from fastapi import UploadFile

from gis.errors import TooLarge
from gis.filenames import safe_name

__all__ = ["read_limited", "safe_name", "save_limited"]

_CHUNK = 1 << 20


async def read_limited(file: UploadFile, limit: int, hint: str = "") -> bytes:
    """The upload's bytes, refusing it as soon as it passes ``limit``."""
    parts, size = [], 0
    while chunk := await file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"文件超过上传上限 {limit // 2**20} MB{hint}", file=safe_name(file.filename))
        parts.append(chunk)
    return b"".join(parts)


async def save_limited(file: UploadFile, target: Path, limit: int, hint: str = "") -> int:
    """Write the upload to ``target`` chunk by chunk, refusing it as soon as it passes ``limit``."""
    size = 0
    with open(target, "wb") as out:
        while chunk := await file.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"文件超过上传上限 {limit // 2**20} MB{hint}", file=safe_name(file.filename))
            out.write(chunk)
    return size
