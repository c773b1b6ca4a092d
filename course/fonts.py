"""Fonts for text that is not Latin: make plots show Chinese characters, and check they do.

Matplotlib's default font (DejaVu Sans) has no Chinese characters: it draws each one as an empty
box ("tofu") and warns "Glyph ... missing from font(s)". :func:`use_cjk_font` finds a font that
has them, installed on the system, and puts it after DejaVu Sans in the font list, so Latin text
keeps the house style and every Chinese character falls back to the CJK font.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

# Families that cover simplified Chinese, in order of preference (Linux, macOS, Windows).
CJK_FAMILIES = (
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC",
    "Source Han Sans SC", "Droid Sans Fallback", "AR PL UMing CN", "PingFang SC",
    "Heiti SC", "Hiragino Sans GB", "Microsoft YaHei", "SimHei", "Arial Unicode MS",
)
# Where Debian/Ubuntu packages put them, in case matplotlib's cache predates the install.
_FONT_FOLDERS = ("/usr/share/fonts/truetype/wqy", "/usr/share/fonts/opentype/noto",
                 "/usr/share/fonts/truetype/droid", "/usr/share/fonts/truetype/arphic")

INSTALL_HINT = (
    "No font with Chinese characters was found, so plots would show empty boxes. Install one, "
    "then run the cell again: on Debian/Ubuntu and in Colab `apt-get install -y "
    "fonts-wqy-microhei` (in a notebook: `!apt-get -qq install -y fonts-wqy-microhei`); on "
    "macOS and Windows a Chinese font is already installed (PingFang SC, Microsoft YaHei)."
)


def cjk_font() -> str | None:
    """The family name of an installed font with Chinese characters, or None.

    Returns:
        A family from :data:`CJK_FAMILIES` that matplotlib can use, or None.
    """
    from matplotlib import font_manager

    known = {font.name for font in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    for folder in _FONT_FOLDERS:  # installed after matplotlib built its font cache
        for path in sorted(Path(folder).glob("*.tt[cf]")) + sorted(Path(folder).glob("*.otf")):
            try:
                font_manager.fontManager.addfont(str(path))
            except (OSError, RuntimeError, ValueError):
                continue
    known = {font.name for font in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in known), None)


def use_cjk_font(required: bool = False) -> str | None:
    """Let every later plot show Chinese characters, if a font for them is installed.

    In Google Colab, whose image has no Chinese font, it installs one (``fonts-wqy-microhei``,
    about 5 MB) the first time.

    Args:
        required: raise instead of warning when no such font is installed.

    Returns:
        The CJK family now in use, or None (after a warning that says how to install one).

    Raises:
        RuntimeError: when ``required`` and no font is found (with how to install one).

    Example:
        >>> family = use_cjk_font()  # doctest: +SKIP
        >>> family  # doctest: +SKIP
        'WenQuanYi Micro Hei'
    """
    import matplotlib

    family = cjk_font()
    if family is None and "google.colab" in sys.modules:  # Colab: a small font, installed here
        subprocess.run(["apt-get", "-qq", "install", "-y", "fonts-wqy-microhei"],
                       capture_output=True, check=False)
        family = cjk_font()
    if family is None:
        if required:
            raise RuntimeError(INSTALL_HINT)
        warnings.warn(INSTALL_HINT, stacklevel=2)
        return None
    # Two named families: matplotlib draws each character with the first that has it.
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", family]
    return family


def missing_glyphs(fig: Any) -> list[str]:
    """Draw a figure and return matplotlib's warnings about characters its fonts lack.

    Args:
        fig: a matplotlib ``Figure``.

    Returns:
        The "Glyph ... missing" messages (empty when every character was drawn).
    """
    import io

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]
