"""Checks for notebooks and exercises, with feedback a student can act on.

Every check raises :class:`CheckFailed` (an ``AssertionError``) with a message that says what was
expected, what was found, and where to look. Chapters use them for their "check what was learned"
cells; exercises wrap their checks in :func:`exercise`, which prints a clear pass or fail line.

Exercises follow one format, which the release and grading tools rely on (markers live in the cell
source, so they survive Colab and nbval's renumbering):

* the cell a student completes holds ``# BEGIN SOLUTION`` ... ``# END SOLUTION``; a line
  ``# HINT: ...`` inside the block becomes the hint of the student's stub;
* the check cell starts with ``# CHECK <chapter>.<number>`` and calls ``exercise(...)``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np


class CheckFailed(AssertionError):
    """A check did not pass; the message says what was expected and what was found."""


def _as_array(value: Any) -> np.ndarray:
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.asarray(value)


def check_close(
    actual: Any, expected: Any, *, atol: float = 1e-5, rtol: float = 0.0, name: str = "value"
) -> None:
    """Check that two arrays (or numbers) agree elementwise within a tolerance.

    Args:
        actual: what was computed (NumPy array, tensor or number).
        expected: the reference.
        atol: allowed absolute difference.
        rtol: allowed difference relative to ``expected``.
        name: what is being compared, for the message.

    Raises:
        CheckFailed: on a shape mismatch or a difference above the tolerance.

    Example:
        >>> check_close([1.0, 2.0], [1.0, 2.000001], name="logits")
        >>> check_close([1.0], [1.1], name="loss")
        Traceback (most recent call last):
        ...
        course.checks.CheckFailed: loss differs from the reference: largest difference 0.1 ...
    """
    a, e = _as_array(actual).astype(np.float64), _as_array(expected).astype(np.float64)
    if a.shape != e.shape:
        raise CheckFailed(f"{name} has shape {a.shape}, but the reference has shape {e.shape}.")
    if not np.all(np.isfinite(a)):
        raise CheckFailed(f"{name} contains NaN or infinite values.")
    difference = np.abs(a - e)
    limit = atol + rtol * np.abs(e)
    if np.any(difference > limit):
        where = np.unravel_index(int(np.argmax(difference - limit)), a.shape) if a.shape else ()
        raise CheckFailed(
            f"{name} differs from the reference: largest difference {difference.max():.3g} "
            f"at index {tuple(int(i) for i in where)} (allowed {atol:g} + {rtol:g}*|reference|)."
        )


def check_shape(value: Any, expected: Sequence[int | None], *, name: str = "value") -> None:
    """Check a shape, where ``None`` in ``expected`` matches any size.

    Args:
        value: an array or tensor.
        expected: the shape, e.g. ``(batch_size, None, 64)``.
        name: what is being checked, for the message.

    Raises:
        CheckFailed: if the rank or a fixed dimension differs.

    Example:
        >>> check_shape(np.zeros((2, 5, 8)), (2, None, 8))
        >>> check_shape(np.zeros((2, 5)), (2, 5, 8), name="logits")
        Traceback (most recent call last):
        ...
        course.checks.CheckFailed: logits has shape (2, 5), expected (2, 5, 8) (None = any size).
    """
    shape = tuple(_as_array(value).shape) if not hasattr(value, "shape") else tuple(value.shape)
    expected = tuple(expected)
    if len(shape) != len(expected) or any(
        want is not None and got != want for got, want in zip(shape, expected, strict=False)
    ):
        raise CheckFailed(f"{name} has shape {shape}, expected {expected} (None = any size).")


def check_below(value: float, threshold: float, *, name: str = "value", why: str = "") -> None:
    """Check that a measured number (a loss, a perplexity) is below a threshold.

    Use it for "learned something" checks: pick a threshold that an untrained model cannot reach,
    and say why in ``why``.

    Args:
        value: the measured number.
        threshold: the value it must stay below.
        name: what was measured.
        why: what the threshold means, for the message.

    Raises:
        CheckFailed: when ``value`` is not finite or not below ``threshold``.

    Example:
        >>> check_below(1.8, 2.5, name="validation loss")
        >>> check_below(3.0, 2.5, name="validation loss", why="a unigram model scores 3.1")
        Traceback (most recent call last):
        ...
        course.checks.CheckFailed: validation loss is 3, which is not below 2.5 (a unigram model ...
    """
    _check_threshold(value, threshold, "below", name, why,
                     no_number="training diverged or produced no number")


def check_above(value: float, threshold: float, *, name: str = "value", why: str = "") -> None:
    """Check that a measured number (an accuracy, a speed-up, a share) is above a threshold.

    The mirror of :func:`check_below`: use it where more is better, rather than negating a value
    to fit ``check_below``, so that the message shows the number as it was measured.

    Args:
        value: the measured number.
        threshold: the value it must exceed.
        name: what was measured.
        why: what the threshold means, for the message.

    Raises:
        CheckFailed: when ``value`` is not finite or not above ``threshold``.

    Example:
        >>> check_above(0.93, 0.5, name="recall")
        >>> check_above(0.4, 0.5, name="recall", why="chance is 1/32")
        Traceback (most recent call last):
        ...
        course.checks.CheckFailed: recall is 0.4, which is not above 0.5 (chance is 1/32).
    """
    _check_threshold(value, threshold, "above", name, why,
                     no_number="the measurement produced no number")


def _check_threshold(
    value: float, threshold: float, side: str, name: str, why: str, no_number: str
) -> None:
    """The body of :func:`check_below` (``side="below"``) and :func:`check_above`."""
    if not math.isfinite(float(value)):
        raise CheckFailed(f"{name} is {value}: {no_number}.")
    passed = float(value) < threshold if side == "below" else float(value) > threshold
    if not passed:
        reason = f" ({why})" if why else ""
        raise CheckFailed(
            f"{name} is {float(value):.4g}, which is not {side} {threshold:g}{reason}."
        )


def check_equal(actual: Any, expected: Any, *, name: str = "value") -> None:
    """Check exact equality (strings, integers, lists), showing both sides on failure.

    Example:
        >>> check_equal([1, 2], [1, 2])
        >>> check_equal("cat", "dog", name="decoded text")
        Traceback (most recent call last):
        ...
        course.checks.CheckFailed: decoded text is 'cat', expected 'dog'.
    """
    if isinstance(actual, np.ndarray) or isinstance(expected, np.ndarray):
        same = np.array_equal(_as_array(actual), _as_array(expected))
    else:
        same = actual == expected
    if not same:
        raise CheckFailed(f"{name} is {actual!r}, expected {expected!r}.")


@contextlib.contextmanager
def exercise(number: str, title: str = "") -> Iterator[None]:
    """Run an exercise's checks and print a clear verdict.

    A stub that still raises ``NotImplementedError`` is reported as "not attempted yet"; a failed
    check prints what was wrong. Either way the error is raised again, so the cell (and nbval, when
    grading) registers the failure.

    Args:
        number: the exercise's number, such as ``"02.1"``.
        title: a few words naming it.

    Example:
        >>> with exercise("00.1", "addition"):
        ...     check_equal(1 + 1, 2)
        Exercise 00.1 (addition): passed.
    """
    label = f"Exercise {number}" + (f" ({title})" if title else "")
    try:
        yield
    except NotImplementedError as error:
        print(f"{label}: not attempted yet. {error}".rstrip())
        raise
    except AssertionError as error:
        print(f"{label}: not yet right. {error}")
        raise
    except Exception as error:
        print(f"{label}: your code raised {type(error).__name__}: {error}")
        raise
    print(f"{label}: passed.")
