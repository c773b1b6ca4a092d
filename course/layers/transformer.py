"""The decoder block of a GPT-style Transformer (chapter 07), built from the kit's own pieces.

Pre-layer-norm, as in GPT-2: each sub-layer sees a normalised copy of the stream and adds its
result back (a residual connection):

    x = x + Dropout(CausalSelfAttention(LayerNorm(x)))
    x = x + Dropout(FeedForward(LayerNorm(x)))       FeedForward = Dense(gelu) then Dense
"""

from __future__ import annotations

import keras

from course.layers.attention import MultiHeadAttention


@keras.saving.register_keras_serializable(package="course")
class DecoderBlock(keras.layers.Layer):
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

    def __init__(
        self,
        num_heads: int,
        intermediate_dim: int,
        dropout: float = 0.0,
        layer_norm_epsilon: float = 1e-5,
        **kwargs,
    ):
        super().__init__(**kwargs)
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
            self.num_heads, width // self.num_heads, use_causal_mask=True
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

    def _feedforward(self, x, training=None):
        hidden = self.intermediate(self.feedforward_norm(x))  # (batch, time, intermediate)
        return x + self.dropout_layer(self.output_dense(hidden), training=training)

    def call(self, x, training=None):
        attended = self.attention(self.attention_norm(x))  # (batch, time, width)
        x = x + self.dropout_layer(attended, training=training)
        return self._feedforward(x, training)

    def call_with_cache(self, x, cache, cache_index):
        """The block for new positions only, with the attention's key/value cache.

        Returns:
            ``(output, cache)``; see ``MultiHeadAttention.call_with_cache``.
        """
        attended, cache = self.attention.call_with_cache(self.attention_norm(x), cache, cache_index)
        return self._feedforward(x + attended), cache

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
