"""Attention, as chapter 06 builds it: scaled dot-product attention, masks, multi-head attention.

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + mask) V

Shapes follow Keras' ``MultiHeadAttention``: ``(batch, time, features)`` outside the layer,
``(batch, heads, time, head_dim)`` inside it.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

# Added to a masked score before the softmax. Not -inf: a row whose keys are all masked would
# then give NaN; with a large finite number it gives a uniform row instead.
MASK_VALUE = -1e9


def causal_mask(length: int) -> Any:
    """A ``(length, length)`` boolean mask: query ``i`` may attend to keys ``0..i`` only.

    Args:
        length: the sequence length.

    Returns:
        A boolean tensor, ``True`` where attention is allowed.

    Example:
        >>> ops.convert_to_numpy(causal_mask(3)).astype(int)
        array([[1, 0, 0],
               [1, 1, 0],
               [1, 1, 1]])
    """
    positions = ops.arange(length)
    return ops.greater_equal(ops.expand_dims(positions, 1), ops.expand_dims(positions, 0))


def padding_mask(token_ids: Any, padding_id: int = 0) -> Any:
    """A ``(batch, 1, length)`` boolean mask that hides padding keys from every query.

    Args:
        token_ids: ``(batch, length)`` integer ids.
        padding_id: the id used for padding.

    Returns:
        A boolean tensor, ``True`` for real tokens; it broadcasts against ``(batch, q, k)``.

    Example:
        >>> ops.convert_to_numpy(padding_mask([[5, 7, 0]])).astype(int)
        array([[[1, 1, 0]]])
    """
    return ops.expand_dims(ops.not_equal(ops.convert_to_tensor(token_ids), padding_id), 1)


def scaled_dot_product_attention(
    query: Any, key: Any, value: Any, mask: Any | None = None, scale: bool = True
) -> tuple[Any, Any]:
    """``softmax(Q K^T / sqrt(d_k)) V`` over the last two axes.

    Args:
        query: ``(..., q_length, d_k)``.
        key: ``(..., k_length, d_k)``.
        value: ``(..., k_length, d_v)``.
        mask: boolean, broadcastable to ``(..., q_length, k_length)``; ``True`` = may attend.
        scale: divide the scores by ``sqrt(d_k)`` (chapter 06 shows what happens without it).

    Returns:
        ``(output, weights)``: ``(..., q_length, d_v)`` and ``(..., q_length, k_length)``.

    Example:
        >>> q = k = v = ops.eye(2)[None]  # (1, 2, 2)
        >>> out, w = scaled_dot_product_attention(q, k, v)
        >>> [round(float(x), 3) for x in ops.convert_to_numpy(w)[0, 0]]
        [0.67, 0.33]
    """
    scores = ops.matmul(query, ops.swapaxes(key, -1, -2))  # (..., q, k)
    if scale:
        scores = scores / math.sqrt(int(query.shape[-1]))
    if mask is not None:
        scores = ops.where(mask, scores, ops.cast(MASK_VALUE, scores.dtype))
    weights = ops.softmax(scores, axis=-1)
    return ops.matmul(weights, value), weights


@keras.saving.register_keras_serializable(package="course")
class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention written from the equations (the kit's own; equals Keras' layer).

    Each head projects the inputs to its own queries, keys and values, attends, and the heads'
    outputs are projected back to the model width:

        head_h = Attention(X_q W_q^h, X_kv W_k^h, X_kv W_v^h);  out = [head_1 ... head_H] W_o

    The weights have the shapes and order of ``keras.layers.MultiHeadAttention`` (query, key,
    value, output; kernel then bias), so ``layer.set_weights(keras_layer.get_weights())`` makes
    the two compute the same function.

    Args:
        num_heads: number of heads.
        key_dim: width of each head's queries and keys (and values).
        use_causal_mask: let position ``i`` attend to positions ``<= i`` only.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> import numpy as np
        >>> layer = MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = np.zeros((1, 5, 8), "float32")
        >>> tuple(layer(x, x).shape)
        (1, 5, 8)
    """

    def __init__(self, num_heads: int, key_dim: int, use_causal_mask: bool = False, **kwargs):
        super().__init__(**kwargs)
        if num_heads < 1 or key_dim < 1:
            raise ValueError(f"num_heads and key_dim must be positive, got {num_heads}, {key_dim}.")
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.use_causal_mask = use_causal_mask

    def build(self, query_shape, value_shape=None):
        width = int(query_shape[-1])
        source = int((value_shape or query_shape)[-1])
        heads, dim = self.num_heads, self.key_dim
        for name, rows in (("query", width), ("key", source), ("value", source)):
            setattr(self, f"{name}_kernel", self.add_weight(name=f"{name}_kernel",
                                                           shape=(rows, heads, dim)))
            setattr(self, f"{name}_bias", self.add_weight(name=f"{name}_bias",
                                                         shape=(heads, dim), initializer="zeros"))
        self.output_kernel = self.add_weight(name="output_kernel", shape=(heads, dim, width))
        self.output_bias = self.add_weight(name="output_bias", shape=(width,), initializer="zeros")

    def call(self, query, value=None, attention_mask=None, return_attention_scores=False):
        value = query if value is None else value
        # (batch, time, features) @ (features, heads, dim) -> (batch, heads, time, dim)
        q = ops.einsum("btf,fhd->bhtd", query, self.query_kernel) + self.query_bias[:, None, :]
        k = ops.einsum("btf,fhd->bhtd", value, self.key_kernel) + self.key_bias[:, None, :]
        v = ops.einsum("btf,fhd->bhtd", value, self.value_kernel) + self.value_bias[:, None, :]
        mask = None
        if self.use_causal_mask:
            mask = causal_mask(ops.shape(query)[1])
        if attention_mask is not None:
            extra = ops.expand_dims(ops.cast(attention_mask, "bool"), 1)  # broadcast over heads
            mask = extra if mask is None else ops.logical_and(mask, extra)
        heads, weights = scaled_dot_product_attention(q, k, v, mask)  # (batch, heads, time, dim)
        output = ops.einsum("bhtd,hdf->btf", heads, self.output_kernel) + self.output_bias
        return (output, weights) if return_attention_scores else output

    def call_with_cache(self, query, cache, cache_index):
        """Self-attention for new positions, reusing the keys and values of earlier ones.

        Generation feeds one new token at a time. Its key and value are computed once, written
        into ``cache`` at ``cache_index``, and the new query attends over the whole cache up to
        its own position. Each new token then costs one step instead of a pass over the prefix.

        Args:
            query: ``(batch, new, features)``, the new positions (self-attention).
            cache: ``(batch, 2, heads, max_length, key_dim)`` keys (index 0) and values (1).
            cache_index: position of the first new token in the sequence (an int or scalar).

        Returns:
            ``(output, cache)``: ``(batch, new, features)`` and the updated cache.
        """
        q = ops.einsum("btf,fhd->bhtd", query, self.query_kernel) + self.query_bias[:, None, :]
        k = ops.einsum("btf,fhd->bhtd", query, self.key_kernel) + self.key_bias[:, None, :]
        v = ops.einsum("btf,fhd->bhtd", query, self.value_kernel) + self.value_bias[:, None, :]
        start = [0, 0, cache_index, 0]
        keys = ops.slice_update(cache[:, 0], start, ops.cast(k, cache.dtype))
        values = ops.slice_update(cache[:, 1], start, ops.cast(v, cache.dtype))
        cache = ops.stack([keys, values], axis=1)
        new, max_length = ops.shape(query)[1], ops.shape(cache)[3]
        query_positions = ops.arange(new) + cache_index  # absolute positions of the queries
        mask = ops.greater_equal(query_positions[:, None], ops.arange(max_length)[None, :])
        heads, _ = scaled_dot_product_attention(q, keys, values, mask)
        output = ops.einsum("bhtd,hdf->btf", heads, self.output_kernel) + self.output_bias
        return output, cache

    def compute_output_shape(self, query_shape, value_shape=None):
        return query_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {"num_heads": self.num_heads, "key_dim": self.key_dim,
             "use_causal_mask": self.use_causal_mask}
        )
        return config
