"""The BERT-style encoder of chapter 08, as a builder later chapters can call.

Token embeddings (a ``ReversibleEmbedding``, so a masked-LM head can score tokens with the same
table), learned position embeddings, segment embeddings, dropout, and a stack of
:class:`~course.layers.EncoderBlock` with a padding mask. Two layouts:

- pre-layer-norm (``normalize_first=True``, the default, as chapter 07's GPT): each block
  normalises the input of its sub-layers, and a final layer norm closes the stack;
- the original BERT's post-layer-norm (``normalize_first=False``): the summed embeddings are
  normalised, each block normalises after its residual sums, and there is no final norm. This is
  keras-hub's ``BertBackbone``, so :func:`to_keras_hub` copies such an encoder into one, and
  ``save_to_preset`` / ``from_preset`` take it from there.

Chapter 08 writes and pretrains it; chapter 12 puts a tagging head on every position.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from course.layers.positions import LearnedPositionEmbedding
from course.layers.transformer import EncoderBlock

#: The layer-norm epsilon of BERT and keras-hub's ``BertBackbone``.
BERT_LAYER_NORM_EPSILON = 1e-12


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
    normalize_first: bool = True,
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
        normalize_first: pre-layer-norm blocks and a final norm (``True``), or BERT's
            post-layer-norm layout (``False``: a norm on the summed embeddings, post-LN blocks,
            no final norm, epsilon 1e-12 as in BERT), which :func:`to_keras_hub` can copy.

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
    epsilon = 1e-5 if normalize_first else BERT_LAYER_NORM_EPSILON
    if not normalize_first:
        x = keras.layers.LayerNormalization(epsilon=epsilon, name="embeddings_norm")(x)
    x = keras.layers.Dropout(dropout)(x)
    keep = ops.not_equal(token_ids, padding_id)  # (batch, time): the padding mask
    for i in range(num_layers):
        x = EncoderBlock(num_heads, intermediate_dim, dropout, layer_norm_epsilon=epsilon,
                         normalize_first=normalize_first, name=f"block_{i}")(
            x, padding_mask=keep)
    if normalize_first:
        x = keras.layers.LayerNormalization(epsilon=epsilon, name="final_norm")(x)
    return keras.Model([token_ids, segment_ids], x, name=name)


def _blocks(encoder: keras.Model) -> list[EncoderBlock]:
    """The encoder's blocks in order (layers named ``block_0``, ``block_1``, ...)."""
    blocks = []
    while True:
        try:
            blocks.append(encoder.get_layer(f"block_{len(blocks)}"))
        except ValueError:
            return blocks


def to_keras_hub(encoder: keras.Model, pooler: keras.layers.Dense | None = None) -> Any:
    """A keras-hub ``BertBackbone`` with the encoder's architecture and a copy of its weights.

    keras-hub's BERT is post-layer-norm, so only an encoder built with
    ``normalize_first=False`` (the layout of :func:`build_encoder` that matches it) can be
    copied; a pre-layer-norm encoder computes a different function with the same weights, and
    is refused. The backbone's ``sequence_output`` then equals the encoder's output at the real
    (not padded) positions.

    Args:
        encoder: a model from ``build_encoder(..., normalize_first=False)`` (or one with the same
            layer names: ``token_embedding``, ``position_embedding``, ``segment_embedding``,
            ``embeddings_norm``, ``block_0``, ...).
        pooler: the ``Dense(hidden_dim, activation="tanh")`` read on the ``[CLS]`` vector (the
            next-sentence head's first layer), copied into the backbone's ``pooled_dense``; if
            ``None``, the backbone keeps its random pooler.

    Returns:
        The backbone. ``keras_hub.models.BertMaskedLM(backbone, preprocessor)`` or
        ``BertTextClassifier(backbone, num_classes)`` wrap it, and their ``save_to_preset``
        writes a preset that ``from_preset`` reads back.

    Example:
        >>> import numpy as np
        >>> encoder = build_encoder(50, 8, 1, 2, 16, 32, normalize_first=False)
        >>> backbone = to_keras_hub(encoder)
        >>> ids = np.array([[5, 6, 7, 0, 0, 0, 0, 0]], "int32")
        >>> ours = encoder([ids, np.zeros_like(ids)])
        >>> theirs = backbone({"token_ids": ids, "segment_ids": np.zeros_like(ids),
        ...                    "padding_mask": ids != 0})["sequence_output"]
        >>> float(np.abs(np.asarray(ours)[0, :3] - np.asarray(theirs)[0, :3]).max()) < 1e-5
        True
    """
    import keras_hub

    blocks = _blocks(encoder)
    if not blocks:
        raise ValueError(
            "The encoder has no layers named block_0, block_1, ...: build it with "
            "course.models.encoder.build_encoder(..., normalize_first=False)."
        )
    if any(block.normalize_first for block in blocks) or not any(
            layer.name == "embeddings_norm" for layer in encoder.layers):
        raise ValueError(
            "keras-hub's BertBackbone is post-layer-norm (a norm on the summed embeddings, each "
            "block normalising after its residual sum, no final norm), and this encoder is "
            "pre-layer-norm: the same weights would compute a different function. Build the "
            "encoder with build_encoder(..., normalize_first=False) to copy it."
        )
    token_embedding = encoder.get_layer("token_embedding")
    position_embedding = encoder.get_layer("position_embedding")
    first = blocks[0]
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=token_embedding.input_dim,
        num_layers=len(blocks),
        num_heads=first.num_heads,
        hidden_dim=token_embedding.output_dim,
        intermediate_dim=first.intermediate_dim,
        dropout=first.dropout,
        max_sequence_length=position_embedding.sequence_length,
    )
    backbone.token_embedding.set_weights(token_embedding.get_weights())
    backbone.position_embedding.set_weights(position_embedding.get_weights())
    backbone.segment_embedding.set_weights(encoder.get_layer("segment_embedding").get_weights())
    backbone.embeddings_layer_norm.set_weights(encoder.get_layer("embeddings_norm").get_weights())
    for block, hub_layer in zip(blocks, backbone.transformer_layers, strict=True):
        hub_layer.set_weights(block.keras_hub_weights())  # keras-hub's order
    if pooler is not None:
        backbone.pooled_dense.set_weights(pooler.get_weights())
    return backbone
