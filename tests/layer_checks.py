"""One check that every layer of the kit passes the same way (imported by the layer tests)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np


def run_layer_test(
    layer: keras.layers.Layer,
    inputs: np.ndarray,
    expected_output_shape: tuple[int, ...],
    tmp_path: Path,
    expected_num_trainable_weights: int | None = None,
) -> None:
    """Shapes, weight count, config round trip, ``.keras`` save and load, and one ``fit`` step.

    Args:
        layer: a fresh layer.
        inputs: a batch it accepts (float features or integer ids).
        expected_output_shape: the shape of ``layer(inputs)``.
        tmp_path: where the ``.keras`` file may be written.
        expected_num_trainable_weights: how many trainable variables it should create.
    """
    output = layer(inputs)
    assert tuple(output.shape) == tuple(expected_output_shape)
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights

    clone = layer.__class__.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()

    model_input = keras.Input(inputs.shape[1:], dtype=str(inputs.dtype))
    model = keras.Model(model_input, layer.__class__.from_config(layer.get_config())(model_input))
    path = tmp_path / f"{layer.__class__.__name__}.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(inputs)),
        keras.ops.convert_to_numpy(reloaded(inputs)),
        atol=1e-6,
    )

    if model.trainable_weights:
        model.compile(optimizer="sgd", loss="mse")
        target = np.zeros(tuple(expected_output_shape), "float32")
        history = model.fit(inputs, target, epochs=1, batch_size=len(inputs), verbose=0)
        assert np.isfinite(history.history["loss"][0])
