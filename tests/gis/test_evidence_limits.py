"""Decompression bombs (issue 14, fault 10): a 144-megapixel PNG of 17 KB is refused from its header,
before anything is decoded."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from gis.errors import InputError
from gis.ledger.evidence import MAX_PIXELS, check_image

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"


def test_a_144_megapixel_photo_is_refused():
    data = (BAD / "photo_bomb_144mp.png").read_bytes()
    assert len(data) < 20_000
    with pytest.raises(InputError, match="百万像素") as err:
        check_image(data, "photo_bomb_144mp.png")
    assert err.value.status == 413 and "12000×12000" in err.value.message


def test_a_photo_at_the_limit_is_accepted():
    out = io.BytesIO()
    Image.new("1", (10_000, MAX_PIXELS // 10_000)).save(out, format="PNG")
    assert check_image(out.getvalue(), "big.png") == "PNG"
