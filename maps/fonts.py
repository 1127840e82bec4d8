"""The CJK font for printouts: Noto Sans CJK SC (SIL Open Font License), from the PyPI package
``mplfonts``, which ships it as a static OpenType file.  Matplotlib embeds a subset of it in
each PDF (CID-keyed, with a Unicode map), so Chinese prints on any printer and can be searched
and copied from the PDF.

Subsetting the full 16 MB font (65,000 glyphs, large layout tables) costs matplotlib about
1.3 s per font and PDF.  So the product makes, once per machine, a print font: the same
outlines for the GB 2312 characters, ASCII, Latin-1 and the symbols the printouts use, without
layout tables (matplotlib does not shape text), renamed "Miyun Print Sans" as the licence asks
of modified versions.  Any character outside it falls back to the full font.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from matplotlib import font_manager

from gis.atomic import locked, replacing
from gis.cache import cache_dir
from gis.errors import MiyunError

FONT_FILE = "NotoSansCJKsc-Regular.otf"
PRINT_FAMILY = "Miyun Print Sans"
PRINT_FONT_VERSION = 1
SYMBOLS = "□■○●△▲◆≥≤±×÷°·—–…‰℃№→←↑↓（）【】《》、。，：；？！“”‘’～"


def full_font_path() -> Path:
    path = Path(str(resources.files("mplfonts") / "fonts" / FONT_FILE))
    if not path.is_file():
        raise MiyunError(f"缺少中文字体 {FONT_FILE}（mplfonts 包）；请重新运行 bash .ci/setup")
    return path


def print_characters() -> str:
    """GB 2312 (6,763 hanzi and its symbols), printable ASCII, Latin-1 and the printouts' symbols."""
    chars = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x180)} | set(SYMBOLS)
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(sorted(chars))


def _build_print_font(target: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    font = TTFont(str(full_font_path()))
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=print_characters())
    subsetter.subset(font)
    postscript = PRINT_FAMILY.replace(" ", "") + "-Regular"
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = PRINT_FAMILY
        elif record.nameID in (3, 4):
            record.string = f"{PRINT_FAMILY} Regular"
        elif record.nameID == 6:
            record.string = postscript
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
    with replacing(target) as tmp:
        font.save(str(tmp))


def print_font_path() -> Path:
    """The print font, made on first use (a few seconds) and kept in the user's cache."""
    target = cache_dir() / f"MiyunPrintSans-v{PRINT_FONT_VERSION}.otf"
    if not target.exists():
        with locked(target):  # parallel printers make it once
            if not target.exists():
                _build_print_font(target)
    return target


@lru_cache(maxsize=1)
def cjk_font() -> list[str]:
    """Register the fonts with matplotlib once; return the family list (print font, then the full font)."""
    full = full_font_path()
    font_manager.fontManager.addfont(str(full))
    families = [font_manager.FontProperties(fname=str(full)).get_name()]
    try:
        quick = print_font_path()
        font_manager.fontManager.addfont(str(quick))
        families.insert(0, font_manager.FontProperties(fname=str(quick)).get_name())
    except (OSError, ImportError):  # no cache folder to write: the full font alone still works, slower
        pass
    return families
