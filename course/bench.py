"""``python -m course bench``: how fast the kit's models train and generate on this machine.

Measures, in one process and in this order:

1. **the hardware ceiling**: float32 matrix-multiply throughput with TensorFlow on all cores,
   and bfloat16 too where the CPU has native instructions for it;
2. **GPT training** in the reference configuration of the course's performance notes (character
   Tiny Shakespeare; 4 layers, 4 heads, width 128, context 64, batch 12, no dropout; AdamW 1e-3
   with 100 warm-up steps and cosine decay to 1e-4, weight decay 0.1, clipping 1.0; XLA):
   milliseconds per step, tokens per second, FLOPs per step (from :mod:`course.costs`), their
   share of the measured peak, and the wall time from launch to a validation loss of 2.0;
3. **generation** at batch 1 with and without the key/value cache (greedy, the same text);
4. **recurrent models**: the kit's LSTM and GRU cells, width 256, context 100, batch 64.

It prints a table and writes it as JSON (``build/bench.json`` by default). The numbers belong to
the machine and the moment: compare two implementations side by side in one run, never against
a figure from another day. No test asserts a speed; ``--quick`` is for the tests.
"""

from __future__ import annotations

import json
import math
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from course.costs import GPTShape, gpt_training_flops

LAUNCHED = time.perf_counter()  # "from launch" counts from the import of this module


@dataclass
class Measurement:
    """One line of the benchmark table.

    Args:
        group: what was measured (``"hardware"``, ``"gpt training"``, ...).
        name: the quantity.
        value: the number.
        unit: its unit.
        note: how it was measured, in a few words.
    """

    group: str
    name: str
    value: float
    unit: str
    note: str = ""


@dataclass
class BenchReport:
    """Everything one run of the benchmark measured.

    Args:
        machine: processor, cores and library versions.
        measurements: the table's rows.
        checks: statements verified during the run (e.g. equal greedy texts), each True.
    """

    machine: dict[str, Any]
    measurements: list[Measurement] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)

    def add(self, group: str, name: str, value: float, unit: str, note: str = "") -> None:
        self.measurements.append(Measurement(group, name, float(value), unit, note))

    def value(self, name: str) -> float:
        """The value of the first measurement called ``name``."""
        for measurement in self.measurements:
            if measurement.name == name:
                return measurement.value
        raise KeyError(f"No measurement called {name!r}; have "
                       f"{[m.name for m in self.measurements]}.")

    def table(self) -> str:
        """The measurements as a Markdown table.

        Example:
            >>> report = BenchReport(machine={})
            >>> report.add("hardware", "float32 matmul", 123.456, "GFLOP/s", "2048-cube")
            >>> print(report.table())
            | what | measurement | value | unit | how |
            |---|---|---:|---|---|
            | hardware | float32 matmul | 123.5 | GFLOP/s | 2048-cube |
        """
        lines = ["| what | measurement | value | unit | how |", "|---|---|---:|---|---|"]
        for m in self.measurements:
            value = f"{m.value:,.0f}" if abs(m.value) >= 1000 else f"{m.value:.4g}"
            lines.append(f"| {m.group} | {m.name} | {value} | {m.unit} | {m.note} |")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps({"machine": self.machine,
                           "measurements": [asdict(m) for m in self.measurements],
                           "checks": self.checks}, indent=2)


def _cpuinfo(field_name: str) -> str | None:
    """The value of a field of the first processor in ``/proc/cpuinfo`` (None elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(field_name):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_flags() -> set[str]:
    """The instruction-set flags of the first processor in ``/proc/cpuinfo`` (empty elsewhere)."""
    return set((_cpuinfo("flags") or "").split())


def native_bfloat16() -> str | None:
    """The CPU's native bfloat16 instructions (``"amx_bf16"``, ``"avx512_bf16"``), or None."""
    flags = cpu_flags()
    for flag in ("amx_bf16", "avx512_bf16"):
        if flag in flags:
            return flag
    return None


def machine_description() -> dict[str, Any]:
    """Processor, core count and the versions that decide the speed."""
    import os

    import keras

    from course.environment import quiet_tensorflow

    tf = quiet_tensorflow()
    processor = _cpuinfo("model name") or platform.processor() or platform.machine()
    return {"processor": processor, "cores": os.cpu_count(), "python": platform.python_version(),
            "tensorflow": tf.__version__, "keras": keras.__version__,
            "gpus": len(tf.config.list_physical_devices("GPU")),
            "native_bfloat16": native_bfloat16()}


def matmul_gflops(dtype: str = "float32", size: int = 2048, seconds: float = 2.0) -> float:
    """Throughput of square matrix products with TensorFlow, in GFLOP/s (2 FLOPs per multiply-add).

    Args:
        dtype: ``"float32"`` or ``"bfloat16"``.
        size: the side of the matrices.
        seconds: how long to keep multiplying after a warm-up product.

    Returns:
        The best throughput over batches of products.
    """
    from course.environment import quiet_tensorflow

    tf = quiet_tensorflow()
    a, b = (tf.cast(tf.random.normal((size, size)), dtype) for _ in range(2))

    @tf.function
    def product(x, y):
        return tf.reduce_sum(tf.cast(tf.matmul(x, y)[:1, :1], tf.float32))

    product(a, b).numpy()  # trace and warm up
    best, deadline = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        product(a, b).numpy()
        best = max(best, 2 * size**3 / (time.perf_counter() - start) / 1e9)
    return best


@dataclass(frozen=True)
class ReferenceGPT:
    """The reference training configuration (the course's performance notes)."""

    num_layers: int = 4
    num_heads: int = 4
    hidden_dim: int = 128
    sequence_length: int = 64
    batch_size: int = 12
    peak_learning_rate: float = 1e-3
    final_learning_rate: float = 1e-4
    warmup_steps: int = 100
    weight_decay: float = 0.1
    clip_norm: float = 1.0
    evaluate_every: int = 250
    evaluation_batches: int = 20
    target_loss: float = 2.0
    steps_per_execution: int = 25


def _random_windows(tf: Any, ids: np.ndarray, length: int, batch_size: int, seed: int) -> Any:
    """Endless batches of windows at random offsets (inputs, next-token targets)."""
    table = tf.constant(ids, dtype=tf.int32)
    highest = len(ids) - length - 1
    offsets = tf.data.Dataset.random(seed=seed).map(lambda r: r % highest)
    gather = tf.range(length + 1, dtype=tf.int64)

    def windows(starts):
        rows = tf.gather(table, starts[:, None] + gather[None, :])  # (batch, length + 1)
        return rows[:, :-1], rows[:, 1:]

    dataset = offsets.batch(batch_size, drop_remainder=True).map(windows)
    return dataset.prefetch(2)


def _stretch_clock(target_loss: float) -> Any:
    """A Keras callback: training time of each epoch (evaluation left out), validation losses,
    and the time from launch when the validation loss first reached ``target_loss``."""
    import keras

    class Clock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.stretches, self.validation_losses, self.reached = [], [], None

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_test_begin(self, logs=None):
            self.stretches.append(time.perf_counter() - self._start)

        def on_epoch_end(self, epoch, logs=None):
            loss = float(logs["val_loss"])
            self.validation_losses.append(loss)
            if self.reached is None and loss <= target_loss:
                self.reached = time.perf_counter() - LAUNCHED

    return Clock()


def train_reference_gpt(report: BenchReport, steps: int, config: ReferenceGPT,
                        text: str, peak_gflops: float) -> Any:
    """Train the reference GPT, timing every stretch between evaluations; returns the model."""
    import keras

    from course.environment import quiet_tensorflow
    from course.models.gpt import GPT
    from course.text import CharacterTokenizer
    from course.training import warmup_cosine_schedule

    tf = quiet_tensorflow()
    keras.utils.set_random_seed(0)
    tokenizer = CharacterTokenizer.fit(text)
    ids = np.asarray(tokenizer.tokenize(text), dtype=np.int32)
    cut = int(0.9 * len(ids))
    train = _random_windows(tf, ids[:cut], config.sequence_length, config.batch_size, seed=1)
    validation = _random_windows(tf, ids[cut:], config.sequence_length, config.batch_size, seed=2)
    options = tf.data.Options()
    options.autotune.enabled = False  # no stall when the validation iterator is torn down
    validation = validation.take(config.evaluation_batches).cache().with_options(options)

    model = GPT(tokenizer.vocabulary_size(), config.sequence_length, config.num_layers,
                config.num_heads, config.hidden_dim, 4 * config.hidden_dim)
    schedule = warmup_cosine_schedule(
        config.peak_learning_rate, max(2, steps), min(config.warmup_steps, max(2, steps) - 1),
        final_fraction=config.final_learning_rate / config.peak_learning_rate)
    optimizer = keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay,
                                       global_clipnorm=config.clip_norm)
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta", "positions"])
    chunk = min(config.evaluate_every, steps)
    # Several steps per call to the compiled function: fewer trips through Python between steps
    # (measured about 7% faster than one step per call on the reference configuration).
    per_call = math.gcd(config.steps_per_execution, chunk)
    model.compile(optimizer=optimizer,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=True, steps_per_execution=per_call)

    shape = GPTShape.of(model)
    flops = gpt_training_flops(shape, config.batch_size)
    clock = _stretch_clock(config.target_loss)
    model.fit(train, validation_data=validation, steps_per_epoch=chunk, epochs=steps // chunk,
              verbose=0, callbacks=[clock], shuffle=False)
    losses, reached = clock.validation_losses, clock.reached
    steps = chunk * (steps // chunk)
    # The first stretch pays for tracing and compiling; the median of the others' step times
    # moves little with a burst of load from elsewhere (nanoGPT's side is a median too).
    timed = clock.stretches[1:] or clock.stretches  # one stretch only: compilation included
    ms = 1000 * statistics.median(timed) / chunk
    tokens_per_second = config.batch_size * config.sequence_length / (ms / 1000)
    note = (f"{steps} steps, XLA, {per_call} per call, median of {len(timed)} stretches of "
            f"{chunk} after the first")
    report.add("gpt training", "ms per step", ms, "ms", note)
    report.add("gpt training", "tokens per second", tokens_per_second, "tokens/s", note)
    report.add("gpt training", "FLOPs per step", flops / 1e9, "GFLOP", "course.costs")
    achieved = flops / (ms / 1000) / 1e9
    report.add("gpt training", "share of float32 peak", 100 * achieved / peak_gflops, "%",
               f"{achieved:.1f} GFLOP/s achieved")
    report.add("gpt training", "final validation loss", losses[-1], "nats/char",
               f"{config.evaluation_batches} batches at random offsets")
    report.add("gpt training", "launch to validation loss 2.0",
               float("nan") if reached is None else reached, "s",
               "not reached" if reached is None else
               f"evaluated every {config.evaluate_every} steps")
    model.bench_tokenizer = tokenizer
    return model


def bench_generation(report: BenchReport, model: Any, new_tokens: int = 256) -> None:
    """Tokens per second at batch 1: the key/value cache with the token loop compiled, the cache
    with a Python loop, and re-running the window (no cache)."""
    from course.generation import GreedySampler, rerun_prefix_next
    from course.models.gpt import cached_next, compiled_generate

    tokenizer = model.bench_tokenizer
    prompt = np.asarray(tokenizer.tokenize("ROMEO:"), dtype=np.int32)
    results = {}

    def python_loop(next_function: Any) -> Any:
        return lambda ids, count: GreedySampler()(next_function, ids, count)

    loops = {
        "key/value cache, loop compiled": lambda ids, count: compiled_generate(model, ids, count),
        "key/value cache, Python loop": python_loop(cached_next(model)),
        "re-running the window": python_loop(rerun_prefix_next(model)),
    }
    for name, generate in loops.items():
        generate(prompt, new_tokens)  # trace and compile every window shape first
        start = time.perf_counter()
        ids = generate(prompt, new_tokens)
        seconds = time.perf_counter() - start
        results[name] = np.asarray(ids).reshape(-1)
        report.add("generation", f"tokens per second, {name}", new_tokens / seconds, "tokens/s",
                   f"batch 1, {new_tokens} greedy tokens")
    compiled, in_python, rerun = results.values()
    report.checks["greedy text equal, cache with the loop compiled or in Python"] = bool(
        np.array_equal(compiled, in_python))
    # Both see the same context until the window is full; after that the cache refills from
    # the last half of it while the re-run slides by one token, so only that stretch must agree.
    same = model.sequence_length
    report.checks["greedy text equal within the context, cache or re-run"] = bool(
        np.array_equal(in_python[:same], rerun[:same]))


def bench_recurrent(report: BenchReport, steps: int, text: str) -> None:
    """Training tokens per second of the kit's LSTM and GRU character models."""
    import keras

    from course.environment import quiet_tensorflow
    from course.layers import GRUCell, LSTMCell
    from course.text import CharacterTokenizer

    tf = quiet_tensorflow()
    tokenizer = CharacterTokenizer.fit(text)
    ids = np.asarray(tokenizer.tokenize(text), dtype=np.int32)
    vocabulary = tokenizer.vocabulary_size()
    for name, cell in [("LSTM", LSTMCell), ("GRU", GRUCell)]:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((None,), dtype="int32"),
                                  keras.layers.Embedding(vocabulary, 64),
                                  keras.layers.RNN(cell(256), return_sequences=True),
                                  keras.layers.Dense(vocabulary)])
        model.compile(optimizer=keras.optimizers.Adam(2e-3, global_clipnorm=1.0),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        batches = _random_windows(tf, ids, 100, 64, seed=3)
        model.fit(batches, steps_per_epoch=3, epochs=1, verbose=0, shuffle=False)  # trace first
        start = time.perf_counter()
        model.fit(batches, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
        seconds = time.perf_counter() - start
        report.add("recurrent training", f"{name} tokens per second", steps * 64 * 100 / seconds,
                   "tokens/s", f"course.layers.{name}Cell(256), context 100, batch 64")


def run_bench(steps: int = 2000, quick: bool = False, out: str | Path | None = None,
              text: str | None = None) -> BenchReport:
    """Run the whole benchmark, print its table and write it as JSON.

    Args:
        steps: GPT training steps (the reference trains 2,000).
        quick: a few steps of everything, for tests: shapes of the table, not speeds.
        out: the JSON file; ``build/bench.json`` in the checkout by default.
        text: the training text; Tiny Shakespeare from the data registry by default.

    Returns:
        The :class:`BenchReport`.
    """
    from course.project import ROOT

    if text is None:
        from course.data import load_text

        text = load_text("tinyshakespeare")
    report = BenchReport(machine=machine_description())
    peak = matmul_gflops("float32", size=512 if quick else 2048, seconds=0.2 if quick else 2.0)
    report.add("hardware", "float32 matmul", peak, "GFLOP/s",
               "TensorFlow, all cores, best of repeated square products")
    bf16 = report.machine["native_bfloat16"]
    if bf16:
        report.add("hardware", "bfloat16 matmul",
                   matmul_gflops("bfloat16", size=512 if quick else 2048,
                                 seconds=0.2 if quick else 2.0),
                   "GFLOP/s", f"the CPU has {bf16}")
    config = ReferenceGPT(evaluate_every=10, evaluation_batches=2) if quick else ReferenceGPT()
    model = train_reference_gpt(report, 20 if quick else steps, config, text, peak)
    bench_generation(report, model, new_tokens=80 if quick else 256)
    bench_recurrent(report, 3 if quick else 100, text)
    path = Path(out) if out else ROOT / "build" / "bench.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report.to_json(), encoding="utf-8")
    print(f"{report.machine['processor']}, {report.machine['cores']} cores, TensorFlow "
          f"{report.machine['tensorflow']}, Keras {report.machine['keras']}")
    print(report.table())
    for check, ok in report.checks.items():
        print(f"{'ok' if ok else 'FAILED'}: {check}")
    print(f"written to {path}")
    return report
