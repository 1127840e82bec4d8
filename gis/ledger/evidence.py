"""Evidence photos: checked to be images, stored once by content hash beside the ledger."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from gis.atomic import replacing
from gis.errors import InputError, NotFound, TooLarge
from gis.filenames import safe_name
from gis.ledger.db import Ledger
from gis.schema import EVIDENCE_FORMATS, EVIDENCE_MAX_BYTES

MAX_PIXELS = 100_000_000  # refuse decompression bombs beyond 100 megapixels
# Pillow itself only warns between MAX_IMAGE_PIXELS and twice that; check_image refuses from the header
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def evidence_dir(data_dir: str | Path) -> Path:
    """Where evidence photos are kept: ``<data dir>/evidence``."""
    return Path(data_dir) / "evidence"


def check_image(data: bytes, filename: str) -> str:
    """The image format of ``data`` (JPEG, PNG, WEBP, TIFF) or a clear error."""
    if len(data) > EVIDENCE_MAX_BYTES:
        raise TooLarge(f"证据文件 {len(data) / 1e6:.1f} MB，超过 {EVIDENCE_MAX_BYTES // 2**20} MB 上限", file=filename)
    if not data:
        raise InputError("证据文件为空", file=filename)
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only: nothing decoded yet
            fmt = image.format
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise TooLarge(f"图片 {width}×{height} 像素，超过 {MAX_PIXELS // 1_000_000} 百万像素上限"
                               "（疑似解压炸弹）", file=filename)
            image.verify()
    except TooLarge:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(f"不是可识别的图片（只收 {'、'.join(EVIDENCE_FORMATS)}）：{exc}", file=filename) from None
    if fmt not in EVIDENCE_FORMATS:
        raise InputError(f"图片格式 {fmt} 不收；只收 {'、'.join(EVIDENCE_FORMATS)}", file=filename)
    return fmt


def add_evidence(ledger: Ledger, evidence_dir: Path, case_id: str, filename: str, data: bytes, *, user: str) -> dict:
    """Attach an image to a case; the same image twice is stored once."""
    if ledger.one("SELECT 1 FROM cases WHERE case_id = ?", (case_id,)) is None:
        raise NotFound(f"案件 {case_id} 不存在", field="case_id", value=case_id)
    name = safe_name(filename, default="photo")
    fmt = check_image(data, name)
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(digest[:2]) / f"{digest}{EVIDENCE_FORMATS[fmt]}"
    target = evidence_dir / relative
    if not target.exists():
        with replacing(target) as tmp:
            tmp.write_bytes(data)
    with ledger.write(user) as tx:
        if tx.one("SELECT 1 FROM evidence WHERE case_id = ? AND sha256 = ?", (case_id, digest)) is None:
            tx.insert("evidence", case_id, {
                "case_id": case_id, "sha256": digest, "filename": name, "format": fmt, "bytes": len(data),
                "stored_as": relative.as_posix(), "added_at": tx.at, "added_by": user})
    return {"filename": name, "format": fmt, "bytes": len(data), "sha256": digest}
