"""One workspace: built once from the settings, handed to commands and to the server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from probes import free_port, wait_until_healthy

from gis.ledger.db import Ledger

ROOT = Path(__file__).resolve().parents[1]
MIYUN = Path(sys.executable).with_name("miyun-gis")


def env_without_miyun(**extra) -> dict:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("MIYUN_")}, **extra}


def run(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run([str(MIYUN), *map(str, args)], capture_output=True, text=True, timeout=300,
                          env=env_without_miyun(**env))


def test_commands_take_the_workspace_not_repeated_options():
    repeated = []
    for folder in ("gis", "api", "maps"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            repeated += [f"{path.relative_to(ROOT)}: {m}" for m in
                         re.findall(r"^@(?:layers_option|data_dir_option|user_option)\b", text, flags=re.M)]
            if path.name != "options.py":
                repeated += [f"{path.relative_to(ROOT)}: workspace(" for _ in
                             re.findall(r"(?<![\w.])workspace\((?:layers|None)", text)]
    assert repeated == [], "use @pass_workspace:\n" + "\n".join(repeated)


def test_group_options_build_the_workspace_and_a_command_option_wins(sample_layers, tmp_path):
    data = tmp_path / "data"
    assert run("--layers", sample_layers, "info").returncode == 0
    # the group's wrong path is overridden by the command's own option
    assert run("--layers", tmp_path / "nothing.gpkg", "info", "--layers", sample_layers).returncode == 0
    missing = run("--layers", tmp_path / "nothing.gpkg", "info")
    assert missing.returncode == 2 and "nothing.gpkg" in missing.stderr
    added = run("--data-dir", data, "--user", "区保水办甲", "users", "add", "officer1", "--role", "gis_officer")
    assert added.returncode == 0, added.stderr
    audit = Ledger.in_dir(data).query("SELECT user FROM audit WHERE record_id = 'officer1'")
    assert {r["user"] for r in audit} == {"区保水办甲"}
    again = run("users", "add", "officer2", "--role", "gis_officer", "--data-dir", data, MIYUN_USER="乙")
    assert again.returncode == 0, again.stderr
    assert {r["user"] for r in Ledger.in_dir(data).query("SELECT user FROM audit WHERE record_id = 'officer2'")} \
        == {"乙"}


@pytest.mark.slow
def test_serve_gets_its_workspace_from_the_cli_not_the_environment(sample_layers, tmp_path):
    data, port = tmp_path / "served", free_port()
    proc = subprocess.Popen([str(MIYUN), "serve", "--layers", str(sample_layers), "--data-dir", str(data),
                             "--port", str(port)], env=env_without_miyun(), cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until_healthy(f"http://127.0.0.1:{port}"), "server did not start"
        # the first admin went into the data directory given on the command line
        assert [r["username"] for r in Ledger.in_dir(data).query("SELECT username FROM users")] == ["admin"]
        assert not (tmp_path / "data").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_bad_setting_stops_the_server_at_start(sample_layers, tmp_path):
    answer = subprocess.run([str(MIYUN), "serve", "--layers", str(sample_layers)], capture_output=True, text=True,
                            timeout=120, env=env_without_miyun(MIYUN_BASEMAP_CRS="mars"), cwd=tmp_path)
    assert answer.returncode == 2 and "MIYUN_BASEMAP_CRS" in answer.stderr and "Traceback" not in answer.stderr
