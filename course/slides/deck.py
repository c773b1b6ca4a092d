"""Slide decks written in Markdown, read and turned into the HTML of reveal.js slides.

A deck is a Markdown file, ``slides/NN_name.md``, with the stem of its chapter's notebook:

* a line ``---`` (with blank lines around it) starts a new slide; the first slide is the title;
* a line ``Note:`` starts the speaker notes of the slide (shown in reveal.js' speaker view, key S);
* ``![caption](figure:name)`` alone on a line is a figure that the build makes by calling
  ``course.slides.figures.make(name)``; an optional title sets its height in pixels,
  ``![caption](figure:name "320")``;
* a line ``||`` splits the slide below its heading into two columns;
* maths is TeX between ``$...$`` (inline) or ``$$...$$`` (display), rendered by KaTeX;
* fenced code with a language is highlighted when the deck is built (Pygments).

Everything else is ordinary Markdown (lists, tables, emphasis, inline code).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

SLIDE_BREAK = "---"
COLUMN_BREAK = "||"
NOTES_START = re.compile(r"^Note:\s*(.*)$")
FIGURE_LINE = re.compile(r'^!\[([^\]]*)\]\(figure:([A-Za-z_][A-Za-z0-9_]*)(?:\s+"(\d+)")?\)\s*$')
FENCE = re.compile(r"^(```|~~~)")
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])([^$\n]+?)(?<![\s\\])\$(?![\d$])")
INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.DOTALL)


@dataclass
class FigureRef:
    """A figure that a slide asks for: ``![caption](figure:name "height")``."""

    name: str
    caption: str
    height: int | None = None


@dataclass
class Slide:
    """One slide: its Markdown, its speaker notes, and the figures it asks for."""

    markdown: str
    notes: str = ""
    figures: list[FigureRef] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The text of the slide's first heading (empty if it has none)."""
        for line in self.markdown.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
        return ""


@dataclass
class Deck:
    """A parsed deck: its file stem (``"02_ngrams"``) and its slides, title slide first."""

    name: str
    slides: list[Slide]

    @property
    def title(self) -> str:
        """The title of the deck: the heading of its first slide."""
        return self.slides[0].title if self.slides else self.name


def split_slides(text: str) -> list[str]:
    """Cut a deck's Markdown at the ``---`` lines that lie outside fenced code.

    Example:
        >>> split_slides("# A\\n\\n---\\n\\n## B\\n```\\n---\\n```\\n")
        ['# A', '## B\\n```\\n---\\n```']
    """
    slides, current, in_fence = [], [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            in_fence = not in_fence
        if not in_fence and line.strip() == SLIDE_BREAK:
            slides.append("\n".join(current).strip())
            current = []
        else:
            current.append(line)
    slides.append("\n".join(current).strip())
    return [slide for slide in slides if slide]


def parse_slide(text: str) -> Slide:
    """Separate a slide's speaker notes and figure lines from its Markdown.

    Example:
        >>> slide = parse_slide('## Zipf\\n![Ranks](figure:zipf_law "300")\\nNote:\\nSay why.')
        >>> slide.title, slide.figures[0].name, slide.figures[0].height, slide.notes
        ('Zipf', 'zipf_law', 300, 'Say why.')
    """
    lines, notes, figures = [], None, []
    in_fence = False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            in_fence = not in_fence
        if notes is not None:
            notes.append(line)
            continue
        match = NOTES_START.match(line) if not in_fence else None
        if match:
            notes = [match.group(1)] if match.group(1) else []
            continue
        match = FIGURE_LINE.match(line.strip()) if not in_fence else None
        if match:
            caption, name, height = match.groups()
            figures.append(FigureRef(name, caption, int(height) if height else None))
        lines.append(line)
    return Slide("\n".join(lines).strip(), "\n".join(notes or []).strip(), figures)


def read_deck(path: str | Path) -> Deck:
    """Read and parse the deck at ``path``.

    Raises:
        ValueError: if the file holds no slide.
    """
    path = Path(path)
    slides = [parse_slide(text) for text in split_slides(path.read_text(encoding="utf-8"))]
    if not slides:
        raise ValueError(f"The deck {path} has no slides; write at least a title slide.")
    return Deck(path.stem, slides)


def protect_math(text: str) -> tuple[str, list[tuple[str, bool]]]:
    """Swap the TeX of a Markdown text for placeholders that Markdown leaves alone.

    Code (fenced blocks and inline spans) is left as it is, so a ``$`` in code stays a dollar.

    Returns:
        The text with placeholders, and ``(tex, is_display)`` for each placeholder in order.

    Example:
        >>> protect_math("cost $x^2$, not `$HOME`; $$\\\\sum_i x_i$$")
        ('cost zzmath0zz, not `$HOME`; zzmath1zz', [('x^2', False), ('\\\\sum_i x_i', True)])
    """
    found: list[tuple[str, bool]] = []

    def keep(tex: str, display: bool) -> str:
        found.append((tex.strip(), display))
        return f"zzmath{len(found) - 1}zz"

    def replace_in_prose(prose: str) -> str:
        pieces, last = [], 0
        for code in INLINE_CODE.finditer(prose):
            pieces.append(_replace_math(prose[last : code.start()], keep))
            pieces.append(code.group(0))
            last = code.end()
        pieces.append(_replace_math(prose[last:], keep))
        return "".join(pieces)

    out, prose, in_fence = [], [], False
    for line in text.split("\n"):
        if FENCE.match(line.strip()):
            if not in_fence:
                out.append(replace_in_prose("\n".join(prose)))
                prose = []
                out.append(line)
            else:
                out.append(line)
            in_fence = not in_fence
        elif in_fence:
            out.append(line)
        else:
            prose.append(line)
    out.append(replace_in_prose("\n".join(prose)))
    return "\n".join(out), found


def _replace_math(text: str, keep) -> str:
    text = DISPLAY_MATH.sub(lambda m: keep(m.group(1), True), text)
    return INLINE_MATH.sub(lambda m: keep(m.group(1), False), text)


def _math_html(tex: str, display: bool) -> str:
    kind = "display" if display else "inline"
    return f'<span class="math {kind}">{html.escape(tex)}</span>'


def _restore_math(rendered: str, found: list[tuple[str, bool]]) -> str:
    def alone(match: re.Match) -> str:
        tex, display = found[int(match.group(1))]
        return f'<div class="math-block">{_math_html(tex, display)}</div>'

    rendered = re.sub(r"<p>\s*zzmath(\d+)zz\s*</p>", alone, rendered)
    return re.sub(r"zzmath(\d+)zz", lambda m: _math_html(*found[int(m.group(1))]), rendered)


def _markdown_renderer():
    import mistune
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    class SlideRenderer(mistune.HTMLRenderer):
        def block_code(self, code: str, info: str | None = None) -> str:
            language = (info or "").split()[0] if info else ""
            try:
                lexer = get_lexer_by_name(language or "text")
            except ClassNotFound:
                lexer = get_lexer_by_name("text")
            body = highlight(code, lexer, HtmlFormatter(nowrap=True))
            return f'<pre class="code"><code class="highlight">{body}</code></pre>\n'

    return mistune.create_markdown(
        renderer=SlideRenderer(escape=False), plugins=["table", "strikethrough"]
    )


def markdown_to_html(text: str) -> str:
    """Render a piece of slide Markdown (maths kept for KaTeX, code highlighted) to HTML.

    Example:
        >>> markdown_to_html("Loss $L$")
        '<p>Loss <span class="math inline">L</span></p>\\n'
    """
    protected, found = protect_math(text)
    return _restore_math(_markdown_renderer()(protected), found)


def render_slide(slide: Slide, figure_html: dict[str, str], is_title: bool = False) -> str:
    """The ``<section>`` of one slide.

    Args:
        slide: the parsed slide.
        figure_html: the HTML that replaces each figure line, by figure name.
        is_title: mark the section as the deck's title slide.

    Returns:
        HTML for reveal.js.
    """
    body = slide.markdown
    heading = ""
    lines = body.splitlines()
    if COLUMN_BREAK in (line.strip() for line in lines):
        if lines and lines[0].startswith("#"):
            heading, lines = lines[0], lines[1:]
        columns, current = [], []
        for line in lines:
            if line.strip() == COLUMN_BREAK:
                columns.append("\n".join(current))
                current = []
            else:
                current.append(line)
        columns.append("\n".join(current))
        inner = markdown_to_html(heading) + '<div class="columns">' + "".join(
            f'<div class="column">{_with_figures(column, figure_html)}</div>' for column in columns
        ) + "</div>"
    else:
        inner = _with_figures(body, figure_html)
    notes = f'<aside class="notes">{markdown_to_html(slide.notes)}</aside>' if slide.notes else ""
    attributes = ' class="title-slide"' if is_title else ""
    return f"<section{attributes}>\n{inner}{notes}\n</section>"


def _with_figures(markdown: str, figure_html: dict[str, str]) -> str:
    """Render Markdown whose figure lines are replaced by the HTML of their figures."""
    parts, current, in_fence = [], [], False
    for line in markdown.splitlines():
        if FENCE.match(line.strip()):
            in_fence = not in_fence
        match = None if in_fence else FIGURE_LINE.match(line.strip())
        if match:
            parts.append(markdown_to_html("\n".join(current)))
            parts.append(figure_html[match.group(2)])
            current = []
        else:
            current.append(line)
    parts.append(markdown_to_html("\n".join(current)))
    return "".join(parts)
