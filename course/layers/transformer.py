"""Transformer blocks built from the kit's own pieces: the GPT decoder (chapter 07) and the
bidirectional encoder (chapter 08).

Both share one skeleton (:class:`TransformerBlock`): a self-attention sub-layer and a
feed-forward sub-layer, each with a residual connection. Pre-layer-norm, as in GPT-2, normalises
the input of each sub-layer:

    x = x + Dropout(SelfAttention(LayerNorm(x)))
    x = x + Dropout(FeedForward(LayerNorm(x)))       FeedForward = Dense(gelu) then Dense

The decoder's attention is causal (position i sees positions <= i); the encoder's sees the whole
sequence except padding. The encoder can also be post-layer-norm, as in the original BERT
(``normalize_first=False``): ``x = LayerNorm(x + Dropout(SubLayer(x)))``.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from course.layers.attention import MultiHeadAttention


class TransformerBlock(keras.layers.Layer):
    """The skeleton shared by :class:`DecoderBlock` and :class:`EncoderBlock` (not used alone).

    Subclasses set the class attribute ``causal`` and write ``call``; the weights (names, shapes,
    order) are those of a keras-hub ``TransformerEncoder`` / ``TransformerDecoder`` without cross
    attention, so trained blocks can be copied into keras-hub backbones.

    Args:
        num_heads: attention heads.
        intermediate_dim: width of the feed-forward layer (4x the model width in GPT-2 and BERT).
        dropout: dropout rate after attention and after the feed-forward layer.
        layer_norm_epsilon: added to the variance in layer normalisation.
        **kwargs: passed to ``keras.layers.Layer``.
    """

    causal: bool = False
    normalize_first: bool = True

    def __init__(
        self,
        num_heads: int,
        intermediate_dim: int,
        dropout: float = 0.0,
        layer_norm_epsilon: float = 1e-5,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if num_heads < 1 or intermediate_dim < 1:
            raise ValueError(
                f"num_heads and intermediate_dim must be positive, got {num_heads} and "
                f"{intermediate_dim}."
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.layer_norm_epsilon = layer_norm_epsilon

    def build(self, input_shape):
        width = int(input_shape[-1])
        if width % self.num_heads:
            raise ValueError(
                f"The model width {width} must be divisible by num_heads={self.num_heads}."
            )
        self.attention_norm = keras.layers.LayerNormalization(epsilon=self.layer_norm_epsilon)
        self.attention = MultiHeadAttention(
            self.num_heads, width // self.num_heads, use_causal_mask=self.causal
        )
        self.feedforward_norm = keras.layers.LayerNormalization(epsilon=self.layer_norm_epsilon)
        self.intermediate = keras.layers.Dense(
            self.intermediate_dim, activation=lambda x: keras.activations.gelu(x, approximate=True)
        )
        self.output_dense = keras.layers.Dense(width)
        self.dropout_layer = keras.layers.Dropout(self.dropout)
        for layer, shape in (
            (self.attention_norm, input_shape),
            (self.feedforward_norm, input_shape),
            (self.intermediate, input_shape),
            (self.output_dense, (*input_shape[:-1], self.intermediate_dim)),
        ):
            layer.build(shape)
        self.attention.build(input_shape)

    def _attend(self, x, attention_mask=None, training=None):
        """The self-attention sub-layer with its residual (and norm, before or after)."""
        inputs = self.attention_norm(x) if self.normalize_first else x
        attended = self.attention(inputs, attention_mask=attention_mask)  # (batch, time, width)
        x = x + self.dropout_layer(attended, training=training)
        return x if self.normalize_first else self.attention_norm(x)

    def _feedforward(self, x, training=None):
        """The feed-forward sub-layer with its residual (and norm, before or after)."""
        inputs = self.feedforward_norm(x) if self.normalize_first else x
        hidden = self.intermediate(inputs)  # (batch, time, intermediate)
        x = x + self.dropout_layer(self.output_dense(hidden), training=training)
        return x if self.normalize_first else self.feedforward_norm(x)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
                "dropout": self.dropout,
                "layer_norm_epsilon": self.layer_norm_epsilon,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="course")
class DecoderBlock(TransformerBlock):
    """One pre-layer-norm Transformer decoder block with causal self-attention.

    The weights mirror a keras-hub ``TransformerDecoder(normalize_first=True)`` without cross
    attention, GPT-2's block, so a trained block can be copied into keras-hub's ``GPT2Backbone``.

    Args:
        num_heads: attention heads.
        intermediate_dim: width of the feed-forward layer (4x the model width in GPT-2).
        dropout: dropout rate after attention and after the feed-forward layer.
        layer_norm_epsilon: added to the variance in layer normalisation.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> import numpy as np
        >>> block = DecoderBlock(num_heads=2, intermediate_dim=32)
        >>> tuple(block(np.zeros((1, 5, 8), "float32")).shape)
        (1, 5, 8)
    """

    causal = True

    def call(self, x, training=None):
        return self._feedforward(self._attend(x, training=training), training)

    def call_with_cache(self, x, cache, cache_index):
        """The block for new positions only, with the attention's key/value cache.

        Returns:
            ``(output, cache)``; see ``MultiHeadAttention.call_with_cache``.
        """
        attended, cache = self.attention.call_with_cache(self.attention_norm(x), cache, cache_index)
        return self._feedforward(x + attended), cache

    def keras_hub_weights(self) -> list:
        """The weights in the order of keras-hub's ``TransformerDecoder`` (no cross attention).

        Returns:
            NumPy arrays for ``hub_layer.set_weights``: attention, its norm, the feed-forward
            layers, their norm.
        """
        return [
            *self.attention.get_weights(),
            *self.attention_norm.get_weights(),
            *self.intermediate.get_weights(),
            *self.output_dense.get_weights(),
            *self.feedforward_norm.get_weights(),
        ]


@keras.saving.register_keras_serializable(package="course")
class EncoderBlock(TransformerBlock):
    """One Transformer encoder block: bidirectional self-attention (no causal mask).

    Every position attends to every real position of the sequence, before and after it; padding
    positions are hidden from the keys by ``padding_mask``. Pre-layer-norm by default (as the
    :class:`DecoderBlock`); ``normalize_first=False`` gives the original BERT's post-layer-norm
    block, whose weights match a keras-hub ``TransformerEncoder`` (as in ``BertBackbone``).

    Args:
        num_heads: attention heads.
        intermediate_dim: width of the feed-forward layer (4x the model width in BERT).
        dropout: dropout rate after attention and after the feed-forward layer.
        layer_norm_epsilon: added to the variance in layer normalisation.
        normalize_first: pre-layer-norm (``True``) or post-layer-norm (``False``, BERT).
        **kwargs: passed to ``keras.layers.Layer``.

    Call args:
        x: ``(batch, time, width)`` float features.
        padding_mask: optional ``(batch, time)`` booleans (or 0/1), true for real tokens; padded
            keys get no attention. Padded positions still get an output (ignore it).
        training: enables dropout.

    Example:
        >>> import numpy as np
        >>> block = EncoderBlock(num_heads=2, intermediate_dim=32)
        >>> x = np.zeros((1, 5, 8), "float32")
        >>> tuple(block(x, padding_mask=np.array([[1, 1, 1, 0, 0]])).shape)
        (1, 5, 8)
    """

    def __init__(
        self,
        num_heads: int,
        intermediate_dim: int,
        dropout: float = 0.0,
        layer_norm_epsilon: float = 1e-5,
        normalize_first: bool = True,
        **kwargs,
    ):
        super().__init__(num_heads, intermediate_dim, dropout, layer_norm_epsilon, **kwargs)
        self.normalize_first = bool(normalize_first)

    def call(self, x, padding_mask: Any = None, training=None):
        attention_mask = None
        if padding_mask is not None:
            padding_mask = ops.convert_to_tensor(padding_mask)
            if len(padding_mask.shape) != 2:
                raise ValueError(
                    "padding_mask must have shape (batch, time) with true for real tokens, got "
                    f"shape {tuple(padding_mask.shape)}; build it as token_ids != padding_id."
                )
            # (batch, time) -> (batch, 1, time): every query sees the real keys only
            attention_mask = ops.expand_dims(ops.cast(padding_mask, "bool"), 1)
        x = self._attend(x, attention_mask, training)
        return self._feedforward(x, training)

    def keras_hub_weights(self) -> list:
        """The weights in the order of keras-hub's ``TransformerEncoder``.

        Returns:
            NumPy arrays for ``hub_layer.set_weights``: attention, its norm, the feed-forward
            norm, the feed-forward layers.
        """
        return [
            *self.attention.get_weights(),
            *self.attention_norm.get_weights(),
            *self.feedforward_norm.get_weights(),
            *self.intermediate.get_weights(),
            *self.output_dense.get_weights(),
        ]

    def get_config(self):
        config = super().get_config()
        config["normalize_first"] = self.normalize_first
        return config
