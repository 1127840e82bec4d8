"""Schemathesis against the real server: every operation of the OpenAPI document, as the administrator,
with generated valid and invalid requests — not one 5xx (issue 14, systematic checks).

Bounded for CI: ``FUZZ_EXAMPLES`` examples of each kind per operation (``MIYUN_FUZZ_EXAMPLES`` to change),
no deadline, no example database; every failure is printed as the curl command that reproduces it.
The fuzzer gets a token of its own (``POST /logout`` ends only that one).
"""

from __future__ import annotations

import os
import time

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

FUZZ_EXAMPLES = int(os.environ.get("MIYUN_FUZZ_EXAMPLES", "6"))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@pytest.fixture(scope="module")
def fuzz_token(client) -> str:
    answer = client.post("/api/tokens", json={"name": "schemathesis", "days": 1})
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


def test_no_operation_answers_5xx(server, fuzz_token, capsys):
    headers = {"Authorization": f"Bearer {fuzz_token}"}
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json", headers=headers)
    failures: list[str] = []
    counts = {"operations": 0, "cases": 0}
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        counts["operations"] += 1
        for mode in MODES:
            @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                counts["cases"] += 1
                response = case.call(base_url=server, headers=headers, timeout=120)
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} {operation.label}: "
                                    f"{case.as_curl_command(headers=headers, base_url=server)}\n"
                                    f"    → {response.text[:300]}")

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid (an operation without parameters or body)
                assert mode is GenerationMode.NEGATIVE
    with capsys.disabled():
        print(f"\nschemathesis: {counts['operations']} operations, {counts['cases']} cases, "
              f"{len(failures)} × 5xx in {time.monotonic() - started:.0f} s")
    assert not failures, "5xx answers (reproduce with the curl command):\n" + "\n".join(failures)
