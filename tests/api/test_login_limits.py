"""Brute force stays expensive without one person locking out an office behind one address
(issue 14, fault 8): counters per (name, address) with growing delays, a far higher limit per address,
kept in SQLite in the data folder so that every server process sees the same counts."""

from __future__ import annotations

import httpx
import pytest

from api.ratelimit import ADDRESS_FACTOR, LoginLimiter
from conftest import PASSWORD, start_server
from probes import free_port
from gis.auth.users import add_user, change_password
from gis.errors import TooManyRequests
from gis.ledger.db import Ledger


def login(base: str, name: str, password: str) -> int:
    return httpx.post(f"{base}/login", data={"username": name, "password": password}, follow_redirects=False,
                      timeout=60).status_code


@pytest.fixture(scope="module")
def two_servers(sample_layers, tmp_path_factory):
    """Two server processes on one data folder (as ``serve --workers 2`` runs), with an office of users."""
    data = tmp_path_factory.mktemp("office")
    ledger = Ledger.in_dir(data)
    for name in ("clerk1", "clerk2", "clerk3"):
        once = add_user(ledger, by="tests", username=name, role="manager")
        change_password(ledger, name, once, PASSWORD)
    procs = []
    try:
        for _ in range(2):
            port = free_port()
            procs.append((start_server({"MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(data)}, port),
                          f"http://127.0.0.1:{port}"))
        yield [base for _, base in procs]
    finally:
        for proc, _ in procs:
            proc.terminate()
            proc.wait(timeout=30)


def test_twenty_failures_from_one_address_do_not_lock_out_the_office(two_servers):
    first, second = two_servers
    for i in range(25):  # five people of one office mistype, five times each, through either process
        assert login((first, second)[i % 2], f"someone{i % 5}", "wrong password!") == 401
    assert login(first, "clerk1", PASSWORD) == 303  # the office still logs in

    for i in range(5):  # one name guessed at from this address …
        assert login((first, second)[i % 2], "clerk2", "wrong password!") == 401
    assert login(second, "clerk2", PASSWORD) == 429  # … waits, whichever process answers
    assert login(first, "clerk3", PASSWORD) == 303  # and nobody else does


def test_delays_grow_and_the_address_limit_is_far_higher(tmp_path):
    limiter = LoginLimiter(path=tmp_path / "logins.sqlite")
    assert [limiter.delay_s(n) for n in (4, 5, 6, 7, 8, 9, 10)] == [0, 60, 120, 240, 480, 900, 900]
    for _ in range(5):
        limiter.check("user:a", "ip:1")
        limiter.failed("user:a", "ip:1")
    with pytest.raises(TooManyRequests) as err:
        limiter.check("user:a", "ip:1")
    assert 55 <= err.value.value <= 61
    limiter.check("user:a", "ip:2")  # the same name elsewhere: not delayed
    limiter.check("user:b", "ip:1")
    for i in range(5 * ADDRESS_FACTOR - 5):
        limiter.failed(f"user:x{i % 40}", "ip:1")
    with pytest.raises(TooManyRequests):  # a hundred failures from one address: it waits
        limiter.check("user:b", "ip:1")
    limiter.succeeded("user:a", "ip:1")
    limiter.check("user:a", "ip:2")
