"""Phones as an administrator sets them up: ``miyun-gis devices add`` run for real, its one-time
instructions read back the way a person would copy them into the app."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MIYUN = str(Path(sys.executable).with_name("miyun-gis"))


@dataclass(frozen=True)
class Phone:
    device_id: str
    staff_id: str
    app: str
    secret: str


def run(*args: str, data_dir: Path, layers: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "MIYUN_DATA_DIR": str(data_dir), "MIYUN_USER": "tests"}
    if layers is not None:
        env["MIYUN_LAYERS"] = str(layers)
    return subprocess.run([MIYUN, *args], capture_output=True, text=True, env=env, timeout=120)


def add_phone(staff_id: str, data_dir: Path, layers: Path, app: str = "osmand") -> Phone:
    result = run("devices", "add", staff_id, "--app", app, data_dir=data_dir, layers=layers)
    assert result.returncode == 0, result.stderr
    device_id = re.search(r"设备 (\S+) 已登记", result.stdout).group(1)
    if app == "owntracks":
        secret = re.search(r"密码 Password：(\S+)", result.stdout).group(1)
        assert re.search(r"用户名 Username：(\S+)", result.stdout).group(1) == device_id
    else:
        secret = re.search(r"设备标识 Device identifier：(\S+)", result.stdout).group(1)
        assert f"/ingest/osmand?id={secret}&lat={{0}}" in result.stdout
    return Phone(device_id, staff_id, app, secret)


def inbox_rows(data_dir: Path, staff_id: str | None = None) -> list[dict]:
    path = Path(data_dir) / "intake" / "inbox.sqlite"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        sql = "SELECT * FROM fixes" + (" WHERE staff_id = ?" if staff_id else "") + " ORDER BY time_ms"
        return [dict(r) for r in db.execute(sql, (staff_id,) if staff_id else ())]
