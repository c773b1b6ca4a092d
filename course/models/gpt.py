"""A GPT-style language model built from the kit's own layers (chapter 07).

Token embeddings plus learned position embeddings, a stack of pre-layer-norm decoder blocks, a
final layer norm, and logits from the token embedding table itself (weight tying, as in GPT-2).
The architecture is GPT-2's, so :func:`to_keras_hub` can copy the weights into keras-hub's
``GPT2Backbone`` and the model can be saved as a keras-hub preset.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import ops

from course.layers.positions import LearnedPositionEmbedding, check_positions
from course.layers.transformer import DecoderBlock


@keras.saving.register_keras_serializable(package="course")
class GPT(keras.Model):
    """A decoder-only Transformer language model: token ids in, next-token logits out.

    Args:
        vocabulary_size: number of token ids.
        sequence_length: the context length, the most positions the model can see at once.
        num_layers: decoder blocks.
        num_heads: attention heads per block.
        hidden_dim: width of the residual stream (the embedding size).
        intermediate_dim: width of each block's feed-forward layer.
        dropout: dropout rate inside the blocks and on the embeddings.
        **kwargs: passed to ``keras.Model``.

    Example:
        >>> import numpy as np
        >>> gpt = GPT(vocabulary_size=20, sequence_length=8, num_layers=1, num_heads=2,
        ...           hidden_dim=8, intermediate_dim=16)
        >>> tuple(gpt(np.zeros((3, 8), "int32")).shape)
        (3, 8, 20)
    """

    def __init__(
        self,
        vocabulary_size: int,
        sequence_length: int,
        num_layers: int,
        num_heads: int,
        hidden_dim: int,
        intermediate_dim: int,
        dropout: float = 0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size
        self.sequence_length = sequence_length
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.token_embedding = keras.layers.Embedding(
            vocabulary_size,
            hidden_dim,
            embeddings_initializer=keras.initializers.RandomNormal(stddev=0.02),
            name="token_embedding",
        )
        self.position_embedding = LearnedPositionEmbedding(sequence_length, name="positions")
        self.embedding_dropout = keras.layers.Dropout(dropout)
        self.blocks = [
            DecoderBlock(num_heads, intermediate_dim, dropout, name=f"block_{i}")
            for i in range(num_layers)
        ]
        self.final_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")

    def build(self, input_shape=None):
        shape = (None, self.sequence_length, self.hidden_dim)
        self.token_embedding.build((None, self.sequence_length))
        self.position_embedding.build(shape)
        for block in self.blocks:
            block.build(shape)
        self.final_norm.build(shape)
        self.built = True

    def _check_length(self, length: Any, start: Any = 0) -> None:
        check_positions(
            length, start, self.sequence_length, "the model's context",
            f"Keep only the last {self.sequence_length} tokens, or use course.generation, which "
            "slides the window for you.",
        )

    def _logits(self, x):
        x = self.final_norm(x)
        return ops.matmul(x, ops.transpose(self.token_embedding.embeddings))  # (b, t, vocab)

    def call(self, token_ids, training=None):
        self._check_length(token_ids.shape[1])
        x = self.token_embedding(token_ids)  # (batch, time, hidden)
        x = x + self.position_embedding(x)
        x = self.embedding_dropout(x, training=training)
        for block in self.blocks:
            x = block(x, training=training)
        return self._logits(x)  # (batch, time, vocabulary)

    def empty_cache(self, batch_size: int) -> Any:
        """A zero key/value cache: ``(batch, num_layers, 2, heads, sequence_length, head_dim)``."""
        head_dim = self.hidden_dim // self.num_heads
        return ops.zeros(
            (batch_size, self.num_layers, 2, self.num_heads, self.sequence_length, head_dim),
            dtype=self.compute_dtype,
        )

    def call_with_cache(self, token_ids, cache, cache_index):
        """Logits for new tokens at positions ``cache_index ...``, reusing the cached keys/values.

        Args:
            token_ids: ``(batch, new)`` ids (the whole prompt once, then one token at a time).
            cache: from :meth:`empty_cache` or a previous call.
            cache_index: the position of the first new token.

        Returns:
            ``(logits, cache)``: ``(batch, new, vocabulary)`` and the updated cache.
        """
        self._check_length(token_ids.shape[1], cache_index)
        x = self.token_embedding(token_ids)  # (batch, new, hidden)
        # Gather the rows of the new positions with a tensor index. A slice starting at
        # cache_index would make XLA treat the start as a compile-time constant and compile
        # the step again for every new position.
        positions = ops.arange(ops.shape(token_ids)[1]) + cache_index  # (new,)
        x = x + ops.take(self.position_embedding.position_embeddings, positions, axis=0)
        caches = []
        for i, block in enumerate(self.blocks):
            x, layer_cache = block.call_with_cache(x, cache[:, i], cache_index)
            caches.append(layer_cache)
        return self._logits(x), ops.stack(caches, axis=1)

    def get_config(self):
        return {
            "name": self.name,
            "vocabulary_size": self.vocabulary_size,
            "sequence_length": self.sequence_length,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "hidden_dim": self.hidden_dim,
            "intermediate_dim": self.intermediate_dim,
            "dropout": self.dropout,
        }


def to_keras_hub(model: GPT) -> Any:
    """A keras-hub ``GPT2Backbone`` with the same architecture and a copy of the weights.

    Args:
        model: a built :class:`GPT`.

    Returns:
        The backbone; ``keras_hub.models.GPT2CausalLM(backbone, preprocessor)`` wraps it for
        generation and ``save_to_preset`` writes a preset that ``from_preset`` reads back.
    """
    import keras_hub

    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=model.vocabulary_size,
        num_layers=model.num_layers,
        num_heads=model.num_heads,
        hidden_dim=model.hidden_dim,
        intermediate_dim=model.intermediate_dim,
        dropout=model.dropout,
        max_sequence_length=model.sequence_length,
    )
    backbone.get_layer("token_embedding").embeddings.assign(model.token_embedding.embeddings)
    backbone.get_layer("position_embedding").position_embeddings.assign(
        model.position_embedding.position_embeddings
    )
    for i, block in enumerate(model.blocks):
        # keras_hub_weights lists them in keras-hub's order (a test checks the copy by
        # comparing the two models' logits).
        backbone.get_layer(f"transformer_layer_{i}").set_weights(block.keras_hub_weights())
    backbone.get_layer("layer_norm").set_weights(model.final_norm.get_weights())
    return backbone


def cached_next(model: GPT, jit_compile: bool = True) -> Any:
    """A ``course.generation`` next function for :class:`GPT` with a key/value cache.

    The prompt is run once to fill the cache; after that each new token costs one step. The
    position embeddings are absolute and learned, so the cache cannot slide: when the text
    reaches the context length, the function keeps the last half of the ids, refills the cache
    from them (their positions start again at 0), and goes on. Generation can therefore run
    past the context length, at the price of one refill every ``sequence_length // 2`` tokens.

    Args:
        model: a trained :class:`GPT`.
        jit_compile: compile the two steps (prefill, one token) with XLA. Positions are passed
            as tensors, so no step is recompiled as the text grows.

    Returns:
        ``next_logits(new_ids, state) -> (logits, state)`` (see ``course.generation``); the
        state holds the cache, the next position and the ids so far.
    """
    tf = _tf()
    keep = _refill_length(model)

    @tf.function(jit_compile=jit_compile, reduce_retracing=True)
    def run(ids, cache, index):
        logits, cache = model.call_with_cache(ids, cache, index)
        return logits[:, -1, :], cache  # (batch, vocabulary)

    def prefill(ids: Any) -> tuple[Any, Any]:
        cache = model.empty_cache(len(ids))
        logits, cache = run(tf.constant(ids), cache, tf.constant(0))
        return logits, (cache, ids.shape[1], ids)

    def next_logits(new_ids: Any, state: Any) -> tuple[Any, Any]:
        import numpy as np

        new_ids = np.asarray(new_ids, dtype=np.int32)
        if state is None:
            ids = new_ids
            if ids.shape[1] > model.sequence_length:
                ids = ids[:, -model.sequence_length :]  # only the last context fits
            return prefill(ids)
        cache, index, ids = state
        ids = np.concatenate([ids, new_ids], axis=1)
        if index + new_ids.shape[1] > model.sequence_length:
            return prefill(ids[:, -keep:])  # the window slides: refill from the last half
        logits, cache = run(tf.constant(new_ids), cache, tf.constant(index))
        return logits, (cache, index + new_ids.shape[1], ids)

    next_logits.step = run  # the compiled step, for counting its traces
    return next_logits


def _refill_length(model: GPT) -> int:
    """How many of the last ids refill the cache when the text reaches the context length."""
    return max(1, model.sequence_length // 2)


def compiled_generate(model: GPT, prompt_ids: Any, max_new_tokens: int,
                      temperature: float = 0.0, seed: int = 0,
                      jit_compile: bool = True) -> np.ndarray:
    """Generate with the key/value cache and the whole token loop inside one compiled graph.

    :func:`cached_next` makes each token cheap for the model, but every token still makes a
    round trip through Python (a call, a NumPy conversion, the sampler). For a small model that
    round trip costs more than the model itself. Here the loop over new tokens is a
    ``tf.while_loop`` compiled with the model, so Python is visited once per *window*, not
    once per token. The window policy is :func:`cached_next`'s: when the text reaches the
    context length, the cache is refilled from the last half of it. With ``temperature=0`` the
    tokens are exactly those of ``GreedySampler()(cached_next(model), ...)``.

    Args:
        model: a trained :class:`GPT`.
        prompt_ids: ``(batch, length)`` or ``(length,)`` token ids, at least one.
        max_new_tokens: how many tokens to add.
        temperature: 0 for greedy decoding; above 0, sample from ``softmax(logits / temperature)``.
        seed: the seed of the sampling (the same seed gives the same tokens).
        jit_compile: compile with XLA. The graph is traced once per prompt length (the first
            window) and once for the refill windows; the number of new tokens is a tensor.

    Returns:
        The prompt followed by the new tokens, ``(batch, length + max_new_tokens)`` (or 1-D for
        a 1-D prompt).

    Example:
        >>> gpt = GPT(vocabulary_size=12, sequence_length=6, num_layers=1, num_heads=2,
        ...           hidden_dim=8, intermediate_dim=16)
        >>> compiled_generate(gpt, [1, 2], max_new_tokens=9, jit_compile=False).shape
        (11,)
    """
    from course.generation import checked_request

    prompt = checked_request(prompt_ids, max_new_tokens)
    flat = prompt.ndim == 1
    ids = prompt[None] if flat else prompt
    if not math.isfinite(temperature) or temperature < 0:
        raise ValueError(f"temperature must be 0 (greedy) or above, got {temperature!r}.")
    if not model.built:
        model(ids[:, :1])  # create the weights
    segment = _window_generator(model, jit_compile)
    context, keep = model.sequence_length, _refill_length(model)
    window, remaining, round_ = ids[:, -context:], max_new_tokens, 0
    while remaining > 0:
        # A window of length L feeds positions L .. context-1, so it yields context - L + 1
        # tokens: the logits of the prompt, then one per position fed.
        count = min(remaining, context - window.shape[1] + 1)
        new = segment(window, count, float(temperature), [seed, round_])
        ids = np.concatenate([ids, np.asarray(new)[:, :count]], axis=1)
        remaining, round_ = remaining - count, round_ + 1
        window = ids[:, -keep:]
    return ids[0] if flat else ids


def _window_generator(model: GPT, jit_compile: bool) -> Any:
    """The compiled function behind :func:`compiled_generate`, made once per model and mode."""
    key = f"_window_generator_{bool(jit_compile)}"
    if key in model.__dict__:
        return model.__dict__[key]
    tf = _tf()
    context = model.sequence_length

    def choose(logits, temperature, seed, step):
        def draw():
            scaled = logits / tf.maximum(temperature, 1e-6)
            return tf.random.stateless_categorical(scaled, 1, seed=seed + tf.stack([0, step]),
                                                   dtype=tf.int32)[:, 0]

        return tf.cond(temperature > 0, draw,
                       lambda: tf.argmax(logits, axis=-1, output_type=tf.int32))

    @tf.function(jit_compile=jit_compile, reduce_retracing=True)
    def segment(window, count, temperature, seed):
        batch, length = tf.shape(window)[0], tf.shape(window)[1]
        logits, cache = model.call_with_cache(window, model.empty_cache(batch), 0)
        first = choose(logits[:, -1, :], temperature, seed, 0)
        slots = tf.range(context + 1)[None, :]
        empty = tf.zeros(tf.stack([batch, context + 1]), tf.int32)
        out = tf.where(slots == 0, first[:, None], empty)

        def body(step, token, cache, out):  # feed the last token at its position, choose the next
            logits, cache = model.call_with_cache(token[:, None], cache, length + step - 1)
            token = choose(logits[:, -1, :], temperature, seed, step)
            return step + 1, token, cache, tf.where(slots == step, token[:, None], out)

        _, _, _, out = tf.while_loop(lambda step, *_: step < count, body,
                                     (tf.constant(1), first, cache, out))
        return out

    def run(window, count, temperature, seed):
        return segment(tf.constant(window), tf.constant(count, tf.int32),
                       tf.constant(temperature, tf.float32), tf.constant(seed, tf.int32))

    run.step = segment  # the compiled function, for counting its traces
    model.__dict__[key] = run
    return run


def future_leak(model: Any, ids: Any, position: int | None = None,
                vocabulary_size: int | None = None) -> float:
    """How much a model's predictions up to ``position`` change when only later tokens change.

    A language model that predicts token ``t + 1`` from tokens ``<= t`` must not read the tokens
    after ``t``: with a causal mask, the logits at positions ``0 .. position`` are the same
    whatever follows. This function changes every token after ``position`` (each to a different
    id), runs the model on both versions, and returns the largest absolute difference of the
    logits at positions ``0 .. position``: zero (up to rounding) for a causal model, clearly
    more for one that can see the future.

    Args:
        model: maps ``(batch, time)`` ids to ``(batch, time, vocabulary)`` logits.
        ids: ``(time,)`` or ``(batch, time)`` token ids, at least 2 positions.
        position: the last position whose logits are compared; default the middle.
        vocabulary_size: the number of ids (default ``model.vocabulary_size``), so that the
            changed ids stay valid.

    Returns:
        The largest change of a logit at positions ``<= position``, as a float.

    Example:
        >>> import numpy as np
        >>> gpt = GPT(vocabulary_size=20, sequence_length=8, num_layers=1, num_heads=2,
        ...           hidden_dim=8, intermediate_dim=16)
        >>> future_leak(gpt, np.arange(8)) < 1e-5
        True
    """
    import numpy as np

    ids = np.asarray(ids.numpy() if hasattr(ids, "numpy") else ids)
    ids = ids[None, :] if ids.ndim == 1 else ids
    if ids.ndim != 2 or ids.shape[1] < 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            f"ids must be integer token ids of shape (time,) or (batch, time) with time >= 2, "
            f"got shape {ids.shape} and dtype {ids.dtype}."
        )
    length = ids.shape[1]
    position = length // 2 - 1 if position is None else position
    if (isinstance(position, bool) or not isinstance(position, int)
            or not 0 <= position < length - 1):
        raise ValueError(
            f"position must be an int from 0 to {length - 2} (some tokens must follow it), "
            f"got {position!r}."
        )
    vocabulary_size = vocabulary_size or getattr(model, "vocabulary_size", None)
    if not isinstance(vocabulary_size, int) or vocabulary_size < 2:
        raise ValueError(
            f"Pass vocabulary_size= (an int >= 2): the model has no vocabulary_size attribute, "
            f"got {vocabulary_size!r}."
        )
    ids = ids.astype(np.int32)
    changed = ids.copy()
    changed[:, position + 1 :] = (ids[:, position + 1 :] + 1) % vocabulary_size  # all differ
    before = ops.convert_to_numpy(model(ids, training=False))[:, : position + 1]
    after = ops.convert_to_numpy(model(changed, training=False))[:, : position + 1]
    return float(np.max(np.abs(before.astype(np.float64) - after)))


def _tf():
    from course.environment import quiet_tensorflow

    return quiet_tensorflow()
