"""Grade each chapter's own solution the way a batch starts: only the cells the checks need.

Usage: ``python tools/grading_self_check.py [NN ...] [--every-cell] [--no-sandbox]``

For each chapter (all by default) this runs what ``python -m course grade`` runs before a batch
(:func:`course.grading._check_the_plan`): the instructor's notebook graded as a submission, in the
sandbox, with the chapter code cut down by :mod:`course.grading.plan`. It prints the score, the
wall time, and the number of chapter statements the plan kept. A chapter that does not score full
marks here would be graded running every cell, which is as slow as its whole notebook.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nbformat  # noqa: E402

from course import grading  # noqa: E402
from course.exercises import InstructorChapter, build_graded_notebook  # noqa: E402
from course.grading.plan import SKIPPED, _units, graded_sources  # noqa: E402
from course.project import NOTEBOOKS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter numbers (default: every chapter)")
    parser.add_argument("--every-cell", action="store_true", help="run every cell instead")
    parser.add_argument("--no-sandbox", action="store_true", help="grade without bubblewrap")
    args = parser.parse_args()
    chapters = args.chapters or sorted(p.name[:2] for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    threads = max(1, os.cpu_count() or 1)
    limits = grading.Limits(threads=threads, sandbox=not args.no_sandbox,
                            every_cell=args.every_cell)
    failed = 0
    for chapter in chapters:
        path = grading.find_chapter(NOTEBOOKS, chapter)
        instructor = InstructorChapter.of(nbformat.read(path, as_version=4))
        graded = build_graded_notebook(instructor.notebook, instructor)
        kept = sum(
            len(_units(source)) for source, role in zip(graded_sources(graded), graded.cells,
                                                         strict=True)
            if role.kind == "chapter" and source != SKIPPED
        )
        every = sum(len(_units(cell.source)) for cell, role in
                    zip(graded.notebook.cells, graded.cells, strict=True) if role.kind == "chapter")
        start = time.perf_counter()
        result = grading.grade_submission(grading.Submission("(instructor)", path), instructor,
                                          path.name, limits)
        wall = time.perf_counter() - start
        full = result["total"] == result["max_total"]
        failed += not full
        print(f"{path.name}: {result['total']}/{result['max_total']} in {wall:.0f} s "
              f"({result['cells_run']}; the plan keeps {kept} of {every} chapter statements)"
              + ("" if full else f"  LOST POINTS: {result['error'] or result['exercises']}"),
              flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
