"""The figures of the slide decks, made by the kit's own code each time the decks are built.

A deck asks for a figure by name, ``![caption](figure:zipf_law)``, and the build calls the function
of that name registered here. Each one runs a small, quick version of an experiment of its chapter
(seconds, never a long training) with the same ``course`` code the notebooks use, and returns a
matplotlib ``Figure`` drawn by :mod:`course.plots`, or an HTML fragment (the results table).
Nothing is pasted in: change the code in ``course`` and the next build shows the change.
"""

from __future__ import annotations

import functools
import html
import math
from collections import Counter
from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure

FigureFunction = Callable[[], "Figure | str"]

FIGURES: dict[str, FigureFunction] = {}
"""Every figure a deck may name, by name."""

CORPUS_CHARS = 200_000  # the fast profile's corpus size: every figure takes a second or two
SEED = 0


def register(function: FigureFunction) -> FigureFunction:
    """Make ``function`` available to the decks under its own name."""
    FIGURES[function.__name__] = function
    return function


def make(name: str) -> Figure | str:
    """Run the figure function called ``name``.

    Args:
        name: a key of :data:`FIGURES`.

    Returns:
        A matplotlib ``Figure``, or a string of HTML.

    Example:
        >>> make("no such figure")
        Traceback (most recent call last):
        ...
        ValueError: No slide figure is called 'no such figure'. Known figures: ...
    """
    if name not in FIGURES:
        raise ValueError(
            f"No slide figure is called {name!r}. Known figures: {', '.join(sorted(FIGURES))}. "
            "Add a function decorated with @register to course/slides/figures.py to make one."
        )
    return FIGURES[name]()


@functools.cache
def _pydoc_split() -> tuple[str, str]:
    import course.data

    return course.data.split_text(course.data.load_text("pydoc", max_chars=CORPUS_CHARS))


@functools.cache
def _character_ids() -> tuple[object, np.ndarray, np.ndarray]:
    from course.text import CharacterTokenizer

    train_text, validation_text = _pydoc_split()
    tokenizer = CharacterTokenizer.fit(train_text + validation_text)
    return tokenizer, tokenizer.tokenize(train_text), tokenizer.tokenize(validation_text)


def _label(character: str) -> str:
    import course.plots

    # "␣" for a space: the default plot font has no glyph for "␠".
    return course.plots.visible(character).replace("␠", "␣")


@register
def character_frequencies() -> Figure:
    """Chapter 00: the 30 most common characters of the prose corpus, as shares of the text."""
    import course.plots

    train_text, _ = _pydoc_split()
    top = Counter(train_text).most_common(30)
    return course.plots.bars(
        [_label(character) for character, _ in top],
        [count / len(train_text) for _, count in top],
        title="The 30 most common characters of pydoc",
        ylabel="share of the text",
        annotate=False,
    )


@register
def zipf_law() -> Figure:
    """Chapter 01: word frequency against rank for prose and for code, on log-log axes."""
    import course.data
    import course.plots
    from course.text import split_words

    train_text, _ = _pydoc_split()
    code_text, _ = course.data.split_text(course.data.load_text("stdlib", max_chars=CORPUS_CHARS))
    counts = {}
    for name, text in (("pydoc (prose)", train_text), ("stdlib (code)", code_text)):
        words = Counter(w for w in split_words(text, lowercase=True) if w[0].isalpha())
        counts[name] = list(words.values())
    return course.plots.rank_frequency(counts, title="Word frequency against rank (log-log)")


@register
def bpe_sequence_length() -> Figure:
    """Chapter 01: tokens per character of byte-level BPE as its vocabulary grows."""
    import course.plots
    from course.text import CharacterTokenizer, bpe_tokens_per_character, tokens_per_character

    # Chapter 01's own settings (fast profile) and its measurement, course.text's.
    training_chars, sizes = _notebook_settings("01_text_and_tokens",
                                               ["BPE_TRAINING_CHARS", "BPE_VOCABULARY_SIZES"])
    train_text, validation_text = _pydoc_split()
    rates = bpe_tokens_per_character(train_text[:training_chars], validation_text, sizes)
    fig = course.plots.lines(
        sizes,
        {"byte-level BPE": rates},
        title="Bigger vocabularies give shorter sequences",
        xlabel="vocabulary_size (log scale)",
        ylabel="tokens per character",
        log_x=True,
    )
    characters = CharacterTokenizer.fit(train_text)
    fig.axes[0].plot([characters.vocabulary_size()],
                     [tokens_per_character(characters.tokenize(validation_text), validation_text)],
                     "s", label="characters")
    fig.axes[0].legend(frameon=False)
    return fig


@register
def bigram_heatmap() -> Figure:
    """Chapter 02: add-k bigram probabilities among the 16 most frequent characters."""
    import course.plots

    tokenizer, train_ids, _ = _character_ids()
    size = tokenizer.vocabulary_size()
    counts = np.zeros((size, size))  # (previous, next)
    np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1)
    probabilities = (counts + 0.1) / (counts.sum(axis=1, keepdims=True) + 0.1 * size)
    top = np.argsort(-np.bincount(train_ids, minlength=size))[:16]
    labels = [_label(tokenizer.id_to_token(int(i))) for i in top]
    fig = course.plots.heatmap(
        probabilities[np.ix_(top, top)],
        x_labels=labels,
        y_labels=labels,
        title="Bigram model: P(next | previous)",
        xlabel="next character",
        ylabel="previous character",
    )
    fig.set_size_inches(6.0, 5.0)  # a slide shows it smaller than a notebook: larger labels
    return fig


@register
def ngram_orders() -> Figure:
    """Chapter 02: add-k n-gram perplexity on training text and on held-out text, orders 1 to 6.

    The held-out text is the end of the training text (the chapter's tuning slice), never
    counted: the validation text stays for the one reported number.
    """
    import course.plots
    from course.models.ngram import NGramLanguageModel

    tokenizer, train_ids, validation_ids = _character_ids()
    held_out = train_ids[-len(validation_ids) :]  # the tuning slice: never counted
    train_ids = train_ids[:100_000]  # half the fast profile's text: quicker, same shape
    probe = train_ids[: len(validation_ids)]
    orders = list(range(1, 7))
    curves: dict[str, list[float]] = {"train": [], "held out": []}
    for order in orders:
        model = NGramLanguageModel(order, tokenizer.vocabulary_size(), k=0.1).fit(train_ids)
        curves["train"].append(model.perplexity(probe))
        curves["held out"].append(model.perplexity(held_out))
    return course.plots.lines(
        orders,
        curves,
        title="Add-k n-grams: perplexity against order",
        xlabel="order n (context of n - 1 characters)",
        ylabel="perplexity per character",
        log_y=True,
    )


@register
def training_loss() -> Figure:
    """Chapter 03: the loss of a small fixed-window model, plain gradient descent against Adam."""
    from course.environment import quiet_tensorflow

    tf = quiet_tensorflow()
    import keras

    import course
    import course.plots

    tokenizer, train_ids, _ = _character_ids()
    context, steps, batch_size = 8, 120, 128
    windows = np.lib.stride_tricks.sliding_window_view(train_ids[:-1], context)  # (n, context)
    targets = train_ids[context:]
    loss_function = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    curves = {}
    for name, optimizer in (
        ("gradient descent, α = 0.5", keras.optimizers.SGD(0.5)),
        ("Adam, α = 0.003", keras.optimizers.Adam(3e-3)),
    ):
        course.seed_everything(SEED)
        model = keras.Sequential(
            [
                keras.Input((context,), dtype="int32"),  # (batch, context)
                keras.layers.Embedding(tokenizer.vocabulary_size(), 16),  # (batch, context, 16)
                keras.layers.Flatten(),  # (batch, context * 16)
                keras.layers.Dense(128, activation="tanh"),  # (batch, 128)
                keras.layers.Dense(tokenizer.vocabulary_size()),  # (batch, vocabulary): logits
            ]
        )
        rng = np.random.default_rng(SEED)
        losses = []
        for _ in range(steps):
            batch = rng.integers(0, len(targets), batch_size)
            with tf.GradientTape() as tape:
                loss = loss_function(targets[batch], model(windows[batch], training=True))
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
            losses.append(float(loss))
        curves[name] = losses
    fig = course.plots.loss_curves(curves, title=f"Training loss, first {steps} steps")
    fig.axes[0].axhline(math.log(tokenizer.vocabulary_size()), ls=":", color="grey")
    fig.axes[0].annotate("log V", (steps, math.log(tokenizer.vocabulary_size())), ha="right",
                         va="bottom", color="grey")
    return fig


@register
def results_table() -> str:
    """Chapters 02 onwards: the shared results table as recorded so far, or how to fill it."""
    import course.results
    from course.profiles import get_profile

    profile = get_profile().name
    rows = course.results.load(profile)
    if not rows:
        return (
            f'<p class="note">No results recorded yet for the {profile} profile. Run the chapters '
            "(<code>python -m course run</code>) and build the slides again to show them here.</p>"
        )
    table = course.results.ResultsTable(rows, show_context=False)  # a slide has no room for it
    return (
        f'<div class="results">{table._repr_html_()}</div>'
        f'<p class="caption">As recorded by the chapters run so far, {html.escape(profile)} '
        "profile.</p>"
    )


@register
def attention_saturation() -> Figure:
    """Chapter 06: how peaked the softmax gets as heads widen, with and without ``/ sqrt(d_k)``."""
    from course.environment import quiet_tensorflow

    quiet_tensorflow()
    from keras import ops

    import course.plots
    from course.layers.attention import scaled_dot_product_attention

    rng = np.random.default_rng(SEED)
    widths = [4, 16, 64, 256, 1024]
    curves: dict[str, list[float]] = {"scores / √d_k": [], "raw scores": []}
    for width in widths:
        q, k = rng.normal(size=(2, 64, 16, width)).astype("float32")  # (batch, keys, d_k)
        for name, scale in (("scores / √d_k", True), ("raw scores", False)):
            _, weights = scaled_dot_product_attention(q, k, k, scale=scale)  # (64, 16, 16)
            curves[name].append(float(ops.convert_to_numpy(weights).max(-1).mean()))
    fig = course.plots.lines(
        widths,
        curves,
        log_x=True,
        title="Without scaling, the softmax saturates as heads widen",
        xlabel="d_k (head width)",
        ylabel="mean largest weight (16 keys)",
    )
    fig.axes[0].axhline(1 / 16, ls=":", color="grey")
    return fig


@register
def sinusoidal_positions() -> Figure:
    """Chapter 06: the sinusoidal position encoding, one column per position."""
    from course.environment import quiet_tensorflow

    quiet_tensorflow()
    from keras import ops

    import course.plots
    from course.layers.positions import SinusoidalPositionEncoding

    encoding = SinusoidalPositionEncoding()(np.zeros((1, 64, 32), "float32"))  # (1, time, 32)
    fig = course.plots.heatmap(
        ops.convert_to_numpy(encoding)[0].T,
        title="Sinusoidal position encoding",
        xlabel="position",
        ylabel="feature",
        cmap="RdBu",
    )
    fig.set_size_inches(7.0, 4.0)
    return fig


@register
def attention_weights() -> Figure:
    """Chapter 06: where a one-layer attention model looks, after a short training on pydoc."""
    from course.environment import quiet_tensorflow

    quiet_tensorflow()
    import keras
    from keras import ops

    import course
    import course.plots
    from course.layers.attention import MultiHeadAttention
    from course.layers.positions import LearnedPositionEmbedding

    tokenizer, train_ids, validation_ids = _character_ids()
    sequence_length, width, steps = 32, 64, 300
    starts = np.random.default_rng(SEED).integers(0, len(train_ids) - sequence_length - 1, 8_192)
    windows = train_ids[starts[:, None] + np.arange(sequence_length + 1)]  # (n, time + 1)
    course.seed_everything(SEED)
    ids = keras.Input((sequence_length,), dtype="int32")  # (batch, time)
    embedding = keras.layers.Embedding(tokenizer.vocabulary_size(), width)
    positions = LearnedPositionEmbedding(sequence_length)
    attention = MultiHeadAttention(num_heads=4, key_dim=width // 4, use_causal_mask=True)
    x = embedding(ids)  # (batch, time, width)
    x = x + positions(x)
    x = x + attention(x)  # residual connection
    logits = keras.layers.Dense(tokenizer.vocabulary_size())(x)  # (batch, time, vocabulary)
    model = keras.Model(ids, logits)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    batch_size = len(windows) * 2 // steps  # two epochs of the windows: `steps` steps in all
    model.fit(windows[:, :-1], windows[:, 1:], batch_size=batch_size, epochs=2, verbose=0)

    text = tokenizer.detokenize(validation_ids)
    start = text.index("The ")
    sample = text[start : start + sequence_length]
    sample_ids = tokenizer.tokenize(sample)[None]  # (1, time)
    x = embedding(sample_ids)
    _, weights = attention(x + positions(x), return_attention_scores=True)  # (1, heads, t, t)
    labels = [_label(character) for character in sample]
    fig = course.plots.heatmap(
        ops.convert_to_numpy(weights)[0].mean(0),
        x_labels=labels,
        y_labels=labels,
        title="Attention weights, mean of 4 heads",
        xlabel="key (looked at)",
        ylabel="query (looking)",
    )
    fig.set_size_inches(6.4, 5.4)
    return fig


def _gradient_figure(curves: dict[str, np.ndarray], title: str) -> Figure:
    import course.plots

    fig = course.plots.lines(
        list(range(len(next(iter(curves.values()))))),
        curves,
        log_y=True,
        title=title,
        xlabel="k, steps before the last",
        ylabel="mean ‖∂L / ∂x‖",
    )
    for line in fig.axes[0].lines:
        line.set_marker("")
    fig.axes[0].legend(frameon=False)
    return fig


@register
def gradient_through_time() -> Figure:
    """Chapter 04: how much the last state of an RNN depends on each earlier input."""
    from course.environment import quiet_tensorflow

    quiet_tensorflow()
    import keras

    from course.diagnostics import gradient_by_distance
    from course.layers import SimpleRNNCell

    time_steps = 50
    rng = np.random.default_rng(SEED)
    inputs = rng.normal(size=(32, time_steps, 8)).astype("float32")  # (batch, time, 8)
    direction = rng.normal(size=(64,))
    curves = {}
    for scale in (0.5, 1.0, 1.5, 2.5):
        cell = SimpleRNNCell(
            64,
            kernel_initializer=keras.initializers.GlorotUniform(seed=0),
            recurrent_initializer=keras.initializers.Orthogonal(gain=scale, seed=1),
        )
        layer = keras.layers.RNN(cell, return_sequences=True)  # (batch, time, 64)
        curves[f"recurrent scale {scale}"] = gradient_by_distance(layer, inputs, direction)
    return _gradient_figure(curves, "Gradient reaching back k steps")


@register
def lstm_gradient_through_time() -> Figure:
    """Chapter 05: gradient reaching back through a plain RNN and through LSTMs, untrained."""
    return _gradient_figure(lstm_gradient_curves(),
                            "Gradient reaching back k steps, before training")


def lstm_gradient_curves() -> dict[str, np.ndarray]:
    """The curves of :func:`lstm_gradient_through_time`: mean ‖∂L/∂x‖ k steps back, k < 60.

    A plain RNN and two LSTMs (forget-gate bias 1, Keras' start, and 3) with the same inputs and
    the same initial weights. The slide's claim (bias 1 fades almost as fast as the RNN over the
    60 steps, bias 3 does not) is asserted on these numbers in
    ``tests/test_shared_experiments.py``.
    """
    from course.environment import quiet_tensorflow

    quiet_tensorflow()
    import keras

    from course.diagnostics import gradient_by_distance
    from course.layers import LSTMCell, SimpleRNNCell

    time_steps, hidden_dim = 60, 64
    rng = np.random.default_rng(SEED)
    inputs = rng.normal(size=(32, time_steps, 8)).astype("float32")  # (batch, time, 8)
    direction = rng.normal(size=(hidden_dim,))

    def forget_bias(value: float) -> Callable[..., np.ndarray]:
        def initializer(shape, dtype=None) -> np.ndarray:  # blocks i, f, c, o: only f is set
            bias = np.zeros(shape, "float32")
            bias[hidden_dim : 2 * hidden_dim] = value
            return bias

        return initializer

    same_start = {
        "kernel_initializer": keras.initializers.GlorotUniform(seed=0),
        "recurrent_initializer": keras.initializers.Orthogonal(seed=1),
    }
    cells = {"plain RNN": SimpleRNNCell(hidden_dim, **same_start)}
    for value, note in ((1.0, " (Keras' start)"), (3.0, "")):
        name = f"LSTM, forget bias {value:g}{note}"
        cells[name] = LSTMCell(hidden_dim, bias_initializer=forget_bias(value),
                               unit_forget_bias=False, **same_start)
    return {name: gradient_by_distance(keras.layers.RNN(cell), inputs, direction)  # last h
            for name, cell in cells.items()}


def _notebook_settings(chapter: str, names: list[str]) -> list[object]:
    """Settings of a chapter as its settings cell writes them (``profile.pick``: the fast value).

    Args:
        chapter: the notebook's stem, e.g. ``"07_gpt"``.
        names: the constants to read, e.g. ``["STEPS", "WARMUP_STEPS"]``; each must be assigned
            a literal or ``profile.pick(fast=<literal>, ...)`` at the top level of a code cell.

    Returns:
        Their values, in the order of ``names``.
    """
    import ast
    import json

    from course.project import NOTEBOOKS

    notebook = json.loads((NOTEBOOKS / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    found: dict[str, object] = {}
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        source = "\n".join(line for line in source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name) and node.targets[0].id in names):
                continue
            value = node.value
            if (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                    and value.func.attr == "pick"):
                value = next((keyword.value for keyword in value.keywords
                              if keyword.arg == "fast"), value)
            try:
                found[node.targets[0].id] = ast.literal_eval(value)
            except ValueError:
                continue
    missing = [name for name in names if name not in found]
    if missing:
        raise ValueError(f"{chapter}.ipynb assigns no literal (or profile.pick(fast=...)) to "
                         f"{missing}; update the slide figure that reads the notebook's settings.")
    return [found[name] for name in names]


@register
def learning_rate_schedule() -> Figure:
    """Chapter 07: GPT's learning rate, linear warm-up then cosine decay, as the chapter uses it."""
    import course.plots
    from course.training import warmup_cosine_schedule

    # The notebook's own settings (its fast profile), read from its settings cell so that the
    # figure follows the notebook, and the schedule it trains with; the floor: a tenth of the peak.
    steps, warmup_steps, peak = _notebook_settings(
        "07_gpt", ["STEPS", "WARMUP_STEPS", "PEAK_LEARNING_RATE"])
    schedule = warmup_cosine_schedule(peak, steps, warmup_steps)
    x = np.arange(0, steps + 1, 10)
    fig = course.plots.lines(
        x,
        {"": [float(schedule(step)) for step in x]},
        title="Warm-up, then half a cosine down to a tenth",
        xlabel="step",
        ylabel="learning rate",
    )
    ax = fig.axes[0]
    ax.lines[0].set_marker("")
    ax.axvline(warmup_steps, ls=":", color="grey")
    ax.annotate("end of warm-up", (warmup_steps, 0.25 * peak), xytext=(6, 0),
                textcoords="offset points", color="grey")
    ax.axhline(0.1 * peak, ls=":", color="grey")
    ax.annotate("floor: peak / 10", (steps / 2, 0.1 * peak), xytext=(0, 6),
                textcoords="offset points", ha="center", color="grey")
    return fig


@register
def sampling_filters() -> Figure:
    """Chapter 07: what top-k and top-p keep of a confident and of a hesitant distribution."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    import course.plots
    from course.generation import TopKSampler, TopPSampler

    words = ["is", "checks", "raises", "tests", "fails", "can", "was", "takes", "has", "in"]
    logits = np.array([4.0, 2.6, 2.0, 1.5, 1.0, 0.7, 0.4, 0.1, -0.2, -0.5])
    rows = {"confident": logits, "hesitant": logits / 4}  # the same order, flatter
    filters = {
        "model": None,
        "top-k, k = 3": TopKSampler(k=3).keep,
        "top-p, p = 0.9": TopPSampler(p=0.9).keep,
    }
    fig = Figure(figsize=(10.5, 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(rows), len(filters), sharex=True, sharey=True)
    positions = np.arange(len(words))
    for row, (row_name, row_logits) in enumerate(rows.items()):
        probabilities = np.exp(row_logits) / np.exp(row_logits).sum()
        for column, (filter_name, keep) in enumerate(filters.items()):
            ax = axes[row, column]
            kept = probabilities if keep is None else keep(probabilities[None])[0]
            ax.bar(positions, kept, color=course.plots.PALETTE[row])
            ax.bar(positions, probabilities, color="none", edgecolor="#555555", linewidth=0.8)
            ax.spines[["top", "right"]].set_visible(False)
            ax.grid(True, axis="y", alpha=0.3)
            count = int((kept > 0).sum())
            ax.text(0.97, 0.92, f"{count} of {len(words)} kept", transform=ax.transAxes,
                    ha="right", va="top")
            if row == 0:
                ax.set_title(filter_name)
            if column == 0:
                ax.set_ylabel(f"{row_name}\nprobability")
    axes[-1, 0].set_xticks(positions, words)
    for ax in axes[-1]:
        ax.tick_params(axis="x", rotation=60)
    return fig


@register
def brevity_penalty_curve() -> Figure:
    """Chapter 09: BLEU's brevity penalty against the ratio of output to reference length."""
    import course.plots
    from course.metrics import brevity_penalty

    ratios = np.linspace(0.3, 1.5, 49)
    penalties = [brevity_penalty(round(100 * ratio), 100) for ratio in ratios]
    return course.plots.lines(
        ratios, {"brevity penalty": penalties},
        title="Too short is penalised, too long is not",
        xlabel="output length / reference length  (c / r)", ylabel="BP",
    )


@register
def chinese_cuts() -> Figure:
    """Chapter 10: tokens per character of the kit's Chinese sample, cut four ways."""
    import course.plots
    from course.data import load_text
    from course.text.bpe import learn_bpe
    from course.text.chinese import segment_words

    lines = [line for line in load_text("zh-sample").splitlines() if line]
    characters = sum(len(line) for line in lines)
    bpe = learn_bpe("\n".join(lines), 400)
    cuts = {
        "UTF-8 bytes": sum(len(line.encode("utf-8")) for line in lines),
        "BPE (400 tokens)": sum(len(bpe.encode(line)) for line in lines),
        "characters": characters,
        "jieba words": sum(len(segment_words(line)) for line in lines),
    }
    return course.plots.bars(list(cuts), [count / characters for count in cuts.values()],
                             title="Tokens per character, zh-sample",
                             ylabel="tokens per character")


@register
def instruction_loss_mask() -> Figure:
    """Chapter 12: the targets of one question/answer pair, those in the loss highlighted."""
    import course.plots
    from course.instruct import format_prompt, format_response, response_weights

    prompt = format_prompt("Which function is defined?", "def split(self, sep):")
    response = format_response("split")
    text = prompt + response
    weights = response_weights(len(prompt), len(response), len(text) - 1)
    targets = text[1:]
    fig, (ax,) = course.plots.new_figure(width=12.0, height=1.6)
    ax.grid(False)
    for position, (character, weight) in enumerate(zip(targets, weights, strict=True)):
        colour = course.plots.PALETTE[1] if weight else "#eeeeee"
        ax.bar(position + 0.5, 1.0, width=0.95, color=colour)
        ax.text(position + 0.5, 0.5, course.plots.visible(character), ha="center",
                va="center", fontsize=8)
    ax.set(xlim=(0, len(targets)), ylim=(0, 1), yticks=[], xlabel="target position",
           title="Targets in the loss: the answer and its newline (orange); the prompt is given")
    return fig


@register
def mlm_masking() -> Figure:
    """Chapter 08: BERT's masking rule measured on 100,000 token positions by mask_tokens."""
    import course.plots
    from course.pretraining import mask_tokens

    rng = np.random.default_rng(SEED)
    ids = rng.integers(4, 1000, (1000, 100))  # ordinary tokens...
    ids[:, 0], ids[:, -1] = 2, 3  # ...between a [CLS] (2) and a [SEP] (3)
    batch = mask_tokens(ids, vocabulary_size=1000, mask_id=1, special_ids=[0, 2, 3], rng=rng)
    chosen = batch.weights > 0
    shares = [
        chosen[:, 1:-1].mean(),
        (batch.inputs == 1)[chosen].mean(),
        ((batch.inputs != 1) & (batch.inputs != ids))[chosen].mean(),
        (batch.inputs == ids)[chosen].mean(),
    ]
    return course.plots.bars(
        ["chosen\n(of ordinary tokens)", "[MASK]\n(of chosen)", "random\n(of chosen)",
         "kept\n(of chosen)"],
        [float(share) for share in shares],
        title="15% chosen; then 80% [MASK], 10% random, 10% kept", ylabel="share",
    )


@register
def copied_spans() -> Figure:
    """Chapter 13: how much of a character n-gram's samples is copied from its training text.

    Each sample is drawn from the counts of the longest context seen in training (backing off to
    shorter ones), so the model can only recombine what it counted: the longer its context, the
    longer the spans it copies. The control is held-out text from the same corpus.
    """
    import course.plots
    from course.memorisation import verbatim_share
    from course.models.ngram import NGramLanguageModel

    tokenizer, train_ids, _ = _character_ids()
    train_text, validation_text = _pydoc_split()
    widths = [10, 20, 30, 40, 50]
    shares = {"held-out text (control)": [verbatim_share(validation_text[:4000], train_text, w)
                                          for w in widths]}
    rng = np.random.default_rng(SEED)
    model = NGramLanguageModel(16, tokenizer.vocabulary_size()).fit(train_ids)  # orders 1..16
    for order in (4, 8, 16):
        history = [int(t) for t in train_ids[: order - 1]]
        for _ in range(500):
            for m in range(order - 1, -1, -1):  # the longest context with counts
                counts = model.counts[m].get(tuple(history[len(history) - m :]) if m else ())
                if counts:
                    break
            tokens, weights = zip(*counts.items(), strict=True)
            history.append(int(rng.choice(tokens, p=np.array(weights) / sum(weights))))
        sample = tokenizer.detokenize(history[order - 1 :])
        shares[f"{order}-gram sample"] = [verbatim_share(sample, train_text, w) for w in widths]
    return course.plots.lines(widths, shares, xlabel="window (characters)",
                              ylabel="share of windows found in the training text",
                              title="Copied from the training text, by window length")


@register
def published_compute() -> Figure:
    """Chapter 11: training compute (6ND) of published models, from course.costs."""
    import course.plots
    from course.costs import PUBLISHED_MODELS

    return course.plots.bars([model.name for model in PUBLISHED_MODELS],
                             [model.estimated_flops for model in PUBLISHED_MODELS],
                             title="Training compute, 6 x parameters x tokens",
                             ylabel="FLOPs", log_y=True)
