"""Generating text: samplers, and the functions that hand them the next token's logits.

A language model gives logits for the token that comes next. Generation repeats three things:
turn the logits into probabilities, pick a token, and ask the model for the logits after it. A
:class:`Sampler` owns that loop; its variants differ only in how they pick
(:meth:`Sampler.get_next_token`):

* :class:`TemperatureSampler` draws from ``softmax(logits / temperature)``: below 1 the choice
  sharpens towards the most likely token, above 1 it flattens towards uniform;
* :class:`GreedySampler` always takes the most likely token (what a temperature near 0 gives);
* :class:`TopKSampler` and :class:`TopPSampler` (chapter 07) sample from the ``k`` most likely
  tokens, or from the smallest set whose probability reaches ``p``;
* :class:`BeamSampler` (chapter 07) keeps the ``num_beams`` most probable continuations.

The model is reached through a *next function*, ``next_logits(new_ids, state) -> (logits,
state)``: ``new_ids`` ``(batch, n)`` are the tokens the model has not seen yet (the whole prompt
on the first call, then the one token just chosen), ``state`` is whatever the function carries
between calls (``None`` at the start), and ``logits`` ``(batch, vocabulary)`` score the token after
the last one. Two ready-made ones:

* :func:`carried_state_next` for recurrent models: it carries the hidden state, so each new token
  costs one time step, however long the text so far;
* :func:`rerun_prefix_next` for any model: it keeps the ids so far as its state and re-runs the
  model over all of them at every call.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from course.environment import quiet_tensorflow

NextFunction = Callable[[np.ndarray, Any], tuple[Any, Any]]


class Sampler:
    """Base class: runs the generation loop and leaves the choice of token to subclasses.

    A subclass overrides :meth:`get_next_token` (and only that, for the usual variants). The
    loop calls ``next_logits`` once for the prompt and once per chosen token after the first.

    Args:
        temperature: float > 0. Logits are divided by it before the softmax.
        seed: int or ``None``. Each call starts a fresh ``numpy`` generator from this seed, so
            the same call gives the same tokens; ``None`` draws a new seed every call.

    Example:
        >>> class LastTokenSampler(Sampler):
        ...     def get_next_token(self, probabilities, rng):
        ...         return np.full(len(probabilities), probabilities.shape[-1] - 1)
        >>> def next_logits(new_ids, state):  # a "model" with 5 tokens and no preference
        ...     return np.zeros((new_ids.shape[0], 5)), state
        >>> LastTokenSampler()(next_logits, [0, 1], max_new_tokens=3).tolist()
        [0, 1, 4, 4, 4]
    """

    def __init__(self, temperature: float = 1.0, seed: int | None = None) -> None:
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise TypeError(f"temperature must be a number such as 0.8, got {temperature!r}.")
        if not math.isfinite(temperature) or temperature <= 0:
            raise ValueError(
                f"temperature must be a finite number above 0, got {temperature!r}. For the "
                "most likely token every time use GreedySampler() (or a small temperature such "
                "as 1e-3); 1.0 samples from the model's own probabilities."
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ValueError(f"seed must be a non-negative int or None, got {seed!r}.")
        self.temperature = float(temperature)
        self.seed = seed

    def __call__(
        self,
        next_logits: NextFunction,
        prompt: Any,
        max_new_tokens: int,
        state: Any = None,
    ) -> np.ndarray:
        """Generate ``max_new_tokens`` tokens after ``prompt``.

        Args:
            next_logits: the next function (see the module docstring).
            prompt: token ids, ``(length,)`` for one sequence or ``(batch, length)``.
            max_new_tokens: how many tokens to add (0 returns the prompt).
            state: the state to start from (``None``: the next function's own start).

        Returns:
            The prompt followed by the new tokens, with the prompt's rank.
        """
        ids = checked_request(prompt, max_new_tokens)
        batch = ids if ids.ndim == 2 else ids[None, :]
        rng = np.random.default_rng(self.seed)
        new_tokens = []
        if max_new_tokens:
            logits, state = next_logits(batch, state)
        for position in range(max_new_tokens):
            token = self.get_next_token(self.compute_probabilities(logits), rng)
            token = np.asarray(token, dtype=batch.dtype).reshape(len(batch))  # (batch,)
            new_tokens.append(token)
            if position + 1 < max_new_tokens:
                logits, state = next_logits(token[:, None], state)
        output = np.concatenate([batch, np.stack(new_tokens, axis=1)], axis=1) if new_tokens \
            else batch
        return output if ids.ndim == 2 else output[0]

    def compute_probabilities(self, logits: Any) -> np.ndarray:
        """``softmax(logits / temperature)`` in float64, computed stably.

        Args:
            logits: ``(batch, vocabulary)`` scores for the next token.

        Returns:
            ``(batch, vocabulary)`` probabilities; each row sums to 1.

        Example:
            >>> Sampler(temperature=1.0).compute_probabilities([[0.0, math.log(3.0)]])
            array([[0.25, 0.75]])
        """
        scaled = np.asarray(logits, dtype=np.float64)
        if scaled.ndim != 2:
            raise ValueError(
                f"logits must have shape (batch, vocabulary), got shape {scaled.shape}. A next "
                "function returns the logits of the last position only."
            )
        scaled = scaled / self.temperature
        scaled = scaled - scaled.max(axis=-1, keepdims=True)  # the largest becomes exp(0) = 1
        weights = np.exp(scaled)
        return weights / weights.sum(axis=-1, keepdims=True)

    def get_next_token(self, probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Choose one token per row of ``probabilities``; subclasses implement this.

        Args:
            probabilities: ``(batch, vocabulary)``, rows summing to 1.
            rng: the generator to draw from (seeded once per call of the sampler).

        Returns:
            ``(batch,)`` integer token ids.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement get_next_token(probabilities, rng)."
        )

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, so that ``type(s)(**s.get_config())`` rebuilds ``s``."""
        return {"temperature": self.temperature, "seed": self.seed}

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class TemperatureSampler(Sampler):
    """Draw each token at random from ``softmax(logits / temperature)``.

    ``temperature=1`` samples from the model's own distribution; lower values favour the likely
    tokens (and as the temperature goes to 0 the choice becomes greedy); higher values give
    unlikely tokens more room.

    Args:
        temperature: float > 0.
        seed: int or ``None`` (see :class:`Sampler`).

    Example:
        >>> sampler = TemperatureSampler(temperature=0.01, seed=0)
        >>> sampler.compute_probabilities([[1.0, 2.0, 0.0]]).round(3)
        array([[0., 1., 0.]])
        >>> def next_logits(new_ids, state):  # always prefers token 2
        ...     return np.array([[0.0, 0.0, 1.0]] * len(new_ids)), state
        >>> sampler(next_logits, [0], max_new_tokens=4).tolist()
        [0, 2, 2, 2, 2]
    """

    def get_next_token(self, probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        # Inverse of the cumulative distribution: the first token whose running total passes a
        # uniform draw u. A token of probability 0 adds nothing to the total and is never chosen.
        totals = np.cumsum(probabilities, axis=-1)  # (batch, vocabulary)
        draws = rng.random((len(totals), 1)) * totals[:, -1:]  # (batch, 1), u in [0, total)
        tokens = np.sum(totals <= draws, axis=-1)
        return np.minimum(tokens, probabilities.shape[-1] - 1)


class GreedySampler(Sampler):
    """Always take the most likely token (the first of equals); the temperature changes nothing.

    Example:
        >>> GreedySampler().get_next_token(np.array([[0.2, 0.5, 0.3]]), rng=None)
        array([1])
    """

    def get_next_token(self, probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.argmax(probabilities, axis=-1)


def generate_text(
    next_logits: NextFunction,
    tokenizer: Any,
    prompt: str,
    max_new_tokens: int,
    sampler: Sampler,
) -> str:
    """Continue a text prompt: tokenize, sample, detokenize.

    Args:
        next_logits: the next function of a trained model.
        tokenizer: a tokenizer with ``tokenize`` and ``detokenize`` (e.g. a
            ``course.text.CharacterTokenizer``).
        prompt: the start of the text (at least one token).
        max_new_tokens: how many tokens to add.
        sampler: how to choose each token.

    Returns:
        The prompt and its continuation, as one string.

    Example:
        >>> from course.text import CharacterTokenizer
        >>> tokenizer = CharacterTokenizer.fit("ab!")
        >>> def next_logits(new_ids, state):  # always prefers "b"
        ...     return np.array([[0.0, 0.0, 9.0]]), state
        >>> generate_text(next_logits, tokenizer, "a", 3, GreedySampler())
        'abbb'
    """
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a str, got {type(prompt).__name__}: {prompt!r:.60}")
    if not isinstance(sampler, Sampler):
        raise TypeError(
            f"sampler must be a course.generation.Sampler, got {type(sampler).__name__}; "
            "for example TemperatureSampler(temperature=0.8, seed=0)."
        )
    if not prompt:
        raise ValueError(_EMPTY_PROMPT)
    ids = sampler(next_logits, tokenizer.tokenize(prompt), max_new_tokens)
    return tokenizer.detokenize(ids)


def carried_state_next(model: Any, jit_compile: bool = False) -> NextFunction:
    """The next function of a recurrent ``keras.Sequential`` model that carries its state.

    The model must be a stack in which recurrent layers (``keras.layers.RNN`` and its subclasses
    ``SimpleRNN``, ``LSTM``, ``GRU``) are the only ones that mix time steps; every other layer
    (``Embedding``, ``Dense``, ``Dropout``, normalization) must act on each position on its own.
    The function then runs the model one position at a time, calling each recurrent layer's
    *cell* on the carried state: each token costs one step, however long the text.

    Args:
        model: a built ``keras.Sequential`` from token ids to logits.
        jit_compile: compile the one-step function with XLA.

    Returns:
        ``next_logits(new_ids, state) -> (logits, state)``; the state is the list of every
        recurrent layer's states (``None`` to start from zeros).

    Example:
        >>> import keras
        >>> from course.layers import SimpleRNNCell
        >>> model = keras.Sequential([keras.Input((None,), dtype="int32"),
        ...     keras.layers.Embedding(5, 3), keras.layers.RNN(SimpleRNNCell(4)),
        ...     keras.layers.Dense(5)])
        >>> logits, state = carried_state_next(model)(np.array([[1, 2, 3]]), None)
        >>> tuple(logits.shape), tuple(state[0][0].shape)  # (batch, vocabulary), (batch, hidden)
        ((1, 5), (1, 4))
    """
    tf = quiet_tensorflow()
    import keras

    layers = _check_sequential(model, "carried_state_next")
    recurrent = [layer for layer in layers if isinstance(layer, keras.layers.RNN)]
    if not recurrent:
        raise TypeError(
            f"carried_state_next needs a model with a recurrent layer (keras.layers.RNN, "
            f"SimpleRNN, LSTM, GRU); {model.name!r} has none. Use rerun_prefix_next instead."
        )
    for layer in recurrent:
        if layer.go_backwards:
            raise TypeError(
                f"Layer {layer.name!r} runs backwards in time, so it cannot be stepped forward "
                "one token at a time."
            )
    vocabulary_size = _vocabulary_size(layers)

    @tf.function(jit_compile=jit_compile, reduce_retracing=True)
    def step(token_ids: Any, states: list[Any]) -> tuple[Any, list[Any]]:
        x = token_ids  # (batch,)
        new_states, index = [], 0
        for layer in layers:
            if isinstance(layer, keras.layers.RNN):
                x, layer_states = layer.cell(x, states[index])  # (batch, hidden)
                new_states.append(list(layer_states) if isinstance(layer_states, (list, tuple))
                                  else [layer_states])
                index += 1
            else:
                x = layer(x, training=False)  # (batch, features), the last: (batch, vocabulary)
        return x, new_states

    def next_logits(new_ids: Any, state: Any) -> tuple[Any, Any]:
        ids = _check_ids(new_ids, vocabulary_size)
        if state is None:
            state = [list(layer.get_initial_state(len(ids))) for layer in recurrent]
        logits = None
        for position in range(ids.shape[1]):
            logits, state = step(tf.constant(ids[:, position]), state)
        return logits, state

    return next_logits


def rerun_prefix_next(model: Any, context_length: int | None = None) -> NextFunction:
    """The next function that re-runs ``model`` over every id so far (no state carried).

    Works with any model from ``(batch, time)`` ids to ``(batch, time, vocabulary)`` logits.
    The cost of a token grows with the length of the text: the comparison point for
    :func:`carried_state_next`.

    Args:
        model: a Keras model that accepts any sequence length (or ``context_length`` ids).
        context_length: if given, only the last ``context_length`` ids are fed to the model
            (for models with a fixed or maximum context). ``None``: the model's own
            ``sequence_length`` when it has one (as ``course.models.GPT`` does), else all ids.

    Returns:
        ``next_logits(new_ids, state) -> (logits, state)``; the state is the array of all ids
        so far.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((None,), dtype="int32"),
        ...     keras.layers.Embedding(5, 3), keras.layers.Dense(5)])
        >>> next_logits = rerun_prefix_next(model)
        >>> logits, ids = next_logits(np.array([[1, 2]]), None)
        >>> logits, ids = next_logits(np.array([[4]]), ids)
        >>> tuple(logits.shape), ids.tolist()
        ((1, 5), [[1, 2, 4]])
    """
    tf = quiet_tensorflow()
    if context_length is not None and (
        isinstance(context_length, bool) or not isinstance(context_length, int)
        or context_length < 1
    ):
        raise ValueError(f"context_length must be a positive int or None, got {context_length!r}.")
    if context_length is None and isinstance(getattr(model, "sequence_length", None), int):
        context_length = model.sequence_length  # the model says how much context it takes
    layers = getattr(model, "layers", [])
    vocabulary_size = _vocabulary_size(layers)

    @tf.function(input_signature=[tf.TensorSpec((None, None), tf.int32)])
    def last_logits(ids: Any) -> Any:
        return model(ids, training=False)[:, -1, :]  # (batch, vocabulary)

    def next_logits(new_ids: Any, state: Any) -> tuple[Any, Any]:
        ids = _check_ids(new_ids, vocabulary_size)
        ids = ids if state is None else np.concatenate([np.asarray(state, np.int32), ids], axis=1)
        window = ids if context_length is None else ids[:, -context_length:]
        return last_logits(tf.constant(window)), ids

    return next_logits


_EMPTY_PROMPT = (
    "The prompt is empty: the model needs at least one token to condition on. Start from a "
    "character of the vocabulary, such as a newline."
)


def _prompt_array(prompt: Any) -> np.ndarray:
    ids = np.asarray(prompt.numpy() if hasattr(prompt, "numpy") else prompt)
    if ids.size == 0:
        raise ValueError(_EMPTY_PROMPT)
    if ids.ndim not in (1, 2):
        raise ValueError(
            f"The prompt must be ids of shape (length,) or (batch, length), got shape {ids.shape}."
        )
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(
            f"The prompt must hold integer token ids, got dtype {ids.dtype}. Tokenize text "
            "first, or use generate_text for a string prompt."
        )
    if ids.min() < 0:
        raise ValueError(f"Token ids cannot be negative; the prompt holds {int(ids.min())}.")
    return ids.astype(np.int32)


def checked_request(prompt: Any, max_new_tokens: Any) -> np.ndarray:
    """The prompt as int32 ids, after checking it and the number of tokens asked for.

    Every way of generating (a :class:`Sampler`, ``course.models.gpt.compiled_generate``)
    refuses the same bad requests with the same messages.

    Args:
        prompt: token ids, ``(length,)`` or ``(batch, length)``, at least one.
        max_new_tokens: how many tokens to add, an int >= 0.

    Returns:
        The prompt's ids, int32, with the prompt's rank.

    Raises:
        TypeError: for ids that are not integers or a count that is not an int.
        ValueError: for an empty prompt, negative ids or a negative count.

    Example:
        >>> checked_request([[1, 2]], 3).tolist()
        [[1, 2]]
    """
    ids = _prompt_array(prompt)
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int):
        raise TypeError(f"max_new_tokens must be an int, got {max_new_tokens!r}.")
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be 0 or more, got {max_new_tokens}.")
    return ids


def _check_ids(new_ids: Any, vocabulary_size: int | None) -> np.ndarray:
    ids = np.asarray(new_ids, dtype=np.int32)
    if ids.ndim != 2 or ids.shape[1] == 0:
        raise ValueError(
            f"A next function takes ids of shape (batch, n) with n >= 1, got shape {ids.shape}."
        )
    if vocabulary_size is not None and (ids.min() < 0 or ids.max() >= vocabulary_size):
        bad = int(ids.max()) if ids.max() >= vocabulary_size else int(ids.min())
        raise ValueError(
            f"Token id {bad} is unknown to the model, whose vocabulary has {vocabulary_size} "
            f"ids (0 to {vocabulary_size - 1}). Encode the prompt with the tokenizer the model "
            "was trained with."
        )
    return ids


def _check_sequential(model: Any, caller: str) -> list[Any]:
    import keras

    if not isinstance(model, keras.Sequential):
        raise TypeError(
            f"{caller} steps through the layers of a keras.Sequential model, got "
            f"{type(model).__name__}. Build the model with keras.Sequential([...]), or use "
            "rerun_prefix_next, which works with any model."
        )
    if not model.built:
        raise ValueError(f"Model {model.name!r} is not built: give it a keras.Input first.")
    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            raise TypeError(
                f"Layer {layer.name!r} is bidirectional: it reads the future, which a "
                "generator does not have."
            )
    return list(model.layers)


def _vocabulary_size(layers: list[Any]) -> int | None:
    """The input size of the first embedding layer, if the model starts with one."""
    import keras

    for layer in layers:
        if isinstance(layer, keras.layers.Embedding):
            return int(layer.input_dim)
    return None


class TopKSampler(TemperatureSampler):
    """Sample from the ``k`` most likely tokens only (their probabilities renormalised).

    Cutting the long tail keeps one unlucky draw of a rare token from derailing the text.

    Args:
        k: how many of the most likely tokens stay in the running (``k >= 1``).
        temperature: float > 0, applied before the cut.
        seed: int or ``None`` (see :class:`Sampler`).

    Example:
        >>> TopKSampler(k=2).keep([[0.1, 0.5, 0.4]]).round(3)
        array([[0.   , 0.556, 0.444]])
    """

    def __init__(self, k: int, temperature: float = 1.0, seed: int | None = None) -> None:
        super().__init__(temperature, seed)
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive int such as 10, got {k!r}.")
        self.k = k

    def keep(self, probabilities: Any) -> np.ndarray:
        """Zero all but the ``k`` largest probabilities of each row and renormalise."""
        probabilities = np.asarray(probabilities, dtype=np.float64)
        k = min(self.k, probabilities.shape[-1])
        threshold = np.sort(probabilities, axis=-1)[:, -k][:, None]  # the k-th largest
        kept = np.where(probabilities >= threshold, probabilities, 0.0)
        return kept / kept.sum(axis=-1, keepdims=True)

    def get_next_token(self, probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return super().get_next_token(self.keep(probabilities), rng)

    def get_config(self) -> dict[str, Any]:
        return {"k": self.k, **super().get_config()}


class TopPSampler(TemperatureSampler):
    """Nucleus sampling: sample from the smallest set of tokens whose probability reaches ``p``.

    Where the model is sure, the set is small; where it hesitates, the set grows. Unlike top-k,
    the number of candidates adapts to the model's confidence.

    Args:
        p: the probability mass to keep, ``0 < p <= 1``.
        temperature: float > 0, applied before the cut.
        seed: int or ``None`` (see :class:`Sampler`).

    Example:
        >>> TopPSampler(p=0.8).keep([[0.1, 0.5, 0.4]]).round(3)
        array([[0.   , 0.556, 0.444]])
    """

    def __init__(self, p: float, temperature: float = 1.0, seed: int | None = None) -> None:
        super().__init__(temperature, seed)
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 < p <= 1:
            raise ValueError(f"p must be a number in (0, 1] such as 0.9, got {p!r}.")
        self.p = float(p)

    def keep(self, probabilities: Any) -> np.ndarray:
        """Keep each row's most likely tokens up to total probability ``p``; renormalise."""
        probabilities = np.asarray(probabilities, dtype=np.float64)
        order = np.argsort(-probabilities, axis=-1)  # most likely first
        sorted_probabilities = np.take_along_axis(probabilities, order, axis=-1)
        before = np.cumsum(sorted_probabilities, axis=-1) - sorted_probabilities
        keep_sorted = before < self.p  # the mass before a token is short of p: keep it
        kept = np.zeros_like(probabilities)
        np.put_along_axis(kept, order, np.where(keep_sorted, sorted_probabilities, 0.0), axis=-1)
        return kept / kept.sum(axis=-1, keepdims=True)

    def get_next_token(self, probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return super().get_next_token(self.keep(probabilities), rng)

    def get_config(self) -> dict[str, Any]:
        return {"p": self.p, **super().get_config()}


class BeamSampler(Sampler):
    """Beam search: keep the ``num_beams`` most probable continuations, extend all, prune.

    Greedy decoding commits to the best token at each step; beam search keeps several partial
    texts alive and returns the one with the highest total log-probability. It needs the model
    state of every beam, so the next function's state must hold arrays or tensors whose first
    axis is the batch (all of the kit's next functions do); beams are reordered along it.

    Args:
        num_beams: how many continuations to keep (1 is greedy decoding).
        temperature: float > 0 (scales the log-probabilities; 1 leaves them as they are).

    Example:
        >>> def next_logits(new_ids, state):  # token 1 first, then token 2 is very likely
        ...     last = new_ids[:, -1]
        ...     rows = np.where(last[:, None] == 1, [0.0, 0.0, 5.0], [0.0, 1.0, 0.9])
        ...     return rows, state
        >>> BeamSampler(num_beams=2)(next_logits, [0], max_new_tokens=2).tolist()
        [0, 1, 2]
    """

    def __init__(self, num_beams: int = 4, temperature: float = 1.0) -> None:
        super().__init__(temperature, seed=None)
        if isinstance(num_beams, bool) or not isinstance(num_beams, int) or num_beams < 1:
            raise ValueError(f"num_beams must be a positive int such as 4, got {num_beams!r}.")
        self.num_beams = num_beams

    def __call__(self, next_logits: NextFunction, prompt: Any, max_new_tokens: int,
                 state: Any = None) -> np.ndarray:
        ids = _prompt_array(prompt)
        if ids.ndim != 1:
            raise ValueError(
                f"BeamSampler generates for one prompt at a time; got a batch of shape {ids.shape}."
            )
        if max_new_tokens == 0:
            return ids
        logits, state = next_logits(ids[None, :], state)  # (1, vocabulary)
        scores = np.zeros(1)  # total log-probability of each beam
        beams = ids[None, :]  # (beams, length)
        for position in range(max_new_tokens):
            log_probabilities = np.log(self.compute_probabilities(logits) + 1e-30)  # (beams, V)
            totals = (scores[:, None] + log_probabilities).ravel()
            best = np.argsort(-totals, kind="stable")[: self.num_beams]
            origin, token = np.divmod(best, log_probabilities.shape[-1])
            scores = totals[best]
            beams = np.concatenate([beams[origin], token[:, None].astype(np.int32)], axis=1)
            if position + 1 < max_new_tokens:
                logits, state = next_logits(token[:, None].astype(np.int32),
                                            _reorder(state, origin))
        return beams[int(np.argmax(scores))]

    def get_next_token(self, probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.argmax(probabilities, axis=-1)  # one beam's best: what num_beams=1 does

    def get_config(self) -> dict[str, Any]:
        return {"num_beams": self.num_beams, "temperature": self.temperature}


def _reorder(state: Any, origin: np.ndarray) -> Any:
    """Take rows ``origin`` of every array or tensor in ``state`` (nested tuples and lists)."""
    if state is None:
        return None
    if isinstance(state, (list, tuple)):
        return type(state)(_reorder(item, origin) for item in state)
    if hasattr(state, "shape") and len(state.shape) >= 1:
        if isinstance(state, np.ndarray):
            return state[origin]
        tf = quiet_tensorflow()
        return tf.gather(state, origin, axis=0)
    return state


def _repeat(state: Any, times: int) -> Any:
    """Repeat every batch row of ``state`` ``times`` times in place: rows b, b, ..., b+1, ..."""
    if state is None or times == 1:
        return state
    if isinstance(state, (list, tuple)):
        return type(state)(_repeat(item, times) for item in state)
    if hasattr(state, "shape") and len(state.shape) >= 1:
        if isinstance(state, np.ndarray):
            return np.repeat(state, times, axis=0)
        tf = quiet_tensorflow()
        return tf.repeat(state, times, axis=0)
    return state


def _check_decoding(batch_size: int, start_id: int, end_id: int, max_length: int) -> None:
    for name, value in (("batch_size", batch_size), ("max_length", max_length)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")
    for name, value in (("start_id", start_id), ("end_id", end_id)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name} must be a token id (an int >= 0), got {value!r}.")


def greedy_translate(
    next_logits: NextFunction,
    state: Any,
    batch_size: int,
    start_id: int,
    end_id: int,
    max_length: int,
) -> list[list[int]]:
    """Greedy decoding for a batch, each row stopping at the end token.

    Every row starts from ``start_id``; at each step every unfinished row takes its most likely
    token. A row that has produced ``end_id`` is finished (it is fed ``end_id`` while the others
    go on), and the loop stops when all rows are finished or after ``max_length`` tokens.

    Args:
        next_logits: the next function of a decoder (e.g. from ``course.models.seq2seq_next``).
        state: its starting state, holding the batch of sources.
        batch_size: how many rows the state holds.
        start_id: the token every output starts from (not returned).
        end_id: the token that ends an output (not returned).
        max_length: the most tokens to generate per row, the end token included.

    Returns:
        For each row, the generated ids without the start and end tokens.

    Example:
        >>> def next_logits(new_ids, state):  # row 0 ends at once; row 1 says 3 then 4 then ends
        ...     step = state
        ...     table = [[[0, 0, 9, 0, 0], [0, 0, 0, 9, 0]], [[0, 0, 9, 0, 0], [0, 0, 0, 0, 9]],
        ...              [[0, 0, 9, 0, 0], [0, 0, 9, 0, 0]]]
        ...     return np.array(table[min(step, 2)], float), step + 1
        >>> greedy_translate(next_logits, 0, batch_size=2, start_id=1, end_id=2, max_length=5)
        [[], [3, 4]]
    """
    _check_decoding(batch_size, start_id, end_id, max_length)
    tokens = np.full((batch_size, 1), start_id, dtype=np.int32)
    finished = np.zeros(batch_size, dtype=bool)
    outputs: list[list[int]] = [[] for _ in range(batch_size)]
    for _ in range(max_length):
        logits, state = next_logits(tokens, state)
        choice = np.argmax(np.asarray(logits), axis=-1).astype(np.int32)  # (batch,)
        choice = np.where(finished, end_id, choice)
        for row in np.flatnonzero(~finished & (choice != end_id)):
            outputs[row].append(int(choice[row]))
        finished |= choice == end_id
        if finished.all():
            break
        tokens = choice[:, None]
    return outputs


def beam_search_translate(
    next_logits: NextFunction,
    state: Any,
    batch_size: int,
    start_id: int,
    end_id: int,
    max_length: int,
    num_beams: int = 4,
    length_penalty: float = 1.0,
    chunk_size: int = 256,
) -> list[list[int]]:
    """Beam search for a batch, with length normalisation, stopping at the end token.

    Each source keeps ``num_beams`` partial outputs ranked by total log-probability. At every
    step each is extended by every token, and the ``2 * num_beams`` best extensions are looked
    at: those that end (``end_id``) become finished hypotheses, scored by their log-probability
    divided by ``length ** length_penalty`` (length counts the end token), and the best
    ``num_beams`` others go on. Without the division, every extra token lowers the score, so the
    search would prefer outputs that stop early. A source is done when it holds ``num_beams``
    finished hypotheses and no open beam can still beat the best of them, or after
    ``max_length`` steps (its open beams then count as finished).

    Args:
        next_logits: the next function of a decoder; its state must hold arrays or tensors with
            the batch first (each row is repeated for the beams and reordered as they move).
        state: its starting state for ``batch_size`` sources.
        batch_size: how many sources the state holds.
        start_id: the token every output starts from (not returned).
        end_id: the token that ends an output (not returned).
        max_length: the most tokens to generate, the end token included.
        num_beams: beams per source (1 gives greedy decoding).
        length_penalty: the exponent ``alpha`` of the length normalisation (0: none).
        chunk_size: how many sources are searched at once. Each step holds a few arrays of
            ``chunk_size * num_beams * vocabulary`` numbers, so a whole test set at once can
            need gigabytes; the sources do not interact, so the outputs are the same.

    Returns:
        For each source, the best output's ids without the start and end tokens.

    Example:
        >>> def next_logits(new_ids, state):  # greedy takes 3 and then ends on a poor word;
        ...     last = new_ids[:, -1]          # the beam finds 4 then 2 (end), better overall
        ...     rows = np.where(last[:, None] == 1, np.log([[1e-9, 1e-9, 1e-9, .55, .45]]),
        ...            np.where(last[:, None] == 3, np.log([[1e-9, 1e-9, .3, .7, 1e-9]]),
        ...                     np.log([[1e-9, 1e-9, .99, 1e-9, 1e-9]])))
        ...     return rows, state
        >>> greedy_translate(next_logits, None, 1, start_id=1, end_id=2, max_length=3)
        [[3, 3, 3]]
        >>> beam_search_translate(next_logits, None, 1, start_id=1, end_id=2, max_length=3,
        ...                       num_beams=2)
        [[4]]
    """
    _check_decoding(batch_size, start_id, end_id, max_length)
    if isinstance(num_beams, bool) or not isinstance(num_beams, int) or num_beams < 1:
        raise ValueError(f"num_beams must be a positive int such as 4, got {num_beams!r}.")
    if isinstance(length_penalty, bool) or not isinstance(length_penalty, (int, float)):
        raise TypeError(f"length_penalty must be a number such as 1.0, got {length_penalty!r}.")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int such as 256, got {chunk_size!r}.")
    outputs: list[list[int]] = []
    for first in range(0, batch_size, chunk_size):
        rows = np.arange(first, min(first + chunk_size, batch_size))
        chunk_state = state if len(rows) == batch_size else _reorder(state, rows)
        outputs += _beam_search(next_logits, chunk_state, len(rows), start_id, end_id,
                                max_length, num_beams, length_penalty)
    return outputs


def _best_candidates(flat: np.ndarray, count: int) -> list[np.ndarray]:
    """For each row, the indices of its ``count`` largest entries, best first.

    Equal to ``np.argsort(-flat, kind="stable")[:, :count]`` (ties go to the lower index, NaN
    last), without sorting whole rows: a partition finds each row's threshold, and only the
    entries at or above it are sorted.
    """
    count = min(count, flat.shape[-1])
    if np.isnan(flat).any():
        flat = np.where(np.isnan(flat), -np.inf, flat)
    thresholds = np.partition(flat, flat.shape[-1] - count, axis=-1)[:, -count]
    best = []
    for row, threshold in zip(flat, thresholds, strict=True):
        candidates = np.flatnonzero(row >= threshold)
        best.append(candidates[np.argsort(-row[candidates], kind="stable")][:count])
    return best


def _beam_search(next_logits: NextFunction, state: Any, batch_size: int, start_id: int,
                 end_id: int, max_length: int, num_beams: int,
                 length_penalty: float) -> list[list[int]]:
    """:func:`beam_search_translate` for one chunk of sources, arguments already checked."""
    beams = num_beams
    state = _repeat(state, beams)  # rows b * beams + k
    scores = np.full((batch_size, beams), -np.inf)
    scores[:, 0] = 0.0  # one live beam at the start, so the first step has no duplicates
    histories = [[[] for _ in range(beams)] for _ in range(batch_size)]
    finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(batch_size)]
    done = np.zeros(batch_size, dtype=bool)
    tokens = np.full((batch_size * beams, 1), start_id, dtype=np.int32)

    def normalised(score: float, length: int) -> float:
        return score / (max(length, 1) ** length_penalty)

    for step in range(max_length):
        logits, state = next_logits(tokens, state)
        logits = np.array(logits, dtype=np.float64)  # a copy, changed in place below
        logits -= logits.max(axis=-1, keepdims=True)
        logits -= np.log(np.exp(logits).sum(axis=-1, keepdims=True))  # log-probabilities
        vocabulary = logits.shape[-1]
        totals = logits.reshape(batch_size, beams, vocabulary)
        totals += scores[:, :, None]
        flat = totals.reshape(batch_size, beams * vocabulary)
        order = _best_candidates(flat, 2 * beams)  # per source, its best 2 * beams extensions
        origins = np.zeros((batch_size, beams), dtype=np.int64)
        chosen = np.full((batch_size, beams), end_id, dtype=np.int32)
        new_scores = np.full((batch_size, beams), -np.inf)
        new_histories = []
        for b in range(batch_size):
            kept: list[list[int]] = []
            for candidate in order[b]:
                score = flat[b, candidate]
                if done[b] or not np.isfinite(score) or len(kept) == beams:
                    break
                origin, token = divmod(int(candidate), vocabulary)
                history = histories[b][origin]
                if token == end_id:
                    finished[b].append((normalised(score, len(history) + 1), history))
                    continue
                k = len(kept)
                origins[b, k], chosen[b, k], new_scores[b, k] = origin, token, score
                kept.append([*history, token])
            kept += [[] for _ in range(beams - len(kept))]
            new_histories.append(kept)
            if len(finished[b]) >= beams and not done[b]:
                # Done when no open beam can still overtake the best finished one: an open
                # beam's log-probability only falls, so its best normalised score is at the
                # shortest or the longest length still possible.
                best_open = new_scores[b].max()
                reachable = max(normalised(best_open, step + 2), normalised(best_open, max_length))
                done[b] = max(item[0] for item in finished[b]) >= reachable
        if step + 1 == max_length:  # out of room: the open beams count as finished too
            for b in np.flatnonzero(~done):
                for k in range(beams):
                    if np.isfinite(new_scores[b, k]):
                        finished[b].append((normalised(new_scores[b, k], len(new_histories[b][k])),
                                            new_histories[b][k]))
            break
        new_scores[done] = -np.inf
        if done.all():
            break
        histories, scores = new_histories, new_scores
        rows = (np.arange(batch_size)[:, None] * beams + origins).ravel()
        state = _reorder(state, rows)
        tokens = chosen.reshape(-1, 1)
    return [max(hypotheses, key=lambda item: item[0])[1] if hypotheses else []
            for hypotheses in finished]
