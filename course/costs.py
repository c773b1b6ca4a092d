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


def activation_bytes(shape: GPTShape, num_heads: int, batch_size: int = 1,
                     length: int | None = None, dtype: str = "float32") -> int:
    """Memory of the activations a training step keeps for its backward pass (an estimate).

    Per token and block: the block's input and its first norm's output (``2d``), the queries,
    keys and values (``3d``), the attention weights (``heads x t``, one row per head), the heads'
    output before the projection (``d``), the second norm's input and output (``2d``), the
    feed-forward layer before and after GELU (``2f``). After the blocks: the final norm's input
    and output (``2d``) and the logits (``V``). Dropout masks and the few numbers per token of
    the norms' statistics are left out. Unlike the weights, all of this grows with the batch
    and, through the attention weights, with the square of the context.

    Args:
        shape: the model's sizes.
        num_heads: attention heads per block.
        batch_size: sequences per step.
        length: tokens per sequence; the context length when None.
        dtype: the type the activations are computed in (``bfloat16`` under mixed precision).

    Returns:
        Bytes.

    Example:
        >>> shape = GPTShape(vocabulary_size=10, sequence_length=4, num_layers=1, hidden_dim=2,
        ...                  intermediate_dim=3)
        >>> activation_bytes(shape, num_heads=1, dtype="int8")  # 4 tokens x (26 + 14) numbers
        160
    """
    t = shape.sequence_length if length is None else _positive(length, "length")
    d, f = shape.hidden_dim, shape.intermediate
    per_token_block = 8 * d + 2 * f + _positive(num_heads, "num_heads") * t
    per_token = shape.num_layers * per_token_block + 2 * d + shape.vocabulary_size
    return _positive(batch_size, "batch_size") * t * per_token * _bytes_per_number(dtype)


def _einsum_flops(equation: str, shapes: list[list[int]]) -> int:
    inputs, _, _ = equation.replace(" ", "").partition("->")
    sizes: dict[str, int] = {}
    for term, dims in zip(inputs.split(","), shapes, strict=True):
        if "..." in term:  # the ellipsis stands for the leading dimensions, named by position
            head, tail = term.split("...")
            extra = len(dims) - len(head) - len(tail)
            term = head + "".join(chr(0x3B1 + i) for i in range(extra)) + tail
        for letter, size in zip(term, dims, strict=True):
            sizes[letter] = max(sizes.get(letter, 1), size)
    total = 1
    for size in sizes.values():
        total *= size
    return 2 * total


def _op_flops(op: Any) -> int:
    def dims(tensor: Any) -> list[int]:
        shape = tensor.shape.as_list()
        if any(size is None for size in shape):
            raise ValueError(f"{op.type} {op.name!r} has an unknown size in {shape}; trace the "
                             "function with fixed shapes (a full input_signature).")
        return shape

    if op.type == "MatMul":
        a, out = dims(op.inputs[0]), dims(op.outputs[0])
        inner = a[0] if op.get_attr("transpose_a") else a[1]
    elif op.type.startswith("BatchMatMul"):
        a, out = dims(op.inputs[0]), dims(op.outputs[0])
        inner = a[-2] if op.get_attr("adj_x") else a[-1]
    elif op.type == "Einsum":
        equation = op.get_attr("equation")
        equation = equation.decode() if isinstance(equation, bytes) else equation
        return _einsum_flops(equation, [dims(tensor) for tensor in op.inputs])
    else:
        return 0
    total = 2 * inner
    for size in out:
        total *= size
    return total


def count_matmul_flops(function: Any, *args: Any) -> int:
    """Count the FLOPs of every matrix product TensorFlow runs for ``function(*args)``.

    The function is traced into a graph (nothing is computed) and each ``MatMul``,
    ``BatchMatMul`` and ``Einsum`` operation is counted from its shapes: ``2 x`` the number of
    multiply-adds, with the same conventions as :func:`gpt_forward_flops`. Trace a training step
    (loss and ``tape.gradient`` inside the function) and the backward pass's products are counted
    too: this is how the chapter checks the formulas against what the model really runs.

    Args:
        function: a Python function of tensors (it is wrapped in ``tf.function``), or a
            ``tf.function``.
        *args: example inputs with the shapes to count for (arrays or tensors).

    Returns:
        The FLOPs of the matrix products.

    Example:
        >>> import numpy as np
        >>> a, b = np.ones((4, 3), "float32"), np.ones((3, 5), "float32")
        >>> count_matmul_flops(lambda x, y: x @ y, a, b)  # 4 x 5 outputs, 3 multiply-adds each
        120
    """
    from course.environment import quiet_tensorflow

    tf = quiet_tensorflow()
    traced = function if hasattr(function, "get_concrete_function") else tf.function(function)
    graph = traced.get_concrete_function(*[tf.convert_to_tensor(arg) for arg in args]).graph
    library = {function.name for function in graph.as_graph_def().library.function}
    total = 0
    for op in graph.get_operations():
        for attr in ("f", "then_branch", "else_branch", "body"):
            try:
                name = op.get_attr(attr).name
            except (ValueError, AttributeError):
                continue
            if name in library:
                raise ValueError(f"{op.type} {op.name!r} calls the function {name!r}, whose "
                                 "products this counter does not see; count a function without "
                                 "nested calls (plain layers and ops inside one tf.function).")
        total += _op_flops(op)
    return total


@dataclass(frozen=True)
class PowerLaw:
    """``loss = coefficient x size ^ (-exponent)``: a straight line on log-log axes.

    Args:
        coefficient: the loss at size 1.
        exponent: how fast the loss falls with size.

    Example:
        >>> law = PowerLaw(coefficient=8.0, exponent=0.5)
        >>> law.predict(4.0)
        4.0
    """

    coefficient: float
    exponent: float

    def predict(self, size: float) -> float:
        """The loss the law gives at ``size``."""
        if not size > 0:
            raise ValueError(f"size must be above 0, got {size!r}.")
        return float(self.coefficient * size ** (-self.exponent))


def fit_power_law(sizes: Any, losses: Any) -> PowerLaw:
    """Fit ``loss = a x size^(-b)`` by least squares on ``log loss = log a - b log size``.

    Args:
        sizes: model sizes (parameters) or tokens seen, at least two, all above 0.
        losses: the losses measured at them, all above 0.

    Returns:
        The fitted :class:`PowerLaw`.

    Example:
        >>> law = fit_power_law([10, 100, 1000], [4.0, 2.0, 1.0])
        >>> round(law.exponent, 4), round(law.predict(10_000), 4)
        (0.301, 0.5)
    """
    import numpy as np

    x, y = np.asarray(sizes, dtype=float), np.asarray(losses, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"Give at least two sizes and as many losses, got shapes {x.shape} "
                         f"and {y.shape}.")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("Sizes and losses must all be above 0 to be fitted on log axes.")
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    return PowerLaw(coefficient=float(np.exp(intercept)), exponent=float(-slope))


CPU_MEMORY_VARIABLE = "TF_CPU_ALLOCATOR_USE_BFC"


def count_cpu_memory() -> bool:
    """Ask TensorFlow to count the memory its tensors take on the CPU (it does on a GPU anyway).

    TensorFlow's CPU allocator keeps no statistics unless it is its "BFC" allocator, chosen by
    an environment variable read once, when TensorFlow starts. Call this before TensorFlow is
    imported (a chapter does it in its setup cell); :class:`TensorMemory` then measures.

    Returns:
        True when it will take effect (TensorFlow not imported yet, or already counting).

    Example:
        >>> isinstance(count_cpu_memory(), bool)
        True
    """
    import os
    import sys

    if os.environ.get(CPU_MEMORY_VARIABLE, "").lower() == "true":
        return True
    if "tensorflow" in sys.modules:
        return False
    os.environ[CPU_MEMORY_VARIABLE] = "true"
    return True


class TensorMemory:
    """The most memory TensorFlow's tensors take on a device inside a ``with`` block.

    On entering, TensorFlow's peak counter of the device is reset; on leaving, the peak is read
    back. ``growth`` is how far above the memory in use at the start the peak went: during a
    training step, the activations kept for the backward pass, the gradients and the
    temporaries. On a CPU this needs :func:`count_cpu_memory` before TensorFlow starts;
    without it the numbers are None.

    Args:
        device: ``"CPU:0"`` or ``"GPU:0"``.

    Example:
        >>> import numpy as np
        >>> with TensorMemory("CPU:0") as memory:
        ...     total = float(np.sum(np.ones(1000)))
        >>> memory.growth is None or memory.growth >= 0
        True
    """

    def __init__(self, device: str = "CPU:0") -> None:
        self.device = device
        self.start: int | None = None
        self.peak: int | None = None

    def __enter__(self) -> TensorMemory:
        from course.environment import quiet_tensorflow

        tf = quiet_tensorflow()
        try:
            tf.config.experimental.reset_memory_stats(self.device)
            self.start = tf.config.experimental.get_memory_info(self.device)["current"]
        except (ValueError, RuntimeError):
            self.start = None
        return self

    def __exit__(self, *exc_info: Any) -> None:
        from course.environment import quiet_tensorflow

        if self.start is None:
            return
        peak = quiet_tensorflow().config.experimental.get_memory_info(self.device)["peak"]
        self.peak = peak if peak > 0 else None

    @property
    def growth(self) -> int | None:
        """Bytes above the starting use at the peak (None where TensorFlow does not count)."""
        if self.start is None or self.peak is None:
            return None
        return max(0, self.peak - self.start)
