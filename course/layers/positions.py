"""Position information for attention (chapter 06): sinusoidal, learned and rotary.

Attention by itself does not know the order of its inputs (permuting them permutes its outputs
the same way). These layers put position back in: by adding a vector per position to the token
embeddings (sinusoidal, learned), or by rotating queries and keys by an angle that grows with
position (rotary).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="course")
class SinusoidalPositionEncoding(keras.layers.Layer):
    """The fixed encoding of "Attention Is All You Need", returned for the inputs' positions.

    For position ``p`` and feature ``i`` (``d`` features in all), with ``w = 1/max_wavelength``:
    ``PE[p, i] = sin(p * w^(2*(i//2)/d))`` for even ``i`` and ``cos(...)`` for odd ``i``.

    Args:
        max_wavelength: the longest wavelength, ``10000`` in the paper.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> import numpy as np
        >>> pe = SinusoidalPositionEncoding()(np.zeros((1, 3, 4), "float32"))
        >>> np.round(ops.convert_to_numpy(pe)[0, 1], 3)
        array([0.841, 0.54 , 0.01 , 1.   ], dtype=float32)
    """

    def __init__(self, max_wavelength: float = 10000.0, **kwargs):
        super().__init__(**kwargs)
        self.max_wavelength = max_wavelength

    def call(self, inputs, start_index=0):
        length, width = ops.shape(inputs)[-2], ops.shape(inputs)[-1]
        positions = ops.cast(ops.arange(length) + start_index, self.compute_dtype)  # (time,)
        features = ops.arange(width)
        exponent = ops.cast(2 * (features // 2), self.compute_dtype) / ops.cast(
            width, self.compute_dtype
        )
        rates = ops.power(ops.cast(1.0 / self.max_wavelength, self.compute_dtype), exponent)
        angles = positions[:, None] * rates[None, :]  # (time, features)
        is_even = ops.equal(features % 2, 0)
        encoding = ops.where(is_even[None, :], ops.sin(angles), ops.cos(angles))
        return ops.broadcast_to(encoding, ops.shape(inputs))

    def get_config(self):
        config = super().get_config()
        config.update({"max_wavelength": self.max_wavelength})
        return config


def check_positions(length: Any, start: Any, capacity: int, what: str, fix: str) -> None:
    """Raise a clear error when positions ``start`` to ``start + length`` go past ``capacity``.

    Symbolic sizes (a tensor while tracing) are not checked: the shapes then say nothing yet.

    Args:
        length: the number of positions asked for.
        start: the first position.
        capacity: how many positions there are.
        what: what has ``capacity`` positions, for the message (``"this layer's embeddings"``).
        fix: what to do about it, for the message.

    Example:
        >>> check_positions(5, 3, 8, "the model's context", "Keep the last 8 tokens.")
        >>> check_positions(6, 3, 8, "the model's context", "Keep the last 8 tokens.")
        Traceback (most recent call last):
        ...
        ValueError: The input has 6 positions (from position 3), but the model's context is 8 ...
    """
    if isinstance(length, int) and isinstance(start, int) and length + start > capacity:
        raise ValueError(
            f"The input has {length} positions (from position {start}), but {what} is "
            f"{capacity} tokens long. {fix}"
        )


@keras.saving.register_keras_serializable(package="course")
class LearnedPositionEmbedding(keras.layers.Layer):
    """One trainable vector per position, up to ``sequence_length`` positions.

    Args:
        sequence_length: the largest number of positions (the model's context length).
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> import numpy as np
        >>> layer = LearnedPositionEmbedding(sequence_length=8)
        >>> tuple(layer(np.zeros((2, 5, 4), "float32")).shape)
        (2, 5, 4)
    """

    def __init__(self, sequence_length: int, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = sequence_length

    def build(self, input_shape):
        self.position_embeddings = self.add_weight(
            name="position_embeddings",
            shape=(self.sequence_length, int(input_shape[-1])),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
        )

    def call(self, inputs, start_index=0):
        length = ops.shape(inputs)[-2]
        check_positions(
            length, start_index, self.sequence_length, "this layer's table of positions",
            "Shorten the input to the model's context length, or build the model with a larger "
            "sequence_length.",
        )
        table = ops.slice(self.position_embeddings, (start_index, 0), (length, ops.shape(
            self.position_embeddings)[-1]))
        return ops.broadcast_to(table, ops.shape(inputs))

    def get_config(self):
        config = super().get_config()
        config.update({"sequence_length": self.sequence_length})
        return config


@keras.saving.register_keras_serializable(package="course")
class RotaryEmbedding(keras.layers.Layer):
    """Rotary position embedding (RoPE): rotate feature pairs by a position-dependent angle.

    Feature ``j`` of the first half is paired with feature ``j + d/2``; the pair at position
    ``p`` is rotated by ``p * max_wavelength^(-2j/d)``. Applied to queries and keys, it makes
    their dot product depend on the *distance* between positions. Inputs are
    ``(batch, time, ..., features)`` with ``features`` even.

    Args:
        max_wavelength: the longest wavelength.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> import numpy as np
        >>> x = np.ones((1, 3, 4), "float32")
        >>> out = ops.convert_to_numpy(RotaryEmbedding()(x))
        >>> bool(np.allclose(out[0, 0], 1.0)), bool(np.allclose(np.linalg.norm(out[0, 2]), 2.0))
        (True, True)
    """

    def __init__(self, max_wavelength: float = 10000.0, **kwargs):
        super().__init__(**kwargs)
        self.max_wavelength = max_wavelength

    def call(self, inputs, start_index=0):
        width = int(inputs.shape[-1])
        if width % 2:
            raise ValueError(f"RotaryEmbedding needs an even number of features, got {width}.")
        length = ops.shape(inputs)[1]
        half = width // 2
        inverse_frequency = ops.power(
            ops.cast(self.max_wavelength, "float32"),
            -ops.cast(ops.arange(half), "float32") * 2.0 / width,
        )
        positions = ops.cast(ops.arange(length) + start_index, "float32")
        angles = positions[:, None] * inverse_frequency[None, :]  # (time, half)
        angles = ops.concatenate([angles, angles], axis=-1)  # (time, features)
        shape = [1, -1] + [1] * (len(inputs.shape) - 3) + [width]
        cos = ops.cast(ops.reshape(ops.cos(angles), shape), self.compute_dtype)
        sin = ops.cast(ops.reshape(ops.sin(angles), shape), self.compute_dtype)
        first, second = inputs[..., :half], inputs[..., half:]
        rotated_half = ops.concatenate([-second, first], axis=-1)
        return inputs * cos + rotated_half * sin

    def get_config(self):
        config = super().get_config()
        config.update({"max_wavelength": self.max_wavelength})
        return config
