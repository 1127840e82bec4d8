"""The track jobs end to end: what the CLI and the web call."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from gis.layers import gpkg
from gis.join import GridIndex
from gis.reports.writers import layers_are_sample, reports_dir, write_csv
from gis.schema import BOUNDARY_MARKERS, FENCE_GATES, GRIDS
from gis.tracks import daily
from gis.tracks.importer import prepare
from gis.tracks.notices import Notices
from gis.tracks.simulate import simulate_day
from gis.tracks.store import already_imported, day_files, read_day, tidy_day, write_fixes


def load_reference(layers: Path, index: GridIndex | None = None) -> daily.Reference:
    """What the daily figures need from the layers (``index`` if already built from them), and whether
    they are the sample (the day's reports are then marked).

    Examples
    --------
    >>> import tempfile
    >>> from gis.join import _example_frames
    >>> from gis.tracks.daily import _example_day
    >>> _, toy = _example_day()
    >>> layers = Path(tempfile.mkdtemp()) / "toy.gpkg"
    >>> for name, xy in ((BOUNDARY_MARKERS.name, toy.marker_xy), (FENCE_GATES.name, toy.gate_xy)):
    ...     gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=toy.index.grids.crs).to_file(
    ...         layers, layer=name)
    >>> ref = load_reference(layers, toy.index)
    >>> ref.marker_xy.tolist(), ref.gate_grid.tolist()
    ([[500000.0, 4490990.0]], [2])
    """
    index = index or GridIndex.from_layers(layers)
    frames = gpkg.read_layers(layers, [BOUNDARY_MARKERS.name, FENCE_GATES.name])
    ref = daily.Reference.build(index, frames[BOUNDARY_MARKERS.name], frames[FENCE_GATES.name])
    ref.sample = layers_are_sample(layers)
    return ref


def run_daily(day: str, ref: daily.Reference, data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[Path]]:
    """Figures of one day from the store; fingerprints kept for later days; reports written (marked
    sample when ``ref`` was built from the sample layers).

    Examples
    --------
    >>> import tempfile
    >>> from gis.tracks.daily import _example_day
    >>> fixes, ref = _example_day()
    >>> data = Path(tempfile.mkdtemp())
    >>> stored = fixes.assign(lon=117.0, lat=40.54, accuracy_m=5.0, source_file="a.csv", synthetic=False)
    >>> _ = write_fixes(data, stored, "ab" * 32, "a.csv")
    >>> grid, staff, paths = run_daily("2026-11-21", ref, data)
    >>> staff["fixes"].tolist(), [p.name for p in paths][0], daily.fingerprint_path(data, "2026-11-21").exists()
    ([60], 'tracks-daily-2026-11-21.xlsx', True)
    """
    fixes = daily.DayFixes.from_frame(read_day(data_dir, day, daily.DAILY_COLUMNS), ref.index.grids["grid_id"])
    prints = daily.fingerprints(fixes)
    grid, staff = daily.daily_figures(day, fixes, ref, data_dir, prints)
    if len(fixes):
        daily.save_fingerprints(data_dir, day, prints)
    return grid, staff, daily.write_reports(reports_dir(data_dir), day, grid, staff, sample=ref.sample)


@lru_cache(maxsize=2)
def _worker_reference(layers: str, stamp: int) -> daily.Reference:
    """The reference on a Dask worker, built once per worker and layer file version (``stamp``)."""
    return load_reference(Path(layers))


def _day_fixes(partitions: tuple[gpd.GeoDataFrame, ...], ref: daily.Reference) -> daily.DayFixes:
    """A day's fixes from its GeoParquet partitions (coordinates from their point geometries)."""
    frame = None
    if partitions:
        points = pd.concat(partitions, ignore_index=True)
        frame = pd.DataFrame(points.drop(columns=points.geometry.name)).assign(
            x=shapely.get_x(points.geometry.array), y=shapely.get_y(points.geometry.array))
    return daily.DayFixes.from_frame(tidy_day(frame, daily.DAILY_COLUMNS), ref.index.grids["grid_id"])


def _prints_on_worker(day: str, layers: str, data_dir: str, *partitions: gpd.GeoDataFrame) -> pd.DataFrame:
    """A day's fingerprints, saved for later days to compare against."""
    prints = daily.fingerprints(_day_fixes(partitions, _worker_reference(layers, Path(layers).stat().st_mtime_ns)))
    if len(prints):
        daily.save_fingerprints(Path(data_dir), day, prints)
    return prints


def _day_on_worker(day: str, layers: str, data_dir: str, prints: pd.DataFrame, earlier: list[pd.DataFrame],
                   *partitions: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A day's figures from its GeoParquet partitions and fingerprints, computed where the task runs
    once the fingerprints of the ``earlier`` days are saved."""
    ref = _worker_reference(layers, Path(layers).stat().st_mtime_ns)
    return daily.daily_figures(day, _day_fixes(partitions, ref), ref, Path(data_dir), prints)


def run_days_dask(days: list[str], layers: Path, data_dir: Path,
                  scheduler: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Many days' figures on a Dask cluster (a LocalCluster when no scheduler address is given).

    dask-geopandas reads the stored GeoParquet, one partition per stored file (a day and a town);
    a day's figures need all of its partitions at once (a staff member's track crosses towns, a
    grid's 24 hours come from every staff member), so each day's partitions meet in one task on
    a worker, and days run side by side.  Each day's fingerprints are saved first, and a day's
    figures wait for those of the days before it, so the numbers equal the day-by-day
    :func:`run_daily`.  Workers read the files from the shared data folder.

    Examples
    --------
    Starting a local cluster takes seconds, so this one is shown, not run:

    >>> grid, staff = run_days_dask(["2026-11-20", "2026-11-21"], Path("layers/miyun.gpkg"),
    ...                             Path("data"))                                   # doctest: +SKIP
    >>> grid.groupby("date").size().tolist()                                      # doctest: +SKIP
    [160, 160]
    """
    import dask
    import dask_geopandas
    from dask.distributed import Client, LocalCluster

    days = sorted(days)
    files_of = {day: day_files(data_dir, day) for day in days}
    files = [str(f) for day in days for f in files_of[day]]
    columns = [c for c in daily.DAILY_COLUMNS if c not in ("x", "y")] + ["geometry"]
    partitions = dask_geopandas.read_parquet(files, columns=columns, split_row_groups=False,
                                             dataset={"partitioning": None}).to_delayed() if files else []
    if len(partitions) != len(files):  # each day takes its files' partitions by position
        raise RuntimeError(f"expected one partition per file, got {len(partitions)} for {len(files)} files")
    parts, position = {}, 0
    for day in days:
        parts[day] = partitions[position:position + len(files_of[day])]
        position += len(files_of[day])
    args = {day: (day, str(layers), str(data_dir)) for day in days}
    prints = [dask.delayed(_prints_on_worker, pure=False)(*args[day], *parts[day]) for day in days]
    tasks = [dask.delayed(_day_on_worker, pure=False)(*args[day], prints[i], prints[:i], *parts[day])
             for i, day in enumerate(days)]
    cluster = None if scheduler else LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                   dashboard_address=None)
    with Client(scheduler or cluster) as client:
        results = client.gather(client.compute(tasks))
    if cluster is not None:
        cluster.close()
    grid = pd.concat([g for g, _ in results], ignore_index=True)
    staff = pd.concat([s for _, s in results], ignore_index=True)
    return grid, staff


def simulate_and_store(day: str, layers: Path, data_dir: Path, n_staff: int | None = None,
                       out: Path | None = None) -> tuple[int, Notices]:
    """Simulate a day; store it (marked synthetic) or, with ``out``, write it as CSV only.

    Examples
    --------
    >>> import tempfile
    >>> from gis.join import _example_frames
    >>> folder = Path(tempfile.mkdtemp())
    >>> _example_frames()[GRIDS.name].assign(staff_quota=2).to_file(folder / "toy.gpkg", layer=GRIDS.name)
    >>> count, _ = simulate_and_store("2026-11-21", folder / "toy.gpkg", folder, out=folder / "day.csv")
    >>> count > 0, (folder / "day.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    (True, 'staff_id,time,lon,lat,accuracy')
    """
    grids = gpkg.read_layer(layers, GRIDS.name)
    raw = simulate_day(grids, day, n_staff)
    notices = Notices()
    if out is not None:
        frame = raw.drop(columns="row").assign(time=raw["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
        # a track file in the devices' format, for `tracks import`: only the track columns
        write_csv(out, frame.rename(columns={"accuracy_m": "accuracy"}), sample=False)
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
