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
from rasterio.windows import from_bounds  # noqa: E402

from gis import store, terrain  # noqa: E402
from gis.atomic import replacing  # noqa: E402
from gis.crs import to_storage, to_web  # noqa: E402
from gis.errors import InputError  # noqa: E402
from gis.fourbounds import four_boundaries  # noqa: E402
from gis.ledger.db import Ledger  # noqa: E402
from gis.ledger.staff import active_staff_of_grid  # noqa: E402
from gis.lookup import one_grid, town_grids  # noqa: E402
from gis.roster import roster_from_grids  # noqa: E402
from gis.schema import (  # noqa: E402
    DUTIES,
    FINAL_STATUSES,
    GRID_KINDS,
    LAYER_BY_NAME,
    LEDGER_FILENAME,
    LOCAL_TZ,
    QUOTA_BY_TOWN,
    SAMPLE_MARK,
)
from gis.styles import CASE_COLOURS, LAYER_STYLES, TOWN_COLOURS  # noqa: E402
from gis.validate import ensure_valid  # noqa: E402
from maps.draw import add_lines, add_polygons  # noqa: E402
from maps.fonts import cjk_font  # noqa: E402

PAGE_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
MU_PER_M2 = 1 / 666.6667  # 1 亩 = 666.67 m²
CONTACT = "区保水办值班电话：____________    镇保水办：____________    发现问题立即制止并报告（时间、地点、情况、照片）"
MM_TO_PT = 72 / 25.4


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
        self.frames = frames if frames is not None else store.read_layers(self.layers)
        self.sample = any(store.is_synthetic(f) for f in self.frames.values())
        self.grids = self.frames["grids"].sort_values("grid_id").reset_index(drop=True)
        self.by_id = self.grids.set_index("grid_id")
        self.roster = roster_from_grids(self.grids)
        self.data_dir = Path(data_dir) if data_dir else None
        self._ledger: Ledger | None = None
        fence = self.frames["fence"].geometry
        self.fence = shapely.union_all(fence.array) if len(fence) else None
        contour = self.frames["contour_155m"].geometry
        self.contour = shapely.union_all(contour.array) if len(contour) else None
        self.dem_path = store.dem_path(self.layers)
        self.font = cjk_font()
        plt.rcParams.update({"font.family": self.font, "pdf.fonttype": 42, "axes.unicode_minus": False})
        self.today = datetime.now(ZoneInfo(LOCAL_TZ)).strftime("%Y-%m-%d")

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
        """Open cases inside ``extent`` (storage CRS): id, category, x, y."""
        if self.ledger is None:
            return []
        minx, miny, maxx, maxy = extent
        marks = ",".join("?" for _ in FINAL_STATUSES)
        return [dict(r) for r in self.ledger.query(
            f"SELECT case_id, category, status, x, y FROM cases WHERE status NOT IN ({marks}) "
            "AND x BETWEEN ? AND ? AND y BETWEEN ? AND ? ORDER BY case_id", (*FINAL_STATUSES, minx, maxx, miny, maxy))]

    def _cases(self, ax, extent) -> list[dict]:
        found = self.open_cases(extent)
        for case in found:
            ax.scatter([case["x"]], [case["y"]], s=46, marker="X", color=CASE_COLOURS.get(case["category"], "#d7191c"),
                       edgecolor="black", linewidth=0.6, zorder=9)
            ax.annotate(case["case_id"].split("-")[-1], (case["x"], case["y"]), xytext=(4, 4),
                        textcoords="offset points", fontsize=5.5, color="#a50f15", zorder=9)
        return found

    # -- drawing ------------------------------------------------------------------

    def _hillshade(self, ax, extent) -> None:
        if not self.dem_path.exists():
            return
        minx, miny, maxx, maxy = extent
        with rasterio.open(self.dem_path) as src:
            window = from_bounds(minx, miny, maxx, maxy, src.transform).round_offsets().round_lengths()
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
        part = frame.cx[minx:maxx, miny:maxy]
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
        ax.set_xticks(x[n_line:n_line + len(lons)], [f"{v:.3f}°E" for v in lons], fontsize=6)
        ax.set_yticks(y[n_line + len(lons):], [f"{v:.3f}°N" for v in lats], fontsize=6, rotation=90, va="center")
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)

    def _scale_bar(self, ax, extent) -> None:
        minx, miny, maxx, maxy = extent
        length = _nice((maxx - minx) / 4)
        x0, y0 = minx + (maxx - minx) * 0.04, miny + (maxy - miny) * 0.04
        h = (maxy - miny) * 0.012
        for i in range(4):
            ax.add_patch(Rectangle((x0 + i * length / 4, y0), length / 4, h, facecolor="black" if i % 2 == 0 else "white",
                                   edgecolor="black", linewidth=0.5, zorder=20))
        for frac in (0, 0.5, 1):
            ax.text(x0 + frac * length, y0 + h * 1.6, f"{frac * length:g}", ha="center", va="bottom", fontsize=6,
                    zorder=20)
        ax.text(x0 + length * 1.08, y0, "米", fontsize=6, va="bottom", zorder=20)

    def _north_arrow(self, ax) -> None:
        ax.annotate("", xy=(0.95, 0.95), xytext=(0.95, 0.86), xycoords="axes fraction",
                    arrowprops=dict(facecolor="black", width=3, headwidth=9, headlength=9), zorder=20)
        ax.text(0.95, 0.965, "北 N", transform=ax.transAxes, ha="center", va="bottom", fontsize=8, zorder=20)

    def _labels(self, ax, extent, focus: str | None) -> None:
        minx, miny, maxx, maxy = extent
        grids = self.grids.cx[minx:maxx, miny:maxy]
        for grid_id, geom in zip(grids["grid_id"], grids.geometry):
            p = geom.representative_point()
            if minx < p.x < maxx and miny < p.y < maxy:
                strong = grid_id == focus
                ax.text(p.x, p.y, grid_id, fontsize=9 if strong else 6,
                        color="black" if strong else "#555555", ha="center", va="center", zorder=12,
                        bbox=dict(facecolor="white", alpha=0.7, edgecolor="none", pad=0.5))
        villages = self.frames["villages"].cx[minx:maxx, miny:maxy]
        for name, p in zip(villages["name"], villages.geometry):
            ax.text(p.x, p.y, " " + name.replace("村民委员会", "村").replace("社区居委会", "社区"), fontsize=5.5,
                    va="center", zorder=12, color="#333333")
        markers = self.frames["boundary_markers"].cx[minx:maxx, miny:maxy]
        for number, p in zip(markers["number"], markers.geometry):
            ax.text(p.x, p.y, f" {number}", fontsize=4.5, color="#7f2704", zorder=12)
        gates = self.frames["fence_gates"].cx[minx:maxx, miny:maxy]
        for gate_id, p in zip(gates["gate_id"], gates.geometry):
            ax.text(p.x, p.y, f" {gate_id}", fontsize=5, color="#3f007d", zorder=12)

    def draw_map(self, ax, extent, focus: str | None = None, town: str | None = None) -> None:
        self._hillshade(ax, extent)
        self._layer(ax, "towns", extent, zorder=0.8)
        self._layer(ax, "reservoir", extent)
        self._layer(ax, "zone_l1", extent)
        self._layer(ax, "river_corridors", extent)
        self._layer(ax, "hazard_zones", extent, zorder=2)
        minx, miny, maxx, maxy = extent
        grids = self.grids.cx[minx:maxx, miny:maxy]
        for grid_id, grid_town, geom in zip(grids["grid_id"], grids["town"], grids.geometry):
            strong = grid_id == focus or (town is not None and grid_town == town)
            add_polygons(ax, [geom], facecolor=TOWN_COLOURS.get(grid_town, "#999999"),
                         alpha=0.35 if strong else 0.12, zorder=4)
            add_lines(ax, [geom], color="black" if strong else "#777777",
                      linewidth=2.2 if grid_id == focus else 0.5, zorder=5 if grid_id == focus else 4.5)
        self._layer(ax, "contour_155m", extent)
        self._layer(ax, "rivers", extent)
        self._layer(ax, "fence", extent)
        self._layer(ax, "boundary_markers", extent)
        self._layer(ax, "fence_gates", extent)
        self._layer(ax, "villages", extent)
        self._cases(ax, extent)
        self._labels(ax, extent, focus)
        self._graticule(ax, extent)
        self._scale_bar(ax, extent)
        self._north_arrow(ax)
        ax.set_aspect("equal")
        ax.set_xlabel("")
        ax.set_ylabel("")

    def _legend(self, ax) -> None:
        items = [
            Patch(facecolor="none", edgecolor="black", linewidth=2, label="本网格"),
            Patch(facecolor="#dddddd", edgecolor="#777777", label="相邻网格"),
            Line2D([], [], color=LAYER_STYLES["contour_155m"].stroke, lw=1.4, label="155米高程线"),
            Line2D([], [], color=LAYER_STYLES["fence"].stroke, lw=1.1, ls="--", label="围网"),
            Line2D([], [], marker="^", ls="", color=LAYER_STYLES["fence_gates"].fill,
                   markeredgecolor=LAYER_STYLES["fence_gates"].stroke, label="围网进出口"),
            Line2D([], [], marker="s", ls="", color=LAYER_STYLES["boundary_markers"].fill,
                   markeredgecolor=LAYER_STYLES["boundary_markers"].stroke, markersize=4, label="界桩（编号）"),
            Line2D([], [], color=LAYER_STYLES["rivers"].stroke, lw=1.6, label="河道"),
            Patch(facecolor=LAYER_STYLES["river_corridors"].fill, label="河道管护范围"),
            Patch(facecolor=LAYER_STYLES["reservoir"].fill, label="水库水面"),
            Patch(facecolor=LAYER_STYLES["hazard_zones"].fill, alpha=0.6, label="隐患区"),
            Line2D([], [], marker="o", ls="", color="white", markeredgecolor="#4d4d4d", label="村庄"),
            Line2D([], [], marker="X", ls="", color=CASE_COLOURS["construction"], markeredgecolor="black",
                   label="未结案件（编号）"),
        ]
        ax.legend(handles=items, loc="upper left", fontsize=6.5, frameon=False, title="图例", title_fontsize=8,
                  ncol=1)
        ax.axis("off")

    def _duties(self, ax) -> None:
        ax.axis("off")
        ax.text(0, 1, "巡查职责（十项）", fontsize=8, va="top", transform=ax.transAxes)
        lines = "\n".join(f"□ {i + 1}. {text}" for i, text in enumerate(DUTIES.values()))
        _lines_in(ax, lines, top=0.9, step=0.085, fontsize=5.6)

    def _stamp(self, fig) -> None:
        fig.text(0.5, 0.012, f"{CONTACT}    制图日期：{self.today}", ha="center", fontsize=6)
        if self.sample:
            fig.text(0.5, 0.5, SAMPLE_MARK, fontsize=44, color="#cc0000", alpha=0.12, rotation=30,
                     ha="center", va="center", zorder=100)
            fig.text(0.99, 0.99, SAMPLE_MARK, fontsize=9, color="#cc0000", ha="right", va="top")

    def grid_page(self, grid_id: str, page: Page):
        row = self.grid(grid_id)
        fig = plt.figure(figsize=page.inches())
        geom = row.geometry
        minx, miny, maxx, maxy = geom.bounds
        if page.landscape:
            map_rect, side = [0.05, 0.07, 0.60, 0.80], [0.68, 0.07, 0.30, 0.80]
        else:
            map_rect, side = [0.08, 0.30, 0.86, 0.58], None
        aspect = (map_rect[2] * page.inches()[0]) / (map_rect[3] * page.inches()[1])
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        half_w = max(maxx - minx, (maxy - miny) * aspect) / 2 * 1.25 + 100
        half_h = half_w / aspect
        extent = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
        ax = fig.add_axes(map_rect)
        self.draw_map(ax, extent, focus=grid_id)
        quota = int(row["staff_quota"])
        staff, leader = self.staff_of(grid_id)
        cases = self.open_cases(geom.bounds)
        bounds = four_boundaries(grid_id, self.grids, self.fence, self.contour)
        fig.text(0.05, 0.965, f"密云水库保水网格图　{grid_id}", fontsize=16, va="top")
        fig.text(0.05, 0.93, f"{row['town']}镇 · {GRID_KINDS.get(row['kind'], row['kind'])} · 面积 "
                 f"{row['area_m2'] * MU_PER_M2:,.0f} 亩（{row['area_m2'] / 1e6:.3f} 平方公里）· 保水员 {quota} 人",
                 fontsize=9, va="top")
        facts = [
            "四至：" + "；".join(f"{side_name}至{what}" for side_name, what in bounds.items()),
            f"保水员：{staff[0].split()[0]} 至 {staff[-1].split()[0]}（{len(staff)} 人，按三班 24 小时值守）"
            if staff else "保水员：—",
            f"网格长：{leader or '—'}" + ("（示例编号）" if self.sample else ""),
            f"未结案件：{len(cases)} 件" + (f"（{'、'.join(c['case_id'] for c in cases[:6])}"
                                          f"{'等' if len(cases) > 6 else ''}）" if cases else ""),
        ]
        if side is None:
            info = fig.add_axes([0.05, 0.04, 0.42, 0.24])
            legend = fig.add_axes([0.47, 0.04, 0.15, 0.24])
            duties = fig.add_axes([0.63, 0.04, 0.35, 0.24])
        else:
            info = fig.add_axes([side[0], 0.62, side[2], 0.25])
            legend = fig.add_axes([side[0], 0.30, side[2] * 0.5, 0.32])
            duties = fig.add_axes([side[0], 0.05, side[2], 0.25])
        info.axis("off")
        _lines_in(info, "\n".join(facts), top=1.0, step=0.14, fontsize=7)
        self._legend(legend)
        self._duties(duties)
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
                tab.set_fontsize(6.5)
        self._stamp(fig)
        return fig


def _save(out: Path, figures) -> Path:
    """Write pages into ``out`` through a temporary file, so a failed run leaves nothing half-written."""
    out = Path(out)
    with replacing(out) as tmp, PdfPages(tmp, metadata={"Title": out.stem, "Creator": "miyun-gis"}) as pdf:
        for fig in figures:
            pdf.savefig(fig)
            plt.close(fig)
    return out


def print_grid(atlas: Atlas, grid_id: str, out: Path, page: Page = Page()) -> Path:
    atlas.grid(grid_id)  # a clear error before any file is touched
    return _save(out, [atlas.grid_page(grid_id, page)])


def print_town(atlas: Atlas, town: str, out: Path, page: Page = Page()) -> Path:
    atlas.town_grids(town)  # a clear error before any file is touched
    return _save(out, _book_pages(atlas, [town], page))


def _book_pages(atlas: Atlas, towns: list[str], page: Page):
    """Pages made one at a time, so a book of 160 pages never holds more than one in memory."""
    for town in towns:
        yield atlas.town_cover(town, page)
        for grid_id in atlas.town_grids(town):
            yield atlas.grid_page(grid_id, page)


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
