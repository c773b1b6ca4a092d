"""The wrong answers of tests/exercise_answers, and the plugin that runs them.

The static tests say, per chapter, that every exercise has at least one plausible wrong answer,
that each entry names an exercise of its chapter, fits its solution blocks, is valid Python and
differs from the solution. Running them is the plugin's job (tests/exercise_plugin.py), in the
kernel nbval runs each chapter notebook in; the last test runs the plugin on the toy chapter 99
and checks that it catches a check that passes a wrong answer and one that crashes, and that a
malformed wrong answer fails its notebook's run (as chapter 98) instead of stopping collection.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from course import project
from course.exercises import model_answer, parse_exercises, stub_source
from tests import synthetic_chapter
from tests.exercise_plugin import (
    exercise_probes,
    load_wrong_answers,
    replace_solutions,
    wrong_answer_cells,
)

NOTEBOOKS = project.chapter_notebooks()


def _chapter(path: Path) -> tuple[nbformat.NotebookNode, dict[str, list]]:
    return nbformat.read(path, as_version=4), load_wrong_answers(path.name[:2])


def _normalised(source: str) -> str:
    """The code without comments and layout, to compare answers by what they do."""
    return ast.dump(ast.parse(source))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_has_a_wrong_answer(path):
    notebook, wrong = _chapter(path)
    module = Path(__file__).parent / "exercise_answers" / f"ch{path.name[:2]}.py"
    assert module.exists(), (
        f"{module.relative_to(project.ROOT)} is missing: write WRONG_ANSWERS for the exercises of "
        f"{path.name} (see tests/exercise_answers/__init__.py)"
    )
    missing = [e.number for e in parse_exercises(notebook) if not wrong.get(e.number)]
    assert not missing, (
        f"{path.name}: exercises {missing} have no wrong answer in {module.name}; add at least one "
        "plausible wrong answer each"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_wrong_answers_name_exercises_of_their_chapter(path):
    notebook, wrong = _chapter(path)
    numbers = {e.number for e in parse_exercises(notebook)}
    unknown = sorted(set(wrong) - numbers)
    assert not unknown, (
        f"ch{path.name[:2]}.py has wrong answers for {unknown}, which are not exercises of "
        f"{path.name} (its exercises: {sorted(numbers)})"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_wrong_answers_are_python_and_differ_from_the_solution(path):
    notebook, wrong = _chapter(path)
    for exercise in parse_exercises(notebook):
        cells = exercise.answer_cells
        solution = [_normalised(model_answer(notebook.cells[i].source)) for i in cells]
        stub = [_normalised(stub_source(notebook.cells[i].source, exercise.number)) for i in cells]
        for n, answer in enumerate(wrong.get(exercise.number, []), start=1):
            label = f"{path.name}: wrong answer {n} of {exercise.number}"
            assert isinstance(answer, str) or all(isinstance(a, str) for a in answer), (
                f"{label} must be a string, or a list of strings (one per solution block)"
            )
            sources = wrong_answer_cells(notebook, exercise, answer)
            try:
                written = [_normalised(source) for source in sources]
            except SyntaxError as error:
                pytest.fail(f"{label} is not valid Python once put in its cell: {error}")
            assert written != solution, f"{label} is the solution itself (up to layout)"
            assert written != stub, f"{label} is the released stub"


def test_probes_cover_each_exercise_in_order():
    notebook = synthetic_chapter.instructor_chapter()
    wrong = {"99.1": ["return x + x + 1", "return x * 3"], "99.3": [["return 0"]]}
    labels = [probe.label for probe in exercise_probes(notebook, wrong)]
    assert labels == [
        "Exercise 99.1 stub", "Exercise 99.1 wrong answer 1", "Exercise 99.1 wrong answer 2",
        "Exercise 99.1 solution",
        "Exercise 99.2 stub", "Exercise 99.2 solution",
        "Exercise 99.3 stub", "Exercise 99.3 wrong answer 1", "Exercise 99.3 solution",
    ]


def test_a_wrong_answer_must_give_one_piece_per_solution_block():
    notebook = synthetic_chapter.instructor_chapter()
    [first, *_] = parse_exercises(notebook)
    with pytest.raises(ValueError, match="1 solution blocks but a wrong answer gives 2"):
        wrong_answer_cells(notebook, first, ["return 1", "return 2"])
    with pytest.raises(ValueError, match="one string per block"):
        replace_solutions(synthetic_chapter.ANSWER_1, [])


TOY_ANSWERS = '''
WRONG_ANSWERS = {
    "99.1": [
        "return 3 * x",  # caught: double(3) is 9
        "return x + 3",  # passes: the check only tries x = 3
    ],
    "99.2": [
        "return sorted(values)",  # caught: check_equal fails
        "return values[0] + undefined_name",  # crashes with NameError instead of failing a check
    ],
    "99.4": ["ANSWER = 41"],  # caught, although the solution's ANSWER = 42 ran before
}
'''


def test_the_plugin_runs_stubs_and_wrong_answers_in_the_notebooks_kernel(tmp_path):
    (tmp_path / "notebooks").mkdir()
    toy = synthetic_chapter.instructor_chapter()
    toy.cells += [  # an exercise whose solution sits at the top level of its cell
        new_markdown_cell("### Exercise 99.4: top level\n\nSet `ANSWER`."),
        new_code_cell("# BEGIN SOLUTION\n# HINT: six times seven.\nANSWER = 42\n# END SOLUTION"),
        new_code_cell('# CHECK 99.4\nwith course.checks.exercise("99.4", "top level"):\n'
                      '    check_equal(ANSWER, 42, name="ANSWER")'),
    ]
    nbformat.write(toy, tmp_path / "notebooks" / synthetic_chapter.NAME)
    nbformat.write(synthetic_chapter.instructor_chapter(), tmp_path / "notebooks" / "98_toy.ipynb")
    (tmp_path / "toy_answers_99.py").write_text(TOY_ANSWERS)
    two_blocks = 'WRONG_ANSWERS = {"99.1": [["return 0", "return 1"]]}'  # the cell has one block
    (tmp_path / "toy_answers_98.py").write_text(two_blocks)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nexercise_notebooks = notebooks/*.ipynb\n"
        "exercise_answers = toy_answers_{chapter}\n"
    )
    report = tmp_path / "report.xml"
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(project.ROOT), str(tmp_path)]))
    command = [
        sys.executable, "-m", "pytest", "notebooks", "-c", "pytest.ini", "--rootdir", ".",
        "-p", "tests.exercise_plugin", "-p", "no:cacheprovider", "--nbval-lax",
        "--nbval-current-env", "--nbval-cell-timeout=60", "--color=no", "-q",
        f"--junitxml={report}",
    ]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=240,
                         env=environment, check=False)
    assert report.exists(), run.stdout + run.stderr
    outcomes = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        failures = [child.text or "" for child in case if child.tag in ("failure", "error")]
        outcomes[case.get("name")] = "\n".join(failures)
    broken = outcomes.pop("Exercises")  # chapter 98's probes could not be built
    assert "1 solution blocks but a wrong answer gives 2" in broken, run.stdout
    probes = {name: text for name, text in outcomes.items() if name.startswith("Exercise")}
    assert sorted(probes) == sorted([
        "Exercise 99.1 stub", "Exercise 99.1 wrong answer 1", "Exercise 99.1 wrong answer 2",
        "Exercise 99.1 solution", "Exercise 99.2 stub", "Exercise 99.2 wrong answer 1",
        "Exercise 99.2 wrong answer 2", "Exercise 99.2 solution", "Exercise 99.3 stub",
        "Exercise 99.3 solution", "Exercise 99.4 stub", "Exercise 99.4 wrong answer 1",
        "Exercise 99.4 solution",
    ]), run.stdout
    failed = {name for name, text in outcomes.items() if text}
    assert failed == {"Exercise 99.1 wrong answer 2", "Exercise 99.2 wrong answer 2"}, run.stdout
    assert "passed a wrong answer" in probes["Exercise 99.1 wrong answer 2"]
    assert "return x + 3" in probes["Exercise 99.1 wrong answer 2"]
    assert "crashed with NameError" in probes["Exercise 99.2 wrong answer 2"]
