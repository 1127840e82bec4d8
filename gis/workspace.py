"""The layers and the writable data of one installation, with what is built from them on first use.

One :class:`Workspace` is built from the validated settings (:mod:`gis.settings`) — by the
``miyun-gis`` group for every command (``ctx.obj``, handed to commands by
:func:`gis.cli.options.pass_workspace`), by the web app at start (``app.state``) — and the CLI
hands the server its workspace rather than environment variables.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from gis.layers import gpkg
from gis.schema import FENCE_GATES
from gis.settings import Settings, get_settings

if TYPE_CHECKING:
    from gis.join import GridIndex
    from gis.ledger.cases import Cases
    from gis.ledger.db import Ledger


@dataclass
class Workspace:
    layers: Path
    data_dir: Path
    user: str = ""  # the operator recorded in the audit trail
    settings: Settings = field(default_factory=get_settings, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, layers: str | Path | None = None,
                      data_dir: str | Path | None = None, user: str | None = None) -> "Workspace":
        """The workspace the settings describe; explicit layers, data directory or user take precedence."""
        settings = settings or get_settings()
        return cls(Path(layers) if layers else settings.layers, Path(data_dir) if data_dir else settings.data_dir,
                   user or settings.operator, settings)

    def environment(self) -> dict[str, str]:
        """The settings a process started apart (a server's worker) needs to open this same workspace."""
        return {"MIYUN_LAYERS": str(self.layers), "MIYUN_DATA_DIR": str(self.data_dir), "MIYUN_USER": self.user}

    def but(self, *, layers: str | Path | None = None, data_dir: str | Path | None = None,
            user: str | None = None) -> "Workspace":
        """This workspace, or a copy with what a command's own options name instead."""
        if not (layers or data_dir or user):
            return self
        return dataclasses.replace(self, layers=Path(layers) if layers else self.layers,
                                   data_dir=Path(data_dir) if data_dir else self.data_dir, user=user or self.user)

    @cached_property
    def index(self) -> GridIndex:
        from gis.join import GridIndex

        return GridIndex.from_layers(self.layers)

    @cached_property
    def ledger(self) -> Ledger:
        from gis.ledger.db import Ledger

        return Ledger.in_dir(self.data_dir)

    @cached_property
    def cases(self) -> Cases:
        from gis.ledger.cases import Cases

        return Cases(self.ledger, lambda: self.index)

    @property
    def evidence_dir(self) -> Path:
        from gis.ledger.evidence import evidence_dir

        return evidence_dir(self.data_dir)

    @property
    def cache_dir(self) -> Path:
        """Files the web app renders once (the hillshade), under the data directory."""
        return Path(self.data_dir) / "cache"

    def gate_ids(self) -> set[str]:
        return set(gpkg.read_layer(self.layers, FENCE_GATES.name, columns=["gate_id"], read_geometry=False)["gate_id"])
