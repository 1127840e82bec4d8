"""Printout routes on a real server."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


def test_healthz(client, server):
    assert client.get(f"{server}/healthz").json() == {"status": "ok"}


def test_grid_printout_is_a_pdf_with_the_grid(client, server, tmp_path):
    answer = client.get(f"{server}/grids/XWZ-K05/printout.pdf", params={"size": "A3"}, timeout=120)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "g.pdf"
    pdf.write_bytes(answer.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "XWZ-K05" in text and "溪翁庄" in text


def test_town_printout_has_cover_and_grids(client, server, tmp_path):
    answer = client.get(f"{server}/towns/高岭/printout.pdf", timeout=300)
    assert answer.status_code == 200
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(answer.content)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+13$", info, flags=re.M)
    assert re.search(r"^Title:\s+高岭镇保水网格图册$", info, flags=re.M)


@pytest.mark.parametrize("path, status, words", [
    ("/grids/NOPE/printout.pdf", 404, "网格 NOPE 不存在"),
    ("/towns/密云/printout.pdf", 404, "不在网格化管理范围内"),
    ("/grids/XWZ-K05/printout.pdf?size=A5", 422, "请求参数有误"),
])
def test_bad_requests_are_4xx_json_in_chinese_and_english(client, server, path, status, words):
    answer = client.get(f"{server}{path}", timeout=60)
    assert answer.status_code == status
    error = answer.json()["error"]
    assert words in error["message"] and error["message_en"]
