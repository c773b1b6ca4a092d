"""Gated recurrent cells written from their equations (chapter 05): the LSTM and the GRU.

Both are *cells*: they compute one time step, ``(x_t, state_{t-1}) -> (output_t, state_t)``, and
``keras.layers.RNN`` runs them along a sequence. Their weights have the names, shapes and gate
order of Keras' own ``LSTM`` and ``GRU`` layers, so weights can be copied either way with
``set_weights``; chapter 05 checks that both then compute the same numbers to 1e-5.

Weight layout (``H`` = ``hidden_dim``, ``D`` = input features):

* LSTM: ``kernel`` ``(D, 4H)``, ``recurrent_kernel`` ``(H, 4H)``, ``bias`` ``(4H,)``; the four
  column blocks are the input gate, forget gate, candidate and output gate (``i, f, c, o``).
* GRU: ``kernel`` ``(D, 3H)``, ``recurrent_kernel`` ``(H, 3H)``; blocks are the update gate,
  reset gate and candidate (``z, r, h``). With ``reset_after=True`` (Keras' default) the bias is
  ``(2, 3H)``: row 0 is added to the input projection and row 1 to the recurrent projection,
  because the reset gate multiplies the recurrent projection *after* its bias is added. With
  ``reset_after=False`` the reset gate scales ``h_{t-1}`` before the matrix product and one bias
  row ``(3H,)`` suffices.
"""

from __future__ import annotations

from typing import Any

from course.environment import quiet_tensorflow

quiet_tensorflow()
import keras  # noqa: E402
from keras import ops  # noqa: E402


def _check_hidden_dim(hidden_dim: Any) -> int:
    if isinstance(hidden_dim, bool) or not isinstance(hidden_dim, int) or hidden_dim < 1:
        raise ValueError(
            f"hidden_dim must be a positive int (the size of the state), got {hidden_dim!r}. "
            "For example: LSTMCell(hidden_dim=128)."
        )
    return hidden_dim


def _feature_size(input_shape: Any, cell: keras.layers.Layer) -> int:
    features = input_shape[-1]
    if features is None:
        raise ValueError(
            f"{type(cell).__name__} needs a known feature size, got input shape {input_shape}. "
            "Give the model an Input with a fixed last dimension."
        )
    return features


@keras.saving.register_keras_serializable(package="course")
class LSTMCell(keras.layers.Layer):
    """One step of a long short-term memory (LSTM) network.

    With ``[a, b]`` the concatenation and ``σ`` the logistic sigmoid, one step computes four
    gates from the input ``x_t`` and the *previous* output ``h_{t-1}``, then the new cell state
    ``c_t`` and output ``h_t``::

        i_t = σ(x_t W_i + h_{t-1} U_i + b_i)      input gate: how much of the candidate to write
        f_t = σ(x_t W_f + h_{t-1} U_f + b_f)      forget gate: how much of c_{t-1} to keep
        g_t = tanh(x_t W_c + h_{t-1} U_c + b_c)   candidate values
        o_t = σ(x_t W_o + h_{t-1} U_o + b_o)      output gate: how much of the memory to show
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    The state is the pair ``[h_t, c_t]``, in Keras' order. The weights are laid out as in
    ``keras.layers.LSTM`` (blocks ``i, f, c, o``), so ``set_weights`` works in both directions.
    Use it inside ``keras.layers.RNN``.

    Args:
        hidden_dim: int. Size of ``h_t`` and ``c_t``.
        kernel_initializer: initializer of the input weights ``W``.
        recurrent_initializer: initializer of the recurrent weights ``U``.
        bias_initializer: initializer of the bias.
        unit_forget_bias: bool. Start the forget-gate bias at one (as Keras does), so that a new
            cell keeps most of its memory instead of halving it at every step.
        **kwargs: other arguments of ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    Example:
        >>> import numpy as np
        >>> import keras
        >>> layer = keras.layers.RNN(LSTMCell(8), return_sequences=True)
        >>> tuple(layer(np.zeros((2, 5, 3), "float32")).shape)
        (2, 5, 8)
        >>> [tuple(w.shape) for w in layer.weights]  # same layout as keras.layers.LSTM(8)
        [(3, 32), (8, 32), (32,)]
    """

    def __init__(
        self,
        hidden_dim: int,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.hidden_dim = _check_hidden_dim(hidden_dim)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [hidden_dim, hidden_dim]
        self.output_size = hidden_dim

    def build(self, input_shape: Any) -> None:
        hidden_dim = self.hidden_dim
        self.kernel = self.add_weight(
            shape=(_feature_size(input_shape, self), 4 * hidden_dim),
            initializer=self.kernel_initializer,
            name="kernel",
        )
        self.recurrent_kernel = self.add_weight(
            shape=(hidden_dim, 4 * hidden_dim),
            initializer=self.recurrent_initializer,
            name="recurrent_kernel",
        )
        bias_initializer = self.bias_initializer
        if self.unit_forget_bias:
            base = self.bias_initializer

            def bias_initializer(shape: Any, dtype: Any = None) -> Any:
                blocks = [
                    base((hidden_dim,), dtype=dtype),  # input gate
                    ops.ones((hidden_dim,), dtype=dtype),  # forget gate
                    base((2 * hidden_dim,), dtype=dtype),  # candidate, output gate
                ]
                return ops.concatenate(blocks)

        self.bias = self.add_weight(
            shape=(4 * hidden_dim,), initializer=bias_initializer, name="bias"
        )

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple[Any, list[Any]]:
        h_previous, c_previous = states[0], states[1]  # (batch, hidden_dim) each
        # All four gates in one product: (batch, 4 * hidden_dim).
        z = ops.matmul(inputs, self.kernel) + ops.matmul(h_previous, self.recurrent_kernel)
        z = z + self.bias
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        input_gate = ops.sigmoid(z_i)
        forget_gate = ops.sigmoid(z_f)
        candidate = ops.tanh(z_c)
        output_gate = ops.sigmoid(z_o)
        c = forget_gate * c_previous + input_gate * candidate
        h = output_gate * ops.tanh(c)
        return h, [h, c]

    def get_initial_state(self, batch_size: Any = None) -> list[Any]:
        """The zero state ``[h, c]``, two ``(batch_size, hidden_dim)`` tensors."""
        shape = (batch_size, self.hidden_dim)
        return [ops.zeros(shape, dtype=self.compute_dtype) for _ in range(2)]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "unit_forget_bias": self.unit_forget_bias,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="course")
class GRUCell(keras.layers.Layer):
    """One step of a gated recurrent unit (GRU), in Keras' convention.

    A GRU keeps a single state ``h_t``. An update gate ``z_t`` mixes the old state with a
    candidate, and a reset gate ``r_t`` decides how much of the old state the candidate sees::

        z_t = σ(x_t W_z + b_z + h_{t-1} U_z + b'_z)
        r_t = σ(x_t W_r + b_r + h_{t-1} U_r + b'_r)
        g_t = tanh(x_t W_h + b_h + r_t * (h_{t-1} U_h + b'_h))     reset_after=True
        g_t = tanh(x_t W_h + b_h + (r_t * h_{t-1}) U_h)             reset_after=False
        h_t = z_t * h_{t-1} + (1 - z_t) * g_t

    In this convention ``z_t`` near one *keeps* the old state (some texts swap ``z`` and
    ``1 - z``; the two are the same model with the gate's sign flipped). ``reset_after=True`` is
    the form cuDNN computes and Keras' default; it needs a second bias row ``b'`` because the
    recurrent bias sits inside the reset gate's product. The weights are laid out as in
    ``keras.layers.GRU`` with the same ``reset_after`` (blocks ``z, r, h``).

    Args:
        hidden_dim: int. Size of ``h_t``.
        reset_after: bool. Apply the reset gate after the recurrent matrix product (Keras'
            default, bias of shape ``(2, 3 * hidden_dim)``) or before it (the original GRU of
            Cho et al. 2014, bias of shape ``(3 * hidden_dim,)``).
        kernel_initializer: initializer of the input weights ``W``.
        recurrent_initializer: initializer of the recurrent weights ``U``.
        bias_initializer: initializer of the bias.
        **kwargs: other arguments of ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    Example:
        >>> import numpy as np
        >>> import keras
        >>> layer = keras.layers.RNN(GRUCell(8), return_state=True)
        >>> output, state = layer(np.zeros((2, 5, 3), "float32"))
        >>> tuple(output.shape), tuple(state.shape)
        ((2, 8), (2, 8))
        >>> [tuple(w.shape) for w in layer.weights]  # same layout as keras.layers.GRU(8)
        [(3, 24), (8, 24), (2, 24)]
    """

    def __init__(
        self,
        hidden_dim: int,
        reset_after: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.hidden_dim = _check_hidden_dim(hidden_dim)
        self.reset_after = bool(reset_after)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.state_size = hidden_dim
        self.output_size = hidden_dim

    def build(self, input_shape: Any) -> None:
        hidden_dim = self.hidden_dim
        self.kernel = self.add_weight(
            shape=(_feature_size(input_shape, self), 3 * hidden_dim),
            initializer=self.kernel_initializer,
            name="kernel",
        )
        self.recurrent_kernel = self.add_weight(
            shape=(hidden_dim, 3 * hidden_dim),
            initializer=self.recurrent_initializer,
            name="recurrent_kernel",
        )
        bias_shape = (2, 3 * hidden_dim) if self.reset_after else (3 * hidden_dim,)
        self.bias = self.add_weight(
            shape=bias_shape, initializer=self.bias_initializer, name="bias"
        )

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple[Any, Any]:
        nested = isinstance(states, (list, tuple))
        h_previous = states[0] if nested else states  # (batch, hidden_dim)
        if self.reset_after:
            input_bias, recurrent_bias = self.bias[0], self.bias[1]
        else:
            input_bias, recurrent_bias = self.bias, None
        x_z, x_r, x_h = ops.split(ops.matmul(inputs, self.kernel) + input_bias, 3, axis=-1)
        if self.reset_after:
            h_z, h_r, h_h = ops.split(
                ops.matmul(h_previous, self.recurrent_kernel) + recurrent_bias, 3, axis=-1
            )
            update_gate = ops.sigmoid(x_z + h_z)
            reset_gate = ops.sigmoid(x_r + h_r)
            candidate = ops.tanh(x_h + reset_gate * h_h)
        else:
            u_z, u_r, u_h = ops.split(self.recurrent_kernel, 3, axis=-1)  # (hidden, hidden) each
            update_gate = ops.sigmoid(x_z + ops.matmul(h_previous, u_z))
            reset_gate = ops.sigmoid(x_r + ops.matmul(h_previous, u_r))
            candidate = ops.tanh(x_h + ops.matmul(reset_gate * h_previous, u_h))
        h = update_gate * h_previous + (1.0 - update_gate) * candidate
        return h, ([h] if nested else h)

    def get_initial_state(self, batch_size: Any = None) -> list[Any]:
        """The zero state, one ``(batch_size, hidden_dim)`` tensor in a list."""
        return [ops.zeros((batch_size, self.hidden_dim), dtype=self.compute_dtype)]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "reset_after": self.reset_after,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config
