"""The layers and the writable data of one installation, with what is built from them on first use."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from gis import store
from gis.join import GridIndex
from gis.ledger.cases import Cases
from gis.ledger.db import Ledger
from gis.ledger.evidence import evidence_dir
from gis.schema import FENCE_GATES


@dataclass
class Workspace:
    layers: Path
    data_dir: Path

    @cached_property
    def index(self) -> GridIndex:
        return GridIndex.from_layers(self.layers)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger.in_dir(self.data_dir)

    @cached_property
    def cases(self) -> Cases:
        return Cases(self.ledger, lambda: self.index)

    @property
    def evidence_dir(self) -> Path:
        return evidence_dir(self.data_dir)

    def gate_ids(self) -> set[str]:
        return set(store.read_layer(self.layers, FENCE_GATES.name, columns=["gate_id"], read_geometry=False)["gate_id"])
