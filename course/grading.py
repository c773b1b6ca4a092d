"""Grade students' notebooks: ``python -m course grade SUBMISSIONS --chapter NN --out grades/``.

For each submission (``SUBMISSIONS/alice.ipynb``, or a folder ``SUBMISSIONS/alice/`` holding the
chapter's notebook), the grader

1. rebuilds the notebook to run from the instructor's chapter, taking only the student's answer
   cells (:func:`course.exercises.build_graded_notebook`): the checks, hidden ones included, are
   the instructor's, whatever the submission did to its own copies;
2. runs it with nbval (``pytest --nbval-lax``, a junit XML report) in a process of its own, with
   its own temporary folder as working directory, a time limit per cell and per notebook and a
   memory limit (:mod:`course.grading_plugin` enforces them inside the run);
3. reads which cells failed from the junit report, knowing which cell is which because it wrote
   the notebook itself, and scores each exercise: its points count only if its visible and hidden
   checks all passed;
4. writes the result at once to ``OUT/results/<student>.json`` (atomically), so that running the
   same command again after an interruption grades only the students without a result.

The gradebook ``OUT/gradebook.csv`` (``student,<NN.1>,<NN.2>,...,total``) and one feedback file
per student, ``OUT/feedback/<student>.md``, are written from those results by this process only.

Each kernel runs in the bubblewrap sandbox of :mod:`course.sandbox` (no network, no file of the
instructor's but the kit's code, a private ``/tmp``, its own PID namespace); without ``bwrap``
grading refuses to start unless the sandbox is switched off (``Limits(sandbox=False)``,
``--no-sandbox``), and every result records which way it was graded. A guard
(:mod:`course.grading_guard`) scores 0 a submission whose answers replaced the checks. See
``docs/instructors.md`` for what that protects against and what it does not.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
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
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from course import grading_guard, grading_plan, sandbox
from course.common import select_chapters, strip_ansi, write_atomic
from course.exercises import Exercise, GradedNotebook, build_graded_notebook, parse_exercises
from course.grading_plugin import KERNEL_DIED, MEMORY_EXCEEDED, TIME_UP

RESULT_VERSION = 2
MAX_SUBMISSION_BYTES = 100 * 2**20
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
            in MiB (0: none); past it they are killed (see :mod:`course.grading_plugin`).
        threads: threads each kernel's numerical libraries may use.
        sandbox: run each kernel in the bubblewrap sandbox (:mod:`course.sandbox`); ``False``
            runs it as the grader's own user with access to everything the grader can reach.
        every_cell: run every cell of the chapter; by default only the chapter cells that the
            answers and checks need run (:mod:`course.grading_plan`).
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
class Submission:
    """One student's submission.

    Args:
        student: the name (the file's stem, or the folder's name).
        path: the notebook, or ``None`` when none could be chosen.
        problem: why there is no notebook to grade, else ``""``.
    """

    student: str
    path: Path | None
    problem: str = ""


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


def find_chapter(source: Path, chapter: str) -> Path:
    """The instructor's notebook of a chapter: ``source/NN_*.ipynb``.

    Args:
        source: the folder of instructor notebooks (``notebooks/``).
        chapter: the chapter number, such as ``"05"`` or ``"5"``.

    Returns:
        The notebook's path.

    Raises:
        ValueError: when no notebook, or several, match.
    """
    number = chapter.zfill(2)
    try:
        matches = select_chapters(Path(source).glob("[0-9][0-9]_*.ipynb"), [number], "notebook")
    except ValueError as error:
        matches, found = [], str(error).split("Chapters: ", 1)[-1].rstrip(".")
    else:
        found = ", ".join(path.stem for path in matches)
    if len(matches) != 1:
        raise ValueError(
            f"Expected one notebook {number}_*.ipynb in {source}, found {len(matches)}. "
            f"Chapters there: {found}. Pass --chapter with one of them (or --source)."
        )
    return matches[0]


def find_submissions(folder: Path, chapter: str) -> list[Submission]:
    """The submissions in a folder: ``alice.ipynb`` files, or one folder per student.

    In a student's folder the notebook whose name starts with the chapter number is taken, or
    the only notebook there is. Hidden files and ``.ipynb_checkpoints`` are ignored.

    Args:
        folder: the folder of submissions.
        chapter: the chapter number, to choose among several notebooks in a student's folder.

    Returns:
        The submissions, sorted by student.

    Raises:
        ValueError: when ``folder`` is not a folder or two entries give the same student name.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(
            f"{folder} is not a folder. Pass the folder that holds one notebook (alice.ipynb) or "
            "one folder (alice/) per student."
        )
    found: dict[str, Submission] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            submission = Submission(entry.stem, entry)
        elif entry.is_dir():
            notebooks = sorted(
                path for path in entry.rglob("*.ipynb")
                if not any(part.startswith(".") for part in path.relative_to(entry).parts)
            )
            chosen = [p for p in notebooks if p.name.startswith(chapter.zfill(2))] or notebooks
            if len(chosen) == 1:
                submission = Submission(entry.name, chosen[0])
            elif not chosen:
                submission = Submission(entry.name, None, "the folder holds no notebook (.ipynb)")
            else:
                names = ", ".join(p.name for p in chosen)
                submission = Submission(
                    entry.name, None,
                    f"the folder holds several notebooks ({names}); submit only chapter "
                    f"{chapter.zfill(2)}'s, named {chapter.zfill(2)}_....ipynb",
                )
        else:
            continue
        if submission.student in found:
            raise ValueError(
                f"Two submissions are named {submission.student!r} in {folder} (a file and a "
                "folder?). Rename one of them."
            )
        found[submission.student] = submission
    return list(found.values())


TAMPERED_ERROR = "the answers changed the checks they are graded by"


class SandboxUnavailable(RuntimeError):
    """Grading was asked to use the sandbox, and this machine cannot run it."""


_EXCEPTION_LINE = re.compile(r"^([A-Z]\w*(?:\.\w+)*)(?::\s*(.*))?$")
_EXCEPTION_NAME = r"(?:Error|Exception|Failed|Interrupt|Exit|Iteration|Died)$"
_TIMEOUT = re.compile(r"Timeout of ([\d.]+) seconds exceeded")


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


def failure_reason(message: str, limits: Limits | None = None) -> str:
    """One readable sentence for a failed cell, from its junit text.

    Args:
        message: the failure's text in the junit report.
        limits: the run's limits, quoted in the sentence.

    Returns:
        The reason, such as ``"CheckFailed: f(2) is 5, expected 4."``.

    Example:
        >>> failure_reason("Cell 3: Cell execution caused an exception\\n\\nInput:\\nf(2)\\n\\n"
        ...                "Traceback:\\n---\\nCheckFailed   Traceback (most recent call last)\\n"
        ...                "Cell In[3], line 1\\n----> 1 f(2)\\n\\nCheckFailed: 5 != 4.\\n")
        'CheckFailed: 5 != 4.'
        >>> failure_reason("Cell 2: Timeout of 5 seconds exceeded executing cell",
        ...                Limits(cell_timeout=5))
        'it ran for more than 5 s and was stopped (an endless loop, or too slow?)'
    """
    limits = limits or Limits()
    text = strip_ansi(message)
    if MEMORY_EXCEEDED in text:
        return (
            f"it used more than the {limits.memory_mb} MiB of memory allowed and was stopped "
            "(the Python kernel was ended)"
        )
    if grading_guard.TAMPERED in text:
        tampered = text[text.index(grading_guard.TAMPERED):].splitlines()[0]
        return tampered.replace("course-grading: ", "")[:300]
    if KERNEL_DIED in text:
        return (
            "the Python kernel died while running it (a crash, exit(), or a signal)"
        )
    if "Kernel dead on test start" in text or "Kernel dead" in text:
        return "not run: the kernel had died in an earlier cell"
    if TIME_UP in text:
        return f"not run: the notebook's time limit of {limits.notebook_timeout:g} s was reached"
    setup = re.match(r'failed on (?:setup|teardown) with "(.*)"$', text, re.S)
    if setup:
        reason = f"the grading run failed around this cell: {setup.group(1)}"
        if "Kernel died" in reason:
            reason += f" (if all notebooks fail so, check the memory limit, {limits.memory_mb} MiB)"
        return reason[:400]
    if "exceeded waiting for output" in text:
        return "the kernel stopped responding after the cell ran (did it crash?)"
    timeout = _TIMEOUT.search(text)
    if timeout:
        seconds = float(timeout.group(1))
        if seconds < limits.cell_timeout:
            return f"stopped: the notebook's time limit of {limits.notebook_timeout:g} s ran out"
        return f"it ran for more than {seconds:g} s and was stopped (an endless loop, or too slow?)"
    lines = [re.sub(r"^E\s+", "", line.rstrip()) for line in text.strip().splitlines()]
    candidates = [
        (index, match) for index in range(len(lines) - 1, -1, -1)
        if (match := _EXCEPTION_LINE.match(lines[index]))
        and (match.group(2) is not None or lines[index] == match.group(1))
    ]
    named = [c for c in candidates if re.search(_EXCEPTION_NAME, c[1].group(1))]
    for index, _ in (named or candidates)[:1]:
        reason = " ".join(line.strip() for line in lines[index : index + 3] if line.strip())
        return reason.rstrip(":").rstrip()[:300]
    return (lines[0] if lines else "failed")[:300]


_REVIEW_PATTERNS = {
    "changes the checks": r"\bcourse\.checks\b|\bCheckFailed\b|\bexercise\s*=|\bcheck_\w+\s*=",
    "touches the interpreter's internals": r"\bsys\.modules\b|\bbuiltins\b|\bctypes\b|\bgc\.",
    "signals or ends processes": r"\bos\.(?:kill|killpg|_exit|fork)\b|\bsignal\.|\bgetppid\b",
    "looks around the file system": r"\.ipynb\b|\bjunit|/proc/|\bglob\b|\bos\.(?:walk|listdir|"
    r"scandir)\b|\.\./|\bgettempdir\b|course-grade",
}


def review_flags(source: str) -> list[str]:
    """Why an answer cell deserves a human look: code that could interfere with grading.

    The flags do not change a grade; the grader lists them for the instructor.

    Example:
        >>> review_flags("import sys\\nsys.modules['course.checks'].check_close = print")
        ['changes the checks', "touches the interpreter's internals"]
        >>> review_flags("def f(x):\\n    return 2 * x")
        []
    """
    return [why for why, pattern in _REVIEW_PATTERNS.items() if re.search(pattern, source)]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
            "-p", "nbval.plugin", "-p", "course.grading_plugin", "-p", "no:cacheprovider",
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


def _describe(cell_index: int, graded: GradedNotebook) -> str:
    role = graded.cells[cell_index]
    if role.kind == "answer":
        return f"your answer cell for {role.exercise}"
    if role.kind in ("check", "hidden"):
        return f"the {'hidden ' if role.kind == 'hidden' else ''}check of {role.exercise}"
    return f"the chapter's code cell {cell_index}"


def score(
    graded: GradedNotebook,
    exercises: list[Exercise],
    outcomes: dict[int, CellOutcome],
    error: str,
    limits: Limits,
) -> tuple[list[dict[str, Any]], str]:
    """Points and reasons per exercise, from the outcome of each cell.

    An exercise scores its point only if its visible check and all its hidden checks passed. If
    a cell of the chapter's own code failed before the first check ran, the notebook scores 0.

    Args:
        graded: the notebook that ran, with the role of each cell.
        exercises: the chapter's exercises.
        outcomes: each cell's outcome (empty when the run failed as a whole).
        error: why the run failed as a whole, or ``""``.
        limits: the limits, quoted in reasons.

    Returns:
        ``(exercise records, error)``, where ``error`` may now explain a failure of the
        chapter's code.
    """
    reasons = {i: failure_reason(o.message, limits) for i, o in outcomes.items() if not o.passed}
    died = next((i for i in sorted(reasons) if "kernel died" in reasons[i]
                 or reasons[i].startswith("it used more than")), None)
    tampered = next((i for i in sorted(reasons) if reasons[i].startswith("tampered:")), None)
    if not error and tampered is not None:
        error = (
            f"{TAMPERED_ERROR} ({_describe(tampered, graded)}: {reasons[tampered]}); every "
            "exercise scores 0"
        )
    elif not error and reasons:
        first_check = min(
            (i for i, cell in enumerate(graded.cells) if cell.kind in ("check", "hidden")),
            default=len(graded.cells),
        )
        first_failure = min(reasons)
        if graded.cells[first_failure].kind == "chapter" and first_failure < first_check:
            where = _describe(first_failure, graded)
            error = (
                f"the chapter's own code failed before any check ran ({where}: "
                f"{reasons[first_failure]})"
            )
    records = []
    for exercise in exercises:
        number = exercise.number
        cells = [i for i, cell in enumerate(graded.cells) if cell.exercise == number]
        checks = []
        for i in (i for i in cells if graded.cells[i].kind in ("check", "hidden")):
            if error and tampered is None:
                passed, reason = False, "not run: the notebook could not be graded (see above)"
            elif i not in outcomes:
                passed, reason = False, "not run: no result for this cell"
            else:
                passed, reason = outcomes[i].passed, reasons.get(i, "")
                if died is not None and reason.startswith("not run: the kernel had died"):
                    reason = f"not run: the kernel had died in {_describe(died, graded)}"
            checks.append({"kind": graded.cells[i].kind, "passed": passed, "reason": reason})
        answer_errors = [
            reasons[i] for i in cells
            if graded.cells[i].kind == "answer" and i in reasons
            and not reasons[i].startswith("not run")
        ]
        passed = bool(checks) and all(check["passed"] for check in checks) and not error
        records.append(
            {
                "number": number,
                "title": exercise.title,
                "points": 1 if passed else 0,
                "max_points": 1,
                "found": graded.found.get(number, "missing"),
                "notes": graded.notes.get(number, []),
                "answer_error": answer_errors[0] if answer_errors else "",
                "checks": checks,
            }
        )
    return records, error


def _empty_records(exercises: list[Exercise]) -> list[dict[str, Any]]:
    return [
        {
            "number": e.number, "title": e.title, "points": 0, "max_points": 1, "found": "missing",
            "notes": [], "answer_error": "",
            "checks": [{"kind": "check", "passed": False,
                        "reason": "not run: the notebook could not be graded (see above)"}],
        }
        for e in exercises
    ]


def grade_submission(
    submission: Submission,
    instructor: nbformat.NotebookNode,
    notebook_name: str,
    limits: Limits,
    batch: _Batch | None = None,
    private: Iterable[str | Path] = (),
) -> dict[str, Any]:
    """Grade one submission; never raises for anything the submission contains.

    Args:
        submission: the student and their notebook.
        instructor: the instructor's notebook of the chapter.
        notebook_name: the chapter notebook's file name.
        limits: time and memory limits, and whether to use the sandbox.
        batch: the batch this run belongs to, so an interruption can stop it.
        private: folders whose paths must not appear in the feedback (the instructor's notebooks,
            the submissions, the output); the home folder and the kit's folder always are.

    Returns:
        The result record that is saved as ``results/<student>.json``.
    """
    exercises = parse_exercises(instructor)
    result: dict[str, Any] = {
        "version": RESULT_VERSION,
        "student": submission.student,
        "chapter": notebook_name[:2],
        "notebook": notebook_name,
        "submission": str(submission.path) if submission.path else "",
        "submission_sha256": "",
        "instructor_sha256": _sha256(nbformat.writes(instructor).encode()),
        "error": "",
        "review": [],
        "seconds": 0.0,
        "isolation": ISOLATION_SANDBOX if limits.sandbox else ISOLATION_NONE,
        "cells_run": "every cell" if limits.every_cell else "the cells the checks need",
        "memory_limit": (
            f"{limits.memory_mb} MiB of resident memory (RSS, kernel and its children)"
            if limits.memory_mb else "none"
        ),
    }
    error = submission.problem
    data = b""
    if not error and submission.path is not None:
        data = submission.path.read_bytes()
        result["submission_sha256"] = _sha256(data)
        if len(data) > MAX_SUBMISSION_BYTES:
            error = f"the notebook file is {len(data) / 2**20:.0f} MiB, over the 100 MiB allowed"
    notebook = None
    if not error:
        try:
            notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
            if not isinstance(notebook.get("cells"), list):
                raise ValueError("it has no list of cells")
            for cell in notebook.cells:
                if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
                    raise ValueError("a cell has no cell_type")
                if cell.cell_type == "code" and not isinstance(cell.get("source"), str):
                    raise ValueError("a code cell has no source text")
        except Exception as exc:  # any way of not being a notebook
            error = (
                f"the file is not a valid notebook ({type(exc).__name__}: {str(exc)[:200]}); "
                "download it again from Jupyter or Colab (File > Download > .ipynb)"
            )
    if error or notebook is None:
        result.update(exercises=_empty_records(exercises), error=error)
    else:
        graded = build_graded_notebook(notebook, instructor)
        outcomes, run_error, seconds = run_graded_notebook(graded, notebook_name, limits, batch)
        records, run_error = score(graded, exercises, outcomes, run_error, limits)
        result.update(exercises=records, error=run_error, seconds=round(seconds, 2))
        for i, cell in enumerate(graded.cells):
            if cell.kind == "answer":
                flags = review_flags(graded.notebook.cells[i].source)
                result["review"] += [f"{cell.exercise}: {flag}" for flag in flags]
    for key in ("error", "exercises"):  # what the student's feedback is made of
        result[key] = _scrub(result[key], private)
    result["points"] = {record["number"]: record["points"] for record in result["exercises"]}
    result["total"] = sum(result["points"].values())
    result["max_total"] = sum(record["max_points"] for record in result["exercises"])
    return result


def _scrub(value: Any, private: Iterable[str | Path]) -> Any:
    """``value`` with the grader's private paths replaced by ``<path>`` in every string.

    An answer can raise an exception, or return a value, whose text quotes paths of the grading
    machine; the reasons built from it reach the student's feedback.

    Example:
        >>> _scrub({"r": ["no file /srv/course/notebooks/05_x.ipynb"]}, ["/srv/course/notebooks"])
        {'r': ['no file <path>/05_x.ipynb']}
    """
    if isinstance(value, dict):
        return {key: _scrub(item, private) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, private) for item in value]
    if not isinstance(value, str):
        return value
    from course.project import ROOT

    paths = {str(path) for path in private} | {str(ROOT), str(Path.home())}
    paths |= {str(Path(path).resolve()) for path in paths}
    for path in sorted((p for p in paths if len(p) > 1), key=len, reverse=True):
        value = value.replace(path, "<path>")
    return _RUN_FOLDER.sub("<path>", value)


_RUN_FOLDER = re.compile(r"/\S*course-grade-[\w.-]+")
ISOLATION_SANDBOX = "sandbox"
ISOLATION_NONE = "none"


def feedback_markdown(result: dict[str, Any]) -> str:
    """The feedback file of one student, from their result.

    Example:
        >>> result = {"student": "ada", "chapter": "99", "total": 1, "max_total": 2, "error": "",
        ...           "exercises": [
        ...     {"number": "99.1", "title": "double", "points": 1, "max_points": 1,
        ...      "found": "marker", "notes": [], "answer_error": "",
        ...      "checks": [{"kind": "check", "passed": True, "reason": ""}]},
        ...     {"number": "99.2", "title": "", "points": 0, "max_points": 1,
        ...      "found": "marker", "notes": [], "answer_error": "",
        ...      "checks": [{"kind": "hidden", "passed": False, "reason": "CheckFailed: 5 != 4."}]},
        ... ]}
        >>> print(feedback_markdown(result))  # doctest: +ELLIPSIS
        # Chapter 99: feedback for ada
        <BLANKLINE>
        Score: **1 / 2**
        ...
        | 99.2 | 0 / 1 | a hidden check failed |
        ...
        - A hidden check (it runs only when grading) failed: CheckFailed: 5 != 4.
        ...
    """
    lines = [f"# Chapter {result['chapter']}: feedback for {result['student']}", ""]
    lines += [f"Score: **{result['total']} / {result['max_total']}**", ""]
    if result.get("error"):
        lines += [f"**Your notebook could not be graded normally:** {result['error']}.", ""]
    lines += ["| exercise | points | result |", "|---|---:|---|"]
    for record in result["exercises"]:
        failed = [check for check in record["checks"] if not check["passed"]]
        if not failed:
            verdict = "passed"
        elif all(check["kind"] == "hidden" for check in failed):
            verdict = "a hidden check failed"
        elif any("NotImplementedError" in check["reason"] for check in failed):
            verdict = "not attempted"
        else:
            verdict = "check failed"
        title = f" {record['title']}" if record["title"] else ""
        lines.append(
            f"| {record['number']}{title} | {record['points']} / {record['max_points']} | "
            f"{verdict} |"
        )
    for record in result["exercises"]:
        failed = [check for check in record["checks"] if not check["passed"]]
        if not failed and not record["notes"]:
            continue
        title = f": {record['title']}" if record["title"] else ""
        lines += ["", f"## Exercise {record['number']}{title}", ""]
        if record["answer_error"]:
            lines.append(f"- Your answer cell itself failed: {record['answer_error']}")
        for check in failed:
            which = (
                "A hidden check (it runs only when grading)" if check["kind"] == "hidden"
                else "The check"
            )
            lines.append(f"- {which} failed: {check['reason']}")
        lines += [f"- Note: {note}" for note in record["notes"]]
    lines += [
        "",
        "Only your answer cells (the cells starting with `# ANSWER`) were graded. Every other "
        "cell, the checks included, was run as the course wrote it, so changing or deleting "
        "those cells in your copy makes no difference.",
    ]
    if "isolation" in result:
        where = (
            "in a sandbox (no network, no files but the course's code)"
            if result["isolation"] == ISOLATION_SANDBOX else "without a sandbox"
        )
        lines += ["", f"Graded {where}; memory limit: {result.get('memory_limit', 'none')}."]
    return "\n".join(lines) + "\n"


def gradebook_csv(results: Iterable[dict[str, Any]], numbers: list[str]) -> str:
    """The gradebook as CSV text: ``student,<exercise numbers...>,total,isolation``.

    ``isolation`` is ``sandbox`` or ``none`` (graded with ``--no-sandbox``), one row per student.

    Example:
        >>> print(gradebook_csv([{"student": "ada", "points": {"99.1": 1, "99.2": 0},
        ...                       "isolation": "sandbox"}], ["99.1", "99.2"]), end="")
        student,99.1,99.2,total,isolation
        ada,1,0,1,sandbox
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *numbers, "total", "isolation"])
    for result in sorted(results, key=lambda r: r["student"]):
        points = [int(result["points"].get(number, 0)) for number in numbers]
        writer.writerow([result["student"], *points, sum(points), result.get("isolation", "")])
    return buffer.getvalue()


def _load_result(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _finished(
    previous: dict[str, Any] | None, submission: Submission, instructor_sha: str, limits: Limits
) -> bool:
    if not previous or previous.get("version") != RESULT_VERSION:
        return False
    if previous.get("isolation") == ISOLATION_NONE and limits.sandbox:
        return False  # graded without the sandbox: grade again inside it
    if previous.get("instructor_sha256") != instructor_sha:
        return False
    current = _sha256(submission.path.read_bytes()) if submission.path else ""
    return previous.get("submission_sha256", "") == current and not submission.problem


def _check_the_plan(
    instructor: nbformat.NotebookNode, path: Path, limits: Limits, show_progress: bool
) -> Limits:
    """Grade the instructor's own solution running only the needed cells; full marks or every cell.

    Returns:
        ``limits``, or the same with ``every_cell=True`` when the solution lost points.
    """
    import dataclasses

    check = grade_submission(Submission("(instructor's solution)", path), instructor, path.name,
                             limits)
    if check["total"] == check["max_total"]:
        if show_progress:
            print(f"The instructor's solution scores {check['total']}/{check['max_total']} "
                  f"running only the cells the checks need ({check['seconds']:.0f} s); grading "
                  "so.", file=sys.stderr)
        return limits
    lost = [e["number"] for e in check["exercises"] if e["points"] < e["max_points"]]
    print(f"warning: the instructor's solution loses {', '.join(lost) or 'points'} when only the "
          f"cells the checks need run ({check['error'] or 'see its checks'}); running every cell "
          "of the chapter for each submission instead.", file=sys.stderr)
    return dataclasses.replace(limits, every_cell=True)


def default_workers() -> int:
    """Parallel grading runs: one per CPU core, at most 4 (each kernel needs its own memory)."""
    return max(1, min(os.cpu_count() or 1, 4))


def grade(
    submissions: Path,
    chapter: str,
    out: Path,
    *,
    source: Path | None = None,
    limits: Limits | None = None,
    workers: int | None = None,
    regrade: bool = False,
    show_progress: bool = True,
) -> list[dict[str, Any]]:
    """Grade a folder of submissions; write results, the gradebook and feedback under ``out``.

    Students with a saved result for the same submission and the same instructor notebook are
    not graded again (unless ``regrade``), so an interrupted batch resumes where it stopped.

    Args:
        submissions: the folder of submissions (see :func:`find_submissions`).
        chapter: the chapter number, such as ``"05"``.
        out: the output folder: ``gradebook.csv``, ``feedback/``, ``results/``.
        source: the folder of instructor notebooks (default: the kit's ``notebooks/``).
        limits: time and memory limits; by default :class:`Limits` with the cores shared out.
        workers: parallel grading runs (default: :func:`default_workers`).
        regrade: grade every submission again, ignoring saved results.
        show_progress: show a progress bar and a line per graded student.

    Returns:
        The result of each submission, in student order.

    Raises:
        ValueError: for a missing chapter, malformed exercises or a bad submissions folder.
        KeyboardInterrupt: when interrupted; finished results are kept.
    """
    from tqdm.auto import tqdm

    from course.project import NOTEBOOKS

    workers = workers or default_workers()
    limits = limits or Limits(threads=max(1, (os.cpu_count() or 1) // workers))
    if limits.sandbox and (why := sandbox.unavailable_reason()):
        raise SandboxUnavailable(
            f"Cannot grade in the sandbox: {why}. Without it a submission can read your "
            "instructor notebooks and other submissions; to grade anyway, pass --no-sandbox "
            "(Limits(sandbox=False))."
        )
    path = find_chapter(Path(source or NOTEBOOKS), chapter)
    private = (path.parent, Path(submissions), Path(out))
    instructor = nbformat.read(path, as_version=4)
    exercises = parse_exercises(instructor)
    numbers = [exercise.number for exercise in exercises]
    instructor_sha = _sha256(nbformat.writes(instructor).encode())
    out = Path(out)
    results_dir = out / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    students = find_submissions(Path(submissions), chapter)
    results: dict[str, dict[str, Any]] = {}
    todo = []
    for submission in students:
        previous = _load_result(results_dir / f"{submission.student}.json")
        if not regrade and _finished(previous, submission, instructor_sha, limits):
            results[submission.student] = previous
        else:
            todo.append(submission)
    if todo and not limits.every_cell:
        limits = _check_the_plan(instructor, path, limits, show_progress)
    progress = tqdm(
        total=len(students), initial=len(results), desc=f"grading chapter {path.name[:2]}",
        unit="notebook", disable=not show_progress,
    )
    if results and show_progress:
        progress.write(f"{len(results)} already graded (results in {results_dir}); resuming.")
    batch = _Batch()
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = {
            pool.submit(grade_submission, s, instructor, path.name, limits, batch, private): s
            for s in todo
        }
        for future in as_completed(futures):
            try:
                result = future.result()
            except _Interrupted:
                continue
            except Exception as exc:  # a fault of the grader: report it, save nothing, go on
                student = futures[future].student
                result = grade_submission(Submission(student, None, "grader error"), instructor,
                                          path.name, limits, private=private)
                result["error"] = (
                    f"the grader itself failed ({type(exc).__name__}: {exc}); run the command "
                    "again to retry this student"
                )
                results[student] = result
            else:
                student = result["student"]
                write_atomic(results_dir / f"{student}.json", json.dumps(result, indent=1))
                results[student] = result
            progress.update(1)
            if show_progress:
                problem = f" ({result['error']})" if result["error"] else ""
                progress.write(f"{student}: {result['total']}/{result['max_total']}{problem}")
    except BaseException:
        batch.stopping.set()
        with batch.lock:
            running = dict(batch.running)
        for pid, token in running.items():
            _kill_leftovers(pid, token)
        pool.shutdown(wait=True, cancel_futures=True)
        progress.close()
        raise
    pool.shutdown(wait=True)
    progress.close()
    ordered = [results[s.student] for s in students if s.student in results]
    for result in ordered:
        write_atomic(out / "feedback" / f"{result['student']}.md", feedback_markdown(result))
    write_atomic(out / "gradebook.csv", gradebook_csv(ordered, numbers))
    return ordered


__all__ = [
    "CellOutcome",
    "Limits",
    "SandboxUnavailable",
    "Submission",
    "default_workers",
    "failure_reason",
    "feedback_markdown",
    "find_chapter",
    "find_submissions",
    "grade",
    "grade_submission",
    "gradebook_csv",
    "parse_junit",
    "review_flags",
    "run_graded_notebook",
    "score",
]
