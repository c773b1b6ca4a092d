"""The plain recurrent cell, ``h_t = tanh(x_t W_xh + h_{t-1} W_hh + b)``, as a Keras layer.

Chapter 04 writes this recurrence by hand, checks it against ``keras.layers.SimpleRNN`` and then
uses the version below. A *cell* computes one time step; ``keras.layers.RNN`` runs it along the
time axis, so the same cell serves training (whole windows) and generation (one step at a time).
"""

from __future__ import annotations

from typing import Any

from course.environment import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402
from keras import ops  # noqa: E402


def _check_positive_int(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int such as 128, got {value!r}.")


@keras.saving.register_keras_serializable(package="course")
class SimpleRNNCell(keras.layers.Layer):
    """One step of an Elman recurrent network: a new hidden state from the input and the last one.

    For an input ``x_t`` of shape ``(batch, features)`` and the previous state ``h_{t-1}`` of
    shape ``(batch, hidden_dim)``, the cell returns

        ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``

    as both its output and its new state. Inputs are rows, so ``kernel`` (``features x
    hidden_dim``) is the transpose of the ``W_xh`` of the column-vector equation, and
    ``recurrent_kernel`` the transpose of ``W_hh``. The weights are laid out exactly as in
    ``keras.layers.SimpleRNNCell``, so ``set_weights`` copies weights between the two.

    Wrap the cell in ``keras.layers.RNN`` to run it over a sequence, or call it directly for a
    single step (as generation does).

    Args:
        hidden_dim: int. Size of the hidden state.
        activation: activation applied to the pre-activation; ``"tanh"`` as in the equation.
            ``None`` gives a linear recurrence.
        use_bias: bool. Whether to add the bias ``b``.
        kernel_initializer: initializer of the input weights.
        recurrent_initializer: initializer of the recurrent weights (orthogonal by default, so
            the state neither shrinks nor grows at the start of training).
        bias_initializer: initializer of the bias.
        **kwargs: other ``keras.layers.Layer`` arguments such as ``name`` and ``dtype``.

    Example:
        >>> import numpy as np
        >>> cell = SimpleRNNCell(hidden_dim=4)
        >>> layer = keras.layers.RNN(cell, return_sequences=True)
        >>> tuple(layer(np.ones((2, 5, 3), "float32")).shape)  # (batch, time, hidden_dim)
        (2, 5, 4)
        >>> output, [state] = cell(np.ones((2, 3), "float32"), [np.zeros((2, 4), "float32")])
        >>> tuple(output.shape), bool(np.allclose(output, state))
        ((2, 4), True)
    """

    def __init__(
        self,
        hidden_dim: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_positive_int(hidden_dim, "hidden_dim")
        self.hidden_dim = hidden_dim
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        # What keras.layers.RNN reads to size the state and the output.
        self.state_size = hidden_dim
        self.output_size = hidden_dim

    def build(self, inputs_shape: Any) -> None:
        features = inputs_shape[-1]
        if features is None:
            raise ValueError(
                f"SimpleRNNCell needs a known feature size, got input shape {inputs_shape}. "
                "Give the model an Input with a fixed last dimension."
            )
        self.kernel = self.add_weight(
            shape=(features, self.hidden_dim), initializer=self.kernel_initializer, name="kernel"
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.hidden_dim, self.hidden_dim),
            initializer=self.recurrent_initializer,
            name="recurrent_kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.hidden_dim,), initializer=self.bias_initializer, name="bias"
            )

    def call(self, inputs: Any, states: Any) -> tuple[Any, Any]:
        previous = states[0] if isinstance(states, (list, tuple)) else states
        # (batch, features) @ (features, hidden) + (batch, hidden) @ (hidden, hidden)
        hidden = ops.matmul(inputs, self.kernel) + ops.matmul(previous, self.recurrent_kernel)
        if self.bias is not None:
            hidden = hidden + self.bias
        hidden = self.activation(hidden)  # (batch, hidden)
        new_states = [hidden] if isinstance(states, (list, tuple)) else hidden
        return hidden, new_states

    def get_initial_state(self, batch_size: Any = None) -> list[Any]:
        """The zero state, one ``(batch_size, hidden_dim)`` tensor in a list."""
        return [ops.zeros((batch_size, self.hidden_dim), dtype=self.compute_dtype)]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": keras.initializers.serialize(
                    self.recurrent_initializer
                ),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config
