"""The software environment: quiet TensorFlow imports and a report of what is installed.

TensorFlow prints several lines from C++ when it is imported (oneDNN notices, "could not find
cuda drivers"). Under Jupyter they land in the cell output and look like errors to a student, so
the kit imports TensorFlow with the process's standard error pointed at ``/dev/null``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import os
import platform
import sys
from collections.abc import Iterator
from dataclasses import dataclass

# Set before TensorFlow or Keras is imported anywhere: the backend, and Python-level log levels.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration (C++ logging writes there directly)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_tensorflow():
    """Import TensorFlow without its start-up log lines and return the module.

    Returns:
        The ``tensorflow`` module.

    Example:
        >>> tf = quiet_tensorflow()
        >>> tf.constant(2) + 1
        <tf.Tensor: shape=(), dtype=int32, numpy=3>
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with _stderr_silenced():
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        import keras  # noqa: F401  (Keras' own import also logs through absl)

        # Looking for devices tries to start CUDA, which logs a failure on a CPU-only machine;
        # do it now, while standard error is silenced, rather than at the first operation.
        tf.config.list_physical_devices()
    return tf


@functools.cache
def gpu_names() -> tuple[str, ...]:
    """Names of the GPUs TensorFlow can use (empty on a CPU-only machine)."""
    tf = quiet_tensorflow()
    with _stderr_silenced():  # a CPU-only machine logs a failed cuInit from C++
        return tuple(device.name for device in tf.config.list_physical_devices("GPU"))


@dataclass(frozen=True)
class Requirement:
    """One package the kit needs, with what is installed and whether that is in range."""

    name: str
    wanted: str
    installed: str | None
    ok: bool


def check_requirements() -> list[Requirement]:
    """Compare installed package versions with the ranges in ``pyproject.toml``.

    Returns:
        One :class:`Requirement` per dependency of the kit.

    Example:
        >>> rows = check_requirements()
        >>> "keras" in [row.name for row in rows]
        True
    """
    from course.project import dependencies, version_in_range

    rows = []
    for name, spec in dependencies():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        ok = installed is not None and version_in_range(installed, spec)
        rows.append(Requirement(name, spec, installed, ok))
    return rows


def environment_report() -> str:
    """A short, human-readable report: Python, key packages, backend, devices.

    Returns:
        Several lines of text; problems come with what to do about them.
    """
    quiet_tensorflow()
    import keras

    lines = [f"Python      {platform.python_version()} ({sys.platform})"]
    for row in check_requirements():
        if row.name not in ("tensorflow", "keras", "keras-nlp", "matplotlib", "nbval"):
            continue
        status = "ok" if row.ok else "OUT OF RANGE"
        lines.append(f"{row.name:<11} {row.installed or 'missing'}  (wanted {row.wanted}) {status}")
        if not row.ok:
            lines.append(f"            fix: pip install '{row.name}{row.wanted}'")
    try:
        import keras_hub

        lines.append(f"keras-hub   {keras_hub.__version__}")
    except ImportError:
        lines.append("keras-hub   missing  fix: pip install -r requirements.txt")
    lines.append(f"backend     {keras.backend.backend()}")
    gpus = gpu_names()
    gpu_text = f", GPU: {', '.join(gpus)}" if gpus else ""
    lines.append(f"devices     CPU x{os.cpu_count()}{gpu_text}")
    return "\n".join(lines)
