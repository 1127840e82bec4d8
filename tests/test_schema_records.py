"""The schema is what code follows: layers and enumerations are records, nothing retypes them."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from gis.layers import gpkg, styles
from gis.layers.qgis_styles import qml
from gis.schema import (
    DUTIES,
    DUTIES_TITLE,
    GRIDS,
    HAZARD_TYPES,
    HAZARD_ZONES,
    LAYER_BY_NAME,
    LAYERS,
    ROLES,
    SOURCE,
    TOWN_QUOTAS,
    Field,
    Layer,
    Style,
    Term,
    Vocabulary,
)
from gis.layers.validate import check_structure

ROOT = Path(__file__).resolve().parents[1]
# files that still type layer names, with why; every entry is a debt (see the issue 18 note)
NOT_YET_CONVERTED: dict[str, str] = {}  # none left since stop 5
PRAGMA = "# not a layer"  # the same word used for something else (a JSON key, a sheet, a URL part)


def layer_name_literals(path: Path) -> list[tuple[int, str]]:
    names = set(LAYER_BY_NAME)
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(node.lineno, node.value) for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
            and PRAGMA not in lines[node.lineno - 1]]


def test_no_layer_name_is_typed_outside_the_schema():
    offenders = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.split("/")[0] in ("tests", ".venv", "build") or rel == "gis/schema.py" or rel in NOT_YET_CONVERTED:
            continue
        offenders += [f"{rel}:{line}: {value!r}" for line, value in layer_name_literals(path)]
    assert offenders == [], "use the layer records of gis.schema (GRIDS.name, …):\n" + "\n".join(offenders)


def test_the_allow_list_is_still_needed():
    for rel in NOT_YET_CONVERTED:
        path = ROOT / rel
        assert path.exists() and layer_name_literals(path), f"{rel} no longer types layer names: drop it from the list"


def test_a_layer_cannot_exist_without_a_style():
    with pytest.raises(TypeError, match="style"):
        Layer("parcels", "MultiPolygon", "地块", "区保水办 GIS", "Parcels.", (SOURCE,))
    assert all(isinstance(layer.style, Style) for layer in LAYERS)
    assert styles.LAYER_STYLES == {layer.name: layer.style for layer in LAYERS}


def test_a_record_naming_a_field_it_lacks_is_refused():
    with pytest.raises(ValueError, match="id_field"):
        Layer("parcels", "MultiPolygon", "地块", "区保水办 GIS", "Parcels.", (SOURCE,), id_field="parcel_id",
              style=Style(stroke="#000000"))


def test_categorised_layers_take_colours_and_labels_from_the_terms():
    assert GRIDS.category_colours == {q.name: q.colour for q in TOWN_QUOTAS} == styles.TOWN_COLOURS
    assert len(set(GRIDS.category_colours.values())) == 8
    assert HAZARD_ZONES.category_labels == dict(HAZARD_TYPES)
    style = qml(HAZARD_ZONES)
    assert 'type="categorizedSymbol" attr="hazard_type"' in style
    for term in HAZARD_TYPES.terms:
        assert f'label="{term.label}"' in style


def test_duties_are_records_with_short_labels_and_colours():
    assert len(DUTIES) == 10 and DUTIES_TITLE == "十项职责"
    assert all(t.short and t.colour for t in DUTIES.terms)
    assert DUTIES.short["construction"] == "违法建设" and DUTIES.short["river"] == "上游河道"
    # the short label is the heading of the full text, as the district documents write it
    assert all(DUTIES[t.key].startswith(t.short + "：") for t in DUTIES.terms)
    assert styles.CASE_COLOURS == DUTIES.colours and set(DUTIES.colours) == set(DUTIES)
    assert DUTIES["fire"].startswith("防火") and list(DUTIES)[0] == "forest_mineral"  # still a key → label dict


def test_no_label_is_cut_to_its_short_form_outside_the_schema():
    cuts = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.split("/")[0] in ("tests", ".venv", "build") or rel in NOT_YET_CONVERTED:
            continue
        text = path.read_text(encoding="utf-8")
        cuts += [f"{rel}: {m}" for m in re.findall(r"""\.split\(["'][：（]["']\)\[0\]""", text)]
    assert cuts == [], "use the short labels of the records (DUTIES.short, ROLES.short):\n" + "\n".join(cuts)
    assert ROLES.short["gis_officer"] == "GIS 管理员" and ROLES["gis_officer"].startswith("GIS 管理员（")


def test_vocabulary_counts_in_chinese():
    assert Vocabulary(*(Term(str(i), str(i)) for i in range(12))).count_cn == "十二"
    assert Vocabulary(Term("a", "甲")).count_cn == "一"


PARCELS = Layer("parcels", "MultiPolygon", "地块", "区保水办 GIS", "Parcels (added after the officers' copies).",
                (Field("parcel_id", "str", "地块编号"), SOURCE), id_field="parcel_id",
                style=Style(stroke="#000000"), required=False)


def test_an_older_geopackage_lacking_an_optional_layer_passes_with_a_warning(sample_layers):
    present = gpkg.list_layers(sample_layers)
    problems = check_structure(sample_layers, present, (*LAYERS, PARCELS))
    assert [(p.layer, p.warning) for p in problems] == [("parcels", True)]
    assert "缺少可选图层「地块」" in str(problems[0])
    required = dataclasses.replace(PARCELS, required=True)
    problems = check_structure(sample_layers, present, (*LAYERS, required))
    assert [str(p) for p in problems if not p.warning] == ["parcels: 缺少图层 (missing layer)"]
