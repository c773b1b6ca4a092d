"""Grade students' notebooks: ``python -m course grade SUBMISSIONS --chapter NN --out grades/``.

For each submission (``SUBMISSIONS/alice.ipynb``, or a folder ``SUBMISSIONS/alice/`` holding the
chapter's notebook), the grader

1. rebuilds the notebook to run from the instructor's chapter, taking only the student's answer
   cells (:func:`course.exercises.build_graded_notebook`): the checks, hidden ones included, are
   the instructor's, whatever the submission did to its own copies;
2. runs it with nbval (``pytest --nbval-lax``, a junit XML report) in a process of its own, with
   its own temporary folder as working directory, a time limit per cell and per notebook and a
   memory limit (:mod:`course.grading.plugin` enforces them inside the run);
3. reads which cells failed from the junit report, knowing which cell is which because it wrote
   the notebook itself, and scores each exercise: its points count only if its visible and hidden
   checks all passed;
4. writes the result at once to ``OUT/results/<student>.json`` (atomically), so that running the
   same command again after an interruption grades only the students without a result.

The gradebook ``OUT/gradebook.csv`` (``student,<NN.1>,<NN.2>,...,total,isolation``) and one
feedback file per student, ``OUT/feedback/<student>.md``, are written from those results by this
process only.

Each kernel runs in the bubblewrap sandbox of :mod:`course.grading.sandbox` (no network, no file
of the instructor's but the kit's code, a private ``/tmp``, its own PID namespace); without
``bwrap`` grading refuses to start unless the sandbox is switched off (``Limits(sandbox=False)``,
``--no-sandbox``), and every result records which way it was graded. A guard
(:mod:`course.grading.guard`) scores 0 a submission whose answers replaced the checks. See
``docs/instructors.md`` for what that protects against and what it does not.

The package: :mod:`~course.grading.submissions` finds what to grade, :mod:`~course.grading.running`
runs one notebook, :mod:`~course.grading.reporting` turns its outcomes into points, feedback and
the gradebook, and this module grades one submission and a batch. :mod:`~course.grading.sandbox`,
:mod:`~course.grading.plugin`, :mod:`~course.grading.guard` and :mod:`~course.grading.plan` are
the sandbox, the nbval plugin, the tamper guard and the choice of the code to run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import nbformat

from course.common import write_atomic
from course.exercises import InstructorChapter, build_graded_notebook
from course.grading import sandbox
from course.grading.reporting import (
    ISOLATION_NONE,
    ISOLATION_SANDBOX,
    TAMPERED_ERROR,
    CheckRecord,
    ExerciseRecord,
    _empty_records,
    _scrub,
    failure_reason,
    feedback_markdown,
    gradebook_csv,
    review_flags,
    score,
)
from course.grading.running import (
    CellOutcome,
    Limits,
    SandboxUnavailable,
    _Batch,
    _Interrupted,
    _kill_leftovers,
    parse_junit,
    run_graded_notebook,
)
from course.grading.submissions import (
    MAX_SUBMISSION_BYTES,
    Submission,
    find_chapter,
    find_submissions,
)

RESULT_VERSION = 2


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def grade_submission(
    submission: Submission,
    instructor: nbformat.NotebookNode | InstructorChapter,
    notebook_name: str,
    limits: Limits,
    batch: _Batch | None = None,
    private: Iterable[str | Path] = (),
) -> dict[str, Any]:
    """Grade one submission; never raises for anything the submission contains.

    Args:
        submission: the student and their notebook.
        instructor: the instructor's notebook of the chapter, or an
            :class:`~course.exercises.InstructorChapter` parsed once for the whole batch.
        notebook_name: the chapter notebook's file name.
        limits: time and memory limits, and whether to use the sandbox.
        batch: the batch this run belongs to, so an interruption can stop it.
        private: folders whose paths must not appear in the feedback (the instructor's notebooks,
            the submissions, the output); the home folder and the kit's folder always are.

    Returns:
        The result record that is saved as ``results/<student>.json``.
    """
    chapter = InstructorChapter.of(instructor)
    exercises = list(chapter.exercises)
    result: dict[str, Any] = {
        "version": RESULT_VERSION,
        "student": submission.student,
        "chapter": notebook_name[:2],
        "notebook": notebook_name,
        "submission": str(submission.path) if submission.path else "",
        "submission_sha256": "",
        "instructor_sha256": chapter.sha256,
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
        graded = build_graded_notebook(notebook, chapter)
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
    instructor: InstructorChapter, path: Path, limits: Limits, show_progress: bool
) -> Limits:
    """Grade the instructor's own solution running only the needed cells; full marks or every cell.

    Returns:
        ``limits``, or the same with ``every_cell=True`` when the solution lost points.

    Raises:
        ValueError: when the tamper guard flags the instructor's own solution (the guard is then
            wrong about this chapter, and would score every submission 0).
    """
    import dataclasses

    check = grade_submission(Submission("(instructor's solution)", path), instructor, path.name,
                             limits)
    if check["error"].startswith(TAMPERED_ERROR):
        raise ValueError(
            f"Your own solution of {path.name} is flagged as tampering with the checks "
            f"({check['error']}). The guard (course/grading/guard.py) would score every "
            "submission 0, so grading stops; please report this as a bug of the kit."
        )
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
    instructor = InstructorChapter.of(nbformat.read(path, as_version=4))  # parsed once
    numbers = [exercise.number for exercise in instructor.exercises]
    instructor_sha = instructor.sha256
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
    "MAX_SUBMISSION_BYTES",
    "TAMPERED_ERROR",
    "CellOutcome",
    "CheckRecord",
    "ExerciseRecord",
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
