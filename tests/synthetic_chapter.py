"""A tiny instructor chapter ("99") for the release and grading tests.

Three exercises, the second with a hidden check, and cells that import only ``course.checks``, so
a notebook runs in about a second. Imported by ``test_exercises.py`` and ``test_grading.py``.
"""

from __future__ import annotations

import copy

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course.exercises import answer_key, model_answer

SETUP = """import course.checks
from course.checks import check_close, check_equal

DATA = [3, 1, 2]"""
ANSWER_1 = """def double(x):
    # BEGIN SOLUTION
    # HINT: multiply by two.
    return 2 * x
    # END SOLUTION"""
CHECK_1 = """# CHECK 99.1
with course.checks.exercise("99.1", "double"):
    check_equal(double(3), 6, name="double(3)")"""
ANSWER_2 = """def total(values):
    # BEGIN SOLUTION
    # HINT: Python's sum() does it.
    return sum(values)
    # END SOLUTION"""
CHECK_2 = """# CHECK 99.2
with course.checks.exercise("99.2", "total"):
    check_equal(total(DATA), 6, name="total(DATA)")"""
HIDDEN_2 = """# HIDDEN CHECK 99.2
with course.checks.exercise("99.2", "total, hidden"):
    check_equal(total([]), 0, name="total([])")"""
BETWEEN = "SCALE = 10  # chapter code between two exercises"
ANSWER_3 = """def scaled_mean(values):
    # BEGIN SOLUTION
    # HINT: sum(values) / len(values) * SCALE.
    return sum(values) / len(values) * SCALE
    # END SOLUTION"""
CHECK_3 = """# CHECK 99.3
with course.checks.exercise("99.3", "scaled mean"):
    check_close(scaled_mean(DATA), 20.0, name="scaled_mean(DATA)")"""

CODE_CELLS = [SETUP, ANSWER_1, CHECK_1, ANSWER_2, CHECK_2, HIDDEN_2, BETWEEN, ANSWER_3, CHECK_3]
NAME = "99_toy.ipynb"


def instructor_chapter() -> nbformat.NotebookNode:
    """The instructor's notebook of chapter 99, with a stored output to be cleared on release."""
    cells = [
        new_markdown_cell("# 99 · A toy chapter\n\nThree small exercises."),
        new_code_cell(SETUP, execution_count=1, outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="ready\n")
        ]),
        new_markdown_cell("### Exercise 99.1: double\n\nReturn twice `x`."),
        new_code_cell(ANSWER_1, metadata={"tags": ["answer"]}),
        new_code_cell(CHECK_1),
        new_markdown_cell("### Exercise 99.2: total\n\nAdd up a list."),
        new_code_cell(ANSWER_2),
        new_code_cell(CHECK_2),
        new_code_cell(HIDDEN_2),
        new_markdown_cell("Some chapter text and code between exercises."),
        new_code_cell(BETWEEN),
        new_markdown_cell("### Exercise 99.3: scaled mean\n\nThe mean, times `SCALE`."),
        new_code_cell(ANSWER_3),
        new_code_cell(CHECK_3),
        new_markdown_cell("## Summary\n\nDone."),
    ]
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return new_notebook(cells=cells, metadata=metadata)


def answer_index(notebook: nbformat.NotebookNode, number: str) -> int:
    """The index in ``notebook.cells`` of the answer cell (``# ANSWER``) of an exercise."""
    keys = [answer_key(cell.source) for cell in notebook.cells]
    return keys.index((number, 1))


def solve(
    released: nbformat.NotebookNode, answers: dict[str, str] | None = None
) -> nbformat.NotebookNode:
    """A released notebook with answers written in, keeping each answer cell's marker line.

    Args:
        released: the student version.
        answers: source per exercise number; by default the instructor's solutions.
    """
    answers = {
        "99.1": model_answer(ANSWER_1), "99.2": model_answer(ANSWER_2),
        "99.3": model_answer(ANSWER_3), **(answers or {}),
    }
    solved = copy.deepcopy(released)
    for number, source in answers.items():
        cell = solved.cells[answer_index(solved, number)]
        cell.source = cell.source.splitlines()[0] + "\n" + source
    return solved
