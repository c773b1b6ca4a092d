"""Command line: ``python -m course run [CHAPTER ...]``; ``python -m course doctor``;
``python -m course slides [CHAPTER ...] [--pdf]``;
``python -m course release notebooks/ --out student/``; ``python -m course bench [--quick]``;
``python -m course grade SUBMISSIONS --chapter NN --out grades/`` (see docs/instructors.md);
``python -m course train --workers 2`` (chapter 11: data-parallel training on worker processes)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any


def positive(kind: type, *, zero: bool = False) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` above 0 (or at least 0 with ``zero``).

    Example:
        >>> positive(int)("3")
        3
        >>> positive(float)("-1")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: '-1' must be a number above 0
    """

    def parse(text: str) -> Any:
        bound = "0 or more" if zero else "above 0"
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} must be a number {bound}") from None
        if value < 0 or (value == 0 and not zero) or value != value:  # NaN
            raise argparse.ArgumentTypeError(f"{text!r} must be a number {bound}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m course``; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m course", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="execute chapters headless; write executed copies + HTML")
    run.add_argument("chapters", nargs="*", help="chapter numbers such as 00 04 (default: all)")
    run.add_argument("--out", default=None, help="output folder (default: build/)")
    run.add_argument("--profile", choices=["fast", "full"], default=None)
    run.add_argument("--cell-timeout", type=positive(int), default=600, help="seconds per cell")

    commands.add_parser("doctor", help="print the environment report")

    slides = commands.add_parser("slides", help="build the slide decks into offline HTML (+ PDF)")
    slides.add_argument("chapters", nargs="*", help="chapter numbers such as 02 (default: all)")
    slides.add_argument("--out", default=None, help="output folder (default: build/slides/)")
    slides.add_argument("--pdf", action="store_true", help="also print PDF handouts (Chromium)")

    release = commands.add_parser("release", help="write the student version of notebooks")
    release.add_argument("source", help="an instructor notebook, or a folder of them")
    release.add_argument("--out", required=True, help="folder for the student notebooks")

    grade = commands.add_parser("grade", help="grade a folder of submissions of one chapter")
    grade.add_argument("submissions", help="folder with alice.ipynb, ... or alice/, ...")
    grade.add_argument("--chapter", required=True, help="chapter number, such as 05")
    grade.add_argument("--out", required=True, help="folder for gradebook.csv, feedback/, results/")
    grade.add_argument("--source", default=None, help="instructor notebooks (default: notebooks/)")
    grade.add_argument("--workers", type=positive(int), default=None,
                       help="parallel runs (default: cores)")
    grade.add_argument("--cell-timeout", type=positive(float), default=300, help="seconds per cell")
    grade.add_argument("--notebook-timeout", type=positive(float), default=1800,
                       help="seconds per notebook")
    grade.add_argument("--memory-mb", type=positive(int, zero=True), default=4096,
                       help="resident-memory limit per kernel in MiB (0: none)")
    grade.add_argument("--regrade", action="store_true", help="ignore saved results")
    grade.add_argument("--every-cell", action="store_true",
                       help="run every cell of the chapter, not only those the checks need")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="run submissions without the bubblewrap sandbox (unsafe: they can "
                            "read your notebooks and other submissions)")

    bench = commands.add_parser("bench", help="measure training and generation speed here")
    bench.add_argument("--steps", type=int, default=2000, help="GPT training steps (default 2000)")
    bench.add_argument("--quick", action="store_true", help="a few steps of everything (tests)")
    bench.add_argument("--out", default=None, help="JSON file (default: build/bench.json)")

    _add_train(commands)

    args = parser.parse_args(argv)
    if args.command == "train":
        return _train(args)
    if args.command == "bench":
        if args.steps < 1:
            print(f"error: --steps must be at least 1, got {args.steps}", file=sys.stderr)
            return 2
        from course.bench import run_bench

        report = run_bench(args.steps, args.quick, args.out)
        return 0 if all(report.checks.values()) else 1
    if args.command == "run":
        from course.runner import run as run_chapters

        try:
            records = run_chapters(args.chapters, args.out, args.profile, args.cell_timeout)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        return 0 if all(record.ok for record in records) else 1
    if args.command == "release":
        return _release(args.source, args.out)
    if args.command == "grade":
        return _grade(args)
    if args.command == "slides":
        from course.slides.build import main as build_slides

        return build_slides(args.chapters, args.out, args.pdf)
    if args.command == "doctor":
        from course.environment import environment_report

        print(environment_report())
        return 0
    return 2


TRAIN_DESCRIPTION = """\
Train a tiny character GPT with tf.distribute.MultiWorkerMirroredStrategy (chapter 11).

On one machine, --workers N starts N worker processes here, each told the cluster through
TF_CONFIG (localhost ports chosen free at run time), waits for them and ends them all.

On several machines, run the same command on each one with the same --hosts list and its own
--index (0 on the first machine, 1 on the second, ...):

    machine-a$ python -m course train --hosts machine-a:12345,machine-b:12345 --index 0
    machine-b$ python -m course train --hosts machine-a:12345,machine-b:12345 --index 1

Without --hosts or --workers, a worker reads TF_CONFIG from its environment (as a cluster
manager sets it). Each worker backs up after every epoch (keras.callbacks.BackupAndRestore in
OUT/backup-<index>/): run the same command again after a failure and training resumes there.
"""


def _add_train(commands: Any) -> None:
    from course.distributed import TrainSettings

    train = commands.add_parser(
        "train", help="data-parallel training of a tiny GPT on worker processes (chapter 11)",
        description=TRAIN_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = train.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive(int), default=None,
                       help="start this many worker processes on this machine (default 2)")
    where.add_argument("--hosts", default=None,
                       help="every worker's host:port, comma-separated, the same on every machine; "
                            "this process runs the worker --index")
    train.add_argument("--index", type=positive(int, zero=True), default=None,
                       help="this machine's position in --hosts (0 is the first)")
    train.add_argument("--out", default="build/train",
                       help="folder for logs, progress, results and backups (default build/train)")
    train.add_argument("--timeout", type=positive(float), default=600,
                       help="seconds for the whole run with --workers (default 600)")
    defaults = TrainSettings()
    for name, kind, meaning in [
        ("epochs", int, "passes over the training windows"),
        ("steps_per_epoch", int, "global batches per epoch"),
        ("batch_size", int, "windows per global batch, split over all workers"),
        ("sequence_length", int, "tokens per window"),
        ("num_layers", int, "decoder blocks"),
        ("num_heads", int, "attention heads"),
        ("hidden_dim", int, "width of the residual stream"),
        ("learning_rate", float, "Adam's learning rate"),
        ("corpus_chars", int, "characters of the pydoc corpus to read"),
        ("seed", int, "seed of the initial weights"),
        ("pause", float, "seconds each worker waits after an epoch (demonstrations)"),
    ]:
        zero = name in ("seed", "pause")
        train.add_argument(f"--{name.replace('_', '-')}", dest=name, type=positive(kind, zero=zero),
                           default=getattr(defaults, name),
                           help=f"{meaning} (default {getattr(defaults, name)})")


def _train(args: argparse.Namespace) -> int:
    import json

    from course import distributed

    names = [name for name in distributed.TrainSettings.__dataclass_fields__]
    try:
        settings = distributed.TrainSettings(**{name: getattr(args, name) for name in names})
        if args.hosts is not None:
            if args.index is None:
                raise ValueError("--hosts needs --index: this machine's position in the list "
                                 "(0 on the first machine).")
            hosts = distributed.parse_hosts(args.hosts)
            distributed.tf_config(hosts, args.index)  # checks the index
        elif args.index is not None:
            raise ValueError("--index needs --hosts (the whole cluster, host:port,host:port).")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.hosts is not None:
        result = distributed.train_worker(settings, args.out, hosts, args.index)
    elif args.workers is None and os.environ.get(distributed.TF_CONFIG):
        result = distributed.train_worker(settings, args.out)
    else:
        import signal

        # Ended from outside (a notebook's Workers, a scheduler): leave through the with block
        # of run_local, which ends the workers this process started.
        signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
        try:
            result = distributed.run_local(args.workers or 2, settings, args.out, args.timeout)
        except (RuntimeError, TimeoutError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    print(json.dumps(result))
    return 0


def _release(source: str, out: str) -> int:
    from pathlib import Path

    import nbformat

    from course.exercises import release_notebook

    source_path, out_path = Path(source), Path(out)
    paths = sorted(source_path.glob("*.ipynb")) if source_path.is_dir() else [source_path]
    if not paths or not all(path.is_file() for path in paths):
        print(f"error: no notebooks at {source}", file=sys.stderr)
        return 2
    if out_path.resolve() in {path.parent.resolve() for path in paths}:
        print("error: --out must differ from the source folder", file=sys.stderr)
        return 2
    out_path.mkdir(parents=True, exist_ok=True)
    for path in paths:
        try:
            student = release_notebook(nbformat.read(path, as_version=4))
        except ValueError as error:
            print(f"error: {path}: {error}", file=sys.stderr)
            return 2
        nbformat.write(student, out_path / path.name)
        print(f"{path} -> {out_path / path.name}")
    return 0


def _grade(args: argparse.Namespace) -> int:
    import os
    import time

    from course.grading import Limits, SandboxUnavailable, default_workers, grade

    workers = args.workers or default_workers()
    try:
        limits = Limits(args.cell_timeout, args.notebook_timeout, args.memory_mb,
                        threads=max(1, (os.cpu_count() or 1) // workers),
                        sandbox=not args.no_sandbox, every_cell=args.every_cell)
        start = time.perf_counter()
        results = grade(args.submissions, args.chapter, args.out, source=args.source,
                        limits=limits, workers=workers, regrade=args.regrade)
    except (ValueError, SandboxUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: finished grades are saved; run the same command to resume.",
              file=sys.stderr)
        return 130
    if args.no_sandbox:
        print("warning: graded WITHOUT the sandbox (--no-sandbox); the gradebook says so.",
              file=sys.stderr)
    print(f"{len(results)} submissions in {time.perf_counter() - start:.1f} s; "
          f"gradebook: {args.out}/gradebook.csv, feedback: {args.out}/feedback/")
    for result in results:
        for flag in result.get("review", []):
            print(f"review by hand: {result['student']}, {flag}")
    broken = [r["student"] for r in results if r["error"].startswith("the chapter's own code")]
    if broken:
        print(f"warning: the chapter's own code failed for {len(broken)} of {len(results)} "
              "submissions; if that is most of them, fix the grading environment or its limits "
              "(--memory-mb, --cell-timeout) and grade again with --regrade.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
