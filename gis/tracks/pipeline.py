"""The track jobs end to end: what the CLI and the web call."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from gis import store
from gis.join import GridIndex
from gis.reports import reports_dir
from gis.tracks import daily
from gis.tracks.importer import prepare
from gis.tracks.notices import Notices
from gis.tracks.simulate import simulate_day
from gis.tracks.store import already_imported, read_day, write_fixes


def load_reference(layers: Path, index: GridIndex | None = None) -> daily.Reference:
    """What the daily figures need from the layers (``index`` if already built from them)."""
    index = index or GridIndex.from_layers(layers)
    frames = store.read_layers(layers, ["boundary_markers", "fence_gates"])
    return daily.Reference.build(index, frames["boundary_markers"], frames["fence_gates"])


def run_daily(day: str, ref: daily.Reference, data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[Path]]:
    """Figures of one day from the store; fingerprints kept for later days; reports written."""
    fixes = daily.DayFixes.from_frame(read_day(data_dir, day, daily.DAILY_COLUMNS), ref.index.grids["grid_id"])
    prints = daily.fingerprints(fixes)
    grid, staff = daily.daily_figures(day, fixes, ref, data_dir, prints)
    if len(fixes):
        daily.save_fingerprints(data_dir, day, prints)
    return grid, staff, daily.write_reports(reports_dir(data_dir), day, grid, staff)


def _one_day_on_worker(day: str, layers: str, data_dir: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A day's figures computed where the task runs: the worker reads the day's files itself."""
    ref = load_reference(Path(layers))
    fixes = read_day(Path(data_dir), day, daily.DAILY_COLUMNS)
    return daily.daily_figures(day, fixes, ref, Path(data_dir))


def run_days_dask(days: list[str], layers: Path, data_dir: Path,
                  scheduler: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Many days' figures on a Dask cluster (a LocalCluster when no scheduler address is given).

    Days are independent, so each is one task; the data stays on the workers,
    which read their day's GeoParquet partitions from the shared data folder.
    """
    from dask.distributed import Client, LocalCluster

    cluster = None if scheduler else LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                   dashboard_address=None)
    with Client(scheduler or cluster) as client:
        futures = [client.submit(_one_day_on_worker, day, str(layers), str(data_dir), pure=False) for day in days]
        results = client.gather(futures)
    if cluster is not None:
        cluster.close()
    grid = pd.concat([g for g, _ in results], ignore_index=True)
    staff = pd.concat([s for _, s in results], ignore_index=True)
    return grid, staff


def simulate_and_store(day: str, layers: Path, data_dir: Path, n_staff: int | None = None,
                       out: Path | None = None) -> tuple[int, Notices]:
    """Simulate a day; store it (marked synthetic) or, with ``out``, write it as CSV only."""
    grids = store.read_layer(layers, "grids")
    raw = simulate_day(grids, day, n_staff)
    notices = Notices()
    if out is not None:
        frame = raw.drop(columns="row").assign(time=raw["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
        frame.rename(columns={"accuracy_m": "accuracy"}).to_csv(out, index=False)
        return len(raw), notices
    key = hashlib.sha256(f"simulated:{day}:{n_staff}".encode()).hexdigest()
    if already_imported(data_dir, key):
        notices.add(f"simulated-{day}", "该日模拟轨迹已存储，未重复存储", level="info")
        return 0, notices
    index = GridIndex.from_layers(layers)
    fixes = prepare(raw, index, name=f"simulated-{day}", crs=None, notices=notices)
    fixes["source_file"] = f"simulated-{day}"
    fixes["synthetic"] = True
    write_fixes(data_dir, fixes, key, f"simulated-{day}")
    return len(fixes), notices
