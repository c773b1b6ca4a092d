"""Language-model training data: cut a stream of token ids into (input, target) windows.

A language model learns to predict the next token. From the stream ``ids``, a window starting at
``s`` gives the input ``ids[s : s + L]`` and the target ``ids[s + 1 : s + L + 1]``: the same
tokens shifted by one, so position ``t`` of the target is the token that follows position ``t``
of the input.

The stream is split into training and validation parts *before* windowing (validation is the
tail), so no window mixes tokens from both parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from course.environment import quiet_tensorflow

if TYPE_CHECKING:
    import tensorflow as tf


def split_tokens(ids: Any, validation_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Split a token stream into a training head and a validation tail (no shuffling).

    Args:
        ids: 1-D sequence of token ids.
        validation_fraction: Share of the ids that goes to validation, in ``[0, 1)``; the
            validation part gets ``round(len(ids) * validation_fraction)`` ids.

    Returns:
        ``(train_ids, validation_ids)``, two 1-D ``int32`` arrays that together are ``ids``.

    Example:
        >>> train_ids, validation_ids = split_tokens(np.arange(10), validation_fraction=0.2)
        >>> train_ids, validation_ids
        (array([0, 1, 2, 3, 4, 5, 6, 7], dtype=int32), array([8, 9], dtype=int32))
    """
    array = _as_id_array(ids)
    if isinstance(validation_fraction, bool) or not isinstance(validation_fraction, (int, float)):
        raise TypeError(f"validation_fraction must be a number, got {validation_fraction!r}.")
    if not 0 <= validation_fraction < 1:
        raise ValueError(
            f"validation_fraction={validation_fraction} is out of range: pass a fraction in "
            "[0, 1), e.g. 0.1 to keep the last 10% of the tokens for validation."
        )
    validation_length = int(round(len(array) * validation_fraction))
    cut = len(array) - validation_length
    return array[:cut], array[cut:]


def make_windows(
    ids: Any, sequence_length: int, stride: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a token stream into input windows and their next-token targets.

    Window ``i`` starts at ``s = i * stride``: its input is ``ids[s : s + sequence_length]`` and
    its target is ``ids[s + 1 : s + sequence_length + 1]``. Windows that would run past the end
    are left out, so the last few ids may go unused.

    Args:
        ids: 1-D sequence of token ids.
        sequence_length: Tokens per window.
        stride: Distance between window starts; ``None`` means ``sequence_length``
            (windows side by side, no overlap).

    Returns:
        ``(inputs, targets)``, two ``int32`` arrays of shape ``(number_of_windows,
        sequence_length)``.

    Example:
        >>> inputs, targets = make_windows(np.arange(8), sequence_length=3)
        >>> inputs
        array([[0, 1, 2],
               [3, 4, 5]], dtype=int32)
        >>> targets
        array([[1, 2, 3],
               [4, 5, 6]], dtype=int32)
    """
    array = _as_id_array(ids)
    starts = _window_starts(len(array), sequence_length, stride, what="the ids")
    positions = starts[:, None] + np.arange(sequence_length + 1)
    windows = array[positions]
    return windows[:, :-1], windows[:, 1:]


def language_model_datasets(
    ids: Any,
    sequence_length: int,
    batch_size: int,
    validation_fraction: float = 0.1,
    seed: int = 0,
    stride: int | None = None,
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """Training and validation ``tf.data`` pipelines of ``(input, target)`` batches.

    The ids are split with :func:`split_tokens` first and each part is windowed on its own with
    the windows of :func:`make_windows`, so no window crosses the train/validation boundary.
    Training windows are shuffled (reshuffled every epoch, reproducibly for a given ``seed``);
    validation windows keep their order. The validation pipeline has tf.data autotuning turned
    off: Keras rebuilds the validation iterator at every epoch, and with autotuning on that costs
    a pause of about a second and a half each time.

    Args:
        ids: 1-D sequence of token ids (the whole corpus, tokenized once).
        sequence_length: Tokens per window.
        batch_size: Windows per batch (the last batch may be smaller).
        validation_fraction: Share of the ids kept for validation, in ``(0, 1)``.
        seed: Seed of the training shuffle.
        stride: Distance between window starts; ``None`` means ``sequence_length``.

    Returns:
        ``(train_ds, validation_ds)``; each element is a pair of ``int32`` tensors of shape
        ``(batch, sequence_length)``.

    Example:
        >>> train_ds, validation_ds = language_model_datasets(
        ...     np.arange(100), sequence_length=4, batch_size=2, validation_fraction=0.2)
        >>> inputs, targets = next(iter(validation_ds))
        >>> inputs.numpy().tolist(), targets.numpy().tolist()
        ([[80, 81, 82, 83], [84, 85, 86, 87]], [[81, 82, 83, 84], [85, 86, 87, 88]])
    """
    if isinstance(validation_fraction, (int, float)) and validation_fraction == 0:
        raise ValueError(
            "validation_fraction=0 leaves no validation data; pass a fraction in (0, 1), e.g. 0.1."
        )
    train_ids, validation_ids = split_tokens(ids, validation_fraction)
    return window_datasets(train_ids, validation_ids, sequence_length, batch_size, seed, stride)


def window_datasets(
    train_ids: Any,
    validation_ids: Any,
    sequence_length: int,
    batch_size: int,
    seed: int = 0,
    stride: int | None = None,
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """Like :func:`language_model_datasets`, for ids that are already split.

    The chapters split the *text* with ``course.data.split_text`` (so every chapter scores the
    same validation text, whatever its tokenizer), tokenize both parts, and window them here.

    Args:
        train_ids: 1-D training ids.
        validation_ids: 1-D validation ids.
        sequence_length: Tokens per window.
        batch_size: Windows per batch (the last batch may be smaller).
        seed: Seed of the training shuffle.
        stride: Distance between window starts; ``None`` means ``sequence_length``.

    Returns:
        ``(train_ds, validation_ds)`` as in :func:`language_model_datasets`.

    Example:
        >>> train_ds, validation_ds = window_datasets(
        ...     np.arange(20), np.arange(100, 110), sequence_length=4, batch_size=8)
        >>> [int(x.shape[0]) for x, _ in validation_ds]
        [2]
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} must be a positive int, e.g. 32.")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}.")
    train_ids, validation_ids = _as_id_array(train_ids), _as_id_array(validation_ids)
    train_starts = _window_starts(len(train_ids), sequence_length, stride, what="the training ids")
    validation_starts = _window_starts(
        len(validation_ids), sequence_length, stride, what="the validation ids"
    )

    tf = quiet_tensorflow()
    train_ds = (
        tf.data.Dataset.from_tensor_slices(train_starts)
        .shuffle(len(train_starts), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .map(_window_gatherer(tf, train_ids, sequence_length))
        .prefetch(tf.data.AUTOTUNE)
    )
    options = tf.data.Options()
    options.autotune.enabled = False
    validation_ds = (
        tf.data.Dataset.from_tensor_slices(validation_starts)
        .batch(batch_size)
        .map(_window_gatherer(tf, validation_ids, sequence_length))
        .with_options(options)
    )
    return train_ds, validation_ds


def _window_gatherer(tf: Any, ids: np.ndarray, sequence_length: int) -> Any:
    """A function that turns a batch of window starts into ``(inputs, targets)`` tensors."""
    stream = tf.constant(ids, dtype=tf.int32)
    offsets = tf.range(sequence_length + 1, dtype=tf.int64)

    def gather(starts: Any) -> tuple[Any, Any]:
        windows = tf.gather(stream, starts[:, None] + offsets[None, :])
        return windows[:, :-1], windows[:, 1:]

    return gather


def _window_starts(length: int, sequence_length: int, stride: int | None, what: str) -> np.ndarray:
    """Start positions of the full windows (input and target) that fit in ``length`` ids."""
    if isinstance(sequence_length, bool) or not isinstance(sequence_length, (int, np.integer)):
        raise TypeError(f"sequence_length must be an int, got {sequence_length!r}.")
    if sequence_length < 1:
        raise ValueError(f"sequence_length={sequence_length} must be at least 1.")
    if stride is None:
        stride = sequence_length
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride={stride!r} must be a positive int, or None for sequence_length.")
    if length < sequence_length + 1:
        raise ValueError(
            f"sequence_length={sequence_length} is too long for {what}: one window needs "
            f"sequence_length + 1 = {sequence_length + 1} ids (input plus the next token), but "
            f"there are only {length}. Use a shorter sequence_length, more text, or a larger "
            "validation_fraction."
        )
    count = (length - sequence_length - 1) // stride + 1
    return np.arange(count, dtype=np.int64) * stride


def _as_id_array(ids: Any) -> np.ndarray:
    """Check that ``ids`` is a 1-D sequence of integers and return it as an int32 array."""
    if hasattr(ids, "numpy"):
        ids = ids.numpy()
    array = np.asarray(ids)
    if array.ndim != 1:
        raise ValueError(
            f"Expected a 1-D stream of token ids, got shape {array.shape}. Tokenize the whole "
            "text into one sequence, e.g. ids = tokenizer.tokenize(text)."
        )
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(
            f"Expected integer token ids, got dtype {array.dtype}. Pass the ids from a tokenizer."
        )
    if array.size and (array.min() < 0 or array.max() > np.iinfo(np.int32).max):
        raise ValueError("Token ids must lie between 0 and 2**31 - 1.")
    return array.astype(np.int32, copy=False)
