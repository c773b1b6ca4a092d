"""Build every deck in ``slides/`` into a reveal.js presentation that works offline.

``python -m course slides`` writes, into ``build/slides/`` (or ``--out``):

* ``NN_name.html`` for each deck ``slides/NN_name.md``, and ``index.html`` listing them;
* ``NN_name/`` with the deck's figures, made now by :mod:`course.slides.figures`;
* ``_reveal/``, ``_katex/`` (from npm, see :mod:`course.slides.vendor`) and ``_deck/`` (the kit's
  style, from ``slides/theme/``): everything a presentation loads, so no CDN is needed;
* with ``--pdf``, ``NN_name.pdf``: a handout with one page per slide, printed by headless Chromium.
"""

from __future__ import annotations

import html
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from course.common import select_chapters
from course.project import ROOT
from course.slides import figures as slide_figures
from course.slides.deck import Deck, read_deck, render_slide

SLIDES = ROOT / "slides"
THEME = SLIDES / "theme"
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
FIGURE_DPI = 150

REVEAL_CONFIG = {
    "width": SLIDE_WIDTH,
    "height": SLIDE_HEIGHT,
    "margin": 0.04,
    "center": False,
    "hash": True,
    "slideNumber": "c/t",
    "transition": "slide",
    "pdfSeparateFragments": False,
}

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="_reveal/reset.css">
<link rel="stylesheet" href="_reveal/reveal.css">
<link rel="stylesheet" href="_reveal/theme/white.css">
<link rel="stylesheet" href="_katex/katex.min.css">
<link rel="stylesheet" href="_deck/pygments.css">
<link rel="stylesheet" href="_deck/deck.css">
</head>
<body>
<div class="reveal"><div class="slides">
{slides}
</div></div>
<script src="_reveal/reveal.js"></script>
<script src="_reveal/plugin/notes.js"></script>
<script src="_katex/katex.min.js"></script>
<script src="_deck/deck.js"></script>
<script>startDeck({config});</script>
</body>
</html>
"""

INDEX = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Slides: language models from scratch</title>
<link rel="stylesheet" href="_deck/index.css">
</head>
<body>
<h1>Slides: language models from scratch</h1>
<p>One deck per chapter. Keys while presenting: <kbd>→</kbd>/<kbd>Space</kbd> next,
<kbd>F</kbd> full screen, <kbd>S</kbd> speaker view with notes, <kbd>Esc</kbd> overview.</p>
<ul>
{items}
</ul>
</body>
</html>
"""


@dataclass
class BuiltDeck:
    """What building one deck produced."""

    name: str
    title: str
    html: Path
    slides: int
    figures: list[Path]
    seconds: float
    pdf: Path | None = None


def deck_paths(chapters: list[str] | None = None) -> list[Path]:
    """The decks ``slides/NN_*.md`` in order, or those of the chapters named (``["02"]``).

    Raises:
        ValueError: for a chapter with no deck.

    Example:
        >>> [path.name for path in deck_paths(["00"])]
        ['00_setup.md']
    """
    return select_chapters(SLIDES.glob("[0-9][0-9]_*.md"), chapters, "deck")


def _figure_html(deck: Deck, out: Path) -> tuple[dict[str, str], list[Path]]:
    """Make every figure the deck names; return the HTML of each, and the image files."""
    pieces: dict[str, str] = {}
    written: list[Path] = []
    folder = out / deck.name
    for slide in deck.slides:
        for ref in slide.figures:
            try:
                made = slide_figures.make(ref.name)
            except Exception as error:
                raise RuntimeError(
                    f"Figure {ref.name!r} of deck {deck.name} failed: {error}"
                ) from error
            caption = html.escape(ref.caption)
            if isinstance(made, str):
                pieces[ref.name] = (
                    f'<figure class="figure-html">{made}<figcaption>{caption}</figcaption></figure>'
                )
                continue
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{ref.name}.png"
            made.savefig(path, dpi=FIGURE_DPI)
            written.append(path)
            style = f' style="max-height: {ref.height}px"' if ref.height else ""
            pieces[ref.name] = (
                f'<figure><img src="{deck.name}/{ref.name}.png" alt="{caption}"{style}>'
                f"<figcaption>{caption}</figcaption></figure>"
            )
    return pieces, written


def build_deck(path: Path, out: Path) -> BuiltDeck:
    """Build one deck into ``out`` (the shared assets must be there: see :func:`build`)."""
    start = time.perf_counter()
    deck = read_deck(path)
    pieces, written = _figure_html(deck, out)
    sections = "\n".join(
        render_slide(slide, pieces, is_title=index == 0) for index, slide in enumerate(deck.slides)
    )
    page = PAGE.format(
        title=html.escape(deck.title), slides=sections, config=json.dumps(REVEAL_CONFIG)
    )
    target = out / f"{deck.name}.html"
    target.write_text(page, encoding="utf-8")
    return BuiltDeck(
        deck.name, deck.title, target, len(deck.slides), written, time.perf_counter() - start
    )


def copy_theme(out: Path) -> None:
    """Copy the kit's slide style into ``out/_deck``, with the code-highlighting colours."""
    from pygments.formatters import HtmlFormatter

    target = out / "_deck"
    target.mkdir(parents=True, exist_ok=True)
    for source in THEME.iterdir():
        if source.is_file():
            shutil.copyfile(source, target / source.name)
    styles = HtmlFormatter(style="default").get_style_defs(".highlight")
    (target / "pygments.css").write_text(styles, encoding="utf-8")


def write_index(out: Path, built: list[BuiltDeck]) -> Path:
    """Write ``index.html``, a list of the decks (and their handouts, where printed)."""
    items = []
    for deck in sorted(built, key=lambda deck: deck.name):
        pdf = f' · <a href="{deck.name}.pdf">PDF handout</a>' if deck.pdf else ""
        items.append(
            f'<li><a href="{deck.name}.html">{html.escape(deck.title)}</a> '
            f"({deck.slides} slides){pdf}</li>"
        )
    path = out / "index.html"
    path.write_text(INDEX.format(items="\n".join(items)), encoding="utf-8")
    return path


def build(
    out: str | Path | None = None, chapters: list[str] | None = None, pdf: bool = False
) -> list[BuiltDeck]:
    """Build the decks (all, or the chapters named) into ``out`` (default ``build/slides``).

    Args:
        out: the output folder.
        chapters: chapter numbers such as ``["02"]``; all decks when empty.
        pdf: also print a PDF handout of each deck (needs Chromium and Playwright).

    Returns:
        One :class:`BuiltDeck` per deck.
    """
    from course.slides import vendor

    out = Path(out) if out else ROOT / "build" / "slides"
    paths = deck_paths(chapters)
    out.mkdir(parents=True, exist_ok=True)
    vendor.copy_assets(out)
    copy_theme(out)
    built = [build_deck(path, out) for path in paths]
    if pdf:
        from course.slides import browser

        printed = browser.print_pdfs(out, [deck.name for deck in built], SLIDE_WIDTH, SLIDE_HEIGHT)
        for deck, path in zip(built, printed, strict=True):
            deck.pdf = path
    write_index(out, built)
    return built


def main(chapters: list[str] | None = None, out: str | None = None, pdf: bool = False) -> int:
    """``python -m course slides``: build, print what was written, return the exit code."""
    start = time.perf_counter()
    try:
        built = build(out, chapters, pdf)
    except (ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for deck in built:
        handout = f", {deck.pdf.name}" if deck.pdf else ""
        print(
            f"{deck.name}: {deck.slides} slides, {len(deck.figures)} figures "
            f"in {deck.seconds:.1f} s -> {deck.html.name}{handout}"
        )
    folder = built[0].html.parent if built else out
    print(f"{len(built)} decks in {time.perf_counter() - start:.1f} s: open {folder}/index.html")
    return 0
