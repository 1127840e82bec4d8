"""The 160-page atlas: every grid and every town's cover, as one book and as eight town PDFs.

    .venv/bin/python bench/bench_printout.py [--towns-only]

``--towns-only``: just the eight town books in parallel (issue 16, target 3: 168 pages ≤ 20 s).
The load average is printed beside the figures (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _common import machine, sample_layers

from maps.printout import Atlas, print_all, print_grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--towns-only", action="store_true")
    args = parser.parse_args()
    layers = sample_layers()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    if args.towns_only:
        atlas = Atlas(layers)
        t0 = time.perf_counter()
        towns = print_all(atlas, Path(tempfile.mkdtemp(prefix="miyun-atlas-")))
        print(f"  eight town books in parallel  {time.perf_counter() - t0:6.1f} s   ({len(towns)} PDFs, "
              f"{os.cpu_count()} processes; load average after {os.getloadavg()[0]:.1f})")
        return
    out = Path(tempfile.mkdtemp(prefix="miyun-atlas-"))
    t0 = time.perf_counter()
    atlas = Atlas(layers)
    t1 = time.perf_counter()
    print_grid(atlas, "XWZ-K01", out / "one.pdf")
    t2 = time.perf_counter()
    book = print_all(atlas, out, book=True)[0]
    t3 = time.perf_counter()
    towns = print_all(atlas, out / "towns")  # not a layer
    t4 = time.perf_counter()
    print(f"  load layers and font          {t1 - t0:6.1f} s")
    print(f"  one grid page (PDF)           {t2 - t1:6.1f} s")
    print(f"  atlas, 168 pages in one book  {t3 - t2:6.1f} s   {book.stat().st_size / 2**20:.1f} MB "
          f"({(t3 - t2) / 168:.2f} s a page)")
    print(f"  eight town books in parallel  {t4 - t3:6.1f} s   ({len(towns)} PDFs, {os.cpu_count()} processes)")


if __name__ == "__main__":
    main()
