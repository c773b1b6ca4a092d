"""Masked language modelling (chapter 08): the corruption rule, the loss and the accuracy.

An encoder sees the whole sentence, so "predict the next token" would be trivial for it (the
token is in its input). BERT hides some tokens instead and asks for them back:

1. choose each non-special position with probability ``selection_rate`` (15%);
2. of the chosen positions, replace 80% by ``[MASK]``, 10% by a random token, and leave 10% as
   they are;
3. score the model only at the chosen positions (cross-entropy against the original token).

Why the 10% and 10%: ``[MASK]`` never occurs in fine-tuning text. If every chosen token were
``[MASK]``, the model could learn "predict only where I see ``[MASK]``, copy everywhere else", and
its representation of an ordinary token would not have to carry a guess about that token. Random
and unchanged tokens at chosen positions mean that any input token might be wrong, so the model
keeps a useful representation at every position.

The masking runs in NumPy on a batch of ids (new choices at every call: "dynamic" masking).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
from keras import ops


class MaskedTokens(NamedTuple):
    """A batch corrupted for masked language modelling.

    Attributes:
        inputs: ``(batch, time)`` ids the model sees (some replaced).
        targets: ``(batch, time)`` the original ids.
        weights: ``(batch, time)`` float32, 1 at the chosen positions (the only ones scored).
    """

    inputs: np.ndarray
    targets: np.ndarray
    weights: np.ndarray


def mask_tokens(
    token_ids: Any,
    *,
    vocabulary_size: int,
    mask_id: int,
    special_ids: Iterable[int],
    rng: np.random.Generator,
    selection_rate: float = 0.15,
    mask_rate: float = 0.8,
    random_rate: float = 0.1,
) -> MaskedTokens:
    """Corrupt a batch of token ids for masked language modelling (BERT's 80/10/10 rule).

    Each non-special position is chosen with probability ``selection_rate``. A chosen position
    becomes ``mask_id`` with probability ``mask_rate``, a random non-special id with probability
    ``random_rate`` (it may, rarely, draw the original token), and keeps its token otherwise.
    Special ids (padding, ``[CLS]``, ``[SEP]``, ``[MASK]``) are never chosen and never drawn as
    random replacements.

    Args:
        token_ids: ``(batch, time)`` or ``(time,)`` integer ids.
        vocabulary_size: number of ids; random replacements are drawn below it.
        mask_id: the id of ``[MASK]``.
        special_ids: ids that must never be chosen (``mask_id`` is added to them).
        rng: the NumPy generator that makes the choices.
        selection_rate: share of non-special positions chosen (0.15 in BERT).
        mask_rate: share of chosen positions replaced by ``[MASK]`` (0.8).
        random_rate: share of chosen positions replaced by a random token (0.1); the rest
            (``1 - mask_rate - random_rate``) keep their token.

    Returns:
        A :class:`MaskedTokens` with arrays of the input's shape.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> batch = mask_tokens([[2, 7, 8, 9, 3, 0]], vocabulary_size=10, mask_id=4,
        ...                     special_ids=[0, 2, 3], rng=rng, selection_rate=0.5)
        >>> batch.targets.tolist(), batch.weights.tolist()
        ([[2, 7, 8, 9, 3, 0]], [[0.0, 1.0, 1.0, 1.0, 0.0, 0.0]])
        >>> batch.inputs.tolist()  # the third chosen token (9) happened to stay as it was
        [[2, 4, 4, 9, 3, 0]]
    """
    ids = np.asarray(token_ids)
    if ids.ndim not in (1, 2) or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            f"token_ids must be integer ids of shape (time,) or (batch, time), got shape "
            f"{ids.shape} and dtype {ids.dtype}."
        )
    for name, rate in (("selection_rate", selection_rate), ("mask_rate", mask_rate),
                       ("random_rate", random_rate)):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {rate}.")
    if mask_rate + random_rate > 1.0:
        raise ValueError(
            f"mask_rate + random_rate must be at most 1 (the rest keep their token), got "
            f"{mask_rate} + {random_rate}."
        )
    special = np.unique(np.array([*special_ids, mask_id], dtype=np.int64))
    if not 0 <= mask_id < vocabulary_size:
        raise ValueError(f"mask_id={mask_id} is not an id below vocabulary_size={vocabulary_size}.")
    ordinary = np.setdiff1d(np.arange(vocabulary_size), special)
    if ordinary.size == 0:
        raise ValueError("Every id is special: there is no ordinary token to draw at random.")
    if ids.size and (ids.min() < 0 or ids.max() >= vocabulary_size):
        raise ValueError(
            f"token_ids must lie in [0, {vocabulary_size}), found {ids.min()} to {ids.max()}."
        )

    selectable = ~np.isin(ids, special)
    chosen = selectable & (rng.random(ids.shape) < selection_rate)
    action = rng.random(ids.shape)  # one draw decides mask / random / keep
    to_mask = chosen & (action < mask_rate)
    to_random = chosen & (action >= mask_rate) & (action < mask_rate + random_rate)
    inputs = ids.copy()
    inputs[to_mask] = mask_id
    inputs[to_random] = rng.choice(ordinary, size=int(to_random.sum()))
    return MaskedTokens(inputs, ids.copy(), chosen.astype(np.float32))


def masked_lm_loss(targets: Any, logits: Any, weights: Any) -> Any:
    """Mean cross-entropy over the chosen positions only.

    The sum of the per-position losses times ``weights``, divided by the sum of ``weights`` (not
    by the number of positions: dividing by all positions would shrink the loss by the selection
    rate and change with the amount of padding).

    Args:
        targets: ``(batch, time)`` original ids.
        logits: ``(batch, time, vocabulary)``.
        weights: ``(batch, time)``, 1 where the position was chosen, 0 elsewhere.

    Returns:
        A scalar tensor (nats per chosen token).

    Example:
        >>> logits = np.log(np.array([[[0.5, 0.5], [0.9, 0.1]]], "float32"))
        >>> round(float(masked_lm_loss([[0, 0]], logits, [[1.0, 0.0]])), 4)  # ln 2
        0.6931
    """
    weights = ops.cast(ops.convert_to_tensor(weights), "float32")
    losses = ops.sparse_categorical_crossentropy(
        ops.convert_to_tensor(targets), ops.cast(logits, "float32"), from_logits=True
    )  # (batch, time)
    return ops.sum(losses * weights) / ops.maximum(ops.sum(weights), 1.0)


def masked_accuracy(targets: Any, logits: Any, weights: Any) -> float:
    """Share of the chosen positions where the most likely id is the original token.

    Args:
        targets: ``(batch, time)`` original ids.
        logits: ``(batch, time, vocabulary)``.
        weights: ``(batch, time)``, 1 where scored.

    Returns:
        A float in [0, 1].

    Example:
        >>> logits = np.array([[[2.0, 0.0], [2.0, 0.0], [0.0, 2.0]]])
        >>> masked_accuracy([[0, 1, 1]], logits, [[1, 1, 0]])
        0.5
    """
    weights = np.asarray(ops.convert_to_numpy(weights), dtype=np.float64)
    if weights.sum() == 0:
        raise ValueError("No position is chosen (all weights are 0): there is nothing to score.")
    predicted = np.argmax(ops.convert_to_numpy(logits), axis=-1)
    correct = predicted == np.asarray(ops.convert_to_numpy(targets))
    return float((correct * weights).sum() / weights.sum())
