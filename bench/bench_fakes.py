"""How well the fake-patrol evidence works: a labelled benchmark, and the workforce-wide search.

    .venv/bin/python bench/bench_fakes.py [--staff 2150] [--days 2] [--share 0.05] [--distinct 6]

Honest simulated days of the whole roster (gis.tracks.inject: the simulator's walkers, without its
own seeded copies and replays); on each labelled day ``--share`` of the staff fake their patrol,
the eight kinds in turn.  Prints per kind: injected, caught, recall, flagged, precision, and the
false-positive rate on honest staff-days; side by side, the same for the daily report's older
evidence (jump flags, straight runs, minute-by-minute shared tracks).

The search is timed as the daily report runs it: every pair of the day's tracks, and each track
against its staff member's last 30 days.  Those 30 days are ``--distinct`` simulated days
repeated (shifted to their dates): the work is that of 30 distinct days, the honest variety that
of ``--distinct``.  As the peer, the exact measure on every pair without the prefilters (timed on
a random sample of pairs, scaled to all).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import machine, peak_rss_mb, sample_layers

from gis.layers import gpkg
from gis.join import GridIndex
from gis.schema import FAKE_KINDS, GRIDS, VILLAGES
from gis.tracks import daily, fakes, inject

LAST = "2026-11-30"


def shifted(samples: fakes.Samples, day: str) -> fakes.Samples:
    """A day's samples moved to another date (the same tracks, another day)."""
    days = (pd.Timestamp(day) - pd.Timestamp(samples.day)).days
    return fakes.Samples(day, samples.staff, samples.minute + days * 1440, samples.x, samples.y)


def older_evidence(day: str, tracks, index, labels) -> pd.DataFrame:
    """The daily report's evidence before this work, on the same labelled day."""
    fixes = inject.as_fixes(tracks, index)
    all_fixes = daily.DayFixes.from_frame(fixes, index.grids["grid_id"])
    good = all_fixes.good()
    names = all_fixes.staff_names
    jumps = np.bincount(all_fixes.staff[all_fixes.flag == daily.FLAGS.index(daily.FLAG_JUMP)], minlength=len(names))
    straight = daily._straight_runs(good)
    same = daily._same_tracks(good)
    rows = []
    for kind, flagged in (("teleport", set(names[jumps > 0])), ("drawn", set(names[straight > 0])),
                          ("copy", set(same))):
        injected = [s for s, k in labels.items() if k == kind]
        honest = [s for s in names if s not in labels]
        rows.append({"kind": kind, "evidence": {"teleport": "跳点数 > 0", "drawn": "匀速直线段数 > 0",
                                                "copy": "与他人轨迹相同"}[kind],
                     "recall": sum(s in flagged for s in injected) / max(len(injected), 1),
                     "honest_flagged": sum(s in flagged for s in honest) / max(len(honest), 1)})
    return pd.DataFrame(rows)


def naive_seconds(today: fakes.Samples, history: list[fakes.Samples], pairs: int = 1500) -> float:
    """The exact measure on every pair, no prefilter (every shift in 2-minute steps), scaled from a sample."""
    slices = today.groups()
    names = list(slices)
    rng = np.random.default_rng(0)
    a, b = rng.integers(len(names), size=(2, pairs))
    shifts = np.arange(-720, 721, 2) * 60.0
    t0 = time.perf_counter()
    for i, j in zip(a[:100], b[:100]):
        for shift in shifts[::24]:  # 1 in 24 shifts timed, scaled below
            fakes._coincidence(today, slices[names[i]], today, slices[names[j]], shift)
    per_pair = (time.perf_counter() - t0) / 100 * 24
    all_pairs = len(names) * (len(names) - 1) / 2 + len(names) * len(history)
    return per_pair * all_pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--staff", type=int, default=None, help="staff (whole grids, default all)")
    parser.add_argument("--days", type=int, default=2, help="labelled days")
    parser.add_argument("--share", type=float, default=0.05, help="share of staff faking on a labelled day")
    parser.add_argument("--distinct", type=int, default=6, help="distinct simulated earlier days")
    args = parser.parse_args()
    layers = sample_layers()
    print(f"machine: {machine()}")
    world = inject.World(gpkg.read_layer(layers, GRIDS.name), gpkg.read_layer(layers, VILLAGES.name))
    index = GridIndex.from_layers(layers)
    edges = fakes.grid_edges(index.grids)
    staff = None
    if args.staff:
        grids = world.grids.sample(frac=1, random_state=19)
        grids = set(grids[grids["staff_quota"].cumsum() <= args.staff]["grid_id"])
        staff = sorted(world.roster.loc[world.roster["grid_id"].isin(grids), "staff_id"])
    labelled = [(pd.Timestamp(LAST) - pd.Timedelta(days=k)).strftime("%Y-%m-%d") for k in range(args.days - 1, -1, -1)]
    first = pd.Timestamp(labelled[0])
    distinct = [(first - pd.Timedelta(days=k)).strftime("%Y-%m-%d") for k in range(2, 2 + args.distinct)]

    g0 = time.perf_counter()
    earlier = {d: world.honest(d, staff, spikes=False) for d in distinct}
    base = {d: fakes.samples_of_frames(d, earlier[d]) for d in distinct}
    print(f"simulated {args.distinct} distinct earlier days of {len(earlier[distinct[0]]):,} staff "
          f"in {time.perf_counter() - g0:.0f} s (not timed below)")

    totals, older, timings, stats = [], [], [], {}
    for day in labelled:
        back = [(pd.Timestamp(day) - pd.Timedelta(days=k)).strftime("%Y-%m-%d") for k in range(1, 31)]
        history = [base[d] if d in base else shifted(base[distinct[i % len(distinct)]], d)
                   for i, d in enumerate(back)]
        with tempfile.TemporaryDirectory() as folder:  # the daily report reads the 30 days from the store
            for old in history:
                fakes.save_samples(Path(folder), old)
            l0, lc0 = time.perf_counter(), time.process_time()
            loaded = fakes.history(Path(folder), day)
            load_s, load_cpu = time.perf_counter() - l0, time.process_time() - lc0
            assert len(loaded) == len(history)
            size_mb = sum(f.stat().st_size for f in Path(folder).rglob("*.parquet")) / 2**20
        tracks, labels = inject.labelled_day(world, day, args.share, earlier, staff)
        fixes = inject.as_fixes(tracks, index)
        good = daily.DayFixes.from_frame(fixes, index.grids["grid_id"]).good()
        t0, c0 = time.perf_counter(), time.process_time()
        found, samples = fakes.day_evidence(day, good, edges, fixes[["staff_id", "time", "accuracy_m", "mock"]],
                                            history)
        t1, c1 = time.perf_counter(), time.process_time()
        day_stats: dict = {}
        fakes.copies(samples, day_stats)
        t2, c2 = time.perf_counter(), time.process_time()
        fakes.replays(samples, history, day_stats)
        t3, c3 = time.perf_counter(), time.process_time()
        for k, v in day_stats.items():
            stats[k] = stats.get(k, 0) + v
        timings.append({"day": day, "tracks": len(samples.groups()), "evidence_s": t1 - t0, "copy_s": t2 - t1,
                        "replay_s": t3 - t2, "evidence_cpu": c1 - c0, "copy_cpu": c2 - c1, "replay_cpu": c3 - c2,
                        "load": os.getloadavg()[0], "load_s": load_s, "load_cpu": load_cpu,
                        "size_mb": size_mb,
                        "naive_s": naive_seconds(samples, history) if day == labelled[-1] else np.nan})
        table = inject.confusion(found, labels)
        table["honest"] = table.attrs["honest"]
        table["honest_any"] = round(table.attrs["false_positive_rate"] * table.attrs["honest"])
        totals.append(table)
        older.append(older_evidence(day, tracks, index, labels))
        missed = [(s, k) for s, k in labels.items() if k not in found.set_index("staff_id").loc[s, "fake_kinds"]]
        print(f"{day}: {len(labels)} fakes among {len(found):,} staff-days; missed {missed or 'none'}")
        honest_hits = found[(found["fake_kinds"] != "") & ~found["staff_id"].isin(list(labels))]
        for _, row in honest_hits.head(5).iterrows():
            print(f"  honest flagged: {row['staff_id']} {row['fake_kinds']}: {row['fake_reasons']}")

    both = pd.concat(totals)
    per_kind = both.groupby("kind", sort=False)[["injected", "caught", "flagged", "other_fakes_flagged",
                                                 "honest_flagged"]].sum().reindex(list(FAKE_KINDS))
    per_kind["recall"] = per_kind["caught"] / per_kind["injected"]
    per_kind["precision"] = (per_kind["flagged"] - per_kind["other_fakes_flagged"] - per_kind["honest_flagged"]) \
        / per_kind["flagged"].where(per_kind["flagged"] > 0)
    honest_days = sum(t.attrs["honest"] for t in totals)
    honest_any = int(sum(round(t.attrs["false_positive_rate"] * t.attrs["honest"]) for t in totals))
    print("\n| kind | injected | caught | recall | flagged | precision | of which other fakes | honest |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, r in per_kind.iterrows():
        print(f"| {kind} ({FAKE_KINDS.short[kind]}) | {int(r['injected'])} | {int(r['caught'])} | "
              f"{r['recall']:.1%} | {int(r['flagged'])} | {r['precision']:.1%} | {int(r['other_fakes_flagged'])} | "
              f"{int(r['honest_flagged'])} |")
    print(f"honest staff-days: {honest_days:,}; flagged with any kind: {honest_any} "
          f"→ false-positive rate {honest_any / max(honest_days, 1):.2%}")
    old = pd.concat(older).groupby(["kind", "evidence"], sort=False).mean().reset_index()
    print("\nthe daily report's older evidence on the same days:")
    for _, r in old.iterrows():
        print(f"  {r['kind']:8s} by {r['evidence']}: recall {r['recall']:.1%}, "
              f"honest flagged {r['honest_flagged']:.2%}")
    print("\nsearch (the day's tracks; copy: all pairs; replay: each against its last 30 days):")
    for r in timings:
        print(f"  {r['day']}: {r['tracks']:,} tracks; all evidence {r['evidence_s']:.1f} s wall / "
              f"{r['evidence_cpu']:.1f} s CPU, "
              f"of which copy search {r['copy_s']:.1f} s / {r['copy_cpu']:.1f} s CPU, replay search "
              f"{r['replay_s']:.1f} s / {r['replay_cpu']:.1f} s CPU (machine load {r['load']:.1f} on "
              f"{os.cpu_count()} cores); reading the 30 earlier days' samples ({r['size_mb']:.0f} MB) "
              f"{r['load_s']:.1f} s / {r['load_cpu']:.1f} s CPU")
    last = timings[-1]
    search = last["copy_s"] + last["replay_s"]
    print(f"  pairs over {len(labelled)} days: copy {stats.get('copy_pairs', 0):,} → cells "
          f"{stats.get('copy_cells', 0):,}"
          f" → exact {stats.get('copy_exact', 0):,}; replay {stats.get('replay_pairs', 0):,} → cells "
          f"{stats.get('replay_cells', 0):,} → exact {stats.get('replay_exact', 0):,}")
    print(f"  peer (exact measure on every pair and shift, no prefilter): ~{last['naive_s']:,.0f} s for one day "
          f"→ {last['naive_s'] / search:,.0f}× the search")
    print(f"peak memory {peak_rss_mb(os.getpid()) / 1024:.2f} GB")


if __name__ == "__main__":
    main()
