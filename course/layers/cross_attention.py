"""The decoder block of an encoder-decoder Transformer (chapter 09): self-attention, then
cross-attention to the encoder's outputs, then the feed-forward layer.

Pre-layer-norm, like the kit's other blocks. Three sub-layers, each with a residual:

    y = y + Dropout(CausalSelfAttention(LayerNorm(y)))               the target so far
    y = y + Dropout(CrossAttention(LayerNorm(y), encoder_outputs))   queries from the target,
                                                                     keys and values from the source
    y = y + Dropout(FeedForward(LayerNorm(y)))
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from course.layers.attention import MultiHeadAttention
from course.layers.transformer import TransformerBlock


def _as_key_mask(mask: Any, name: str) -> Any:
    """``(batch, time)`` true-for-real-token mask -> ``(batch, 1, time)`` boolean key mask."""
    mask = ops.convert_to_tensor(mask)
    if len(mask.shape) != 2:
        raise ValueError(
            f"{name} must have shape (batch, time) with true for real tokens, got shape "
            f"{tuple(mask.shape)}; build it as token_ids != padding_id."
        )
    return ops.expand_dims(ops.cast(mask, "bool"), 1)


@keras.saving.register_keras_serializable(package="course")
class CrossAttentionDecoderBlock(TransformerBlock):
    """A Transformer decoder block that also attends to an encoder's outputs (cross-attention).

    The self-attention is causal: position ``i`` of the target sees target positions ``<= i``.
    The cross-attention lets every target position look at every real source position; its
    weights are the source x target alignment that chapter 09 draws. The weights have the names
    and order of keras-hub's ``TransformerDecoder(normalize_first=True)`` with cross-attention,
    so :meth:`keras_hub_weights` makes the two compute the same function.

    Args:
        num_heads: attention heads (in both attentions).
        intermediate_dim: width of the feed-forward layer.
        dropout: dropout rate after each sub-layer.
        layer_norm_epsilon: added to the variance in layer normalisation.
        **kwargs: passed to ``keras.layers.Layer``.

    Call args:
        x: ``(batch, target_time, width)`` target features.
        encoder_outputs: ``(batch, source_time, encoder_width)`` the encoder's outputs.
        decoder_padding_mask: optional ``(batch, target_time)``, true for real target tokens.
        encoder_padding_mask: optional ``(batch, source_time)``, true for real source tokens;
            padded source positions get no attention.
        training: enables dropout.
        return_attention_scores: also return the cross-attention weights,
            ``(batch, heads, target_time, source_time)``.

    Example:
        >>> import numpy as np
        >>> block = CrossAttentionDecoderBlock(num_heads=2, intermediate_dim=32)
        >>> target, source = np.zeros((1, 4, 8), "float32"), np.ones((1, 6, 8), "float32")
        >>> out, weights = block(target, source, encoder_padding_mask=np.array([[1] * 5 + [0]]),
        ...                      return_attention_scores=True)
        >>> tuple(out.shape), tuple(weights.shape), float(weights[0, 0, 0, 5])
        ((1, 4, 8), (1, 2, 4, 6), 0.0)
    """

    causal = True

    def build(self, x_shape, encoder_outputs_shape=None):
        super().build(x_shape)
        width = int(x_shape[-1])
        source_shape = encoder_outputs_shape or x_shape
        self.cross_attention_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon
        )
        self.cross_attention = MultiHeadAttention(self.num_heads, width // self.num_heads)
        self.cross_attention_norm.build(x_shape)
        self.cross_attention.build(x_shape, source_shape)

    def _cross_attend(self, x, encoder_outputs, encoder_padding_mask, training, return_scores):
        key_mask = None
        if encoder_padding_mask is not None:
            key_mask = _as_key_mask(encoder_padding_mask, "encoder_padding_mask")
        attended, weights = self.cross_attention(
            self.cross_attention_norm(x), encoder_outputs, attention_mask=key_mask,
            return_attention_scores=True,
        )  # (batch, target_time, width), (batch, heads, target_time, source_time)
        return x + self.dropout_layer(attended, training=training), weights

    def call(self, x, encoder_outputs, decoder_padding_mask=None, encoder_padding_mask=None,
             training=None, return_attention_scores=False):
        self_mask = None
        if decoder_padding_mask is not None:
            self_mask = _as_key_mask(decoder_padding_mask, "decoder_padding_mask")
        x = self._attend(x, self_mask, training)  # causal self-attention over the target
        x, weights = self._cross_attend(x, encoder_outputs, encoder_padding_mask, training,
                                        return_attention_scores)
        x = self._feedforward(x, training)
        return (x, weights) if return_attention_scores else x

    def call_with_cache(self, x, encoder_outputs, encoder_padding_mask, cache, cache_index):
        """The block for new target positions only, with the self-attention's key/value cache.

        The cross-attention needs no cache of its own here: its keys and values come from the
        encoder's outputs, which do not change while the target grows.

        Args:
            x: ``(batch, new, width)`` features of the new target positions.
            encoder_outputs: ``(batch, source_time, encoder_width)``.
            encoder_padding_mask: ``(batch, source_time)`` or ``None``.
            cache: ``(batch, 2, heads, max_length, head_dim)`` self-attention keys and values.
            cache_index: the position of the first new token.

        Returns:
            ``(output, cache)``.
        """
        attended, cache = self.attention.call_with_cache(self.attention_norm(x), cache, cache_index)
        x, _ = self._cross_attend(x + attended, encoder_outputs, encoder_padding_mask, None, False)
        return self._feedforward(x), cache

    def compute_output_shape(self, x_shape, encoder_outputs_shape=None):
        return x_shape

    def keras_hub_weights(self) -> list:
        """The weights in the order of keras-hub's ``TransformerDecoder`` with cross-attention.

        Returns:
            NumPy arrays for ``hub_layer.set_weights``: self-attention and its norm,
            cross-attention and its norm, the feed-forward layers and their norm.
        """
        return [
            *self.attention.get_weights(),
            *self.attention_norm.get_weights(),
            *self.cross_attention.get_weights(),
            *self.cross_attention_norm.get_weights(),
            *self.intermediate.get_weights(),
            *self.output_dense.get_weights(),
            *self.feedforward_norm.get_weights(),
        ]
