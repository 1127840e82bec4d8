"""Per-grid map printouts for field teams: ``miyun-gis print``.

One page per grid: the map (grid outlined strongly, neighbours lighter with
their ids, the 155 m line, fence and gates, numbered markers, rivers and
corridors, hazard zones, villages, over a hillshade of the DEM), a title
block with the grid's facts and four boundaries, a scale bar, a north
arrow, a lon/lat graticule, a legend, the ten duties as a checklist, a
contact line, the date, and "示例数据 SAMPLE DATA" when the layers hold
synthetic features.  A town's book is a cover (overview map and an index of
its grids) followed by its grid pages.  Vector PDF, CJK font embedded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("pdf")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import rasterio  # noqa: E402
import shapely  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402
from rasterio.windows import Window, from_bounds  # noqa: E402

from gis.layers import gpkg, terrain  # noqa: E402
from gis.atomic import replacing  # noqa: E402
from gis.crs import to_storage, to_web  # noqa: E402
from gis.errors import InputError  # noqa: E402
from gis.fourbounds import four_boundaries  # noqa: E402
from gis.ledger import lifecycle  # noqa: E402
from gis.ledger.cases import open_cases_in  # noqa: E402
from gis.ledger.db import Ledger  # noqa: E402
from gis.ledger.staff import active_staff_of_grid  # noqa: E402
from gis.lookup import one_grid, town_grids  # noqa: E402
from gis.staff.codes import roster_from_grids  # noqa: E402
from gis.schema import (  # noqa: E402
    BOUNDARY_MARKERS,
    CONTOUR_155,
    FENCE,
    FENCE_GATES,
    GRIDS,
    HAZARD_ZONES,
    RESERVOIR,
    RIVER_CORRIDORS,
    RIVERS,
    TOWNS,
    VILLAGES,
    ZONE_L1,
    DUTIES,
    FINAL_STATUSES,
    GRID_KINDS,
    LAYER_BY_NAME,
    LAYERS,
    LEDGER_FILENAME,
    LEGEND,
    CASE_STATUSES,
    LOCAL_TZ,
    PASS_OFFICES,
    QUOTA_BY_TOWN,
    SAMPLE_MARK,
)
from gis.layers.styles import CASE_COLOURS, LAYER_STYLES, TOWN_COLOURS  # noqa: E402
from gis.layers.validate import ensure_valid  # noqa: E402
from maps.draw import add_lines, add_polygons  # noqa: E402
from maps.fonts import cjk_font  # noqa: E402
from maps.pdfcanvas import BACKEND as PDF_BACKEND  # noqa: E402
from maps.placement import GAP_PT, Placer  # noqa: E402

PAGE_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
MU_PER_M2 = 1 / 666.6667  # 1 亩 = 666.67 m²
CONTACT = "区保水办值班电话：____________    镇保水办：____________    发现问题立即制止并报告（时间、地点、情况、照片）"
MM_TO_PT = 72 / 25.4
MIN_PT = 7.0  # no text on a sheet is smaller (read in the field, at arm's length)
GATE_RULE = f"24 小时值守，凭{'或'.join(PASS_OFFICES.values())}签发的通行证明进出"
MARKER_NEAR_M = 30.0  # a boundary marker this close to a grid is the grid's
GATE_NEAR_M = 60.0
CASE_HALF_PT = 4.5  # half the case symbol (s=46 points²)


@dataclass
class Page:
    size: str = "A4"
    orientation: str = "portrait"

    def inches(self) -> tuple[float, float]:
        if self.size not in PAGE_MM:
            raise InputError(f"纸张应为 A4 或 A3，收到 {self.size!r}", field="--size")
        if self.orientation not in ("portrait", "landscape"):
            raise InputError(f"方向应为 portrait 或 landscape，收到 {self.orientation!r}", field="--orientation")
        w, h = PAGE_MM[self.size]
        if self.orientation == "landscape":
            w, h = h, w
        return w / 25.4, h / 25.4

    @property
    def landscape(self) -> bool:
        return self.orientation == "landscape"


def _nice(value: float) -> float:
    """The largest of 1, 2, 2.5, 5 × 10^k not above ``value``."""
    power = 10 ** np.floor(np.log10(value))
    return max(m * power for m in (1, 2, 2.5, 5) if m * power <= value)


def _lines_in(ax, text: str, *, top: float, step: float, fontsize: float) -> None:
    """Lines ``step`` (a share of the axes' height) apart, as one text: one artist to lay out, not one a line."""
    height_pt = ax.get_position().height * ax.figure.get_figheight() * 72
    ax.text(0, top, text, fontsize=fontsize, va="top", transform=ax.transAxes,
            linespacing=step * height_pt / fontsize)


class Atlas:
    """Everything a printout needs, read once from the layers."""

    def __init__(self, layers: Path, frames: dict | None = None, data_dir: Path | None = None):
        """``frames``: the layers already read (and validated) by the caller, to avoid reading twice.
        ``data_dir``: where the ledger is — its roster names the staff and its open cases are drawn,
        read afresh for every page."""
        self.layers = ensure_valid(layers)
        self.frames = frames if frames is not None else gpkg.read_layers(self.layers)
        self.sample = any(gpkg.is_synthetic(f) for f in self.frames.values())
        self.grids = self.frames[GRIDS.name].sort_values("grid_id").reset_index(drop=True)
        self.by_id = self.grids.set_index("grid_id")
        self.roster = roster_from_grids(self.grids)
        self.data_dir = Path(data_dir) if data_dir else None
        self._ledger: Ledger | None = None
        fence = self.frames[FENCE.name].geometry
        self.fence = shapely.union_all(fence.array) if len(fence) else None
        contour = self.frames[CONTOUR_155.name].geometry
        self.contour = shapely.union_all(contour.array) if len(contour) else None
        self.dem_path = gpkg.dem_path(self.layers)
        self.markers_of = self._near(self.frames[BOUNDARY_MARKERS.name], MARKER_NEAR_M)
        self.gates_of = self._near(self.frames[FENCE_GATES.name], GATE_NEAR_M)
        self._overview: dict[str, tuple] = {}
        self._trees: dict[str, shapely.STRtree] = {}
        self.font = cjk_font()
        plt.rcParams.update({"font.family": self.font, "pdf.fonttype": 42, "axes.unicode_minus": False})
        self.today = datetime.now(ZoneInfo(LOCAL_TZ)).strftime("%Y-%m-%d")

    def _near(self, points, distance: float) -> dict[str, list[int]]:
        """Grid id → row positions of the points within ``distance`` metres of the grid (one tree query)."""
        out: dict[str, list[int]] = {g: [] for g in self.grids["grid_id"]}
        if points.empty:
            return out
        tree = shapely.STRtree(self.grids.geometry.array)
        pts, hits = tree.query(points.geometry.array, predicate="dwithin", distance=distance)
        ids = self.grids["grid_id"].to_numpy()
        for p, g in zip(pts, hits):
            out[ids[g]].append(int(p))
        return out

    def _in(self, name: str, extent):
        """The layer's features that meet ``extent``, in the layer's order — what ``frame.cx[...]``
        gives, from an STRtree made once per layer instead of a test of every feature on every page."""
        frame = self.grids if name == GRIDS.name else self.frames[name]
        tree = self._trees.get(name)
        if tree is None:
            tree = self._trees[name] = shapely.STRtree(frame.geometry.array)
        return frame.iloc[np.sort(tree.query(shapely.box(*extent), predicate="intersects"))]

    # -- facts ------------------------------------------------------------------

    def grid(self, grid_id: str):
        return one_grid(self.grids, grid_id).iloc[0]

    def town_grids(self, town: str) -> list[str]:
        return town_grids(self.grids, town)["grid_id"].tolist()

    @property
    def ledger(self) -> Ledger | None:
        """The ledger, once it exists (a server may start before the first case is recorded)."""
        if self._ledger is None and self.data_dir and (self.data_dir / LEDGER_FILENAME).exists():
            self._ledger = Ledger.in_dir(self.data_dir)
        return self._ledger

    def staff_of(self, grid_id: str) -> tuple[list[str], str | None]:
        """The grid's staff (codes, with names where the roster has them) and its leader."""
        rows = active_staff_of_grid(self.ledger, grid_id) if self.ledger else []
        if rows:
            names = [f"{r['staff_id']} {r['name']}".strip() for r in rows]
            leader = next((f"{r['staff_id']} {r['name']}".strip() for r in rows if r["role"] == "leader"), None)
            return names, leader
        codes = self.roster.loc[self.roster["grid_id"] == grid_id, "staff_id"].tolist()
        return codes, codes[0] if codes else None

    def open_cases(self, extent) -> list[dict]:
        """Open cases inside ``extent`` (storage CRS): id, category, status, x, y."""
        return open_cases_in(self.ledger, extent) if self.ledger is not None else []

    def grid_cases(self, grid_id: str) -> list[dict]:
        """The grid's open cases with what is due: id, category, status, due date, days overdue."""
        if self.ledger is None:
            return []
        marks = ",".join("?" for _ in FINAL_STATUSES)
        rows = [dict(r) for r in self.ledger.query(
            f"SELECT case_id, category, status, deadline, self_due, forced_due FROM cases WHERE grid_id = ? "
            f"AND status NOT IN ({marks}) ORDER BY case_id", (grid_id, *FINAL_STATUSES))]
        today = datetime.strptime(self.today, "%Y-%m-%d").date()
        for row in rows:
            late = lifecycle.overdue(row, today)
            row["due"] = late.due.isoformat() if late else (row["deadline"] or row["self_due"] or "")
            row["days_overdue"] = late.days if late else 0
        return rows

    def _cases(self, ax, extent) -> list[dict]:
        found = self.open_cases(extent)
        for case in found:
            ax.scatter([case["x"]], [case["y"]], s=46, marker="X", color=CASE_COLOURS.get(case["category"], "#d7191c"),
                       edgecolor="black", linewidth=0.6, zorder=13)
        return found

    # -- drawing ------------------------------------------------------------------

    def _hillshade(self, ax, extent) -> None:
        if not self.dem_path.exists():
            return
        minx, miny, maxx, maxy = extent
        with rasterio.open(self.dem_path) as src:
            exact = from_bounds(minx, miny, maxx, maxy, src.transform)  # widened to whole cells: fills the frame
            col, row = int(np.floor(exact.col_off)) - 1, int(np.floor(exact.row_off)) - 1
            window = Window(col, row, int(np.ceil(exact.col_off + exact.width)) + 1 - col,
                            int(np.ceil(exact.row_off + exact.height)) + 1 - row)
            z = src.read(1, window=window, boundless=True, fill_value=np.nan).astype("float32")
            transform = src.window_transform(window)
        if z.size < 4 or np.isnan(z).all():
            return
        shade = terrain.hillshade(terrain.Dem(z, transform))
        left, top = transform.c, transform.f
        right, bottom = left + transform.a * z.shape[1], top + transform.e * z.shape[0]
        ax.imshow(shade, cmap="gray", extent=(left, right, bottom, top), alpha=0.35, zorder=0,
                  interpolation="bilinear", vmin=0, vmax=255)

    def _layer(self, ax, name: str, extent, **override) -> None:
        frame = self.frames.get(name)
        if frame is None or frame.empty:
            return
        minx, miny, maxx, maxy = extent
        part = self._in(name, extent)
        if part.empty:
            return
        if not part.geom_type.iloc[0] == "Point":  # draw only what the page shows
            pad = (maxx - minx) * 0.02
            part = part.set_geometry(shapely.clip_by_rect(part.geometry.array, minx - pad, miny - pad, maxx + pad,
                                                          maxy + pad))
            part = part[~part.geometry.is_empty]
            if part.empty:
                return
        style = LAYER_STYLES[name]
        lw = style.width_mm * MM_TO_PT
        ls = "--" if style.dash else "-"
        kind = LAYER_BY_NAME[name].geometry
        if kind.endswith("Polygon"):
            add_polygons(ax, part.geometry.array, facecolor=override.get("fill", style.fill or "none"),
                         alpha=override.get("alpha", style.fill_opacity if style.fill else 1.0),
                         edgecolor=style.stroke, linewidth=lw, linestyle=ls, zorder=override.get("zorder", 1))
        elif kind.endswith("LineString"):
            add_lines(ax, part.geometry.array, color=style.stroke, linewidth=lw, linestyle=ls,
                      zorder=override.get("zorder", 3))
        else:
            marker = {"circle": "o", "square": "s", "triangle": "^"}[style.marker]
            ax.scatter(part.geometry.x, part.geometry.y, s=(style.size_mm * MM_TO_PT) ** 2, marker=marker,
                       facecolor=style.fill, edgecolor=style.stroke, linewidth=0.5, zorder=override.get("zorder", 6))

    def _graticule(self, ax, extent) -> None:
        """Lon/lat lines and labels: every vertex and tick projected in one call, drawn as one collection."""
        minx, miny, maxx, maxy = extent
        lon, lat = to_web(np.array([minx, maxx, minx, maxx]), np.array([miny, miny, maxy, maxy]))
        step = _nice(max(lon.max() - lon.min(), lat.max() - lat.min()) / 4)
        lons = np.arange(np.ceil(lon.min() / step) * step, lon.max(), step)
        lats = np.arange(np.ceil(lat.min() / step) * step, lat.max(), step)
        along_lat = np.linspace(lat.min() - step, lat.max() + step, 20)
        along_lon = np.linspace(lon.min() - step, lon.max() + step, 20)
        line_lon = np.concatenate([np.repeat(lons, 20), np.tile(along_lon, len(lats))])
        line_lat = np.concatenate([np.tile(along_lat, len(lons)), np.repeat(lats, 20)])
        tick_lon = np.concatenate([lons, np.full(len(lats), lon.min())])
        tick_lat = np.concatenate([np.full(len(lons), lat.min()), lats])
        x, y = to_storage(np.concatenate([line_lon, tick_lon]), np.concatenate([line_lat, tick_lat]))
        n_line = len(line_lon)
        lines = np.stack([x[:n_line], y[:n_line]], axis=1).reshape(-1, 20, 2)
        if len(lines):
            ax.add_collection(LineCollection(lines, colors="#7f7f7f", linewidths=0.3, zorder=0.5))
        # a tick label that would stick out past the frame's corner is left out (it would meet the title)
        box = ax.get_position()
        w_pt, h_pt = box.width * ax.figure.get_figwidth() * 72, box.height * ax.figure.get_figheight() * 72
        half = 0.5 * 9 * MIN_PT * 0.6 + 2  # half a "116.945°E" label, points
        xs, ys = x[n_line:n_line + len(lons)], y[n_line + len(lons):]
        keep_x = (xs - minx > half / w_pt * (maxx - minx)) & (maxx - xs > half / w_pt * (maxx - minx))
        keep_y = (ys - miny > half / h_pt * (maxy - miny)) & (maxy - ys > half / h_pt * (maxy - miny))
        ax.set_xticks(xs[keep_x], [f"{v:.3f}°E" for v in lons[keep_x]], fontsize=MIN_PT)
        ax.set_yticks(ys[keep_y], [f"{v:.3f}°N" for v in lats[keep_y]], fontsize=MIN_PT, rotation=90,
                      va="center")
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)

    def _placer(self, ax, extent) -> Placer:
        box = ax.get_position()
        fig_w, fig_h = ax.figure.get_size_inches()
        return Placer(extent, (box.width * fig_w * 72, box.height * fig_h * 72), tuple(self.font))

    def _emptiest_corners(self, extent, placer: Placer, sizes: list[tuple[float, float]]) -> list[tuple]:
        """For each (width, height) in axes fractions, the free corner box covering the least data
        (grid area, then points), scale bar first: [(x0, y0, x1, y1), ...]."""
        minx, miny, maxx, maxy = extent
        dx, dy = maxx - minx, maxy - miny
        grids = self._in(GRIDS.name, extent).geometry.array
        points = np.concatenate([self._in(n, extent).geometry.array
                                 for n in (BOUNDARY_MARKERS.name, FENCE_GATES.name, VILLAGES.name)])
        chosen = []
        for w, h in sizes:
            best = None
            for fx, fy in ((0.02, 0.02), (0.98 - w, 0.02), (0.02, 0.98 - h), (0.98 - w, 0.98 - h)):
                box = (fx, fy, fx + w, fy + h)
                if not placer.free_fraction(*box):
                    continue
                rect = shapely.box(minx + box[0] * dx, miny + box[1] * dy, minx + box[2] * dx, miny + box[3] * dy)
                cover = float(shapely.area(shapely.intersection(grids, rect)).sum()) if len(grids) else 0.0
                hits = int(shapely.contains(rect, points).sum()) if len(points) else 0
                score = (hits * dx * dy * 0.01 + cover, fy, fx)  # ties: bottom, then left
                if best is None or score < best[0]:
                    best = (score, box)
            box = best[1] if best else (0.02, 0.02, 0.02 + w, 0.02 + h)
            placer.reserve_fraction(*box)
            chosen.append(box)
        return chosen

    def _scale_bar(self, ax, extent, box) -> None:
        minx, miny, maxx, maxy = extent
        length = _nice((maxx - minx) / 5)
        fx0, fy0 = box[0] + 0.01, box[1] + 0.012
        x0, y0 = minx + (maxx - minx) * fx0, miny + (maxy - miny) * fy0
        h = (maxy - miny) * 0.012
        ax.add_patch(Rectangle((x0 - length * 0.04, y0 - h * 0.8), length * 1.2, h * 4.2, facecolor="white",
                               edgecolor="none", alpha=0.8, zorder=19))
        for i in range(4):
            ax.add_patch(Rectangle((x0 + i * length / 4, y0), length / 4, h, facecolor="black" if i % 2 == 0 else "white",
                                   edgecolor="black", linewidth=0.5, zorder=20))
        for frac in (0, 0.5, 1):
            ax.text(x0 + frac * length, y0 + h * 1.6, f"{frac * length:g}", ha="center", va="bottom", fontsize=MIN_PT,
                    zorder=20)
        ax.text(x0 + length * 1.06, y0, "米", fontsize=MIN_PT, va="bottom", zorder=20)

    def _north_arrow(self, ax, box) -> None:
        cx = (box[0] + box[2]) / 2
        ax.annotate("", xy=(cx, box[3] - 0.035), xytext=(cx, box[1] + 0.005), xycoords="axes fraction",
                    arrowprops=dict(facecolor="black", width=3, headwidth=9, headlength=9), zorder=20)
        ax.text(cx, box[3] - 0.03, "北 N", transform=ax.transAxes, ha="center", va="bottom", fontsize=8, zorder=20)

    def _label_sizes(self, ax, extent) -> list[tuple[float, float]]:
        """Scale bar and north arrow boxes in axes fractions."""
        box = ax.get_position()
        w_pt, h_pt = box.width * ax.figure.get_figwidth() * 72, box.height * ax.figure.get_figheight() * 72
        length = _nice((extent[2] - extent[0]) / 5) / (extent[2] - extent[0])
        return [(length * 1.2 + 16 / w_pt, 0.012 * 4.5 + 10 / h_pt), (24 / w_pt, 0.06 + 14 / h_pt)]

    def _labels(self, ax, extent, placer: Placer, focus: str | None, must: tuple[str, ...] = (),
                numbers: bool = True) -> None:
        """Every label through the placer, most important first: the grid, the neighbours named in
        四至 (or a town's grids), cases, gates, marker numbers (unless ``numbers`` is off), the other
        grids, villages.  What does not fit is left out."""
        minx, miny, maxx, maxy = extent
        pad_x, pad_y = (maxx - minx) * 0.03, (maxy - miny) * 0.03
        inner = shapely.box(minx + pad_x, miny + pad_y, maxx - pad_x, maxy - pad_y)
        grids = self._in(GRIDS.name, extent)
        anchors = {}
        for grid_id, geom in zip(grids["grid_id"], grids.geometry):
            part = shapely.intersection(geom, inner)
            if not part.is_empty:
                p = part.representative_point()
                anchors[grid_id] = (p.x, p.y)
        white = dict(facecolor="white", alpha=0.75, edgecolor="none", boxstyle="square,pad=0.15")

        def put(x, y, text, size, colour, *, centred=False, reach=1, bbox=None, radius=3.0):
            spot = placer.place(x, y, text, size, centred=centred, reach=reach, radius=radius,
                                pad=size * 0.15 if bbox else 0.0)
            if spot is not None:
                ax.annotate(text, (spot.x, spot.y), xytext=(spot.dx, spot.dy), textcoords="offset points",
                            ha=spot.ha, va=spot.va, fontsize=size, color=colour, zorder=12, bbox=bbox,
                            annotation_clip=False)
            return spot

        cases = self.open_cases(extent)
        gates = self._in(FENCE_GATES.name, extent)
        markers = self._in(BOUNDARY_MARKERS.name, extent)
        villages = self._in(VILLAGES.name, extent)
        clear = {}  # label distance from each kind of symbol: its half size and a gap
        for frame, name in ((gates, FENCE_GATES.name), (markers, BOUNDARY_MARKERS.name), (villages, VILLAGES.name)):
            half = LAYER_STYLES[name].size_mm * MM_TO_PT / 2 + 0.5  # no label over a symbol
            clear[name] = half + GAP_PT + 0.5
            for p in frame.geometry:
                placer.reserve_point(p.x, p.y, half)
        for case in cases:
            placer.reserve_point(case["x"], case["y"], CASE_HALF_PT)
        for case in cases:
            put(case["x"], case["y"], case["case_id"].split("-")[-1], MIN_PT, "#a50f15",
                radius=CASE_HALF_PT + GAP_PT + 0.5, reach=2)
        first = [g for g in (focus, *must) if g in anchors]
        for grid_id in first:
            put(*anchors[grid_id], grid_id, 10 if grid_id == focus else 8, "black" if grid_id == focus else "#333333",
                centred=True, reach=4, bbox=white)
        for gate_id, p in zip(gates["gate_id"], gates.geometry):
            put(p.x, p.y, gate_id, MIN_PT, "#3f007d", radius=clear[FENCE_GATES.name], reach=2)
        for number, p in zip(markers["number"], markers.geometry) if numbers else ():
            put(p.x, p.y, str(number), MIN_PT, "#7f2704", radius=clear[BOUNDARY_MARKERS.name], reach=2)
        for grid_id, (x, y) in anchors.items():
            if grid_id not in first:
                put(x, y, grid_id, MIN_PT, "#555555", centred=True, bbox=white)
        for name, p in zip(villages["name"], villages.geometry):
            put(p.x, p.y, name.replace("村民委员会", "村").replace("社区居委会", "社区"), MIN_PT, "#333333",
                radius=clear[VILLAGES.name])

    def draw_map(self, ax, extent, focus: str | None = None, town: str | None = None,
                 must: tuple[str, ...] = ()) -> Placer:
        """The map in ``ax``; ``must``: grids whose labels come right after the focus grid's (四至)."""
        self._hillshade(ax, extent)
        self._layer(ax, TOWNS.name, extent, zorder=0.8)
        self._layer(ax, RESERVOIR.name, extent)
        self._layer(ax, ZONE_L1.name, extent)
        self._layer(ax, RIVER_CORRIDORS.name, extent)
        self._layer(ax, HAZARD_ZONES.name, extent, zorder=2)
        minx, miny, maxx, maxy = extent
        grids = self._in(GRIDS.name, extent)
        for grid_id, grid_town, geom in zip(grids["grid_id"], grids["town"], grids.geometry):
            strong = grid_id == focus or (town is not None and grid_town == town)
            add_polygons(ax, [geom], facecolor=TOWN_COLOURS.get(grid_town, "#999999"),
                         alpha=0.35 if strong else 0.12, zorder=4)
            add_lines(ax, [geom], color="black" if strong else "#777777",
                      linewidth=2.2 if grid_id == focus else 0.5, zorder=5 if grid_id == focus else 4.5)
        self._layer(ax, CONTOUR_155.name, extent)
        self._layer(ax, RIVERS.name, extent)
        self._layer(ax, FENCE.name, extent)
        self._layer(ax, BOUNDARY_MARKERS.name, extent)
        self._layer(ax, FENCE_GATES.name, extent)
        self._layer(ax, VILLAGES.name, extent)
        self._cases(ax, extent)
        placer = self._placer(ax, extent)
        scale_box, north_box = self._emptiest_corners(extent, placer, self._label_sizes(ax, extent))
        if town is not None:  # a town's overview: its grids' ids matter more than marker numbers
            must = tuple(must) + tuple(self.town_grids(town))
        self._labels(ax, extent, placer, focus, must, numbers=town is None)
        self._graticule(ax, extent)
        self._scale_bar(ax, extent, scale_box)
        self._north_arrow(ax, north_box)
        ax.set_aspect("equal")
        ax.set_xlabel("")
        ax.set_ylabel("")
        return placer

    def _overview_inset(self, ax, grid_id: str) -> None:
        """Where the grid lies in its town: the town's grids, the water, the grid in red."""
        town = self.by_id.loc[grid_id, "town"]
        if town not in self._overview:  # shared by every page of the town
            ids = self.town_grids(town)
            geoms = shapely.simplify(self.by_id.loc[ids].geometry.array, 20)
            minx, miny, maxx, maxy = shapely.total_bounds(geoms)
            pad = max(maxx - minx, maxy - miny) * 0.06 + 200
            box = (minx - pad, miny - pad, maxx + pad, maxy + pad)
            water = self.frames[RESERVOIR.name].geometry.array
            water = shapely.simplify(shapely.clip_by_rect(water, *box), 40) if len(water) else water
            self._overview[town] = (dict(zip(ids, geoms)), water, box)
        geoms, water, box = self._overview[town]
        add_polygons(ax, water, facecolor=LAYER_STYLES[RESERVOIR.name].fill, zorder=1)
        add_polygons(ax, list(geoms.values()), facecolor=TOWN_COLOURS.get(town, "#999999"), alpha=0.5,
                     edgecolor="#555555", linewidth=0.2, zorder=2)
        mine = geoms[grid_id]
        add_polygons(ax, [mine], facecolor="#e31a1c", edgecolor="#e31a1c", linewidth=1.2, zorder=3)
        c = mine.centroid
        ax.scatter([c.x], [c.y], s=60, facecolor="none", edgecolor="#e31a1c", linewidth=1.2, zorder=4)
        ax.set_xlim(box[0], box[2])
        ax.set_ylim(box[1], box[3])
        ax.set_aspect("equal", adjustable="box")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"位置示意（{town}镇）", fontsize=MIN_PT, pad=2)

    def _legend(self, ax, ncol: int = 1) -> None:
        """The grid (this one and its neighbours), every layer the records put in the legend, open cases."""
        items = [Patch(facecolor="none", edgecolor="black", linewidth=2, label="本网格"),
                 Patch(facecolor="#dddddd", edgecolor="#777777", label="相邻网格")]
        for layer in sorted(LAYERS, key=lambda l: l.draw_order):
            if layer.name != GRIDS.name and layer.shown(LEGEND):
                items.append(_legend_handle(layer))
        items.append(Line2D([], [], marker="X", ls="", color=CASE_COLOURS["construction"], markeredgecolor="black",
                            label="未结案件（编号）"))
        ax.legend(handles=items, loc="upper left", fontsize=MIN_PT, frameon=False, title="图例", title_fontsize=8,
                  ncol=ncol, labelspacing=0.25, handlelength=1.6, columnspacing=0.8, borderaxespad=0)
        ax.axis("off")

    def _duties(self, ax) -> None:
        ax.axis("off")
        ax.text(0, 1, f"巡查职责（{DUTIES.count_cn}项）", fontsize=8, va="top", transform=ax.transAxes)
        lines = "\n".join(f"□ {i + 1}. {text}" for i, text in enumerate(DUTIES.values()))
        height_pt = ax.get_position().height * ax.figure.get_figheight() * 72
        _lines_in(ax, lines, top=1 - 13 / height_pt, step=MIN_PT * 1.35 / height_pt, fontsize=MIN_PT)

    def _stamp(self, fig) -> None:
        fig.text(0.05, 0.022, CONTACT, ha="left", fontsize=MIN_PT)
        fig.text(0.05, 0.008, f"制图日期：{self.today}", ha="left", fontsize=MIN_PT)
        if self.sample:
            fig.text(0.5, 0.5, SAMPLE_MARK, fontsize=44, color="#cc0000", alpha=0.12, rotation=30,
                     ha="center", va="center", zorder=100)
            fig.text(0.99, 0.99, SAMPLE_MARK, fontsize=9, color="#cc0000", ha="right", va="top")

    def _tables(self, ax, grid_id: str, cases: list[dict]) -> None:
        """The grid's boundary markers (number, coordinates), fence gates (name, pass rule) and open
        cases with their due dates, as text tables that share the space they are given."""
        ax.axis("off")
        box = ax.get_position()
        w_pt, h_pt = box.width * ax.figure.get_figwidth() * 72, box.height * ax.figure.get_figheight() * 72
        ax.set_xlim(0, w_pt)
        ax.set_ylim(0, h_pt)
        step = MIN_PT * 1.3
        markers = self.frames[BOUNDARY_MARKERS.name].iloc[self.markers_of[grid_id]].sort_values("number")
        gates = self.frames[FENCE_GATES.name].iloc[self.gates_of[grid_id]].sort_values("gate_id")
        lon, lat = to_web(markers.geometry.x.to_numpy(), markers.geometry.y.to_numpy()) if len(markers) else ([], [])
        sections = [
            (f"界桩（{len(markers)} 个，CGCS2000 经纬度）", ["序号", "界桩编号", "经度", "纬度"], [0, 0.12, 0.42, 0.68],
             [[str(n), m, f"{x:.5f}°E", f"{y:.5f}°N"] for n, m, x, y in zip(markers["number"], markers["marker_id"],
                                                                             lon, lat)]),
            (f"围网进出口（{len(gates)} 个）", ["编号", "名称", "通行规定"], [0, 0.2, 0.5],
             [[g, n, "凭通行证明进出"] for g, n in zip(gates["gate_id"], gates["name"])]),
            (f"未结案件（{len(cases)} 件）", ["案件编号", "类别", "状态", "期限", "逾期"], [0, 0.24, 0.39, 0.7, 0.88],
             [[c["case_id"], DUTIES.short.get(c["category"], c["category"]),
               CASE_STATUSES.get(c["status"], c["status"])[:14], c["due"] or "—",
               f"{c['days_overdue']} 天" if c["days_overdue"] else ""] for c in cases]),
        ]
        budget = int(h_pt // step) - 3 * 2 - 1  # lines left for rows after titles and headers
        wanted = [max(1, len(rows)) for *_, rows in sections]
        shown = list(wanted)
        while sum(shown) > budget and max(shown) > 2:
            shown[int(np.argmax(shown))] -= 1
        y = h_pt
        for (title, header, xs, rows), n in zip(sections, shown):
            ax.text(0, y, title, fontsize=8, va="top")
            y -= step * 1.15
            body = [header] + (rows[:n - 1] + [[f"……另 {len(rows) - n + 1} 项"]] if len(rows) > n else rows or [["无"]])
            for c, x in enumerate(xs):
                column = "\n".join(r[c] if c < len(r) else "" for r in body)
                ax.text(x * w_pt, y, column, fontsize=MIN_PT, va="top", linespacing=1.3,
                        color="#a50f15" if title.startswith("未结") and c == 4 else "black")
            y -= step * len(body) + step * 0.4
        if len(gates):
            ax.text(0, max(y, 0), f"进出口：{GATE_RULE}", fontsize=MIN_PT, va="top")

    def grid_page(self, grid_id: str, page: Page):
        row = self.grid(grid_id)
        fig = plt.figure(figsize=page.inches())
        geom = row.geometry
        minx, miny, maxx, maxy = geom.bounds
        if page.landscape:
            map_rect = [0.04, 0.07, 0.58, 0.82]
            facts_rect, tables_rect = [0.65, 0.80, 0.33, 0.09], [0.65, 0.49, 0.33, 0.30]
            inset_rect, legend_rect, legend_cols = [0.65, 0.26, 0.11, 0.21], [0.78, 0.26, 0.20, 0.22], 1
            duties_rect = [0.65, 0.05, 0.33, 0.19]
        else:
            map_rect = [0.08, 0.47, 0.86, 0.44]
            facts_rect, tables_rect = [0.05, 0.37, 0.55, 0.075], [0.05, 0.045, 0.55, 0.32]
            inset_rect, legend_rect, legend_cols = [0.62, 0.315, 0.36, 0.115], [0.62, 0.205, 0.36, 0.10], 2
            duties_rect = [0.62, 0.045, 0.36, 0.15]
        aspect = (map_rect[2] * page.inches()[0]) / (map_rect[3] * page.inches()[1])
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        half_w = max(maxx - minx, (maxy - miny) * aspect) / 2 * 1.25 + 100
        half_h = half_w / aspect
        extent = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
        ax = fig.add_axes(map_rect)
        bounds = four_boundaries(grid_id, self.grids, self.fence, self.contour)
        neighbours = tuple(g for what in bounds.values() for g in what.split("、") if g in self.by_id.index)
        self.draw_map(ax, extent, focus=grid_id, must=neighbours)
        quota = int(row["staff_quota"])
        staff, leader = self.staff_of(grid_id)
        cases = self.grid_cases(grid_id)
        fig.text(0.05, 0.965, f"密云水库保水网格图　{grid_id}", fontsize=16, va="top")
        fig.text(0.05, 0.93, f"{row['town']}镇 · {GRID_KINDS.get(row['kind'], row['kind'])} · 面积 "
                 f"{row['area_m2'] * MU_PER_M2:,.0f} 亩（{row['area_m2'] / 1e6:.3f} 平方公里）· 保水员 {quota} 人",
                 fontsize=9, va="top")
        facts = [
            "四至：" + "；".join(f"{side_name}至{what}" for side_name, what in bounds.items()),
            f"保水员：{staff[0].split()[0]} 至 {staff[-1].split()[0]}（{len(staff)} 人，按三班 24 小时值守）"
            if staff else "保水员：—",
            f"网格长：{leader or '—'}" + ("（示例编号）" if self.sample else ""),
            f"未结案件：{len(cases)} 件" + (f"（{'、'.join(c['case_id'] for c in cases[:4])}"
                                          f"{'等' if len(cases) > 4 else ''}）" if cases else ""),
        ]
        info = fig.add_axes(facts_rect)
        info.axis("off")
        height_pt = facts_rect[3] * page.inches()[1] * 72
        _lines_in(info, "\n".join(facts), top=1.0, step=MIN_PT * 1.45 / height_pt, fontsize=MIN_PT)
        self._tables(fig.add_axes(tables_rect), grid_id, cases)
        self._overview_inset(fig.add_axes(inset_rect), grid_id)
        self._legend(fig.add_axes(legend_rect), legend_cols)
        self._duties(fig.add_axes(duties_rect))
        self._stamp(fig)
        return fig

    def town_cover(self, town: str, page: Page):
        ids = self.town_grids(town)
        fig = plt.figure(figsize=page.inches())
        geoms = self.by_id.loc[ids].geometry
        minx, miny, maxx, maxy = shapely.total_bounds(geoms.array)
        ax = fig.add_axes([0.08, 0.42, 0.86, 0.48] if not page.landscape else [0.05, 0.08, 0.55, 0.80])
        box = ax.get_position()
        aspect = (box.width * page.inches()[0]) / (box.height * page.inches()[1])
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        half_w = max(maxx - minx, (maxy - miny) * aspect) / 2 * 1.1 + 300
        extent = (cx - half_w, cy - half_w / aspect, cx + half_w, cy + half_w / aspect)
        self.draw_map(ax, extent, town=town)
        q = QUOTA_BY_TOWN[town]
        fig.text(0.05, 0.965, f"{town}镇保水网格图册", fontsize=18, va="top")
        fig.text(0.05, 0.93, f"一级区网格 {q.grids_l1} 个 · 河道网格 {q.grids_river} 个 · 保水员 {q.staff} 人",
                 fontsize=10, va="top")
        table = fig.add_axes([0.05, 0.04, 0.9, 0.34] if not page.landscape else [0.63, 0.08, 0.35, 0.8])
        table.axis("off")
        rows = [[gid, GRID_KINDS[self.by_id.loc[gid, "kind"]], f"{self.by_id.loc[gid, 'area_m2'] * MU_PER_M2:,.0f}",
                 str(int(self.by_id.loc[gid, "staff_quota"])), str(n + 2)] for n, gid in enumerate(ids)]
        columns = 2 if len(rows) > 20 and not page.landscape else 1
        per = int(np.ceil(len(rows) / columns))
        for c in range(columns):
            chunk = rows[c * per:(c + 1) * per]
            if chunk:
                tab = table.table(cellText=chunk, colLabels=["网格编号", "类型", "面积(亩)", "保水员", "页码"],
                                  bbox=[c / columns, 0, 1 / columns - 0.01, min(1.0, 0.045 * (len(chunk) + 1))],
                                  loc="top", cellLoc="center")
                tab.auto_set_font_size(False)
                tab.set_fontsize(MIN_PT)
        self._stamp(fig)
        return fig


def _legend_handle(layer):
    """A printout legend entry drawn as the layer is drawn on the map (its record's style)."""
    style, label = layer.style, layer.legend_label or layer.title
    if layer.geometry.endswith("LineString"):
        return Line2D([], [], color=style.stroke, lw=max(1.0, style.width_mm * MM_TO_PT * 1.6),
                      ls="--" if style.dash else "-", label=label)
    if layer.geometry.endswith("Point"):
        marker = {"circle": "o", "square": "s", "triangle": "^"}[style.marker]
        return Line2D([], [], marker=marker, ls="", color=style.fill, markeredgecolor=style.stroke,
                      markersize=max(4.0, style.size_mm * MM_TO_PT), label=label)
    return Patch(facecolor=style.fill or "none", alpha=style.fill_opacity if style.fill else 1.0,
                 edgecolor=style.stroke, linestyle="--" if style.dash else "-", label=label)


def _save(out: Path, figures) -> Path:
    """Write pages into ``out`` through a temporary file, so a failed run leaves nothing half-written."""
    out = Path(out)
    with replacing(out) as tmp, PdfPages(tmp, metadata={"Title": out.stem, "Creator": "miyun-gis"}) as pdf:
        for fig in figures:
            fig.savefig(pdf, format="pdf", backend=PDF_BACKEND)  # each repeated string laid out once
            plt.close(fig)
    return out


def print_grid(atlas: Atlas, grid_id: str, out: Path, page: Page = Page()) -> Path:
    atlas.grid(grid_id)  # a clear error before any file is touched
    return _save(out, [atlas.grid_page(grid_id, page)])


def print_town(atlas: Atlas, town: str, out: Path, page: Page = Page()) -> Path:
    atlas.town_grids(town)  # a clear error before any file is touched
    return _save(out, _book_pages(atlas, [town], page))


def _book_pages(atlas: Atlas, towns: list[str], page: Page):
    """Pages made one at a time, so a book of 160 pages never holds more than one in memory;
    each numbered "第 n / N 页"."""
    total = sum(1 + len(atlas.town_grids(town)) for town in towns)
    n = 0

    def numbered(fig):
        nonlocal n
        n += 1
        fig.text(0.98, 0.008, f"第 {n} / {total} 页", ha="right", fontsize=MIN_PT)
        return fig

    for town in towns:
        yield numbered(atlas.town_cover(town, page))
        for grid_id in atlas.town_grids(town):
            yield numbered(atlas.grid_page(grid_id, page))


_WORKER_ATLAS: Atlas | None = None


def _start_worker(layers: str, data_dir: str | None) -> None:
    """Each printing process reads the layers and the font once, for all the towns it is given."""
    global _WORKER_ATLAS
    _WORKER_ATLAS = Atlas(Path(layers), data_dir=Path(data_dir) if data_dir else None)


def _print_town_in_worker(town: str, out: str, page: Page) -> Path:
    return print_town(_WORKER_ATLAS, town, Path(out), page)


def print_all(atlas: Atlas, out_dir: Path, page: Page = Page(), book: bool = False,
              workers: int | None = None) -> list[Path]:
    """One PDF per town, made in parallel processes (one per core); or with ``book`` a single
    PDF of every town's book, made in this process."""
    towns = list(QUOTA_BY_TOWN)
    if book:
        return [_save(Path(out_dir) / "保水网格图册.pdf", _book_pages(atlas, towns, page))]
    targets = [Path(out_dir) / f"{town}镇保水网格图册.pdf" for town in towns]
    workers = workers or min(len(towns), os.cpu_count() or 1)
    if workers == 1:
        return [print_town(atlas, town, target, page) for town, target in zip(towns, targets)]
    from concurrent.futures import ProcessPoolExecutor

    # the largest towns first, so the cores finish together
    order = sorted(range(len(towns)), key=lambda i: -len(atlas.town_grids(towns[i])))
    data_dir = str(atlas.data_dir) if atlas.data_dir else None
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                             initargs=(str(atlas.layers), data_dir)) as pool:
        futures = {i: pool.submit(_print_town_in_worker, towns[i], str(targets[i]), page)
                   for i in order}
        return [futures[i].result() for i in range(len(towns))]
