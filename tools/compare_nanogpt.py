"""Run nanoGPT's CPU command and the kit's benchmark one after the other, and compare.

nanoGPT is the reference of the course's performance notes. It is *not* a dependency of the kit:
bring a checkout of it and a Python that has PyTorch and NumPy (a separate virtual environment),
prepare its character data once (``data/shakespeare_char/prepare.py``), then::

    python tools/compare_nanogpt.py --nanogpt ../nanoGPT --torch-python ../torchenv/bin/python

It runs, in this order: nanoGPT's ``train.py`` with the CPU command of its README (4 layers,
4 heads, width 128, context 64, batch 12, 2,000 steps, no dropout, evaluations of 20 batches
every 250 steps), timing every line from launch; nanoGPT's own ``generate()`` (no key/value
cache) for 256 tokens at batch 1; then ``python -m course bench``. Step times are medians over
the steps between evaluations, so a burst of load from elsewhere moves them little; wall times
are not protected that way, so run it on a quiet machine and run it twice.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

README_COMMAND = [
    "train.py", "config/train_shakespeare_char.py", "--device=cpu", "--compile=False",
    "--eval_iters=20", "--log_interval=1", "--block_size=64", "--batch_size=12", "--n_layer=4",
    "--n_head=4", "--n_embd=128", "--max_iters=2000", "--lr_decay_iters=2000", "--dropout=0.0",
]

GENERATION = """
import time, torch
from model import GPT, GPTConfig
saved = torch.load('out-shakespeare-char/ckpt.pt', map_location='cpu')
model = GPT(GPTConfig(**saved['model_args']))
model.load_state_dict({k.removeprefix('_orig_mod.'): v for k, v in saved['model'].items()})
model.eval()
start_ids = torch.zeros((1, 1), dtype=torch.long)
with torch.no_grad():
    model.generate(start_ids, 5, top_k=1)
    begin = time.perf_counter()
    model.generate(start_ids, 256, top_k=1)
print(256 / (time.perf_counter() - begin))
"""


def run_nanogpt_training(nanogpt: Path, python: str) -> dict[str, float]:
    """Train with the README's CPU command; medians, validation losses and times from launch.

    Args:
        nanogpt: the nanoGPT checkout (with ``data/shakespeare_char`` prepared).
        python: a Python interpreter with PyTorch.

    Returns:
        ``ms per step`` (median, evaluation steps left out), ``launch to validation loss 2.0``
        (seconds, nan if never), ``final validation loss`` and ``wall time``.
    """
    launched = time.perf_counter()
    process = subprocess.Popen([python, "-u", *README_COMMAND], cwd=nanogpt, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    step_ms, reached, final = [], float("nan"), float("nan")
    for line in process.stdout:
        now = time.perf_counter() - launched
        if match := re.match(r"iter (\d+): loss [\d.]+, time ([\d.]+)ms", line):
            if int(match[1]) % 250:  # leave out the steps that include an evaluation
                step_ms.append(float(match[2]))
        elif match := re.match(r"step (\d+): train loss [\d.]+, val loss ([\d.]+)", line):
            final = float(match[2])
            if final <= 2.0 and reached != reached:
                reached = now
    if process.wait() != 0:
        raise SystemExit(f"nanoGPT's train.py failed (exit code {process.returncode}).")
    return {"ms per step": statistics.median(step_ms), "launch to validation loss 2.0": reached,
            "final validation loss": final, "wall time": time.perf_counter() - launched}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nanogpt", type=Path, required=True, help="nanoGPT checkout")
    parser.add_argument("--torch-python", required=True, help="a Python with PyTorch")
    parser.add_argument("--out", type=Path, default=Path("build/compare_nanogpt.json"))
    args = parser.parse_args(argv)

    reference = run_nanogpt_training(args.nanogpt, args.torch_python)
    reference["generation tokens per second"] = float(subprocess.run(
        [args.torch_python, "-c", GENERATION], cwd=args.nanogpt, check=True, text=True,
        capture_output=True).stdout.split()[-1])

    from course.bench import run_bench

    kit = run_bench(out=args.out.with_name("bench.json"))
    ours = {"ms per step": kit.value("ms per step"),
            "launch to validation loss 2.0": kit.value("launch to validation loss 2.0"),
            "final validation loss": kit.value("final validation loss"),
            "generation tokens per second":
                kit.value("tokens per second, key/value cache, loop compiled")}
    rows = [
        ("training speed (tokens/s), kit ÷ nanoGPT", reference["ms per step"] / ours["ms per step"],
         "goal at least 1.3"),
        ("launch to validation loss 2.0, kit ÷ nanoGPT",
         ours["launch to validation loss 2.0"] / reference["launch to validation loss 2.0"],
         "goal at most 0.9"),
        ("kit's cached generation ÷ nanoGPT's uncached",
         ours["generation tokens per second"] / reference["generation tokens per second"],
         "goal at least 5"),
    ]
    print("\n| | nanoGPT | kit |\n|---|---:|---:|")
    for name in ours:
        print(f"| {name} | {reference[name]:.4g} | {ours[name]:.4g} |")
    print("\n| ratio | value | |\n|---|---:|---|")
    for name, value, goal in rows:
        print(f"| {name} | {value:.2f} | {goal} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"nanogpt": reference, "kit": ours,
                                    "ratios": {n: v for n, v, _ in rows}}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
