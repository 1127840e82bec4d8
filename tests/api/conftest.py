"""A real server on 127.0.0.1 serving the sample layers, with an account of every role.

Accounts are made the way an administrator makes them (one-time password, then
the user's own), and each gets an API token; ``client`` is the administrator's
HTTP client, ``as_user(name)`` any other's.
"""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from probes import free_port, wait_until_healthy

from gis.layers import gpkg
from gis.auth.users import add_user, change_password, issue
from gis.ledger.db import Ledger

PASSWORD = "correct horse battery"
ACCOUNTS = {  # name: role, town, grid
    "admin": ("admin", None, None),
    "manager1": ("manager", None, None),
    "gis1": ("gis_officer", None, None),
    "xwz_op": ("town_operator", "溪翁庄", None),
    "tst_op": ("town_operator", "太师屯", None),
    "xwz_k05": ("field_staff", None, "XWZ-K05"),
}


@pytest.fixture(scope="session")
def accounts(sample_layers, tmp_path_factory) -> tuple:
    """The server's data folder and a token per account."""
    data = tmp_path_factory.mktemp("data")
    ledger = Ledger.in_dir(data)
    grids = gpkg.read_layer(sample_layers, "grids", columns=["grid_id", "town"], read_geometry=False)
    grid_towns = dict(zip(grids["grid_id"], grids["town"]))
    tokens = {}
    for name, (role, town, grid) in ACCOUNTS.items():
        once = add_user(ledger, by="tests", username=name, role=role, town=town, grid_id=grid, grid_towns=grid_towns)
        change_password(ledger, name, once, PASSWORD)
        tokens[name], _ = issue(ledger, name, kind="token", name="tests")
    return data, tokens


def start_server(env: dict, port: int, capture: bool = False) -> subprocess.Popen:
    """uvicorn on 127.0.0.1:port; with ``capture`` its stderr is kept for the caller to read (short runs only)."""
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            env={**os.environ, **env}, stderr=subprocess.PIPE if capture else None, text=True)
    if wait_until_healthy(f"http://127.0.0.1:{port}", seconds=30):
        return proc
    proc.terminate()
    raise RuntimeError("server did not start")


@pytest.fixture(scope="session")
def server(sample_layers, accounts) -> str:
    port = free_port()
    proc = start_server({"MIYUN_LAYERS": str(sample_layers), "MIYUN_DATA_DIR": str(accounts[0])}, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
def as_user(server, accounts):
    clients: dict[str, httpx.Client] = {}

    def make(name: str) -> httpx.Client:
        if name not in clients:
            clients[name] = httpx.Client(base_url=server, timeout=120,
                                         headers={"Authorization": f"Bearer {accounts[1][name]}"})
        return clients[name]

    yield make
    for c in clients.values():
        c.close()


@pytest.fixture(scope="session")
def client(as_user) -> httpx.Client:
    """The administrator's client."""
    return as_user("admin")


@pytest.fixture(scope="session")
def browser(server, tmp_path_factory):
    """Headless Chromium, logged in as the manager through the login form."""
    from browser import CHROMIUM, Chromium

    if CHROMIUM is None:
        pytest.skip("Debian chromium not installed (bash .ci/setup --test installs it)")
    chromium = Chromium(tmp_path_factory.mktemp("chromium"))
    chromium.login(server, "manager1", PASSWORD)
    yield chromium
    chromium.close()
