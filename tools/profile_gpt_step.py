"""Where a training step of the reference GPT spends its time, operation by operation (issue 12).

Builds the bench's reference GPT (``course.bench.ReferenceGPT``: 4 layers, 4 heads, width 128,
context 64, batch 12, AdamW with clipping, XLA, 25 steps per call), compiles Keras' training
function once, then records a few calls with TensorFlow's profiler while XLA reports every
operation it runs (``--xla_cpu_enable_xprof_traceme``). XLA's optimised program is dumped too, so
each recorded operation can be named: a dense matrix product, a batched one (attention's scores
and mixing), a transpose, an element-wise fusion of the forward or backward pass, the optimizer.
It prints milliseconds per step for each class, and for each shape of matrix product its
throughput in GFLOP/s, to set against ``python -m course bench``'s measured peak::

    python tools/profile_gpt_step.py            # 2 recorded calls of 25 steps

The machine is shared and noisy: read the shares, not the absolute times, and note ``uptime``.
The profile reader uses TensorFlow's own ``xplane_pb2`` module, which is not a public API; the
tool says so if a TensorFlow version moves it.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import tempfile
import time
from pathlib import Path

DUMP = Path(tempfile.mkdtemp(prefix="gpt-step-"))
os.environ["XLA_FLAGS"] = " ".join([
    os.environ.get("XLA_FLAGS", ""), "--xla_cpu_enable_xprof_traceme=true",
    f"--xla_dump_to={DUMP / 'hlo'}", "--xla_dump_hlo_as_text",
    "--xla_dump_hlo_module_re=.*one_step_on_data.*"])

import keras  # noqa: E402  (XLA reads its flags when TensorFlow starts)
import numpy as np  # noqa: E402

from course.bench import ReferenceGPT, _random_windows  # noqa: E402
from course.environment import quiet_tensorflow  # noqa: E402
from course.models.gpt import GPT  # noqa: E402
from course.training import warmup_cosine_schedule  # noqa: E402

CONTAINERS = {"ThunkExecutor::Execute", "SlinkyThreadPool::Await"}  # they wrap the operations


def compiled_model(config: ReferenceGPT, vocabulary: int = 65) -> tuple[keras.Model, object]:
    """The reference GPT, compiled as the bench compiles it, and an iterator of random batches."""
    tf = quiet_tensorflow()
    keras.utils.set_random_seed(0)
    model = GPT(vocabulary, config.sequence_length, config.num_layers, config.num_heads,
                config.hidden_dim, 4 * config.hidden_dim)
    optimizer = keras.optimizers.AdamW(
        warmup_cosine_schedule(config.peak_learning_rate, 2000, config.warmup_steps),
        weight_decay=config.weight_decay, global_clipnorm=config.clip_norm)
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta", "positions"])
    model.compile(optimizer=optimizer,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=True, steps_per_execution=config.steps_per_execution)
    ids = np.random.default_rng(0).integers(0, vocabulary, 200_000).astype(np.int32)
    iterator = iter(_random_windows(tf, ids, config.sequence_length, config.batch_size, seed=1))
    model.make_train_function()
    return model, iterator


def operation_times(trace_dir: Path, steps: int) -> collections.Counter:
    """Milliseconds per step of every XLA operation recorded under ``trace_dir``."""
    try:
        from tensorflow.tsl.profiler.protobuf import xplane_pb2
    except ImportError as error:
        raise SystemExit("This TensorFlow has no tensorflow.tsl.profiler.protobuf.xplane_pb2; "
                         "read the trace with TensorBoard's profile plugin instead.") from error
    space = xplane_pb2.XSpace()
    space.ParseFromString(next(trace_dir.rglob("*.xplane.pb")).read_bytes())
    times = collections.Counter()
    for plane in space.planes:
        names = {key: value.name for key, value in plane.event_metadata.items()}
        for line in plane.lines:
            if "Eigen" not in line.name:  # XLA's operations run on the Eigen thread pool
                continue
            for event in line.events:
                name = names.get(event.metadata_id, "?")
                if name not in CONTAINERS:
                    times[name] += event.duration_ps / 1e9 / steps
    return times


def read_program() -> dict[str, dict]:
    """Every instruction of the optimised training step: shape, opcode, TensorFlow op, FLOPs."""
    text = next((DUMP / "hlo").glob("*one_step_on_data*cpu_after_optimizations.txt")).read_text()
    shapes = {m[1]: m[2] for m in re.finditer(r"^\s+(?:ROOT )?%(\S+) = (\S+) ", text, re.M)}
    entry = text[text.index("\nENTRY"):]
    program = {}
    for m in re.finditer(r"^\s+(?:ROOT )?%(\S+) = (\S+) ([a-z-]+)\((.*)$", entry, re.M):
        name, shape, opcode, rest = m.groups()
        origin = re.search(r'op_name="([^"]*)"', rest)
        item = {"shape": shape.split("{")[0], "opcode": opcode, "custom": "kCustom" in rest,
                "origin": origin[1] if origin else "", "flops": 0}
        if opcode == "dot":
            lhs = re.match(r"%([^ ,)]+)", rest)[1]
            lhs_dims = [int(d) for d in re.findall(r"\[([\d,]*)\]", shapes[lhs])[0].split(",")]
            contracted = re.search(r"lhs_contracting_dims=\{([\d,]*)\}", rest)[1].split(",")
            out = [int(d) for d in re.findall(r"\[([\d,]*)\]", shape)[0].split(",")]
            length = int(np.prod([lhs_dims[int(i)] for i in contracted]))
            item["flops"] = 2 * int(np.prod(out)) * length
            item["key"] = f"{item['shape']}, contracting {length}"
        program[name] = item
    return program


def classify(name: str, item: dict | None) -> str:
    """The class of one operation (its name in the program and what the dump says of it)."""
    if item is None:
        return "not in the dump"
    if item["opcode"] == "dot":
        return ("matmul, batched (attention scores and mixing)" if item["shape"].count(",") >= 3
                else "matmul, dense (projections, feed-forward, logits)")
    if "adam_w" in item["origin"]:
        return "optimizer (AdamW, global-norm clipping)"
    if item["custom"]:
        return "reductions (library fusions)"
    if "transpose" in name or "copy" in name:
        return "transposes and copies"
    return ("element-wise, backward" if "gradient_tape" in item["origin"]
            else "element-wise, forward (and fused into backward)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2, help="recorded calls of 25 steps")
    args = parser.parse_args(argv)
    tf = quiet_tensorflow()
    config = ReferenceGPT()
    model, iterator = compiled_model(config)
    for _ in range(2):  # compile and warm up
        logs = model.train_function(iterator)
    float(logs["loss"])
    trace = DUMP / "trace"
    tf.profiler.experimental.start(str(trace))
    start = time.perf_counter()
    for _ in range(args.calls):
        logs = model.train_function(iterator)
    float(logs["loss"])
    steps = args.calls * config.steps_per_execution
    wall = 1000 * (time.perf_counter() - start) / steps
    tf.profiler.experimental.stop()
    times, program = operation_times(trace, steps), read_program()
    classes, products = collections.Counter(), collections.defaultdict(lambda: [0.0, 0, 0])
    for name, ms in times.items():
        item = program.get(name)
        classes[classify(name, item)] += ms
        if item and item["opcode"] == "dot":
            entry = products[item["key"]]
            entry[0], entry[1], entry[2] = entry[0] + ms, entry[1] + item["flops"], entry[2] + 1
    counted = sum(classes.values())
    print(f"{wall:.1f} ms per step while recording ({counted:.1f} ms inside XLA's operations); "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"{sum(1 for i in program.values() if i['opcode'] == 'fusion')} fusions and "
          f"{sum(1 for i in program.values() if i['opcode'] == 'dot')} matrix products per step")
    print("\n| where | ms per step | share |\n|---|---:|---:|")
    for name, ms in classes.most_common():
        print(f"| {name} | {ms:.2f} | {100 * ms / counted:.1f}% |")
    print(f"| outside XLA's operations (input, dispatch, waiting for a core) | "
          f"{wall - counted:.2f} | |")
    print("\n| matrix product (output shape, contracted length) | count | ms per step | GFLOP/s |")
    print("|---|---:|---:|---:|")
    for key, (ms, flops, count) in sorted(products.items(), key=lambda kv: -kv[1][0]):
        print(f"| {key} | {count} | {ms:.2f} | {flops / ms / 1e6:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
