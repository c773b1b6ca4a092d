"""Running one graded notebook: nbval in a process of its own, the kernel in the sandbox.

:func:`run_graded_notebook` writes the notebook (hidden checks as placeholders, their code sent
through a pipe; the guard of :mod:`course.grading.guard` added; the chapter code cut down by
:mod:`course.grading.plan` unless ``Limits.every_cell``), runs ``pytest --nbval-lax`` with the
plugin :mod:`course.grading.plugin`, and reads each cell's outcome from the junit report.
"""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course.exercises import GradedNotebook
from course.grading import guard as grading_guard
from course.grading import plan as grading_plan

HARD_LIMIT_GRACE = 90.0
"""Seconds past the notebook's time limit before the whole run is killed (kernel start-up)."""


TOKEN_VARIABLE = "COURSE_GRADING_RUN"
"""Set in each run's environment, so that processes the run left behind can be found."""


@dataclass(frozen=True)
class Limits:
    """The limits of one grading run.

    Args:
        cell_timeout: seconds any one cell may run.
        notebook_timeout: seconds the whole notebook may run.
        memory_mb: resident memory (RSS) the kernel and its child processes may use together,
            in MiB (0: none); past it they are killed (see :mod:`course.grading.plugin`).
        threads: threads each kernel's numerical libraries may use.
        sandbox: run each kernel in the bubblewrap sandbox (:mod:`course.grading.sandbox`);
            ``False`` runs it as the grader's own user, with access to all the grader can reach.
        every_cell: run every cell of the chapter; by default only the chapter cells that the
            answers and checks need run (:mod:`course.grading.plan`).
    """

    cell_timeout: float = 300.0
    notebook_timeout: float = 1800.0
    memory_mb: int = 4096
    threads: int = 1
    sandbox: bool = True
    every_cell: bool = False

    def __post_init__(self) -> None:
        if self.cell_timeout <= 0 or self.notebook_timeout <= 0:
            raise ValueError(
                f"Time limits must be positive, got cell_timeout={self.cell_timeout} and "
                f"notebook_timeout={self.notebook_timeout}."
            )
        if self.memory_mb < 0 or self.threads < 1:
            raise ValueError(
                f"Got memory_mb={self.memory_mb} and threads={self.threads}: use memory_mb >= 0 "
                "(0 for no limit) and threads >= 1."
            )


@dataclass(frozen=True)
class CellOutcome:
    """How one cell of a graded notebook ran, from the junit report.

    Args:
        passed: whether the cell ran without an error.
        message: the report's text for a failure, else ``""``.
    """

    passed: bool
    message: str = ""


@dataclass
class _Batch:
    """The running subprocesses of one call of :func:`grade`, so an interruption can stop them."""

    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    running: dict[int, str] = field(default_factory=dict)  # pid -> token


class _Interrupted(Exception):
    """Grading was interrupted; the submission's result must not be saved."""


class SandboxUnavailable(RuntimeError):
    """Grading was asked to use the sandbox, and this machine cannot run it."""


def parse_junit(xml_text: str) -> dict[int, CellOutcome]:
    """The outcome of each cell in an nbval junit report, keyed by nbval's cell number.

    A cell passed when its test case has no ``failure``, ``error`` or ``skipped`` element.

    Args:
        xml_text: the report.

    Returns:
        ``{cell number: CellOutcome}``.

    Raises:
        ValueError: when the text is not a junit report of nbval cells.

    Example:
        >>> report = ('<testsuites><testsuite><testcase classname="x" name="Cell 0"/>'
        ...           '<testcase classname="x" name="Cell 1"><failure message="m">'
        ...           'CheckFailed: f(2) is 5, expected 4.</failure></testcase></testsuite>'
        ...           '</testsuites>')
        >>> outcomes = parse_junit(report)
        >>> outcomes[0]
        CellOutcome(passed=True, message='')
        >>> outcomes[1].passed, outcomes[1].message
        (False, 'CheckFailed: f(2) is 5, expected 4.')
    """
    try:
        root = ElementTree.fromstring(xml_text)
    except ElementTree.ParseError as error:
        raise ValueError(f"The junit report is not valid XML ({error}).") from error
    outcomes: dict[int, CellOutcome] = {}
    for case in root.iter("testcase"):
        match = re.fullmatch(r"Cell (\d+)", case.get("name", ""))
        if match is None:
            raise ValueError(f"Unexpected test case {case.get('name')!r} in the junit report.")
        problems = [child for child in case if child.tag in ("failure", "error", "skipped")]
        message = "\n".join(  # nbval's failure text; pytest's one-line summary of an error
            ((child.get("message") if child.tag == "error" else child.text) or child.tag).strip()
            for child in problems
        )
        outcomes[int(match.group(1))] = CellOutcome(not problems, message)
    return outcomes


def _environment(limits: Limits, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "JPY_"))}
    threads = str(limits.threads)
    env.update(
        {
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # only nbval and the grading plugin
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "TF_NUM_INTRAOP_THREADS": threads,
            "TF_NUM_INTEROP_THREADS": threads,
            TOKEN_VARIABLE: token,
        }
    )
    return env


def _kill_leftovers(pid: int, token: str, root: Path | None = None) -> None:
    """Kill a run's process group, its descendants, and anything carrying its token or cwd."""
    import psutil

    inside = None if root is None else str(root) + os.sep

    victims: dict[int, psutil.Process] = {}
    try:
        parent = psutil.Process(pid)
        victims.update({p.pid: p for p in parent.children(recursive=True)})
    except psutil.Error:
        pass
    for process in psutil.process_iter():
        try:
            if process.pid == os.getpid():
                continue
            if process.environ().get(TOKEN_VARIABLE) == token or (
                inside and (process.cwd() + os.sep).startswith(inside)
            ):
                victims[process.pid] = process
        except psutil.Error:
            continue
    try:
        os.killpg(pid, 9)
    except (ProcessLookupError, PermissionError):
        pass
    for process in victims.values():
        try:
            process.kill()
        except psutil.Error:
            pass


def _send(descriptor: int, payload: bytes) -> None:
    """Write to a pipe and close it; the reader may have died, which is its run's problem."""
    try:
        with os.fdopen(descriptor, "wb") as pipe:
            pipe.write(payload)
    except OSError:
        pass


def run_graded_notebook(
    graded: GradedNotebook,
    name: str,
    limits: Limits,
    batch: _Batch | None = None,
) -> tuple[dict[int, CellOutcome], str, float]:
    """Run a graded notebook through nbval in its own process and temporary folder.

    Args:
        graded: the notebook to run (see :func:`course.exercises.build_graded_notebook`).
        name: the notebook's file name in the temporary folder.
        limits: time and memory limits.
        batch: the batch this run belongs to, so an interruption can stop it.

    Returns:
        ``(outcomes, error, seconds)``: each cell's :class:`CellOutcome` by cell number, a reason
        when the run as a whole failed (else ``""``), and the wall time.
    """
    root = Path(tempfile.mkdtemp(prefix="course-grade-"))
    token = secrets.token_hex(16)
    try:
        work = root / "notebook"
        work.mkdir()
        on_disk = copy.deepcopy(graded.notebook)
        if not limits.every_cell:
            for cell, source in zip(on_disk.cells, grading_plan.graded_sources(graded),
                                    strict=True):
                cell.source = source
        guard = f"_course_guard_{secrets.token_hex(8)}"  # a name no answer can know in advance
        names = grading_guard.check_names([
            cell.source for cell, role in zip(on_disk.cells, graded.cells, strict=True)
            if role.kind != "answer"
        ])
        for index, role in enumerate(graded.cells):
            if role.kind in ("check", "hidden"):
                cell = on_disk.cells[index]
                cell.source = grading_guard.call(guard) + cell.source
        if on_disk.cells:  # before any answer has run
            first = on_disk.cells[0]
            first.source = grading_guard.definition(guard, names) + first.source
        secrets_by_cell = {}
        for index, role in enumerate(graded.cells):
            if role.kind == "hidden":  # its code goes through a pipe, never to the disk
                secrets_by_cell[index] = on_disk.cells[index].source
                on_disk.cells[index].source = f"# HIDDEN CHECK {role.exercise}"
        nbformat.write(on_disk, work / name)
        (root / "pytest.ini").write_text("[pytest]\n")
        report = root / f"report-{secrets.token_hex(8)}.xml"
        command = [
            sys.executable, "-m", "pytest", name,
            "-c", str(root / "pytest.ini"), "--rootdir", str(root),
            "-p", "nbval.plugin", "-p", "course.grading.plugin", "-p", "no:cacheprovider",
            "--nbval-lax", "--nbval-current-env", f"--nbval-cell-timeout={limits.cell_timeout:g}",
            "--color=no", "-q", f"--junitxml={report}",
            f"--course-memory-limit={limits.memory_mb * 2**20}",
            f"--course-notebook-timeout={limits.notebook_timeout:g}",
            "--course-hide-notebooks",
        ]
        if limits.sandbox:
            sockets = root / "kernel"  # the only folder of the grader's the kernel can write
            sockets.mkdir(mode=0o700)
            command.append(f"--course-sandbox={sockets}")
        start = time.perf_counter()
        returncode: int | None = None
        with open(root / "pytest.log", "wb") as log:
            if batch is not None and batch.stopping.is_set():
                raise _Interrupted
            read_end, write_end = os.pipe()  # the hidden checks' code travels through it
            command.append(f"--course-secrets-fd={read_end}")
            try:
                process = subprocess.Popen(
                    command, cwd=work, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, env=_environment(limits, token),
                    start_new_session=True, pass_fds=(read_end,),
                )
            except OSError:
                os.close(write_end)
                raise
            finally:
                os.close(read_end)
            payload = json.dumps(secrets_by_cell).encode()
            threading.Thread(target=_send, args=(write_end, payload), daemon=True).start()
            if batch is not None:
                with batch.lock:
                    batch.running[process.pid] = token
            try:
                returncode = process.wait(timeout=limits.notebook_timeout + HARD_LIMIT_GRACE)
            except subprocess.TimeoutExpired:
                pass
            finally:
                _kill_leftovers(process.pid, token, root)
                process.wait()
                if batch is not None:
                    with batch.lock:
                        batch.running.pop(process.pid, None)
        seconds = time.perf_counter() - start
        if batch is not None and batch.stopping.is_set():
            raise _Interrupted
        if returncode is None:
            limit = limits.notebook_timeout + HARD_LIMIT_GRACE
            return {}, f"the notebook was still running after {limit:g} s and was stopped", seconds
        log_tail = (root / "pytest.log").read_text(errors="replace").strip().splitlines()[-5:]
        if returncode not in (0, 1) or not report.exists():
            return {}, (
                f"the grading run failed (pytest exit code {returncode}): "
                + " / ".join(log_tail)[-600:]
            ), seconds
        outcomes = parse_junit(report.read_text(encoding="utf-8"))
        if sorted(outcomes) != list(range(len(graded.cells))):
            return {}, (
                f"the grading run reported cells {sorted(outcomes)[:5]}... for a notebook of "
                f"{len(graded.cells)} code cells (has nbval changed how it numbers cells?)"
            ), seconds
        return outcomes, "", seconds
    finally:
        shutil.rmtree(root, ignore_errors=True)
