"""Label placement with collision checks for the printouts.

Every label's box is measured from the print font (points on paper) and tried
at a few positions around its anchor, labels in priority order; a label goes
where its box meets no placed label and no reserved box (scale bar, north
arrow) and stays inside the map frame, else it is left out.  Labels that must
be shown are placed first and may try spots further out.  Boxes are kept in
points from the axes' lower-left corner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path

GAP_PT = 1.5  # clear space between two labels
LINE = 1.2  # a label's box height, in font sizes


@lru_cache(maxsize=4096)
def text_width_pt(text: str, size: float, family: tuple[str, ...]) -> float:
    """Advance width of ``text`` at ``size`` points in the print font."""
    width, _, _ = text_to_path.get_text_width_height_descent(text, FontProperties(family=list(family), size=size),
                                                             ismath=False)
    return float(width)


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points


def _clash(a: Box, b: Box, gap: float = GAP_PT) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


@dataclass
class Placement:
    x: float  # anchor, data coordinates
    y: float
    dx: float  # offset of the text's reference point, points
    dy: float
    ha: str
    va: str


@dataclass
class Placer:
    """Places labels on one map axes (``extent`` in data units, ``size_pt`` the axes' size on paper)."""

    extent: tuple[float, float, float, float]
    size_pt: tuple[float, float]
    family: tuple[str, ...]
    placed: list[Box] = field(default_factory=list)

    def to_pt(self, x: float, y: float) -> tuple[float, float]:
        minx, miny, maxx, maxy = self.extent
        return ((x - minx) / (maxx - minx) * self.size_pt[0], (y - miny) / (maxy - miny) * self.size_pt[1])

    def reserve_fraction(self, x0: float, y0: float, x1: float, y1: float) -> Box:
        """Keep a box given in axes fractions free of labels (scale bar, north arrow, inset)."""
        w, h = self.size_pt
        box = (x0 * w, y0 * h, x1 * w, y1 * h)
        self.placed.append(box)
        return box

    def reserve_point(self, x: float, y: float, half_pt: float) -> None:
        """Keep a point symbol (``half_pt`` points each side of (x, y)) free of labels."""
        px, py = self.to_pt(x, y)
        self.placed.append((px - half_pt, py - half_pt, px + half_pt, py + half_pt))

    def free_fraction(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        w, h = self.size_pt
        return not any(_clash((x0 * w, y0 * h, x1 * w, y1 * h), b, 0) for b in self.placed)

    def place(self, x: float, y: float, text: str, size: float, *, centred: bool = False, radius: float = 2.5,
              pad: float = 0.0, reach: int = 1) -> Placement | None:
        """Find a free spot for ``text`` at anchor (x, y): centred on it (area labels) or beside it
        (points, ``radius`` points away); ``reach`` > 1 also tries spots further out."""
        w = text_width_pt(text, size, self.family) + 2 * pad
        h = size * LINE + 2 * pad
        px, py = self.to_pt(x, y)
        spots = [(0.0, 0.0, "center", "center")] if centred else []
        for step in range(1, reach + 1):
            if centred:
                spots += [(0, h * step, "center", "center"), (0, -h * step, "center", "center"),
                          (w * 0.6 * step, 0, "center", "center"), (-w * 0.6 * step, 0, "center", "center")]
            else:
                r = radius * step
                spots += [(r, 0, "left", "center"), (-r, 0, "right", "center"), (0, r, "center", "bottom"),
                          (0, -r, "center", "top"), (r, r, "left", "bottom"), (-r, r, "right", "bottom"),
                          (r, -r, "left", "top"), (-r, -r, "right", "top")]
        fw, fh = self.size_pt
        for dx, dy, ha, va in spots:
            cx = px + dx + {"left": w / 2, "right": -w / 2, "center": 0}[ha]
            cy = py + dy + {"bottom": h / 2, "top": -h / 2, "center": 0}[va]
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            if box[0] < 0 or box[1] < 0 or box[2] > fw or box[3] > fh:
                continue
            if any(_clash(box, b) for b in self.placed):
                continue
            self.placed.append(box)
            return Placement(x, y, dx, dy, ha, va)
        return None
