"""The BERT-style encoder of chapter 08, as a builder later chapters can call.

Token embeddings (a ``ReversibleEmbedding``, so a masked-LM head can score tokens with the same
table), learned position embeddings, segment embeddings, dropout, a stack of pre-layer-norm
:class:`~course.layers.EncoderBlock` with a padding mask, and a final layer norm. Chapter 08
writes and pretrains it; chapter 12 puts a tagging head on every position.
"""

from __future__ import annotations

import keras
from keras import ops

from course.layers.positions import LearnedPositionEmbedding
from course.layers.transformer import EncoderBlock


def build_encoder(
    vocabulary_size: int,
    sequence_length: int,
    num_layers: int,
    num_heads: int,
    hidden_dim: int,
    intermediate_dim: int,
    dropout: float = 0.1,
    padding_id: int = 0,
    name: str = "encoder",
) -> keras.Model:
    """A bidirectional Transformer encoder: ``(token ids, segment ids)`` to contextual vectors.

    Args:
        vocabulary_size: number of token ids.
        sequence_length: positions per example.
        num_layers: encoder blocks.
        num_heads: attention heads per block.
        hidden_dim: width of the residual stream.
        intermediate_dim: feed-forward width.
        dropout: dropout on the embeddings and inside the blocks.
        padding_id: the id of ``[PAD]``; padded positions are hidden from attention.
        name: the model's name.

    Returns:
        A functional ``keras.Model`` with inputs ``token_ids`` and ``segment_ids``, both
        ``(batch, sequence_length)`` int32, and output ``(batch, sequence_length, hidden_dim)``.
        Its token embedding layer is named ``token_embedding``.

    Example:
        >>> import numpy as np
        >>> encoder = build_encoder(50, 8, num_layers=1, num_heads=2, hidden_dim=16,
        ...                         intermediate_dim=32)
        >>> ids = np.ones((2, 8), "int32")
        >>> tuple(encoder([ids, np.zeros_like(ids)]).shape)
        (2, 8, 16)
    """
    import keras_hub

    for label, value in [("vocabulary_size", vocabulary_size), ("sequence_length", sequence_length),
                         ("num_layers", num_layers), ("num_heads", num_heads),
                         ("hidden_dim", hidden_dim), ("intermediate_dim", intermediate_dim)]:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{label} must be a positive int, got {value!r}.")
    if hidden_dim % num_heads:
        raise ValueError(
            f"hidden_dim={hidden_dim} must be a multiple of num_heads={num_heads} (each head gets "
            "hidden_dim // num_heads features)."
        )
    if not 0 <= padding_id < vocabulary_size:
        raise ValueError(f"padding_id must be an id below {vocabulary_size}, got {padding_id!r}.")
    token_ids = keras.Input((sequence_length,), dtype="int32", name="token_ids")
    segment_ids = keras.Input((sequence_length,), dtype="int32", name="segment_ids")
    token_embedding = keras_hub.layers.ReversibleEmbedding(
        vocabulary_size, hidden_dim, name="token_embedding",
        embeddings_initializer=keras.initializers.RandomNormal(stddev=0.02))
    x = token_embedding(token_ids)  # (batch, time, hidden)
    x = x + LearnedPositionEmbedding(sequence_length, name="position_embedding")(x)
    x = x + keras.layers.Embedding(2, hidden_dim, name="segment_embedding")(segment_ids)
    x = keras.layers.Dropout(dropout)(x)
    keep = ops.not_equal(token_ids, padding_id)  # (batch, time): the padding mask
    for i in range(num_layers):
        x = EncoderBlock(num_heads, intermediate_dim, dropout, name=f"block_{i}")(
            x, padding_mask=keep)
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
    return keras.Model([token_ids, segment_ids], x, name=name)
