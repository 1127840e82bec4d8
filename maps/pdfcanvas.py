"""A PDF canvas for the atlas that measures and lays out each string once per process.

Two thirds of the glyphs on an atlas page are strings every page repeats (the duties, the
contact line, the legend, table headers), and matplotlib lays every string out twice per page
(once to measure it, once to draw it) through libraqm/FreeType at ~15 µs a glyph, on a new
renderer each page.  This canvas's renderer keeps both results per process, keyed on the string
and the font properties, so a repeated string costs a dictionary look-up; what it writes into
the PDF is what matplotlib's own renderer writes.  Used as a matplotlib backend module::

    fig.savefig(pdf_pages, format="pdf", backend=BACKEND)

Where this matplotlib's text internals differ from the ones it was written against, drawing
falls back to matplotlib's own ``draw_text`` (same output, without the layout cache).
"""

from __future__ import annotations

import math

import matplotlib as mpl
from matplotlib import _text_helpers
from matplotlib.backends import backend_pdf
from matplotlib.backends.backend_mixed import MixedModeRenderer

BACKEND = f"module://{__name__}"
_METRICS: dict = {}
_LAYOUTS: dict = {}
_CACHE_LIMIT = 20_000  # strings; an atlas has ~800 distinct ones per town
_CAN_REPLAY = (all(hasattr(backend_pdf, n) for n in ("FontPath", "Op"))
               and hasattr(backend_pdf.RendererPdf, "_setup_textpos")
               and hasattr(getattr(backend_pdf, "_backend_pdf_ps", None), "CharacterTracker")
               and hasattr(backend_pdf._backend_pdf_ps.CharacterTracker, "track_glyph"))


def _remember(cache: dict, key, value):
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


class RendererPdf(backend_pdf.RendererPdf):
    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        key = (s, prop.copy())  # FontProperties is mutable: keep a copy, as matplotlib's cache does
        hit = _METRICS.get(key)
        return hit if hit is not None else _remember(_METRICS, key, super().get_text_width_height_descent(s, prop, ismath))

    def _layout(self, s, prop, font, features, language) -> list[tuple]:
        key = (s, prop.copy(), features, language)
        hit = _LAYOUTS.get(key)
        if hit is None:
            hit = _remember(_LAYOUTS, key, [(i.ft_object, i.char, i.glyph_index, i.x, i.y, i.prev_kern)
                                            for i in _text_helpers.layout(s, font, features=features,
                                                                          language=language)])
        return hit

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        """matplotlib's Type 42 / Type 3 text path (3.11), with the glyph layout taken from the cache."""
        if ismath or not _CAN_REPLAY or mpl.rcParams["pdf.use14corefonts"] or gc.get_url() is not None:
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        try:
            features = mtext.get_fontfeatures() if mtext is not None else None
            language = mtext.get_language() if mtext is not None else None
        except AttributeError:  # an older matplotlib: no features, no language
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        self.check_gc(gc, gc._rgb)
        fontsize = prop.get_size_in_points()
        font = self._get_font_ttf(prop)
        fonttype = mpl.rcParams["pdf.fonttype"]
        out, op = self.file.output, backend_pdf.Op
        chunk: list = []  # [kern, charcode, charcode, ...] of one font subset

        def flush():
            if chunk:
                groups, run = [], []
                for item in chunk:
                    if isinstance(item, float):
                        if run:
                            groups.append(self._encode_glyphs(run, fonttype))
                            run = []
                        groups.append(-1000 * item / fontsize)  # text space: 1000 / font size
                    else:
                        run.append(item)
                if run:
                    groups.append(self._encode_glyphs(run, fonttype))
                out(groups, op.showkern)
                chunk.clear()

        a = math.radians(angle)
        out(op.gsave)
        out(math.cos(a), math.sin(a), -math.sin(a), math.cos(a), x, y, op.concat_matrix)
        out(op.begin_text)
        prev_font, prev_start_x = None, 0
        for ft_object, char, glyph_index, ix, iy, prev_kern in self._layout(s, prop, font, features, language):
            subset, charcode = self.file._character_tracker.track_glyph(ft_object, char, glyph_index)
            if (ft_object, subset) != prev_font:
                flush()
                name = self.file.fontName(backend_pdf.FontPath(ft_object.fname, ft_object.face_index), subset)
                out(name, fontsize, op.selectfont)
                self._setup_textpos(ix, 0, 0, prev_start_x, 0, 0)
                prev_font, prev_start_x = (ft_object, subset), ix
            if iy:
                flush()
                out(iy, op.textrise)
            if prev_kern:
                chunk.append(prev_kern)
            chunk.append(charcode)
            if iy:
                flush()
                out(0, op.textrise)
        flush()
        out(op.end_text)
        out(op.grestore)


class FigureCanvas(backend_pdf.FigureCanvasPdf):
    """matplotlib's PDF canvas, drawing pages (of a ``PdfPages``) with the caching renderer."""

    def print_pdf(self, filename, *, bbox_inches_restore=None, metadata=None, **_ignored):
        """``_ignored``: dpi, facecolor, edgecolor, orientation, which matplotlib's own PDF canvas ignores too."""
        if not isinstance(filename, backend_pdf.PdfPages):
            return super().print_pdf(filename, bbox_inches_restore=bbox_inches_restore, metadata=metadata)
        dpi = self.figure.dpi
        self.figure.dpi = 72  # 72 PDF points to an inch
        width, height = self.figure.get_size_inches()
        file = filename._ensure_file()
        try:
            file.newPage(width, height)
            renderer = MixedModeRenderer(self.figure, width, height, dpi, RendererPdf(file, dpi, height, width),
                                         bbox_inches_restore=bbox_inches_restore)
            self.figure.draw(renderer)
            renderer.finalize()
        finally:
            file.endStream()


FigureManager = backend_pdf.FigureManagerPdf
