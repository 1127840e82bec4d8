"""The CJK font for printouts: Noto Sans CJK SC (SIL Open Font License), from the PyPI package
``mplfonts``, which ships it as a static OpenType file.  Matplotlib embeds a subset of it in
each PDF (CID-keyed, with a Unicode map), so Chinese prints on any printer and can be searched
and copied from the PDF.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from matplotlib import font_manager

from gis.errors import MiyunError

FONT_FILE = "NotoSansCJKsc-Regular.otf"


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register the CJK font with matplotlib once; return its family name."""
    path = Path(str(resources.files("mplfonts") / "fonts" / FONT_FILE))
    if not path.is_file():
        raise MiyunError(f"缺少中文字体 {FONT_FILE}（mplfonts 包）；请重新运行 bash .ci/setup")
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()
