"""The examples in the docstrings of gis.join and gis.tracks run, as ``pytest --doctest-modules`` would.

Run them alone with ``python -m pytest --doctest-modules gis/join.py gis/tracks``.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import gis.tracks

MODULES = ["gis.join", *(f"gis.tracks.{m.name}" for m in pkgutil.iter_modules(gis.tracks.__path__))]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, capsys):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS)
    report = capsys.readouterr().out
    assert result.failed == 0, report


def test_the_public_functions_of_join_and_tracks_have_examples():
    import inspect

    missing = []
    for name in ("gis.join", "gis.tracks.clean", "gis.tracks.store", "gis.tracks.readers", "gis.tracks.importer",
                 "gis.tracks.simulate", "gis.tracks.daily", "gis.tracks.pipeline", "gis.tracks.notices"):
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if attr.startswith("_") or getattr(value, "__module__", None) != name:
                continue
            if inspect.isfunction(value) and ">>>" not in (value.__doc__ or ""):
                missing.append(f"{name}.{attr}")
            if inspect.isclass(value):
                for method, member in vars(value).items():
                    if not method.startswith("_") and inspect.isfunction(getattr(member, "__func__", member)) \
                            and ">>>" not in (getattr(member, "__doc__", "") or ""):
                        missing.append(f"{name}.{attr}.{method}")
    assert missing == [], missing
