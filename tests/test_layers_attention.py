"""Attention and position layers: equal to their Keras and keras-hub counterparts."""

from __future__ import annotations

import keras
import keras_hub
import numpy as np
import pytest
from keras import ops

from course.layers.attention import (
    MultiHeadAttention,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)
from course.layers.positions import (
    LearnedPositionEmbedding,
    RotaryEmbedding,
    SinusoidalPositionEncoding,
)
from tests.layer_checks import run_layer_test

RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.normal(size=shape).astype("float32")


def test_attention_weights_are_a_distribution_and_respect_the_causal_mask():
    q, k, v = _x(2, 5, 4), _x(2, 5, 4), _x(2, 5, 3)
    out, weights = scaled_dot_product_attention(q, k, v, causal_mask(5))
    weights = ops.convert_to_numpy(weights)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)
    assert np.all(weights[:, np.triu_indices(5, 1)[0], np.triu_indices(5, 1)[1]] < 1e-6)
    # the first query can only see the first key, so it returns the first value exactly
    np.testing.assert_allclose(ops.convert_to_numpy(out)[:, 0], v[:, 0], atol=1e-6)


def test_padding_mask_hides_padding_keys():
    ids = np.array([[3, 4, 0, 0]])
    q = k = v = _x(1, 4, 2)
    _, weights = scaled_dot_product_attention(q, k, v, padding_mask(ids))
    assert np.all(ops.convert_to_numpy(weights)[0, :, 2:] < 1e-6)


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_equals_keras(causal):
    ours = MultiHeadAttention(num_heads=3, key_dim=4, use_causal_mask=causal)
    theirs = keras.layers.MultiHeadAttention(num_heads=3, key_dim=4)
    x = _x(2, 6, 8)
    ours(x, x)
    theirs(x, x)
    ours.set_weights(theirs.get_weights())
    expected = theirs(x, x, use_causal_mask=causal)
    np.testing.assert_allclose(ops.convert_to_numpy(ours(x, x)), expected, atol=1e-5)


def test_multi_head_attention_cross_attention_and_mask_equal_keras():
    ours = MultiHeadAttention(num_heads=2, key_dim=3)
    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    query, source = _x(2, 4, 6), _x(2, 7, 5)
    mask = RNG.random((2, 4, 7)) > 0.3
    mask[..., 0] = True
    ours(query, source)
    theirs(query, source)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(
        ops.convert_to_numpy(ours(query, source, attention_mask=mask)),
        theirs(query, source, attention_mask=mask),
        atol=1e-5,
    )


def test_multi_head_attention_layer_contract(tmp_path):
    run_layer_test(MultiHeadAttention(2, 4, use_causal_mask=True), _x(3, 5, 8), (3, 5, 8),
                   tmp_path, expected_num_trainable_weights=8)


def test_sinusoidal_encoding_equals_keras_hub(tmp_path):
    x = _x(2, 7, 10)
    expected = keras_hub.layers.SinePositionEncoding()(x)
    np.testing.assert_allclose(
        ops.convert_to_numpy(SinusoidalPositionEncoding()(x)), expected, atol=1e-5
    )
    run_layer_test(SinusoidalPositionEncoding(), x, (2, 7, 10), tmp_path, 0)


def test_rotary_embedding_equals_keras_hub(tmp_path):
    x = _x(2, 7, 3, 8)  # (batch, time, heads, head_dim)
    expected = keras_hub.layers.RotaryEmbedding()(x)
    np.testing.assert_allclose(ops.convert_to_numpy(RotaryEmbedding()(x)), expected, atol=1e-5)
    run_layer_test(RotaryEmbedding(), x, (2, 7, 3, 8), tmp_path, 0)


def test_rotary_scores_depend_only_on_distance():
    rope = RotaryEmbedding()
    q, k = np.tile(_x(1, 1, 8), (1, 9, 1)), np.tile(_x(1, 1, 8), (1, 9, 1))
    rq, rk = ops.convert_to_numpy(rope(q))[0], ops.convert_to_numpy(rope(k))[0]
    assert rq[5] @ rk[3] == pytest.approx(rq[4] @ rk[2], rel=1e-4)
    assert rq[5] @ rk[3] != pytest.approx(rq[5] @ rk[1], rel=1e-3)


def test_learned_positions_refuse_a_sequence_longer_than_the_context(tmp_path):
    layer = LearnedPositionEmbedding(sequence_length=4)
    with pytest.raises(ValueError, match="context length"):
        layer(_x(1, 6, 3))
    run_layer_test(LearnedPositionEmbedding(sequence_length=8), _x(2, 5, 3), (2, 5, 3),
                   tmp_path, 1)
