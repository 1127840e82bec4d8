"""Simulated days as a tracker app's CSV file (staff_id, time, lon, lat, accuracy), for the tests that
import tracks with injected fakes (:mod:`gis.tracks.inject`) through the product's import."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gis.crs import to_web


def write_csv(path: Path, tracks: dict[str, pd.DataFrame]) -> Path:
    """Per staff a track (time UTC, x, y in storage CRS, accuracy_m) → one CSV file at ``path``."""
    rows = []
    for staff_id, tr in tracks.items():
        lon, lat = to_web(tr["x"].to_numpy(), tr["y"].to_numpy())
        rows.append(pd.DataFrame({"staff_id": staff_id, "time": tr["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                  "lon": np.round(lon, 7), "lat": np.round(lat, 7), "accuracy": tr["accuracy_m"]}))
    pd.concat(rows).to_csv(path, index=False)
    return path
