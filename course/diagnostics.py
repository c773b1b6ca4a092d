"""Measurements on an untrained network that say how it will learn: the gradient through time.

Chapter 04 follows a gradient back through a recurrent network and watches it vanish or explode;
chapter 05 repeats the measurement with the LSTM's forget gate. Both, and their slides, call
:func:`gradient_by_distance`, so the curves shown anywhere come from the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course.environment import quiet_tensorflow


def gradient_by_distance(
    states_of: Callable[[Any], Any],
    inputs: Any,
    direction: Any = None,
    seed: int = 0,
) -> np.ndarray:
    """How much the last state depends on each earlier input: the mean ‖∂L/∂x_t‖ by distance.

    The last state ``h_T`` is projected on a fixed direction ``r`` to give one number,
    ``L = r · h_T`` (summed over the batch); one ``GradientTape`` pass gives ``∂L/∂x_t`` for every
    step ``t`` at once. Entry ``k`` of the result is the norm of that gradient for the input ``k``
    steps before the last, averaged over the batch: on a log scale, a gradient that vanishes or
    explodes exponentially with distance is a straight line.

    Args:
        states_of: a function from inputs ``(batch, time, features)`` to the states, either all
            of them ``(batch, time, hidden)`` (the last one is used) or only the last one
            ``(batch, hidden)``: a ``keras.layers.RNN``, or a loop written by hand.
        inputs: the input sequences, ``(batch, time, features)``, float.
        direction: ``r``, shape ``(hidden,)``; when None, drawn from a standard normal with
            ``numpy.random.default_rng(seed)``.
        seed: the seed of the drawn direction (unused when ``direction`` is given).

    Returns:
        A float array of shape ``(time,)``: entry ``k`` is the mean gradient norm for the input
        ``k`` steps before the last (entry 0: the last input).

    Example:
        >>> import numpy as np
        >>> def running_sum(x):  # h_t = 0.5 h_{t-1} + x_t: each step back halves the gradient
        ...     states, h = [], 0.0
        ...     for t in range(x.shape[1]):
        ...         h = 0.5 * h + x[:, t]
        ...         states.append(h)
        ...     return states[-1]
        >>> inputs = np.ones((2, 4, 1), "float32")
        >>> gradient_by_distance(running_sum, inputs, direction=np.ones(1)).round(3).tolist()
        [1.0, 0.5, 0.25, 0.125]
    """
    tf = quiet_tensorflow()
    inputs = tf.convert_to_tensor(inputs, dtype="float32")
    if inputs.shape.rank != 3:
        raise ValueError(
            f"inputs must have shape (batch, time, features), got shape {tuple(inputs.shape)}; "
            "add the missing axes, e.g. x[None, :, None] for one sequence of numbers."
        )
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        states = tf.convert_to_tensor(states_of(inputs))
        if states.shape.rank == 3:  # all states (batch, time, hidden): keep the last
            states = states[:, -1]
        if states.shape.rank != 2:
            raise ValueError(
                "states_of must return the states (batch, time, hidden) or the last state "
                f"(batch, hidden), got shape {tuple(states.shape)}."
            )
        hidden_dim = states.shape[-1]
        if direction is None:
            direction = np.random.default_rng(seed).normal(size=(hidden_dim,))
        direction = tf.convert_to_tensor(direction, dtype=states.dtype)
        if tuple(direction.shape) != (hidden_dim,):
            raise ValueError(f"direction must have shape ({hidden_dim},), one number per unit "
                             f"of the state, got shape {tuple(direction.shape)}.")
        loss = tf.reduce_sum(states * direction)  # L = r . h_T, summed over the batch
    gradients = tape.gradient(loss, inputs)  # (batch, time, features)
    if gradients is None:
        raise ValueError("the states do not depend on the inputs (no gradient reached them); "
                         "states_of must compute the states from the inputs it is given.")
    norms = tf.reduce_mean(tf.norm(gradients, axis=-1), axis=0)  # (time,)
    return norms.numpy()[::-1].copy()
