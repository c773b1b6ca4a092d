"""A pytest plugin that :mod:`course.grading` loads into each grading run, next to nbval.

It runs inside the grading subprocess (``python -m pytest -p course.grading.plugin ...``), never
in the instructor's own process, and changes six things about an nbval run:

* ``--course-secrets-fd N`` reads the source of the hidden checks, as JSON ``{cell number:
  source}``, from a pipe the grader opened, before any kernel starts; the notebook file on disk
  holds only a placeholder in those cells. Their source is put into the collected cells, and
  removed again from failure reports (the grader only needs the error's last line).

* ``--course-sandbox DIR`` starts the kernel inside the bubblewrap sandbox of
  :mod:`course.grading.sandbox`, talking to nbval over Unix sockets in ``DIR`` (the one folder of
  the grader's it can write), with ``interrupt_mode: message`` so that a cell's timeout still
  reaches it. Without the option the kernel starts as nbval would start it.
* ``--course-memory-limit BYTES`` limits the kernel's *resident* memory: a thread of pytest adds
  up the resident memory (RSS) of the kernel and its child processes 20 times a second and kills
  them all past the limit; the cell then fails with :data:`MEMORY_EXCEEDED`. Core dumps are off.
* ``--course-hide-notebooks`` deletes the notebook file once nbval has read its cells, so the
  code being graded cannot open it from disk and read the checks that have not run yet.
* ``--course-notebook-timeout SECONDS`` is a time limit for the whole notebook: each cell's
  timeout shrinks to the time left, and the cells after the limit fail without running. The
  junit report is still written, so the checks that passed before the limit keep their points.
* A dead kernel is noticed within a second instead of at the cell timeout (nbval waits for the
  kernel's reply until the timeout), and a timed-out cell no longer turns the later cells into
  "expected failures": every cell is reported as what it did.

The messages it raises start with :data:`KERNEL_DIED`, :data:`MEMORY_EXCEEDED` or :data:`TIME_UP`,
which the grader reads.
"""

from __future__ import annotations

import json
import os
import re
import resource
import sys
import threading
import time
from collections.abc import Generator
from pathlib import Path
from queue import Empty

import pytest

from course.common import strip_ansi

KERNEL_DIED = "course-grading: the kernel died"
TIME_UP = "course-grading: the notebook's time limit"
MEMORY_EXCEEDED = "course-grading: the kernel used more resident memory than"
MEMORY_POLL_SECONDS = 0.05
_DEADLINE = pytest.StashKey[float]()
_SECRETS = pytest.StashKey[dict[int, str]]()
_CELL_TIMEOUT = pytest.StashKey[float]()


class KernelDied(RuntimeError):
    """The kernel process exited while a cell was running."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the plugin's options (see the module docstring)."""
    group = parser.getgroup("course-grading")
    group.addoption("--course-memory-limit", type=int, default=0,
                    help="resident-memory limit in bytes for the kernel and its children (0: none)")
    group.addoption("--course-sandbox", default="",
                    help="run the kernel in the bubblewrap sandbox, its sockets in this folder")
    group.addoption("--course-notebook-timeout", type=float, default=0.0,
                    help="seconds for the whole notebook (0: none)")
    group.addoption("--course-hide-notebooks", action="store_true",
                    help="delete the notebook files once their cells are collected")
    group.addoption("--course-secrets-fd", type=int, default=-1,
                    help="file descriptor to read the hidden cells' source from, as JSON")


def pytest_configure(config: pytest.Config) -> None:
    """Start kernels in the sandbox, start the notebook's clock and watch the kernel."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _start_kernels(config.getoption("course_sandbox"), config.getoption("course_memory_limit"))
    descriptor = config.getoption("course_secrets_fd")
    if descriptor >= 0:
        with os.fdopen(descriptor, "rb") as pipe:
            secrets = json.loads(pipe.read() or b"{}")
        config.stash[_SECRETS] = {int(number): source for number, source in secrets.items()}
    timeout = config.getoption("course_notebook_timeout")
    if timeout:
        config.stash[_DEADLINE] = time.monotonic() + timeout
        config.stash[_CELL_TIMEOUT] = float(getattr(config.option, "nbval_cell_timeout", 2000))
    _watch_kernel()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put the hidden cells' source, received through the pipe, into the collected cells."""
    secrets = config.stash.get(_SECRETS, {})
    for item in items:
        number, cell = getattr(item, "cell_num", None), getattr(item, "cell", None)
        if number in secrets and cell is not None:
            cell.source = secrets[number]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep the hidden cells' source out of failure reports (the log and the junit file)."""
    report = yield
    secret = item.config.stash.get(_SECRETS, {}).get(getattr(item, "cell_num", None))
    if secret and report.longrepr is not None:
        report.longrepr = without_source(str(report.longrepr))
    return report


_EXCEPTION_LINE = re.compile(r"^[A-Z]\w*(?:\.\w+)*(?::|$)")


def without_source(report: str) -> str:
    """An nbval failure report cut to its first two lines and the exception at the end.

    The rest (the cell's input and the traceback's frames) would show a hidden check's code.

    Example:
        >>> print(without_source("Notebook cell execution failed\\nCell 5: Cell execution "
        ...     "caused an exception\\n\\nInput:\\nsecret(1)\\n\\nTraceback:\\n----> 1 secret(1)"
        ...     "\\n\\nCheckFailed: secret(1) is 2, expected 3."))
        Notebook cell execution failed
        Cell 5: Cell execution caused an exception
        CheckFailed: secret(1) is 2, expected 3.
    """
    lines = strip_ansi(report).splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "Traceback:"), len(lines))
    ends = [i for i, line in enumerate(lines) if i > start and _EXCEPTION_LINE.match(line)]
    return "\n".join(lines[:2] + (lines[ends[-1] :] if ends else []))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Delete the collected notebooks from disk when asked to: nbval holds their cells."""
    if session.config.getoption("course_hide_notebooks"):
        for path in {Path(item.path) for item in session.items}:
            if path.suffix == ".ipynb":
                path.unlink(missing_ok=True)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Run every cell for real after a timeout, within what is left of the notebook's time."""
    parent = getattr(item, "parent", None)
    if hasattr(parent, "timed_out"):
        parent.timed_out = False  # nbval would mark every later cell as an expected failure
    deadline = item.config.stash.get(_DEADLINE, None)
    if deadline is None:
        return
    left = deadline - time.monotonic()
    if left <= 0:
        pytest.fail(f"{TIME_UP} was reached before this cell ran.", pytrace=False)
    item.config.option.nbval_cell_timeout = max(1.0, min(item.config.stash[_CELL_TIMEOUT], left))


def _watch_kernel() -> None:
    """Make nbval's wait for a cell's reply notice a dead kernel within a second."""
    try:
        from nbval.kernel import RunningKernel
    except ImportError:  # another nbval: grading still works, a dead kernel costs a timeout
        return
    original = getattr(RunningKernel, "await_reply", None)
    if original is None or getattr(original, "course_watched", False):
        return

    def await_reply(self, msg_id, timeout=None):  # nbval's signature
        deadline = None if timeout is None else time.monotonic() + float(timeout)
        while True:
            step = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
            if step <= 0:
                raise Empty
            try:
                return original(self, msg_id, timeout=step)
            except Empty:
                if not self.is_alive():
                    watchdog = getattr(self, "course_memory", None)
                    if watchdog is not None and watchdog.exceeded:
                        raise KernelDied(
                            f"{MEMORY_EXCEEDED} allowed ({watchdog.limit // 2**20} MiB) while "
                            "running this cell, and was stopped."
                        ) from None
                    raise KernelDied(
                        f"{KERNEL_DIED} while running this cell (it crashed, exited, or was "
                        "killed, for instance for using too much memory)."
                    ) from None

    await_reply.course_watched = True
    RunningKernel.await_reply = await_reply


class MemoryWatchdog:
    """Kill a kernel and its children once their resident memory adds up to more than a limit.

    Args:
        pid: the kernel's process (in the sandbox: ``bwrap``, whose children are the kernel).
        limit: bytes of resident memory (RSS, summed over the process and its descendants).
    """

    def __init__(self, pid: int, limit: int) -> None:
        self.pid, self.limit, self.exceeded = pid, limit, False
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True, name="course-memory").start()

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()

    def _run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.wait(MEMORY_POLL_SECONDS):
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            if total > self.limit:
                self.exceeded = True
                for process in reversed(processes):
                    try:
                        process.kill()
                    except psutil.Error:
                        continue
                return


def _start_kernels(sandbox: str, memory_limit: int) -> None:
    """Make nbval start its kernel in the sandbox (when asked) and under the memory watchdog."""
    try:
        from nbval import kernel as nbval_kernel
    except ImportError:  # not an nbval run
        return
    original = nbval_kernel.start_new_kernel
    if getattr(original, "course_sandboxed", False):
        return

    def start_new_kernel(startup_timeout=60, kernel_name="python", **kwargs):  # nbval's signature
        from jupyter_client.kernelspec import KernelSpec
        from jupyter_client.manager import KernelManager

        if sandbox:
            from course.grading.sandbox import kernel_command

            folder = Path(sandbox)
            argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
            km = KernelManager(
                kernel_name="course-sandbox", transport="ipc", ip=str(folder / "kernel"),
                connection_file=str(folder / "kernel.json"),
            )
            tmp_bytes = max(2**28, memory_limit // 4) if memory_limit else 2**30
            km._kernel_spec = KernelSpec(  # noqa: SLF001 - no public way to give a spec object
                argv=kernel_command(argv, writable=folder, env=dict(os.environ),
                                    tmp_bytes=tmp_bytes),
                display_name="Python 3 (grading sandbox)", language="python",
                interrupt_mode="message", env={},
            )
        else:
            km = KernelManager(kernel_name=kernel_name,
                               kernel_spec_manager=nbval_kernel.NbvalKernelspecManager())
        km.start_kernel(**kwargs)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=startup_timeout)
        except RuntimeError:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
            raise
        process = getattr(km.provisioner, "process", None)
        if memory_limit and process is not None:
            km.course_memory = MemoryWatchdog(process.pid, memory_limit)
        return km, kc

    start_new_kernel.course_sandboxed = True
    nbval_kernel.start_new_kernel = start_new_kernel
    running = nbval_kernel.RunningKernel
    if not hasattr(running, "course_memory"):
        running.course_memory = property(lambda self: getattr(self.km, "course_memory", None))
