"""Reporting: reasons from nbval's failure texts, points per exercise, feedback and gradebook."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from course.common import strip_ansi
from course.exercises import Exercise, GradedNotebook
from course.grading import guard as grading_guard
from course.grading.plugin import KERNEL_DIED, MEMORY_EXCEEDED, TIME_UP
from course.grading.running import CellOutcome, Limits

TAMPERED_ERROR = "the answers changed the checks they are graded by"


_EXCEPTION_LINE = re.compile(r"^([A-Z]\w*(?:\.\w+)*)(?::\s*(.*))?$")


_EXCEPTION_NAME = r"(?:Error|Exception|Failed|Interrupt|Exit|Iteration|Died)$"


_TIMEOUT = re.compile(r"Timeout of ([\d.]+) seconds exceeded")


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


def _describe(cell_index: int, graded: GradedNotebook) -> str:
    role = graded.cells[cell_index]
    if role.kind == "answer":
        return f"your answer cell for {role.exercise}"
    if role.kind in ("check", "hidden"):
        return f"the {'hidden ' if role.kind == 'hidden' else ''}check of {role.exercise}"
    return f"the chapter's code cell {cell_index}"


@dataclass
class CheckRecord:
    """How one check cell (visible or hidden) of an exercise went.

    Args:
        kind: ``"check"`` or ``"hidden"``.
        passed: whether it ran without an error.
        reason: why it failed (see :func:`failure_reason`), else ``""``.
    """

    kind: str
    passed: bool
    reason: str = ""


@dataclass
class ExerciseRecord:
    """One exercise's points and what the student's feedback says about it.

    Args:
        number: the exercise's number, such as ``"05.2"``.
        title: its title.
        points: 1 when every check passed, else 0.
        found: how the answer was found (``"marker"``, ``"position"``, ``"missing"``).
        notes: remarks for the feedback.
        answer_error: the error of the answer cell itself, if it failed.
        checks: one :class:`CheckRecord` per check cell.
        max_points: the exercise's points when solved.
    """

    number: str
    title: str
    points: int
    found: str
    notes: list[str] = field(default_factory=list)
    answer_error: str = ""
    checks: list[CheckRecord] = field(default_factory=list)
    max_points: int = 1

    def as_dict(self) -> dict[str, Any]:
        """The record as saved in ``results/<student>.json`` (the feedback reads this form)."""
        return asdict(self)


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
            checks.append(CheckRecord(graded.cells[i].kind, passed, reason))
        answer_errors = [
            reasons[i] for i in cells
            if graded.cells[i].kind == "answer" and i in reasons
            and not reasons[i].startswith("not run")
        ]
        passed = bool(checks) and all(check.passed for check in checks) and not error
        records.append(
            ExerciseRecord(
                number, exercise.title, 1 if passed else 0, graded.found.get(number, "missing"),
                list(graded.notes.get(number, [])), answer_errors[0] if answer_errors else "",
                checks,
            ).as_dict()
        )
    return records, error


def _empty_records(exercises: list[Exercise]) -> list[dict[str, Any]]:
    not_run = "not run: the notebook could not be graded (see above)"
    return [
        ExerciseRecord(e.number, e.title, 0, "missing",
                       checks=[CheckRecord("check", False, not_run)]).as_dict()
        for e in exercises
    ]


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
