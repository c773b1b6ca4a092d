"""Memorisation and overconfidence, measured (chapter 13).

* **Verbatim spans**: what share of a text's character windows (50 characters, say) occur
  word for word in the training text. Generated text is compared with a control: held-out
  text of the same kind, which shares some windows with the training text by chance and by
  the corpus repeating itself. Only the excess over the control is memorisation.
* **Confidence against accuracy**: a model's top-1 probability beside how often its top-1 guess
  is right. On text like its training text the two are close; on text outside it, a model can
  stay confident while being wrong: confident nonsense, measured.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _check_text(text: Any, name: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}; decode ids first.")
    return text


def _check_width(width: int) -> int:
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive int (characters per window), got {width!r}.")
    return width


def window_set(text: str, width: int) -> set[str]:
    """Every ``width``-character window of ``text``, as a set (the index to look windows up in).

    Args:
        text: the reference text (e.g. the training text).
        width: characters per window.

    Returns:
        A set of strings; building it for 200,000 characters takes a fraction of a second.

    Example:
        >>> sorted(window_set("abcab", 3))
        ['abc', 'bca', 'cab']
    """
    text, width = _check_text(text, "text"), _check_width(width)
    return {text[i : i + width] for i in range(len(text) - width + 1)}


def verbatim_share(text: str, reference: str | set[str], width: int = 50) -> float:
    """Share of the ``width``-character windows of ``text`` that occur verbatim in ``reference``.

    Args:
        text: the text to test (generated, or held-out text as the control).
        reference: the training text, or its :func:`window_set` of the same width (faster when
            many texts are tested).
        width: characters per window; 50 characters is about ten words, too long to recur by
            chance in prose unless the corpus repeats itself.

    Returns:
        A share in [0, 1].

    Example:
        >>> verbatim_share("the cat sat", "a cat sat down", width=7)  # ' cat sa', 'cat sat'
        0.4
    """
    text, width = _check_text(text, "text"), _check_width(width)
    if len(text) < width:
        raise ValueError(
            f"text has {len(text)} characters, fewer than one window of {width}; generate more "
            "text or use a smaller width."
        )
    windows = window_set(reference, width) if isinstance(reference, str) else reference
    if not isinstance(windows, set):
        raise TypeError(
            f"reference must be the training text (str) or window_set(text, {width}), got "
            f"{type(reference).__name__}."
        )
    some = next(iter(windows), None)
    if some is not None and len(some) != width:
        raise ValueError(
            f"reference holds windows of {len(some)} characters, but width={width}; build it "
            f"with window_set(text, {width})."
        )
    found = [text[i : i + width] in windows for i in range(len(text) - width + 1)]
    return float(np.mean(found))


def longest_copied_span(text: str, reference: str) -> str:
    """The longest stretch of ``text`` that occurs verbatim somewhere in ``reference``.

    A sliding scan: grow the current stretch while it is still found in ``reference``, move its
    start on when it is not. Each test is a substring search (fast, in C).

    Args:
        text: the text to test (e.g. a generated sample).
        reference: the training text.

    Returns:
        The longest copied stretch (the first one, when several are as long).

    Example:
        >>> longest_copied_span("xx the cat sat yy", "on the mat the cat sat down")
        ' the cat sat '
    """
    text, reference = _check_text(text, "text"), _check_text(reference, "reference")
    best_start, best_length = 0, 0
    start, end = 0, 1
    while end <= len(text):
        if text[start:end] in reference:
            if end - start > best_length:
                best_start, best_length = start, end - start
            end += 1
        else:
            start += 1
            end = max(end, start + 1)
    return text[best_start : best_start + best_length]


def matching_prefix(a: str, b: str) -> int:
    """How many leading characters two strings share.

    Args:
        a: one string (a model's continuation).
        b: another (the true continuation).

    Returns:
        The length of their common prefix.

    Example:
        >>> matching_prefix("return the value", "return them")
        10
    """
    a, b = _check_text(a, "a"), _check_text(b, "b")
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length


def entropy(logits: Any) -> np.ndarray:
    """Entropy (nats) of the softmax of each row of logits: how unsure each prediction is.

    0 for a model certain of one token; ``log V`` for a uniform guess over ``V`` tokens.

    Args:
        logits: ``(..., vocabulary)`` logits.

    Returns:
        An array of the leading shape.

    Example:
        >>> entropy(np.zeros((1, 4))).round(4).tolist()  # log 4
        [1.3863]
    """
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -(np.exp(log_p) * log_p).sum(axis=-1)


def confidence_and_accuracy(logits: Any, targets: Any) -> tuple[float, float]:
    """Mean top-1 probability and top-1 accuracy over a set of predictions.

    A calibrated model's two numbers are close: when it says 70%, it is right 70% of the time.
    Confidence well above accuracy is **overconfidence**.

    Args:
        logits: ``(n, vocabulary)`` (or any ``(..., vocabulary)``) logits.
        targets: the true ids, of the leading shape.

    Returns:
        ``(mean confidence, accuracy)``, both in [0, 1].

    Example:
        >>> logits = np.log(np.array([[0.9, 0.1], [0.8, 0.2]]))
        >>> [round(v, 3) for v in confidence_and_accuracy(logits, [0, 1])]
        [0.85, 0.5]
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(targets)
    if z.shape[:-1] != y.shape:
        raise ValueError(
            f"targets must have the logits' leading shape {z.shape[:-1]}, got {y.shape}."
        )
    if y.size == 0:
        raise ValueError("confidence_and_accuracy() got no predictions.")
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    return float(p.max(axis=-1).mean()), float((p.argmax(axis=-1) == y).mean())
