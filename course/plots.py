"""Plots in one house style. Every function returns a matplotlib ``Figure``.

Figures are made without ``pyplot``, so they are not shown twice in Jupyter and leak no global
state: end a cell with the figure (``fig``) to show it, or call ``fig.savefig(path)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def _plain_log_ticks(axis) -> None:
    """Label a log-scaled axis with plain numbers (0.5, 2, 30) instead of powers of ten."""
    from matplotlib.ticker import LogFormatter

    axis.set_major_formatter(LogFormatter(labelOnlyBase=False))
    axis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))


def _png_bytes(fig: Figure) -> bytes:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _register_with_ipython() -> None:
    """Let Jupyter show a ``Figure`` made without pyplot when a cell ends with it."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(Figure, _png_bytes)


_register_with_ipython()

PALETTE = ["#3366aa", "#dd7733", "#44aa66", "#aa3355", "#7755aa", "#888833", "#33aaaa", "#555555"]


def new_figure(ncols: int = 1, *, width: float = 6.0, height: float = 3.6) -> tuple[Figure, list]:
    """An empty figure in the house style with ``ncols`` side-by-side axes.

    Args:
        ncols: number of panels.
        width: width of one panel in inches.
        height: height in inches.

    Returns:
        ``(figure, axes)`` with ``axes`` always a list.

    Example:
        >>> fig, (ax,) = new_figure()
        >>> type(fig).__name__
        'Figure'
    """
    from cycler import cycler

    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = list(np.atleast_1d(fig.subplots(1, ncols)))
    for ax in axes:
        ax.set_prop_cycle(cycler(color=PALETTE))
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(True, alpha=0.3)
    return fig, axes


def loss_curves(
    curves: Mapping[str, Sequence[float]],
    *,
    title: str = "Loss during training",
    xlabel: str = "step",
    ylabel: str = "loss",
    log_y: bool = False,
) -> Figure:
    """Plot one line per named series, such as ``{"train": [...], "validation": [...]}``.

    Args:
        curves: series name to values (or to ``(x_values, y_values)`` pairs).
        title: the figure title.
        xlabel: label of the x axis.
        ylabel: label of the y axis.
        log_y: use a log scale on the y axis.

    Returns:
        The figure.

    Example:
        >>> fig = loss_curves({"train": [3.0, 2.0, 1.5], "validation": [3.1, 2.2, 1.9]})
        >>> len(fig.axes[0].lines)
        2
    """
    fig, (ax,) = new_figure()
    for name, values in curves.items():
        if isinstance(values, tuple) and len(values) == 2:
            x, y = values
        else:
            y = list(values)
            x = range(1, len(y) + 1)
        ax.plot(list(x), list(y), label=name, marker="o" if len(list(y)) < 30 else None)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if log_y:
        ax.set_yscale("log")
        _plain_log_ticks(ax.yaxis)
    ax.legend(frameon=False)
    return fig


def bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str = "",
    ylabel: str = "",
    log_y: bool = False,
    annotate: bool = True,
) -> Figure:
    """A bar chart with one bar per label, values written above the bars.

    Example:
        >>> fig = bars(["bigram", "trigram"], [40.0, 25.0], ylabel="perplexity")
        >>> len(fig.axes[0].patches)
        2
    """
    fig, (ax,) = new_figure(width=min(10.0, max(4.0, 0.6 * len(labels) + 2)))
    many = len(labels) > len(PALETTE)
    colours = [PALETTE[0] if many else PALETTE[i % len(PALETTE)] for i in range(len(labels))]
    rects = ax.bar(list(labels), list(values), color=colours)
    if annotate:
        ax.bar_label(rects, fmt="%.3g", padding=2)
    ax.set(title=title, ylabel=ylabel)
    if log_y:
        ax.set_yscale("log")
        _plain_log_ticks(ax.yaxis)
    ax.tick_params(axis="x", rotation=0 if all(len(label) <= 2 for label in labels) else 30)
    return fig


def distribution(
    values: Sequence[float] | Mapping[str, Sequence[float]],
    *,
    bins: int = 40,
    title: str = "",
    xlabel: str = "",
) -> Figure:
    """Histogram of one or several named samples, overlaid.

    Example:
        >>> fig = distribution({"a": [1, 2, 2, 3], "b": [2, 3, 3, 4]}, bins=4)
        >>> fig.axes[0].get_ylabel()
        'count'
    """
    fig, (ax,) = new_figure()
    samples = values if isinstance(values, Mapping) else {"": values}
    for name, sample in samples.items():
        ax.hist(np.asarray(sample), bins=bins, alpha=0.6, label=name or None)
    if isinstance(values, Mapping):
        ax.legend(frameon=False)
    ax.set(title=title, xlabel=xlabel, ylabel="count")
    return fig


def heatmap(
    matrix: np.ndarray,
    *,
    x_labels: Sequence[str] | None = None,
    y_labels: Sequence[str] | None = None,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    cmap: str = "viridis",
    annotate: bool = False,
) -> Figure:
    """A matrix as a heatmap with a colour bar (attention weights, confusion matrices, ...).

    Example:
        >>> fig = heatmap(np.eye(3), x_labels=list("abc"), y_labels=list("abc"))
        >>> fig.axes[0].get_xticklabels()[0].get_text()
        'a'
    """
    matrix = np.asarray(matrix)
    size = min(9.0, 2.5 + 0.35 * max(matrix.shape))
    fig, (ax,) = new_figure(width=size + 1.0, height=size)
    ax.grid(False)
    image = ax.imshow(matrix, cmap=cmap, aspect="auto")
    fig.colorbar(image, ax=ax, shrink=0.8)
    if x_labels is not None:
        ax.set_xticks(range(len(x_labels)), labels=list(x_labels), rotation=90)
    if y_labels is not None:
        ax.set_yticks(range(len(y_labels)), labels=list(y_labels))
    if annotate:
        for (row, col), value in np.ndenumerate(matrix):
            ax.text(col, row, f"{value:.2g}", ha="center", va="center", fontsize=7, color="w")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return fig


def rank_frequency(
    counts: Mapping[str, Sequence[int]] | Sequence[int],
    *,
    title: str = "Rank against frequency (log-log)",
    fit: bool = True,
) -> Figure:
    """Zipf plot: frequency against rank on log-log axes, with a fitted power law.

    Args:
        counts: token counts (any order), or several named lists of counts.
        title: the figure title.
        fit: draw the least-squares line ``log f = c - s log r`` and report the slope ``s``.

    Returns:
        The figure.

    Example:
        >>> fig = rank_frequency([100, 50, 33, 25, 20])
        >>> fig.axes[0].get_xscale()
        'log'
    """
    fig, (ax,) = new_figure()
    series = counts if isinstance(counts, Mapping) else {"tokens": counts}
    for index, (name, values) in enumerate(series.items()):
        freq = np.sort(np.asarray(values, dtype=float))[::-1]
        freq = freq[freq > 0]
        ranks = np.arange(1, len(freq) + 1)
        colour = PALETTE[index % len(PALETTE)]
        ax.loglog(ranks, freq, ".", markersize=3, color=colour, label=name)
        if fit and len(freq) > 2:
            slope, intercept = np.polyfit(np.log(ranks), np.log(freq), 1)
            ax.loglog(
                ranks,
                np.exp(intercept) * ranks**slope,
                "--",
                color=colour,
                label=f"{name}: fit, exponent {-slope:.2f}",
            )
    ax.set(title=title, xlabel="rank", ylabel="frequency")
    ax.legend(frameon=False)
    return fig


def visible(token: str) -> str:
    """A label that shows invisible characters: space as ␣, newline as ↵, tab as ⇥.

    (Glyphs chosen from those matplotlib's default font has.)

    Example:
        >>> visible(" "), visible("\\n"), visible("a")
        ('␣', '↵', 'a')
    """
    return token.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥")


def lines(
    x: Sequence[float],
    ys: Mapping[str, Sequence[float]],
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    log_x: bool = False,
    log_y: bool = False,
) -> Figure:
    """Several named series against one shared x axis (sweeps, trade-offs).

    Example:
        >>> fig = lines([1, 2, 4], {"a": [3, 2, 1]}, log_x=True)
        >>> fig.axes[0].get_xscale()
        'log'
    """
    fig, (ax,) = new_figure()
    for name, y in ys.items():
        ax.plot(list(x), list(y), marker="o", label=name)
    if log_x:
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis)
    if log_y:
        ax.set_yscale("log")
        _plain_log_ticks(ax.yaxis)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if len(ys) > 1 or next(iter(ys), ""):
        ax.legend(frameon=False)
    return fig


def activation_text(
    text: str,
    values: Sequence[float],
    *,
    width: int = 80,
    title: str = "",
    cmap: str = "coolwarm",
) -> Figure:
    """Text with each character's background coloured by a number (a unit's activation).

    Lines break at the text's newlines and every ``width`` characters; the colour scale is
    symmetric around 0 (blue negative, red positive), with a colour bar.

    Args:
        text: the characters, one value each.
        values: one number per character of ``text``.
        width: most characters per drawn line.
        title: the figure title.
        cmap: a diverging matplotlib colour map.

    Returns:
        The figure.

    Example:
        >>> fig = activation_text("f(x)\\nok", [0, 1, 1, 0, 0, 0, 0])
        >>> len(fig.axes[0].patches)
        7
    """
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import Rectangle

    values = np.asarray(values, dtype=float)
    if values.shape != (len(text),):
        raise ValueError(
            f"values must hold one number per character: {len(text)} characters, got shape "
            f"{values.shape}."
        )
    if width < 1:
        raise ValueError(f"width must be a positive number of characters, got {width}.")
    cells, row, col = [], 0, 0  # (row, column, character, value)
    for character, value in zip(text, values, strict=True):
        if col >= width:
            row, col = row + 1, 0
        cells.append((row, col, character, value))
        if character == "\n":
            row, col = row + 1, 0
        else:
            col += 1
    rows = row + 1
    fig, (ax,) = new_figure(width=min(14.0, 0.13 * width + 1.5), height=0.3 * rows + 1.0)
    ax.grid(False)
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.set_xticks([])
    ax.set_yticks([])
    limit = float(np.abs(values).max()) or 1.0
    norm = Normalize(-limit, limit)
    colours = fig.colorbar(ScalarMappable(norm, cmap), ax=ax, shrink=0.8)
    colours.set_label("activation")
    colour_map = colours.cmap
    for row, col, character, value in cells:
        ax.add_patch(Rectangle((col, -row - 1), 1, 1, color=colour_map(norm(value)), lw=0))
        ax.text(col + 0.5, -row - 0.5, visible(character), ha="center", va="center",
                fontsize=8, family="monospace")
    ax.set_xlim(0, width)
    ax.set_ylim(-rows, 0)
    ax.set_title(title)
    return fig


def power_law(
    sizes: Sequence[float],
    losses: Sequence[float],
    coefficient: float,
    exponent: float,
    *,
    predict_at: float | None = None,
    title: str = "",
    xlabel: str = "parameters",
    ylabel: str = "validation loss",
) -> Figure:
    """Measured losses against size on log-log axes, with a fitted ``a x size^(-b)`` line.

    Args:
        sizes: the sizes measured (parameters, tokens).
        losses: the loss at each.
        coefficient: ``a`` of the fitted law.
        exponent: ``b`` of the fitted law.
        predict_at: a size not measured: the line is drawn out to it and its prediction marked.
        title: the figure title.
        xlabel: label of the x axis.
        ylabel: label of the y axis.

    Returns:
        The figure.

    Example:
        >>> fig = power_law([1e3, 1e4], [3.0, 2.0], 10.0, 0.17, predict_at=1e5)
        >>> len(fig.axes[0].lines), fig.axes[0].get_xscale()
        (3, 'log')
    """
    fig, (ax,) = new_figure()
    x = np.asarray(sizes, dtype=float)
    ends = [x.min(), max(x.max(), predict_at or x.max())]
    line = np.geomspace(ends[0], ends[1], 50)
    ax.plot(x, list(losses), "o", label="measured")
    ax.plot(line, coefficient * line ** (-exponent), "--",
            label=f"fit: {coefficient:.3g} x size^(-{exponent:.3g})")
    if predict_at is not None:
        predicted = coefficient * predict_at ** (-exponent)
        ax.plot([predict_at], [predicted], "*", markersize=12,
                label=f"predicted at {predict_at:,.0f}: {predicted:.3f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_ticks(ax.yaxis)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(frameon=False)
    return fig
