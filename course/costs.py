"""What a GPT costs: parameters, floating-point operations and memory, from its shapes alone.

These are the formulas of the scale chapter and of ``python -m course bench``, written for the
kit's GPT (:class:`course.models.gpt.GPT`: learned positions, pre-layer-norm blocks with biases,
a final layer norm, logits from the tied token embedding). The tests check them against the
parameters Keras counts and against a count made by hand on a tiny model, so they can then be
applied with confidence to sizes nobody here can train.

Conventions:

* A multiply-add is **two** floating-point operations (FLOPs), as in most published counts.
* Only matrix products are counted (projections, attention scores and the weighted sum of
  values, the logits); layer norms, softmax, GELU and additions are a few operations per number
  and are left out, as the usual ``6 N D`` rule leaves them out.
* Training costs three forward passes: the forward pass, then about twice as much backwards
  (one product for the gradient of the inputs, one for the gradient of the weights).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BYTES_PER_NUMBER = {"float32": 4, "bfloat16": 2, "float16": 2, "float64": 8, "int8": 1}


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}.")
    return value


@dataclass(frozen=True)
class GPTShape:
    """The sizes that decide what a GPT costs (those of :class:`course.models.gpt.GPT`).

    Args:
        vocabulary_size: number of token ids.
        sequence_length: the context length.
        num_layers: decoder blocks.
        hidden_dim: width of the residual stream.
        intermediate_dim: width of the feed-forward layer; 4 x ``hidden_dim`` when None.

    Example:
        >>> shape = GPTShape(vocabulary_size=65, sequence_length=64, num_layers=4, hidden_dim=128)
        >>> shape.intermediate
        512
    """

    vocabulary_size: int
    sequence_length: int
    num_layers: int
    hidden_dim: int
    intermediate_dim: int | None = None

    def __post_init__(self) -> None:
        for name in ("vocabulary_size", "sequence_length", "num_layers", "hidden_dim"):
            _positive(getattr(self, name), name)
        if self.intermediate_dim is not None:
            _positive(self.intermediate_dim, "intermediate_dim")

    @property
    def intermediate(self) -> int:
        """The feed-forward width actually used."""
        return self.intermediate_dim or 4 * self.hidden_dim

    @classmethod
    def of(cls, model: Any) -> GPTShape:
        """The shape of a built or unbuilt :class:`course.models.gpt.GPT` (or anything with the
        same attributes).

        Args:
            model: the model.

        Returns:
            Its :class:`GPTShape`.
        """
        return cls(
            vocabulary_size=int(model.vocabulary_size),
            sequence_length=int(model.sequence_length),
            num_layers=int(model.num_layers),
            hidden_dim=int(model.hidden_dim),
            intermediate_dim=int(model.intermediate_dim),
        )


def gpt_parameters(shape: GPTShape) -> int:
    """The exact number of weights of the kit's GPT with this shape.

    Per block: two layer norms (a scale and a shift each), the query, key, value and output
    projections with their biases, and the two feed-forward layers with theirs. Around the
    blocks: the token table (also the output layer: tied), the position table, a final norm.

    Args:
        shape: the model's sizes.

    Returns:
        The number of parameters.

    Example:
        >>> gpt_parameters(GPTShape(vocabulary_size=10, sequence_length=4, num_layers=1,
        ...                         hidden_dim=2, intermediate_dim=3))
        81
    """
    d, f = shape.hidden_dim, shape.intermediate
    per_block = 2 * (2 * d) + 4 * (d * d + d) + (d * f + f) + (f * d + d)
    embeddings = shape.vocabulary_size * d + shape.sequence_length * d
    return embeddings + shape.num_layers * per_block + 2 * d


def non_embedding_parameters(shape: GPTShape) -> int:
    """The parameters outside the token and position tables (the ``N`` of scaling laws).

    Args:
        shape: the model's sizes.

    Returns:
        ``gpt_parameters(shape)`` minus both embedding tables.
    """
    embeddings = (shape.vocabulary_size + shape.sequence_length) * shape.hidden_dim
    return gpt_parameters(shape) - embeddings


def gpt_forward_flops(shape: GPTShape, batch_size: int = 1, length: int | None = None) -> int:
    """FLOPs of one forward pass over ``batch_size`` sequences of ``length`` tokens.

    Counts every matrix product: per block, the query/key/value projections
    (``2 * 3 d^2`` per token), attention scores and the weighted sum of values (``2 * 2 t d``
    per sequence of ``t`` tokens, per token, computed for all ``t x t`` pairs as a dense
    implementation does, the causal mask notwithstanding), the output projection
    (``2 d^2``) and the feed-forward layers (``2 * 2 d f``); then the logits (``2 d V``).

    Args:
        shape: the model's sizes.
        batch_size: sequences in the batch.
        length: tokens per sequence; the context length when None.

    Returns:
        The number of floating-point operations.

    Example:
        >>> shape = GPTShape(vocabulary_size=10, sequence_length=4, num_layers=1, hidden_dim=2,
        ...                  intermediate_dim=3)
        >>> gpt_forward_flops(shape, batch_size=1, length=4)
        512
    """
    _positive(batch_size, "batch_size")
    t = shape.sequence_length if length is None else _positive(length, "length")
    d, f, v = shape.hidden_dim, shape.intermediate, shape.vocabulary_size
    per_token_block = 2 * (3 * d * d) + 2 * (2 * t * d) + 2 * (d * d) + 2 * (2 * d * f)
    per_token = shape.num_layers * per_token_block + 2 * d * v
    return batch_size * t * per_token


def gpt_training_flops(shape: GPTShape, batch_size: int, length: int | None = None) -> int:
    """FLOPs of one training step: the forward pass and a backward pass twice its cost.

    Args:
        shape: the model's sizes.
        batch_size: sequences per step.
        length: tokens per sequence; the context length when None.

    Returns:
        ``3 * gpt_forward_flops(...)``.
    """
    return 3 * gpt_forward_flops(shape, batch_size, length)


def six_n_d(parameters: int, tokens: int) -> int:
    """The usual estimate of training compute: ``6 x parameters x tokens`` FLOPs.

    It counts two FLOPs per weight per token forwards and four backwards, and leaves out the
    attention scores (small next to the weights while the context is short against the width).

    Args:
        parameters: the model's parameters (non-embedding ones, in the scaling-law papers).
        tokens: tokens trained on.

    Returns:
        The estimate in FLOPs.

    Example:
        >>> six_n_d(1_000_000, 1_000)
        6000000000
    """
    return 6 * _positive(parameters, "parameters") * _positive(tokens, "tokens")


def _bytes_per_number(dtype: str) -> int:
    if dtype not in BYTES_PER_NUMBER:
        raise ValueError(f"Unknown dtype {dtype!r}; choose one of {sorted(BYTES_PER_NUMBER)}.")
    return BYTES_PER_NUMBER[dtype]


def training_state_bytes(parameters: int, dtype: str = "float32",
                         optimizer_moments: int = 2) -> dict[str, int]:
    """Memory that lives for the whole of training, apart from activations.

    Args:
        parameters: the model's parameters.
        dtype: the type the weights, gradients and moments are kept in.
        optimizer_moments: numbers the optimizer keeps per weight (Adam: 2; SGD: 0).

    Returns:
        Bytes for ``weights``, ``gradients``, ``optimizer`` and their ``total``.

    Example:
        >>> training_state_bytes(1_000)["total"]  # 4 bytes x (1 + 1 + 2) per weight
        16000
    """
    size = _bytes_per_number(dtype)
    weights = gradients = _positive(parameters, "parameters") * size
    optimizer = parameters * optimizer_moments * size
    return {"weights": weights, "gradients": gradients, "optimizer": optimizer,
            "total": weights + gradients + optimizer}


def kv_cache_bytes(shape: GPTShape, batch_size: int = 1, length: int | None = None,
                   dtype: str = "float32") -> int:
    """Memory of the key/value cache used while generating: two ``d``-vectors per token per layer.

    Args:
        shape: the model's sizes.
        batch_size: sequences generated at once.
        length: tokens held; the context length when None.
        dtype: the cache's type.

    Returns:
        Bytes.

    Example:
        >>> kv_cache_bytes(GPTShape(vocabulary_size=10, sequence_length=8, num_layers=2,
        ...                         hidden_dim=4))
        512
    """
    t = shape.sequence_length if length is None else _positive(length, "length")
    return (2 * shape.num_layers * shape.hidden_dim * t * _positive(batch_size, "batch_size")
            * _bytes_per_number(dtype))


@dataclass(frozen=True)
class PublishedModel:
    """A model whose size and training data were published, with where the figures come from.

    Args:
        name: the model's name.
        parameters: parameters, as published.
        training_tokens: tokens trained on, as published.
        source: the paper the figures are taken from.
        published_flops: training compute, where the paper gives it.
    """

    name: str
    parameters: float
    training_tokens: float
    source: str
    published_flops: float | None = None

    @property
    def estimated_flops(self) -> float:
        """``6 x parameters x tokens``."""
        return 6.0 * self.parameters * self.training_tokens


# Figures as the papers give them (parameters and tokens rounded as published).
PUBLISHED_MODELS = (
    PublishedModel("BERT-base", 110e6, 128e9,
                   "Devlin et al. 2019: 1M steps of 256 x 512 tokens, an upper bound "
                   "(90% of the steps used 128-token sequences)"),
    PublishedModel("GPT-3 175B", 175e9, 300e9,
                   "Brown et al. 2020, Table D.1: 3.64e3 petaflop/s-days",
                   published_flops=3.64e3 * 1e15 * 86_400),
    PublishedModel("Chinchilla", 70e9, 1.4e12, "Hoffmann et al. 2022"),
    PublishedModel("LLaMA 7B", 6.7e9, 1.0e12, "Touvron et al. 2023, Table 2"),
    PublishedModel("LLaMA 65B", 65.2e9, 1.4e12, "Touvron et al. 2023, Table 2"),
)
