"""The scratch recurrent cell of course.layers.recurrent against keras.layers.SimpleRNN."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from course.layers import SimpleRNNCell
from tests.layer_checks import run_layer_test

RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.normal(size=shape).astype("float32")


def _pair(hidden_dim, **kwargs):
    """A Keras SimpleRNN and an RNN over our cell, holding the same weights."""
    keras.utils.set_random_seed(0)
    reference = keras.layers.SimpleRNN(hidden_dim, return_sequences=True, return_state=True,
                                       **kwargs)
    ours = keras.layers.RNN(SimpleRNNCell(hidden_dim, **kwargs), return_sequences=True,
                            return_state=True)
    inputs = _x(3, 7, 5)
    reference(inputs)
    ours(inputs)
    # Random biases, so that a cell which forgot the bias would fail.
    weights = [w + 0.1 * _x(*w.shape) for w in reference.get_weights()]
    reference.set_weights(weights)
    ours.set_weights(weights)
    return reference, ours, inputs


@pytest.mark.parametrize("kwargs", [{}, {"activation": "relu"}, {"use_bias": False}])
def test_equal_to_keras_simple_rnn_with_the_same_weights(kwargs):
    reference, ours, inputs = _pair(6, **kwargs)
    initial = _x(3, 6)
    expected_sequence, expected_state = reference(inputs, initial_state=[initial])
    sequence, state = ours(inputs, initial_state=[initial])
    np.testing.assert_allclose(np.asarray(sequence), np.asarray(expected_sequence), atol=1e-5)
    np.testing.assert_allclose(np.asarray(state), np.asarray(expected_state), atol=1e-5)


def test_one_step_is_the_equation():
    cell = SimpleRNNCell(4)
    x, h = _x(2, 3), _x(2, 4)
    output, [state] = cell(x, [h])
    kernel, recurrent_kernel, bias = (np.asarray(w) for w in cell.get_weights())
    expected = np.tanh(x @ kernel + h @ recurrent_kernel + bias)
    np.testing.assert_allclose(np.asarray(output), expected, atol=1e-6)
    np.testing.assert_allclose(np.asarray(state), expected, atol=1e-6)


def test_weights_shapes_and_count():
    cell = SimpleRNNCell(4)
    keras.layers.RNN(cell)(_x(2, 6, 3))
    assert [tuple(w.shape) for w in cell.weights] == [(3, 4), (4, 4), (4,)]
    assert sum(int(np.prod(w.shape)) for w in cell.weights) == 3 * 4 + 4 * 4 + 4


def test_layer_checks_config_saving_and_fit(tmp_path):
    layer = keras.layers.RNN(SimpleRNNCell(4, activation="relu"), return_sequences=True)
    run_layer_test(layer, _x(2, 5, 3), (2, 5, 4), tmp_path, expected_num_trainable_weights=3)


def test_config_round_trip_keeps_every_argument():
    cell = SimpleRNNCell(5, activation=None, use_bias=False, recurrent_initializer="zeros",
                         name="cell")
    clone = SimpleRNNCell.from_config(cell.get_config())
    assert clone.get_config() == cell.get_config()
    assert (clone.hidden_dim, clone.use_bias, clone.name) == (5, False, "cell")
    assert clone.activation is keras.activations.linear


def test_saved_model_reloads_as_our_cell(tmp_path):
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(10, 4)(inputs)
    x = keras.layers.RNN(SimpleRNNCell(6), return_sequences=True)(x)
    model = keras.Model(inputs, keras.layers.Dense(10)(x))
    ids = RNG.integers(0, 10, size=(2, 9)).astype("int32")
    path = tmp_path / "char_rnn.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert isinstance(reloaded.layers[2].cell, SimpleRNNCell)
    np.testing.assert_allclose(np.asarray(reloaded(ids)), np.asarray(model(ids)), atol=1e-6)


@pytest.mark.parametrize("hidden_dim", [0, -3, 2.5, True, "8"])
def test_bad_hidden_dim_is_a_clear_error(hidden_dim):
    with pytest.raises(ValueError, match="hidden_dim must be a positive int"):
        SimpleRNNCell(hidden_dim)


def test_initial_state_is_zero():
    [state] = SimpleRNNCell(3).get_initial_state(batch_size=2)
    np.testing.assert_array_equal(np.asarray(state), np.zeros((2, 3)))
