"""An encoder-decoder Transformer for translation (chapter 09), built from the kit's own blocks.

    source ids -> embeddings + positions -> EncoderBlock x N -> LayerNorm -> encoder outputs
    target ids -> embeddings + positions -> CrossAttentionDecoderBlock x N (each attends to the
                  encoder outputs) -> LayerNorm -> Dense -> logits for the next target token

Training uses teacher forcing: the decoder reads the reference shifted right (``<start> y_1 ..
y_{T-1}``) and predicts ``y_1 .. y_T <end>``, every position at once, the causal mask keeping
each from seeing its answer. Id 0 is padding on both sides: padded source positions are hidden
from the cross-attention, padded target positions from the self-attention (and from the loss,
which is the caller's job, e.g. with ``sample_weight``).

:func:`seq2seq_next` turns a trained model and a batch of sources into a ``course.generation``
next function with a key/value cache, for :func:`course.generation.greedy_translate` and
:func:`course.generation.beam_search_translate`.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from course.layers.cross_attention import CrossAttentionDecoderBlock
from course.layers.positions import LearnedPositionEmbedding
from course.layers.transformer import EncoderBlock

PADDING_ID = 0


@keras.saving.register_keras_serializable(package="course")
class Seq2SeqTransformer(keras.Model):
    """A pre-layer-norm encoder-decoder Transformer: (source ids, target ids) in, logits out.

    Args:
        source_vocabulary_size: number of source token ids (id 0 is padding).
        target_vocabulary_size: number of target token ids (id 0 is padding).
        sequence_length: the most positions on either side (source or target).
        num_layers: blocks in the encoder, and again in the decoder.
        num_heads: attention heads per block.
        hidden_dim: width of the residual stream on both sides.
        intermediate_dim: width of each block's feed-forward layer.
        dropout: dropout rate inside the blocks and on the embeddings.
        **kwargs: passed to ``keras.Model``.

    Call args:
        inputs: ``(source_ids, target_ids)``, each ``(batch, time)`` integer ids, padded with 0.
        training: enables dropout.

    Returns:
        ``(batch, target_time, target_vocabulary_size)`` logits; position ``t`` scores the
        target token after ``target_ids[:, :t + 1]``.

    Example:
        >>> model = Seq2SeqTransformer(20, 30, sequence_length=8, num_layers=1, num_heads=2,
        ...                            hidden_dim=8, intermediate_dim=16)
        >>> source, target = np.ones((3, 6), "int32"), np.ones((3, 5), "int32")
        >>> tuple(model((source, target)).shape)
        (3, 5, 30)
    """

    def __init__(
        self,
        source_vocabulary_size: int,
        target_vocabulary_size: int,
        sequence_length: int,
        num_layers: int,
        num_heads: int,
        hidden_dim: int,
        intermediate_dim: int,
        dropout: float = 0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (("source_vocabulary_size", source_vocabulary_size),
                            ("target_vocabulary_size", target_vocabulary_size),
                            ("sequence_length", sequence_length), ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}.")
        self.source_vocabulary_size = source_vocabulary_size
        self.target_vocabulary_size = target_vocabulary_size
        self.sequence_length = sequence_length
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        initializer = keras.initializers.RandomNormal(stddev=0.02)
        self.source_embedding = keras.layers.Embedding(
            source_vocabulary_size, hidden_dim, embeddings_initializer=initializer,
            name="source_embedding",
        )
        self.target_embedding = keras.layers.Embedding(
            target_vocabulary_size, hidden_dim, embeddings_initializer=initializer,
            name="target_embedding",
        )
        self.source_positions = LearnedPositionEmbedding(sequence_length, name="source_positions")
        self.target_positions = LearnedPositionEmbedding(sequence_length, name="target_positions")
        self.embedding_dropout = keras.layers.Dropout(dropout)
        self.encoder_blocks = [
            EncoderBlock(num_heads, intermediate_dim, dropout, name=f"encoder_{i}")
            for i in range(num_layers)
        ]
        self.decoder_blocks = [
            CrossAttentionDecoderBlock(num_heads, intermediate_dim, dropout, name=f"decoder_{i}")
            for i in range(num_layers)
        ]
        self.encoder_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="encoder_norm")
        self.decoder_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="decoder_norm")
        self.output_dense = keras.layers.Dense(target_vocabulary_size, name="logits")

    def build(self, input_shape=None):
        shape = (None, self.sequence_length, self.hidden_dim)
        self.source_embedding.build((None, self.sequence_length))
        self.target_embedding.build((None, self.sequence_length))
        self.source_positions.build(shape)
        self.target_positions.build(shape)
        for block in self.encoder_blocks:
            block.build(shape)
        for block in self.decoder_blocks:
            block.build(shape, shape)
        self.encoder_norm.build(shape)
        self.decoder_norm.build(shape)
        self.output_dense.build(shape)
        self.built = True

    def _check_length(self, length: Any, side: str) -> None:
        if isinstance(length, int) and length > self.sequence_length:
            raise ValueError(
                f"The {side} has {length} positions but the model takes at most "
                f"sequence_length={self.sequence_length}; shorten it or build a model with a "
                "longer sequence_length."
            )

    def encode(self, source_ids: Any, training: Any = None) -> Any:
        """The encoder's outputs: ``(batch, source_time, hidden_dim)``.

        Args:
            source_ids: ``(batch, source_time)`` ids, padded with 0.
            training: enables dropout.
        """
        self._check_length(source_ids.shape[1], "source")
        mask = ops.not_equal(source_ids, PADDING_ID)  # (batch, source_time)
        x = self.source_embedding(source_ids)  # (batch, source_time, hidden)
        x = self.embedding_dropout(x + self.source_positions(x), training=training)
        for block in self.encoder_blocks:
            x = block(x, padding_mask=mask, training=training)
        return self.encoder_norm(x)

    def decode(self, target_ids: Any, encoder_outputs: Any, source_ids: Any, training: Any = None,
               return_attention_scores: bool = False) -> Any:
        """Logits for every target position, given the encoder's outputs (teacher forcing).

        Args:
            target_ids: ``(batch, target_time)`` ids, starting with the start token.
            encoder_outputs: from :meth:`encode`.
            source_ids: the source ids (for the source padding mask).
            training: enables dropout.
            return_attention_scores: also return each decoder block's cross-attention weights,
                a list of ``(batch, heads, target_time, source_time)`` tensors.

        Returns:
            ``(batch, target_time, target_vocabulary_size)`` logits (and the weights).
        """
        self._check_length(target_ids.shape[1], "target")
        source_mask = ops.not_equal(source_ids, PADDING_ID)
        target_mask = ops.not_equal(target_ids, PADDING_ID)
        y = self.target_embedding(target_ids)  # (batch, target_time, hidden)
        y = self.embedding_dropout(y + self.target_positions(y), training=training)
        weights = []
        for block in self.decoder_blocks:
            y, block_weights = block(y, encoder_outputs, decoder_padding_mask=target_mask,
                                     encoder_padding_mask=source_mask, training=training,
                                     return_attention_scores=True)
            weights.append(block_weights)
        logits = self.output_dense(self.decoder_norm(y))
        return (logits, weights) if return_attention_scores else logits

    def call(self, inputs, training=None):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise TypeError(
                "Seq2SeqTransformer takes (source_ids, target_ids), a pair of (batch, time) id "
                f"arrays; got {type(inputs).__name__}."
            )
        source_ids, target_ids = inputs
        encoder_outputs = self.encode(source_ids, training=training)
        return self.decode(target_ids, encoder_outputs, source_ids, training=training)

    def empty_cache(self, batch_size: int) -> Any:
        """A zero self-attention cache: ``(batch, num_layers, 2, heads, sequence_length,
        head_dim)``."""
        head_dim = self.hidden_dim // self.num_heads
        return ops.zeros(
            (batch_size, self.num_layers, 2, self.num_heads, self.sequence_length, head_dim),
            dtype=self.compute_dtype,
        )

    def call_with_cache(self, target_ids, encoder_outputs, source_mask, cache, cache_index):
        """Logits for new target tokens at positions ``cache_index ...``, reusing the cache.

        Args:
            target_ids: ``(batch, new)`` ids.
            encoder_outputs: from :meth:`encode`.
            source_mask: ``(batch, source_time)``, true for real source tokens.
            cache: from :meth:`empty_cache` or a previous call.
            cache_index: the position of the first new token (a scalar tensor or int).

        Returns:
            ``(logits, cache)``: ``(batch, new, target_vocabulary_size)`` and the new cache.
        """
        y = self.target_embedding(target_ids)  # (batch, new, hidden)
        # a tensor index, so that XLA compiles the step once for every position
        positions = ops.arange(ops.shape(target_ids)[1]) + cache_index
        y = y + ops.take(self.target_positions.position_embeddings, positions, axis=0)
        caches = []
        for i, block in enumerate(self.decoder_blocks):
            y, layer_cache = block.call_with_cache(y, encoder_outputs, source_mask, cache[:, i],
                                                   cache_index)
            caches.append(layer_cache)
        return self.output_dense(self.decoder_norm(y)), ops.stack(caches, axis=1)

    def get_config(self):
        return {
            "name": self.name,
            "source_vocabulary_size": self.source_vocabulary_size,
            "target_vocabulary_size": self.target_vocabulary_size,
            "sequence_length": self.sequence_length,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "hidden_dim": self.hidden_dim,
            "intermediate_dim": self.intermediate_dim,
            "dropout": self.dropout,
        }


@keras.saving.register_keras_serializable(package="course")
class SequenceLoss(keras.losses.Loss):
    """Cross-entropy per target token, padding left out, with optional label smoothing.

    Label smoothing trains towards ``(1 - label_smoothing)`` on the reference token and spreads
    the rest evenly over the vocabulary: the loss of one token is
    ``(1 - e) * -log p(y) + e * mean_v(-log p(v))``, which keeps the model from growing ever
    more certain (a translation usually has more than one right word). The result is the mean
    over real (non-padding) tokens, as ``SparseCategoricalCrossentropy(ignore_class=0)`` gives
    when ``label_smoothing=0``.

    Args:
        label_smoothing: ``e`` in [0, 1); 0.1 is the Transformer paper's choice.
        padding_id: the target id that is not scored.
        **kwargs: passed to ``keras.losses.Loss`` (e.g. ``name``).

    Example:
        >>> loss = SequenceLoss(label_smoothing=0.1)
        >>> logits = np.log([[[0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.25, 0.25]]])
        >>> round(float(loss(np.array([[1, 0]]), logits)), 4)  # the padded position is ignored
        2.2539
    """

    def __init__(self, label_smoothing: float = 0.0, padding_id: int = PADDING_ID, **kwargs):
        kwargs.setdefault("name", "sequence_loss")
        super().__init__(**kwargs)
        if isinstance(label_smoothing, bool) or not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}.")
        self.label_smoothing = float(label_smoothing)
        self.padding_id = padding_id

    def call(self, y_true, y_pred):
        targets = ops.cast(y_true, "int32")  # (batch, time)
        log_probabilities = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
        chosen = ops.take_along_axis(log_probabilities, targets[..., None], axis=-1)[..., 0]
        per_token = -(1.0 - self.label_smoothing) * chosen
        if self.label_smoothing:
            per_token -= self.label_smoothing * ops.mean(log_probabilities, axis=-1)
        real = ops.cast(ops.not_equal(targets, self.padding_id), "float32")
        return ops.sum(per_token * real) / ops.maximum(ops.sum(real), 1.0)  # a scalar

    def get_config(self):
        config = super().get_config()
        config.update({"label_smoothing": self.label_smoothing, "padding_id": self.padding_id})
        return config


def seq2seq_next(model: Seq2SeqTransformer, source_ids: Any,
                 jit_compile: bool = True) -> tuple[Any, Any]:
    """A ``course.generation`` next function for a batch of sources, with a key/value cache.

    The sources are encoded once. The returned state holds the encoder's outputs, the source
    mask, the decoder's self-attention cache and the next position; every tensor in it has the
    batch first, so beam search can repeat and reorder it.

    Args:
        model: a trained :class:`Seq2SeqTransformer`.
        source_ids: ``(batch, source_time)`` ids, padded with 0.
        jit_compile: compile the one-token step with XLA (the position is a tensor, so it is
            compiled once).

    Returns:
        ``(next_logits, state)``: the next function (``next_logits(new_ids, state) -> (logits,
        state)``, ``new_ids`` of shape ``(batch, 1)``) and its starting state.

    Example:
        >>> model = Seq2SeqTransformer(20, 30, sequence_length=8, num_layers=1, num_heads=2,
        ...                            hidden_dim=8, intermediate_dim=16)
        >>> next_logits, state = seq2seq_next(model, np.ones((3, 6), "int32"), jit_compile=False)
        >>> logits, state = next_logits(np.full((3, 1), 1), state)
        >>> tuple(logits.shape), state[-1]
        ((3, 30), 1)
    """
    import tensorflow as tf

    source_ids = np.asarray(source_ids, dtype=np.int32)
    if source_ids.ndim != 2:
        raise ValueError(f"source_ids must have shape (batch, time), got {source_ids.shape}.")
    if not model.built:
        model.build()
    encoder_outputs = model.encode(tf.constant(source_ids), training=False)
    source_mask = tf.constant(source_ids != PADDING_ID)

    @tf.function(jit_compile=jit_compile, reduce_retracing=True)
    def step(ids, outputs, mask, cache, index):
        logits, cache = model.call_with_cache(ids, outputs, mask, cache, index)
        return logits[:, -1, :], cache  # (batch, vocabulary)

    def next_logits(new_ids: Any, state: Any) -> tuple[Any, Any]:
        outputs, mask, cache, index = state
        new_ids = np.asarray(new_ids, dtype=np.int32)
        if index + new_ids.shape[1] > model.sequence_length:
            raise ValueError(
                f"The translation reached the model's sequence_length={model.sequence_length}; "
                "pass a smaller max_length to the decoder."
            )
        logits, cache = step(tf.constant(new_ids), outputs, mask, cache, tf.constant(index))
        return logits, (outputs, mask, cache, index + new_ids.shape[1])

    next_logits.step = step  # the compiled step, for counting its traces
    state = (encoder_outputs, source_mask, model.empty_cache(len(source_ids)), 0)
    return next_logits, state
