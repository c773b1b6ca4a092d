"""The gated cells of course.layers.gated against Keras' LSTM and GRU, and as Keras layers."""

from __future__ import annotations

import numpy as np
import pytest

from course.environment import quiet_tensorflow

quiet_tensorflow()
import keras  # noqa: E402

from course.layers.gated import GRUCell, LSTMCell  # noqa: E402
from tests.layer_checks import run_layer_test  # noqa: E402

BATCH, TIME, FEATURES, HIDDEN = 3, 7, 5, 4

# (our cell, the Keras layer with the same equations, number of states)
PAIRS = {
    "lstm": (lambda: LSTMCell(HIDDEN), lambda **kw: keras.layers.LSTM(HIDDEN, **kw), 2),
    "gru": (lambda: GRUCell(HIDDEN), lambda **kw: keras.layers.GRU(HIDDEN, **kw), 1),
    "gru_reset_before": (
        lambda: GRUCell(HIDDEN, reset_after=False),
        lambda **kw: keras.layers.GRU(HIDDEN, reset_after=False, **kw),
        1,
    ),
}


def _inputs(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(BATCH, TIME, FEATURES)).astype("float32")


def _randomize(layer: keras.layers.Layer, seed: int = 1) -> None:
    """Give every weight (the biases too) random values, so no gate block hides behind a zero."""
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                       for w in layer.get_weights()])


@pytest.mark.parametrize("kind", sorted(PAIRS))
def test_same_numbers_as_keras_with_the_same_weights(kind):
    make_cell, make_reference, number_of_states = PAIRS[kind]
    x = _inputs()
    reference = make_reference(return_sequences=True, return_state=True)
    ours = keras.layers.RNN(make_cell(), return_sequences=True, return_state=True)
    reference_out = reference(x)
    ours(x)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in reference.get_weights()]
    _randomize(reference)
    ours.set_weights(reference.get_weights())
    reference_out, ours_out = reference(x), ours(x)
    assert len(ours_out) == len(reference_out) == 1 + number_of_states
    for got, want in zip(ours_out, reference_out, strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-5, rtol=0)
    # The last output is the final h.
    np.testing.assert_allclose(np.asarray(ours_out[0])[:, -1], np.asarray(ours_out[1]), atol=1e-7)


@pytest.mark.parametrize("kind", sorted(PAIRS))
def test_weights_copy_back_to_keras(kind):
    make_cell, make_reference, _ = PAIRS[kind]
    x = _inputs(2)
    ours, reference = keras.layers.RNN(make_cell()), make_reference()
    ours(x), reference(x)
    _randomize(ours, seed=3)
    reference.set_weights(ours.get_weights())
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(reference(x)), atol=1e-5, rtol=0)


def test_parameter_counts():
    def count(cell):
        layer = keras.layers.RNN(cell)
        layer(_inputs())
        return sum(int(np.prod(w.shape)) for w in layer.weights)

    assert count(LSTMCell(HIDDEN)) == 4 * (FEATURES * HIDDEN + HIDDEN * HIDDEN + HIDDEN)
    assert count(GRUCell(HIDDEN)) == 3 * (FEATURES * HIDDEN + HIDDEN * HIDDEN + 2 * HIDDEN)
    assert count(GRUCell(HIDDEN, reset_after=False)) == 3 * (
        FEATURES * HIDDEN + HIDDEN * HIDDEN + HIDDEN
    )


def test_lstm_forget_bias_starts_at_one():
    layer = keras.layers.RNN(LSTMCell(HIDDEN))
    layer(_inputs())
    bias = layer.get_weights()[2]
    np.testing.assert_array_equal(bias[HIDDEN : 2 * HIDDEN], 1.0)
    np.testing.assert_array_equal(np.delete(bias, np.s_[HIDDEN : 2 * HIDDEN]), 0.0)
    plain = keras.layers.RNN(LSTMCell(HIDDEN, unit_forget_bias=False))
    plain(_inputs())
    np.testing.assert_array_equal(plain.get_weights()[2], 0.0)


@pytest.mark.parametrize(
    "cell",
    [LSTMCell(HIDDEN, unit_forget_bias=False, name="memory"), GRUCell(HIDDEN, reset_after=False)],
    ids=["lstm", "gru"],
)
def test_config_round_trip(cell):
    config = cell.get_config()
    clone = type(cell).from_config(config)
    assert clone.get_config() == config
    assert keras.saving.get_registered_name(type(cell)) == f"course>{type(cell).__name__}"


@pytest.mark.parametrize("kind", ["lstm", "gru", "gru_reset_before"])
def test_the_shared_layer_check(kind, tmp_path):
    make_cell, _, _ = PAIRS[kind]
    layer = keras.layers.RNN(make_cell(), return_sequences=True)
    run_layer_test(layer, _inputs(), (BATCH, TIME, HIDDEN), tmp_path,
                   expected_num_trainable_weights=3)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_keras_file_keeps_the_cell_and_its_weights(kind, tmp_path):
    make_cell, _, _ = PAIRS[kind]
    model = keras.Sequential([keras.Input((TIME, FEATURES)), keras.layers.RNN(make_cell()),
                              keras.layers.Dense(2)])
    _randomize(model, seed=4)
    path = tmp_path / f"{kind}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.layers[0].cell) is type(model.layers[0].cell)
    x = _inputs(5)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6, rtol=0)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_one_training_step_changes_every_weight(kind):
    make_cell, _, _ = PAIRS[kind]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((TIME,), dtype="int32"), keras.layers.Embedding(9, 6),
                              keras.layers.RNN(make_cell(), return_sequences=True),
                              keras.layers.Dense(9)])
    model.compile(optimizer=keras.optimizers.SGD(0.1),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(0).integers(0, 9, size=(BATCH, TIME + 1))
    before = [w.copy() for w in model.layers[1].get_weights()]
    history = model.fit(x[:, :-1], x[:, 1:], batch_size=BATCH, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for old, new in zip(before, model.layers[1].get_weights(), strict=True):
        assert not np.allclose(old, new)


@pytest.mark.parametrize("cell_class", [LSTMCell, GRUCell])
@pytest.mark.parametrize("hidden_dim", [0, -3, 2.5, True, "8"])
def test_bad_hidden_dim_is_refused(cell_class, hidden_dim):
    with pytest.raises(ValueError, match="hidden_dim must be a positive int"):
        cell_class(hidden_dim)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_one_step_by_hand_equals_the_first_step_of_the_sequence(kind):
    make_cell, _, number_of_states = PAIRS[kind]
    cell = make_cell()
    layer = keras.layers.RNN(cell, return_sequences=True)
    x = _inputs(6)
    sequence = np.asarray(layer(x))
    state = cell.get_initial_state(batch_size=BATCH)
    assert len(state) == number_of_states
    for t in range(2):  # two steps, carrying the state by hand (as generation does)
        output, state = cell(x[:, t], state)
        np.testing.assert_allclose(np.asarray(output), sequence[:, t], atol=1e-6, rtol=0)
