"""Masked language modelling: the 80/10/10 corruption, the loss on chosen positions only."""

from __future__ import annotations

import numpy as np
import pytest
from keras import ops

from course.pretraining import mask_tokens, masked_accuracy, masked_lm_loss

VOCABULARY, PAD, CLS, SEP, MASK = 50, 0, 2, 3, 4
SPECIAL = (PAD, CLS, SEP)


def _batch(seed: int = 0, batch: int = 400, time: int = 64) -> np.ndarray:
    """Sequences ``[CLS] ... [SEP] ... [SEP] [PAD]...`` of ordinary ids 5..49."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, VOCABULARY, (batch, time))
    ids[:, 0] = CLS
    ids[:, time // 2] = SEP
    ids[:, -8] = SEP
    ids[:, -7:] = PAD
    return ids


def _mask(ids, seed=1, **kwargs):
    return mask_tokens(ids, vocabulary_size=VOCABULARY, mask_id=MASK, special_ids=SPECIAL,
                       rng=np.random.default_rng(seed), **kwargs)


def test_proportions_on_a_large_sample():
    ids = _batch()
    out = _mask(ids)
    ordinary = ~np.isin(ids, SPECIAL)
    chosen = out.weights.astype(bool)
    n_chosen = chosen.sum()
    # 400 x 54 = 21,600 selectable positions: the standard error of 15% is 0.24%
    assert abs(n_chosen / ordinary.sum() - 0.15) < 0.01
    masked = (out.inputs == MASK) & chosen
    changed = (out.inputs != ids) & chosen & ~masked
    kept = (out.inputs == ids) & chosen
    assert abs(masked.sum() / n_chosen - 0.8) < 0.02
    # a random draw equals the original 1 time in 45, so "changed" is a little under 10%
    assert abs(changed.sum() / n_chosen - 0.1 * 44 / 45) < 0.015
    assert abs(kept.sum() / n_chosen - (0.1 + 0.1 / 45)) < 0.015


def test_special_tokens_are_never_chosen_or_drawn():
    ids = _batch(2)
    out = _mask(ids, selection_rate=0.9, random_rate=0.5, mask_rate=0.2)
    special = np.isin(ids, SPECIAL)
    assert not out.weights[special].any()
    np.testing.assert_array_equal(out.inputs[special], ids[special])
    drawn = out.inputs[(out.weights > 0) & (out.inputs != MASK)]
    assert not np.isin(drawn, SPECIAL).any()
    assert drawn.size > 1000


def test_unchosen_positions_are_untouched_and_targets_are_the_originals():
    ids = _batch(3)
    out = _mask(ids)
    unchosen = out.weights == 0
    np.testing.assert_array_equal(out.inputs[unchosen], ids[unchosen])
    np.testing.assert_array_equal(out.targets, ids)


def test_choices_change_from_call_to_call_and_repeat_with_a_seed():
    ids = _batch(4, batch=8)
    rng = np.random.default_rng(0)
    first = mask_tokens(ids, vocabulary_size=VOCABULARY, mask_id=MASK, special_ids=SPECIAL,
                        rng=rng)
    second = mask_tokens(ids, vocabulary_size=VOCABULARY, mask_id=MASK, special_ids=SPECIAL,
                         rng=rng)
    assert not np.array_equal(first.weights, second.weights)
    np.testing.assert_array_equal(first.inputs, _mask(ids, seed=0).inputs)


def test_the_loss_ignores_every_unchosen_position():
    ids = _batch(5, batch=4, time=16)
    out = _mask(ids, selection_rate=0.5)
    logits = np.random.default_rng(6).normal(size=(4, 16, VOCABULARY)).astype("float32")
    loss = float(masked_lm_loss(out.targets, logits, out.weights))
    garbled = logits.copy()
    garbled[out.weights == 0] = 100.0 * np.random.default_rng(7).normal(
        size=(int((out.weights == 0).sum()), VOCABULARY))
    assert float(masked_lm_loss(out.targets, garbled, out.weights)) == pytest.approx(loss, 1e-6)
    # it is the mean over the chosen positions, computed by hand
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    by_hand = -np.take_along_axis(log_p, ids[..., None], -1)[..., 0][out.weights > 0].mean()
    assert loss == pytest.approx(by_hand, 1e-5)


def test_masked_accuracy_counts_chosen_positions_only():
    targets = np.array([[1, 2, 3, 4]])
    logits = ops.one_hot(np.array([[1, 0, 3, 0]]), 5)
    assert masked_accuracy(targets, logits, [[1, 1, 1, 0]]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="No position is chosen"):
        masked_accuracy(targets, logits, [[0, 0, 0, 0]])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"token_ids": [[1.5, 2.0]]}, "integer ids"),
        ({"token_ids": [[1, 99]]}, r"must lie in \[0, 50\)"),
        ({"selection_rate": 1.5}, "selection_rate must be between 0 and 1"),
        ({"mask_rate": 0.8, "random_rate": 0.3}, "at most 1"),
        ({"mask_id": 60}, "mask_id=60"),
    ],
)
def test_bad_input_is_refused_with_a_reason(kwargs, message):
    arguments = {"token_ids": [[5, 6, 7]], "vocabulary_size": VOCABULARY, "mask_id": MASK,
                 "special_ids": SPECIAL, "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(ValueError, match=message):
        mask_tokens(**arguments)
