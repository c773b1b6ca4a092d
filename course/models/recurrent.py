"""The character-level recurrent language model of chapters 04 and 05, as a builder.

Chapter 04 trains it with a plain RNN cell; chapter 05 swaps in the LSTM and the GRU. The
architecture is the same each time (embedding, one recurrent layer that returns every step,
dropout, a dense layer to logits), so it is written once, here, and the cell is an argument.
"""

from __future__ import annotations

from collections.abc import Callable

import keras


def build_char_rnn(
    vocabulary_size: int,
    embedding_dim: int,
    cell: keras.layers.Layer | Callable[[], keras.layers.Layer],
    dropout: float = 0.0,
    name: str = "char_rnn",
) -> keras.Sequential:
    """Embedding -> a recurrent cell run over time -> dropout -> logits for the next token.

    The input length is ``None``: the model reads training windows and texts of any length. Use
    ``carried_state_next`` (:mod:`course.generation`) to generate one step at a time.

    Args:
        vocabulary_size: number of token ids (inputs and logits).
        embedding_dim: size of each token's vector.
        cell: a recurrent cell layer (``course.layers.SimpleRNNCell``, ``LSTMCell``,
            ``GRUCell`` or a Keras cell), not yet used in another model; or a function of no
            arguments that makes one, e.g. ``lambda: SimpleRNNCell(512)``. The function is called
            after the embedding is made: Keras draws a layer's initial weights from the seed at
            the layer's creation, so after ``course.seed_everything`` only this order gives the
            weights of the ``Sequential`` written out layer by layer.
        dropout: share of the recurrent outputs silenced in training.
        name: the model's name.

    Returns:
        A ``keras.Sequential`` from ids ``(batch, time)`` int32 to logits
        ``(batch, time, vocabulary_size)``; its layers are the embedding, the ``keras.layers.RNN``,
        the dropout and the dense readout, in that order.

    Example:
        >>> import numpy as np
        >>> from course.layers import SimpleRNNCell
        >>> model = build_char_rnn(10, 3, SimpleRNNCell(4))
        >>> tuple(model(np.zeros((2, 7), "int32")).shape)
        (2, 7, 10)
        >>> model.count_params()  # 10*3 + (3*4 + 4*4 + 4) + (4*10 + 10)
        112
    """
    for label, value in [("vocabulary_size", vocabulary_size), ("embedding_dim", embedding_dim)]:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{label} must be a positive int, got {value!r}.")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}.")
    if not isinstance(cell, keras.layers.Layer) and not callable(cell):
        raise TypeError(f"cell must be a recurrent cell layer, got {cell!r}; pass e.g. "
                        "course.layers.SimpleRNNCell(hidden_dim), not a width.")
    embedding = keras.layers.Embedding(vocabulary_size, embedding_dim)
    if not isinstance(cell, keras.layers.Layer):
        cell = cell()
    if not isinstance(cell, keras.layers.Layer) or not hasattr(cell, "state_size"):
        raise TypeError(
            f"cell must be a recurrent cell layer with a state_size, got {cell!r}; pass e.g. "
            "course.layers.SimpleRNNCell(hidden_dim), not a whole RNN layer."
        )
    return keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),  # (batch, time)
            embedding,  # (batch, time, embedding)
            keras.layers.RNN(cell, return_sequences=True),  # (batch, time, hidden)
            keras.layers.Dropout(dropout),
            keras.layers.Dense(vocabulary_size),  # (batch, time, vocabulary): logits
        ],
        name=name,
    )
