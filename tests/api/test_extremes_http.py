"""Values at the ends of the calendar and beyond 64 bits over HTTP (issue 14, fault 11): a 4xx naming the
field, never a 500.  The values are the corpus file ``tests/data/bad/extreme_values.json``; the CLI side is
``tests/test_extremes.py``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "data" / "bad" / "extreme_values.json")
                    .read_text(encoding="utf-8"))


@pytest.mark.parametrize("method, url, body", CORPUS["http"], ids=lambda v: str(v)[:60])
def test_extreme_values_over_http_are_4xx(client, method, url, body):
    answer = client.request(method, url, json=body)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert answer.json()["error"]["message"]
