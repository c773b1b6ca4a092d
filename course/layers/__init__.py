# ruff: noqa: E402  (TensorFlow is imported quietly before the modules that use Keras)
"""Keras layers that the chapters build from their equations, checked against Keras' own.

Each chapter proves its scratch version equal to the reference and later chapters import it
from here. Every layer is registered for ``.keras`` saving under the package name ``course``.

* :class:`SimpleRNNCell` (chapter 04) - ``h_t = tanh(x_t W_xh + h_{t-1} W_hh + b)``, for
  ``keras.layers.RNN``.
* :class:`LSTMCell` and :class:`GRUCell` (chapter 05) - the gated cells, in the weight layout of
  ``keras.layers.LSTM`` and ``keras.layers.GRU``, for ``keras.layers.RNN``.
* :class:`MultiHeadAttention` (chapter 06) - attention with the weight layout of
  ``keras.layers.MultiHeadAttention``, plus a key/value cache for generation; the functions
  ``scaled_dot_product_attention``, ``causal_mask`` and ``padding_mask`` live beside it.
* :class:`SinusoidalPositionEncoding`, :class:`LearnedPositionEmbedding`,
  :class:`RotaryEmbedding` (chapter 06) - position information.
* :class:`DecoderBlock` (chapter 07) - GPT-2's pre-layer-norm Transformer block.
* :class:`EncoderBlock` (chapter 08) - the bidirectional block (no causal mask, a padding mask),
  pre- or post-layer-norm; it shares :class:`TransformerBlock` with the decoder.
* :class:`CrossAttentionDecoderBlock` (chapter 09) - the decoder block of an encoder-decoder:
  causal self-attention, cross-attention to the encoder's outputs, feed-forward.
"""

from course.environment import quiet_tensorflow

quiet_tensorflow()  # before any module here imports Keras, so TensorFlow starts quietly

from course.layers.attention import (
    MultiHeadAttention,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)
from course.layers.cross_attention import CrossAttentionDecoderBlock
from course.layers.gated import GRUCell, LSTMCell
from course.layers.positions import (
    LearnedPositionEmbedding,
    RotaryEmbedding,
    SinusoidalPositionEncoding,
)
from course.layers.recurrent import SimpleRNNCell
from course.layers.transformer import DecoderBlock, EncoderBlock, TransformerBlock

__all__ = [
    "CrossAttentionDecoderBlock",
    "DecoderBlock",
    "EncoderBlock",
    "GRUCell",
    "LSTMCell",
    "LearnedPositionEmbedding",
    "MultiHeadAttention",
    "RotaryEmbedding",
    "SimpleRNNCell",
    "SinusoidalPositionEncoding",
    "TransformerBlock",
    "causal_mask",
    "padding_mask",
    "scaled_dot_product_attention",
]
