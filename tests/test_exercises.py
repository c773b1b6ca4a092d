"""Release and rebuild of exercise notebooks (course.exercises), on a synthetic chapter "99".

The round trip is executed for real with nbval: the released notebook fails exactly at its checks,
the same notebook with the solutions put back passes, and so does the graded rebuild with the
hidden check. The real chapters are released (not run) to check their stubs and hints.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course import project
from course.exercises import (
    BEGIN,
    END,
    InstructorChapter,
    answer_key,
    answer_marker,
    build_graded_notebook,
    check_number,
    parse_exercises,
    release_notebook,
    restore_checks,
)
from tests import synthetic_chapter as chapter


@pytest.fixture()
def instructor() -> nbformat.NotebookNode:
    return chapter.instructor_chapter()


@pytest.fixture()
def released(instructor) -> nbformat.NotebookNode:
    return release_notebook(instructor)


def test_exercises_are_found_by_their_markers(instructor):
    found = [(e.number, e.title, e.answer_cells, e.check_cell, e.hidden_cells, e.hints)
             for e in parse_exercises(instructor)]
    assert found == [
        ("99.1", "double", (3,), 4, (), ("multiply by two.",)),
        ("99.2", "total", (6,), 7, (8,), ("Python's sum() does it.",)),
        ("99.3", "scaled mean", (12,), 13, (), ("sum(values) / len(values) * SCALE.",)),
    ]


def test_release_replaces_solutions_drops_hidden_checks_and_clears_outputs(instructor, released):
    kept = [cell for i, cell in enumerate(instructor.cells) if i != 8]  # the hidden check goes
    assert len(released.cells) == len(kept) == 14
    assert released.metadata == instructor.metadata
    answers = {3: "99.1", 6: "99.2", 11: "99.3"}
    for index, (before, after) in enumerate(zip(kept, released.cells, strict=True)):
        assert after.cell_type == before.cell_type and after.metadata == before.metadata
        if after.cell_type == "code":
            assert after.outputs == [] and after.execution_count is None
        if index in answers:
            assert answer_key(after.source) == (answers[index], 1)
        else:
            assert after.source == before.source, f"cell {index} changed"
    assert released.cells[3].source == "\n".join([
        answer_marker("99.1"),
        "def double(x):",
        "    raise NotImplementedError(",
        '        "Exercise 99.1: replace this line with your code. "',
        '        "Hint: multiply by two."',
        "    )",
    ])
    text = nbformat.writes(released)
    for secret in (BEGIN, END, "HIDDEN CHECK", "return 2 * x", "return sum(values)"):
        assert secret not in text
    assert instructor.cells[1].outputs, "release must not modify the instructor's notebook"


def test_hints_with_quotes_make_valid_stubs():
    source = "def f():\n    # BEGIN SOLUTION\n    # HINT: use \"x\" and 'y'.\n    pass\n"
    source += "    # END SOLUTION"
    nb = new_notebook(cells=[new_code_cell(source), new_code_cell("# CHECK 98.1\nf()")])
    namespace: dict = {}
    exec(release_notebook(nb).cells[0].source, namespace)
    with pytest.raises(NotImplementedError, match="Hint: use \"x\" and 'y'."):
        namespace["f"]()


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (["def f():\n    # BEGIN SOLUTION\n    pass\n    # END SOLUTION", "# CHECK 98.1"],
         "has 0 '# HINT:' lines"),
        (["def f():\n    # BEGIN SOLUTION\n    # HINT: h\n    pass", "# CHECK 98.1"],
         "never closed"),
        (["def f():\n    # begin solution\n    pass", "# CHECK 98.1"], "not written exactly"),
        (["x = 1", "# CHECK 98.1\nassert x"], "has no answer cell before it"),
        (["# BEGIN SOLUTION\n# HINT: h\nx = 1\n# END SOLUTION"], "no '# CHECK NN.K' cell follows"),
        (["# HIDDEN CHECK 98.1\nassert x", "# BEGIN SOLUTION\n# HINT: h\nx = 1\n# END SOLUTION",
          "# CHECK 98.1\nassert x"], "comes before the visible"),
        (["# BEGIN SOLUTION\n# HINT: h\nx = 1\n# END SOLUTION", "# CHECK 98.1",
          "# BEGIN SOLUTION\n# HINT: h\nx = 1\n# END SOLUTION", "# CHECK 98.1"], "already has"),
        (["# BEGIN SOLUTION\n# HINT: h\nx = 1\n# END SOLUTION", "# CHECK 98.1",
          "assert x\n# HIDDEN CHECK 98.1"], "must be the first line"),
    ],
)
def test_malformed_exercises_are_refused_with_a_fix(cells, message):
    with pytest.raises(ValueError, match=message):
        release_notebook(new_notebook(cells=[new_code_cell(source) for source in cells]))


def test_graded_notebook_takes_only_the_answers_from_a_submission(instructor, released):
    submission = chapter.solve(released, {"99.1": "def double(x):\n    return x + x"})
    submission.cells[4].source = "print('Exercise 99.1 (double): passed.')"  # edited check
    del submission.cells[7]  # the check of 99.2, deleted
    submission.cells.insert(1, new_code_cell("SCALE = 0  # a scratch cell of the student"))
    graded = build_graded_notebook(submission, instructor)
    code = [c for c in instructor.cells if c.cell_type == "code"]
    assert len(graded.notebook.cells) == len(code) == 9
    assert [c.kind for c in graded.cells] == [
        "chapter", "answer", "check", "answer", "check", "hidden", "chapter", "answer", "check"]
    for index, (cell, role) in enumerate(zip(graded.notebook.cells, graded.cells, strict=True)):
        if role.kind == "answer":
            assert answer_key(cell.source) == (role.exercise, 1)
        else:
            assert cell.source == code[index].source
    assert graded.notebook.cells[1].source.endswith("return x + x")
    assert graded.found == {"99.1": "marker", "99.2": "marker", "99.3": "marker"}
    assert restore_checks(submission, instructor) == graded.notebook
    parsed_once = InstructorChapter.of(instructor)  # what a batch does
    again = build_graded_notebook(submission, parsed_once)
    assert again.notebook == graded.notebook and again.cells == graded.cells


def test_a_batch_parses_the_instructor_notebook_once(instructor, released, monkeypatch):
    import course.exercises as exercises

    parsed_once = InstructorChapter.of(instructor)
    calls = []
    monkeypatch.setattr(exercises, "parse_exercises", lambda nb: calls.append(nb) or [])
    monkeypatch.setattr(exercises, "release_notebook", lambda nb: calls.append(nb) or nb)
    for answer in ("return x + x", "return 2 * x"):
        submission = chapter.solve(released, {"99.1": f"def double(x):\n    {answer}"})
        build_graded_notebook(submission, parsed_once)
    assert calls == []


def test_answers_are_found_after_colab_drops_metadata_and_a_marker_line(instructor, released):
    submission = chapter.solve(released)
    data = json.loads(nbformat.writes(submission))
    for cell in data["cells"]:
        cell["metadata"] = {}
        cell.pop("id", None)
    data["nbformat_minor"] = 4
    index = chapter.answer_index(submission, "99.3")
    data["cells"][index]["source"] = chapter.model_answer(chapter.ANSWER_3).splitlines(True)
    colab = nbformat.reads(json.dumps(data), as_version=4)
    graded = build_graded_notebook(colab, instructor)
    assert graded.found == {"99.1": "marker", "99.2": "marker", "99.3": "position"}
    assert "found by its place above the check" in graded.notes["99.3"][0]
    assert graded.notebook.cells[7].source == chapter.model_answer(chapter.ANSWER_3)


def test_a_missing_answer_grades_the_stub_and_duplicates_take_the_last(instructor, released):
    submission = chapter.solve(released)
    del submission.cells[chapter.answer_index(submission, "99.1")]
    submission.cells.append(new_code_cell(answer_marker("99.2") + "\ndef total(v):\n    return 0"))
    graded = build_graded_notebook(submission, instructor)
    assert graded.found["99.1"] == "missing"
    assert "NotImplementedError" in graded.notebook.cells[1].source
    assert graded.notebook.cells[3].source.endswith("return 0")
    assert "the last one was graded" in graded.notes["99.2"][0]


def _run_nbval(folder: Path, notebooks: list[str]) -> dict[str, dict[int, str]]:
    """Run notebooks with plain nbval; {notebook: {cell number: failure text or ""}}."""
    (folder / "pytest.ini").write_text("[pytest]\n")
    command = [
        sys.executable, "-m", "pytest", *notebooks, "-c", "pytest.ini", "-p", "no:cacheprovider",
        "--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout=60", "--color=no", "-q",
        "--junitxml=report.xml",
    ]
    subprocess.run(command, cwd=folder, capture_output=True, timeout=240, check=False)
    outcomes: dict[str, dict[int, str]] = {name: {} for name in notebooks}
    for case in ElementTree.parse(folder / "report.xml").iter("testcase"):
        number = int(case.get("name").removeprefix("Cell "))
        failure = " ".join(child.text or child.tag for child in case)
        failure = re.sub(r"#x1B\[[0-9;]*m", "", failure)  # the kernel's colours
        outcomes[case.get("classname").removesuffix(".ipynb") + ".ipynb"][number] = failure
    return outcomes


def test_round_trip_stubs_fail_exactly_at_the_checks_and_solutions_pass(
    tmp_path, instructor, released
):
    nbformat.write(released, tmp_path / "stubs.ipynb")
    nbformat.write(chapter.solve(released), tmp_path / "solved.ipynb")
    nbformat.write(restore_checks(chapter.solve(released), instructor), tmp_path / "graded.ipynb")
    outcomes = _run_nbval(tmp_path, ["stubs.ipynb", "solved.ipynb", "graded.ipynb"])

    code = [cell.source for cell in released.cells if cell.cell_type == "code"]
    checks = {i for i, source in enumerate(code) if check_number(source)}
    assert checks == {2, 4, 7}
    stubs = outcomes["stubs.ipynb"]
    assert sorted(stubs) == list(range(len(code)))
    assert {i for i, failure in stubs.items() if failure} == checks
    assert "NotImplementedError: Exercise 99.1: replace this line with your code. Hint: multiply " \
        "by two." in stubs[2]
    assert outcomes["solved.ipynb"] == dict.fromkeys(range(len(code)), "")
    assert outcomes["graded.ipynb"] == dict.fromkeys(range(9), ""), "hidden check included"


@pytest.mark.parametrize("path", project.chapter_notebooks(), ids=lambda p: p.name)
def test_real_chapters_release_to_stubs_that_raise_their_hint(path):
    instructor = nbformat.read(path, as_version=4)
    exercises = parse_exercises(instructor)
    student = release_notebook(instructor)
    text = nbformat.writes(student)
    assert BEGIN not in text and END not in text and "HIDDEN CHECK" not in text
    assert len(exercises) >= 3
    for exercise in exercises:
        cells = [
            cell.source for cell in student.cells
            if (answer_key(cell.source) or ("",))[0] == exercise.number
        ]
        raised = [
            node.exc.args[0]
            for source in cells
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
            and getattr(node.exc.func, "id", "") == "NotImplementedError"
        ]
        messages = [ast.literal_eval(arg) for arg in raised]
        assert len(messages) == len(exercise.hints)
        for message, hint in zip(messages, exercise.hints, strict=True):
            assert message.startswith(f"Exercise {exercise.number}: ") and message.endswith(hint)
