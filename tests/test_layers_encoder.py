"""The bidirectional encoder block (chapter 08) and the skeleton it shares with the decoder."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from course.layers import DecoderBlock, EncoderBlock, TransformerBlock
from tests.layer_checks import run_layer_test


def _x(seed: int = 0, shape=(2, 6, 8)) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize("normalize_first", [True, False])
def test_encoder_block_contract(tmp_path, normalize_first):
    block = EncoderBlock(num_heads=2, intermediate_dim=16, normalize_first=normalize_first)
    run_layer_test(block, _x(), (2, 6, 8), tmp_path, 16)
    assert block.get_config()["normalize_first"] is normalize_first


def test_encoder_and_decoder_share_one_skeleton():
    assert issubclass(EncoderBlock, TransformerBlock) and issubclass(DecoderBlock, TransformerBlock)
    encoder, decoder = EncoderBlock(2, 16), DecoderBlock(2, 16)
    encoder.build((None, 6, 8))
    decoder.build((None, 6, 8))
    assert [w.shape for w in encoder.weights] == [w.shape for w in decoder.weights]
    # the same weights give the same output where the causal mask changes nothing: the last
    # position sees the whole sequence in both; earlier positions differ
    decoder.set_weights(encoder.get_weights())
    x = _x(1)
    ours, causal = ops.convert_to_numpy(encoder(x)), ops.convert_to_numpy(decoder(x))
    np.testing.assert_allclose(ours[:, -1], causal[:, -1], atol=1e-5)
    assert np.abs(ours[:, 0] - causal[:, 0]).max() > 1e-3


def test_encoder_block_is_bidirectional():
    block = EncoderBlock(num_heads=2, intermediate_dim=16)
    x = _x(2, (1, 6, 8))
    changed = x.copy()
    changed[0, 4:] = _x(5, (2, 8))  # change only the later positions
    a, b = ops.convert_to_numpy(block(x)), ops.convert_to_numpy(block(changed))
    assert np.abs(a[0, :4] - b[0, :4]).max() > 1e-3  # earlier positions see the change


def test_padding_mask_hides_padded_keys():
    block = EncoderBlock(num_heads=2, intermediate_dim=16)
    x = _x(3, (1, 6, 8))
    mask = np.array([[1, 1, 1, 1, 0, 0]])
    changed = x.copy()
    changed[0, 4:] = 7.0  # whatever sits at padded positions
    a = ops.convert_to_numpy(block(x, padding_mask=mask))
    b = ops.convert_to_numpy(block(changed, padding_mask=mask.astype(bool)))
    np.testing.assert_allclose(a[0, :4], b[0, :4], atol=1e-5)
    # equal to running the real tokens alone
    alone = ops.convert_to_numpy(block(x[:, :4]))
    np.testing.assert_allclose(a[0, :4], alone[0], atol=1e-5)


def test_padding_mask_of_the_wrong_shape_is_refused():
    block = EncoderBlock(num_heads=2, intermediate_dim=16)
    with pytest.raises(ValueError, match="padding_mask must have shape"):
        block(_x(), padding_mask=np.ones((2, 1, 6)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_heads": 0, "intermediate_dim": 16}, "must be positive"),
        ({"num_heads": 2, "intermediate_dim": 16, "dropout": 1.0}, "dropout"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EncoderBlock(**kwargs)


def test_width_must_divide_into_heads():
    with pytest.raises(ValueError, match="divisible by num_heads=3"):
        EncoderBlock(num_heads=3, intermediate_dim=16)(_x())


@pytest.mark.parametrize("normalize_first", [True, False])
def test_encoder_block_equals_keras_hub(normalize_first):
    import keras_hub

    block = EncoderBlock(2, 16, layer_norm_epsilon=1e-6, normalize_first=normalize_first)
    x = _x(4)
    mask = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])
    ours = ops.convert_to_numpy(block(x, padding_mask=mask))
    hub = keras_hub.layers.TransformerEncoder(
        intermediate_dim=16,
        num_heads=2,
        activation=lambda t: keras.activations.gelu(t, approximate=True),
        layer_norm_epsilon=1e-6,
        normalize_first=normalize_first,
    )
    hub(x)
    hub.set_weights(block.keras_hub_weights())
    theirs = ops.convert_to_numpy(hub(x, padding_mask=mask))
    np.testing.assert_allclose(ours[0], theirs[0], atol=1e-5)
    np.testing.assert_allclose(ours[1, :3], theirs[1, :3], atol=1e-5)  # real tokens only
