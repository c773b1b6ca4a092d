"""One yardstick for every language model of the course: nats per character of the same text.

The results table compares models that see their context in different ways: an n-gram model its
last ``n - 1`` tokens, a fixed-window network its window, a recurrent network everything before
(through its state), a Transformer up to its context length. A fair comparison scores every model
on the **same** validation text, each character (or token) predicted with **as much preceding
context as the model can use**, and divides the total negative log-likelihood by the number of
characters, so that models with different tokenizers compare too.

The validation text follows the training text in the corpus, so the end of the training text is
its natural context: :class:`HeldOutText` carries the validation ids together with a *prefix*, the
last ids of the training text. The prefix is context only: it is never scored, and no model learns
from it at evaluation time. With it, the first validation character is predicted from a full
context like every other.

One function per kind of model, each exact (it equals :func:`reference_nats`, a slow loop that
feeds every position its context one at a time; the tests check this on tiny models):

* :func:`evaluate_ngram`: each token from its last ``order - 1`` tokens;
* :func:`evaluate_window`: each token from the ``window`` tokens before it (a model from
  ``(batch, window)`` ids to ``(batch, vocabulary)`` logits);
* :func:`evaluate_recurrent`: the prefix and the text as **one stream**, the state carried from the
  first token to the last (a model from ``(batch, time)`` ids to ``(batch, time, vocabulary)``);
* :func:`evaluate_transformer`: windows of ``context_length`` tokens that slide by ``stride``;
  each token is scored once, in the first window where it is among the last ``stride``
  positions, so it is predicted from at least ``context_length - stride + 1`` previous tokens.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from course.environment import quiet_tensorflow

DEFAULT_PREFIX_TOKENS = 512


@dataclass(frozen=True)
class HeldOutText:
    """The validation ids to score, their number of characters, and the context before them.

    Attributes:
        ids: token ids of the validation text, 1-D.
        characters: how many characters that text has (the denominator of nats per character).
        prefix: ids that precede the text in the corpus (the end of the training text): context
            only, never scored.

    Example:
        >>> held_out = HeldOutText.from_split([5, 6, 7, 8], [1, 2, 3], 3, prefix_tokens=2)
        >>> held_out.prefix.tolist(), held_out.ids.tolist()
        ([7, 8], [1, 2, 3])
    """

    ids: np.ndarray
    characters: int
    prefix: np.ndarray

    @classmethod
    def from_split(
        cls,
        train_ids: Any,
        validation_ids: Any,
        characters: int,
        prefix_tokens: int = DEFAULT_PREFIX_TOKENS,
    ) -> HeldOutText:
        """The validation ids with the last ``prefix_tokens`` training ids as their context.

        Args:
            train_ids: ids of the training text (only its end is kept).
            validation_ids: ids of the validation text, which follows it.
            characters: ``len(validation_text)``.
            prefix_tokens: how much context to keep; at least what the longest-sighted model
                to be compared can use (a Transformer's context length, an MLP's window).

        Returns:
            A :class:`HeldOutText`.
        """
        if isinstance(characters, bool) or not isinstance(characters, (int, np.integer)):
            raise TypeError(
                f"characters must be the number of characters of the validation text (an int), "
                f"got {characters!r}; pass len(validation_text)."
            )
        ids = _as_ids(validation_ids, "validation_ids")
        if len(ids) == 0 or characters < 1:
            raise ValueError("The validation text is empty: there is nothing to evaluate.")
        prefix = _as_ids(train_ids, "train_ids")
        prefix = prefix[len(prefix) - min(len(prefix), prefix_tokens) :]
        return cls(ids=ids, characters=int(characters), prefix=prefix)

    def stream(self) -> np.ndarray:
        """The prefix followed by the ids: the whole stream a model reads."""
        return np.concatenate([self.prefix, self.ids])


class PerCharacterLoss:
    """``perplexity_per_char`` and ``bits_per_char`` of anything with a ``nats_per_char``.

    Shared by :class:`Evaluation` and ``course.results.Result``, which provide ``nats_per_char``.
    """

    @property
    def perplexity_per_char(self) -> float:
        """``exp`` of the per-character loss."""
        return math.exp(self.nats_per_char)

    @property
    def bits_per_char(self) -> float:
        """The per-character loss in bits."""
        return self.nats_per_char / math.log(2)


@dataclass(frozen=True)
class Evaluation(PerCharacterLoss):
    """What one evaluation measured.

    Attributes:
        total_nats: the negative log-likelihood of all scored tokens, in nats.
        tokens: how many tokens were scored.
        characters: how many characters those tokens spell.
        context: in words, what context each token was predicted from.
    """

    total_nats: float
    tokens: int
    characters: int
    context: str

    @property
    def nats_per_char(self) -> float:
        """The results table's yardstick: nats per character."""
        return self.total_nats / self.characters

    @property
    def nats_per_token(self) -> float:
        """Nats per scored token (equal to per character for a character model)."""
        return self.total_nats / self.tokens

    def __str__(self) -> str:
        return (
            f"{self.nats_per_char:.4f} nats/char (perplexity {self.perplexity_per_char:.3f}) "
            f"over {self.characters:,} characters in {self.tokens:,} tokens; context: "
            f"{self.context}"
        )


def evaluate_ngram(model: Any, held_out: HeldOutText) -> Evaluation:
    """Score an n-gram model: each token from the ``order - 1`` tokens before it.

    Args:
        model: a fitted :class:`course.models.NGramLanguageModel`.
        held_out: the text to score and its prefix.

    Returns:
        An :class:`Evaluation`.

    Example:
        >>> from course.models import NGramLanguageModel
        >>> model = NGramLanguageModel(2, 3, k=1.0).fit([0, 1, 2] * 20)
        >>> held_out = HeldOutText.from_split([0, 1, 2], [0, 1, 2, 0], characters=4)
        >>> evaluate_ngram(model, held_out).nats_per_char < math.log(3)
        True
    """
    total = model.negative_log_likelihood(held_out.ids, context=held_out.prefix)
    order = model.order
    return Evaluation(total, len(held_out.ids), held_out.characters,
                      f"the previous {order - 1} tokens ({order}-gram)")


def evaluate_window(
    model: Any, held_out: HeldOutText, window: int, batch_size: int = 4096
) -> Evaluation:
    """Score a fixed-window model: each token from exactly the ``window`` tokens before it.

    Args:
        model: maps ``(batch, window)`` ids to ``(batch, vocabulary)`` logits.
        held_out: the text to score; its prefix must hold at least ``window`` ids.
        window: the model's context, in tokens.
        batch_size: windows per call of the model.

    Returns:
        An :class:`Evaluation`.
    """
    _check_positive(window, "window")
    _check_prefix(held_out, window, f"a fixed-window model sees exactly {window} tokens")
    stream = held_out.stream()
    start = len(held_out.prefix)
    # Row i is the context of stream[start + i]: stream[start + i - window : start + i].
    contexts = np.lib.stride_tricks.sliding_window_view(stream[start - window : -1], window)
    targets = stream[start:]
    total = 0.0
    for first in range(0, len(targets), batch_size):
        logits = _predict(model, contexts[first : first + batch_size])  # (batch, vocabulary)
        total += _sum_nll(logits, targets[first : first + batch_size])
    return Evaluation(total, len(targets), held_out.characters,
                      f"the previous {window} tokens (fixed window)")


def evaluate_recurrent(model: Any, held_out: HeldOutText) -> Evaluation:
    """Score a recurrent model on one stream: the state carried from the prefix through the text.

    Args:
        model: maps ``(batch, time)`` ids to ``(batch, time, vocabulary)`` logits, carrying its
            state along the time axis (a ``keras.layers.RNN`` with ``return_sequences=True``).
        held_out: the text to score and its prefix (which warms up the state).

    Returns:
        An :class:`Evaluation`.
    """
    stream = held_out.stream()
    if len(held_out.prefix) == 0:
        raise ValueError(
            "The recurrent evaluation needs at least one id before the text to predict its first "
            "token; build the HeldOutText with HeldOutText.from_split(train_ids, ...)."
        )
    logits = _predict(model, stream[None, :-1])[0]  # (time, vocabulary)
    start = len(held_out.prefix)
    total = _sum_nll(logits[start - 1 :], stream[start:])
    return Evaluation(total, len(held_out.ids), held_out.characters,
                      f"everything before it (one stream, state carried; "
                      f"{len(held_out.prefix)} tokens of warm-up)")


def evaluate_transformer(
    model: Any,
    held_out: HeldOutText,
    context_length: int,
    stride: int | None = None,
    batch_size: int = 32,
) -> Evaluation:
    """Score a model with a maximum context by sliding windows over the stream.

    Windows of ``context_length`` ids start every ``stride`` ids; a token is scored in the first
    window where it falls among the last ``stride`` positions, so every scored token is predicted
    from at least ``context_length - stride + 1`` previous tokens. ``stride = 1`` gives every
    token the full context, at the cost of one window per token; ``stride = context_length``
    gives non-overlapping windows.

    Args:
        model: maps ``(batch, time)`` ids, ``time <= context_length``, to
            ``(batch, time, vocabulary)`` logits.
        held_out: the text to score; its prefix must hold at least
            ``context_length - stride + 1`` ids.
        context_length: the longest input the model accepts.
        stride: how far the window slides; default half the context.
        batch_size: windows per call of the model.

    Returns:
        An :class:`Evaluation`.
    """
    _check_positive(context_length, "context_length")
    stride = context_length // 2 if stride is None else stride
    _check_positive(stride, "stride")
    if stride > context_length:
        raise ValueError(f"stride={stride} cannot exceed context_length={context_length}.")
    least = context_length - stride + 1
    _check_prefix(held_out, least, f"the first token needs {least} tokens of context before it")
    stream = held_out.stream()
    start = len(held_out.prefix)
    # The window whose last target is stream[e] reads stream[e - context_length : e]; its logits
    # at index i predict stream[e - context_length + i + 1]. It scores the targets that the
    # previous window did not: at most the last `stride`.
    ends = np.arange(start - 1 + stride, len(stream) - 1 + stride, stride)
    ends = np.minimum(ends, len(stream) - 1)
    total, scored = 0.0, 0
    for first in range(0, len(ends), batch_size):
        batch_ends = ends[first : first + batch_size]
        inputs = np.stack([stream[e - context_length : e] for e in batch_ends])
        logits = _predict(model, inputs)  # (batch, context_length, vocabulary)
        for row, e in enumerate(batch_ends):
            # the targets not yet scored by the previous window
            first_target = max(e - stride + 1, start + scored)
            count = e + 1 - first_target
            if count <= 0:
                continue
            total += _sum_nll(logits[row, context_length - count :], stream[first_target : e + 1])
            scored += count
    return Evaluation(total, scored, held_out.characters,
                      f"{least} to {context_length} previous tokens (sliding window of "
                      f"{context_length}, stride {stride})")


def reference_nats(
    log_probabilities: Callable[[Sequence[int]], Any],
    held_out: HeldOutText,
    context_limit: int | None = None,
) -> float:
    """The slow reference: total nats of the text, one position at a time.

    Args:
        log_probabilities: given the context ids (every id before the position, or the last
            ``context_limit`` of them), the log-probabilities of every next id.
        held_out: the text to score and its prefix.
        context_limit: the most ids of context to pass (``None``: all).

    Returns:
        The total negative log-likelihood of ``held_out.ids``, in nats.

    Example:
        >>> uniform = lambda context: np.log(np.full(4, 0.25))
        >>> held_out = HeldOutText.from_split([0], [1, 2, 3], characters=3)
        >>> round(reference_nats(uniform, held_out) / 3, 6) == round(math.log(4), 6)
        True
    """
    stream = held_out.stream().tolist()
    total = 0.0
    for t in range(len(held_out.prefix), len(stream)):
        context = stream[:t] if context_limit is None else stream[max(0, t - context_limit) : t]
        total -= float(np.asarray(log_probabilities(context))[stream[t]])
    return total


def _predict(model: Any, inputs: np.ndarray) -> np.ndarray:
    """The model's logits for one batch, compiled when the model is a Keras model."""
    inputs = np.ascontiguousarray(inputs, dtype=np.int32)
    if hasattr(model, "predict_on_batch"):
        return np.asarray(model.predict_on_batch(inputs), dtype=np.float64)
    return np.asarray(model(inputs, training=False), dtype=np.float64)


def _sum_nll(logits: Any, targets: Any) -> float:
    """Total cross-entropy of integer ``targets`` under ``logits`` (last axis: vocabulary)."""
    tf = quiet_tensorflow()
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.constant(np.asarray(targets), dtype=tf.int32),
        logits=tf.cast(tf.convert_to_tensor(logits), tf.float64),
    )
    return float(tf.reduce_sum(losses))


def _check_positive(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}.")


def _check_prefix(held_out: HeldOutText, needed: int, why: str) -> None:
    if len(held_out.prefix) < needed:
        raise ValueError(
            f"The prefix holds {len(held_out.prefix)} ids, but {why}: build the HeldOutText "
            f"with HeldOutText.from_split(train_ids, validation_ids, len(validation_text), "
            f"prefix_tokens={max(needed, DEFAULT_PREFIX_TOKENS)})."
        )


def _as_ids(ids: Any, name: str) -> np.ndarray:
    if hasattr(ids, "numpy"):
        ids = ids.numpy()
    array = np.asarray(ids)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of token ids, got shape {array.shape}.")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must hold integer token ids, got dtype {array.dtype}.")
    return array.astype(np.int32)
