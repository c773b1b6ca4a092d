"""Grading runs only the chapter code that the answers and checks need (course.grading.plan).

The plan is tested on hand-made notebooks (no kernel), then for real on two tiny chapters: one
whose unneeded cell would fail if it ran, and one whose check depends on a change the plan cannot
see (an alias), which the self-check with the instructor's solution must catch. The same tiny
chapter then tests two grading paths: the chapter's own code failing, and the notebook's time
limit running out in it.
"""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course import grading
from course.exercises import GradedCell, GradedNotebook
from course.grading import sandbox
from course.grading.plan import SKIPPED, cell_names, graded_sources

LIMITS = grading.Limits(cell_timeout=10, notebook_timeout=120, memory_mb=512,
                        sandbox=not sandbox.unavailable_reason())


def _graded(cells: list[tuple[str, str]]) -> GradedNotebook:
    notebook = new_notebook(cells=[new_code_cell(source) for _, source in cells])
    roles = [GradedCell(kind, "98.1" if kind != "chapter" else "") for kind, _ in cells]
    return GradedNotebook(notebook, roles, {}, {})


def test_training_and_printing_that_no_check_reads_are_skipped():
    graded = _graded([
        ("chapter", "import math\nimport course\nSCALE = 10\ncourse.seed_everything(0)\n\n"
                    "def train(weights):\n    weights.append(math.pi)\n    return len(weights)"),
        ("chapter", "weights = []\nhistory = train(weights)\nprint(history, weights)"),
        ("chapter", "table = {}\nunused = 3"),
        ("chapter", "table['a'] = SCALE  # changes table in place"),
        ("answer", "def scaled(x):\n    return x * SCALE"),
        ("check", "assert scaled(2) == 20 and table == {'a': 10}"),
    ])
    sources = graded_sources(graded)
    assert sources[0] == "import course\nSCALE = 10\ncourse.seed_everything(0)"
    assert sources[1] == SKIPPED
    assert sources[2] == "table = {}"
    assert sources[3:] == [cell.source for cell in graded.notebook.cells[3:]]


def test_what_a_needed_cell_reads_and_changes_is_kept():
    graded = _graded([
        ("chapter", "import keras\nmodel = keras.Sequential()\nlog = []"),
        ("chapter", "fit(model, steps=100)\nmodel.compile('adam')\nlog.append(1)"),
        ("chapter", "%matplotlib inline\nshow(model)"),
        ("answer", "def predict(x):\n    return model(x)"),
        ("hidden", "assert predict(1) is not None"),
    ])
    sources = graded_sources(graded)
    assert sources[0] == "import keras\nmodel = keras.Sequential()"
    assert sources[1] == "fit(model, steps=100)\nmodel.compile('adam')"
    assert sources[2] == graded.notebook.cells[2].source  # a call of show(model) may change it


def test_a_loop_that_changes_its_variable_changes_what_it_loops_over():
    graded = _graded([
        ("chapter", "import keras\nmine, theirs = keras.layers.Dense(2), keras.layers.Dense(2)\n"
                    "for ours, promoted in [(mine, theirs)]:\n"
                    "    ours.set_weights(promoted.get_weights())\n"
                    "for layer in [theirs]:\n    print(layer.name)"),
        ("chapter", "hits = 0\nfor layer in [mine]:\n    hits += 1"),
        ("hidden", "assert mine is not None and hits == 1"),
    ])
    kept = graded_sources(graded)[0]
    assert "ours.set_weights" in kept and "print(layer.name)" not in kept
    assert graded_sources(graded)[1] == graded.notebook.cells[1].source  # += reads hits = 0


@pytest.mark.parametrize(
    ("source", "reads"),
    [
        ("guesses = model(batch)\nprint(guesses)", {"model", "batch", "print"}),
        ("total += 1", {"total"}),  # += reads the notebook's total
        ("total = 0\ntotal += 1", set()),
        ("x, *rest = pair\nprint(x, rest)", {"pair", "print"}),
        ("edges = [0, 4]\nsizes = [b - a for a, b in zip(edges, edges[1:])]\nsizes.sort()",
         {"zip"}),
        ("[a + b for a in items]", {"items", "b"}),  # b is the notebook's, a the comprehension's
        ("[x for x in x]", {"x"}),  # the first iterable is read outside the comprehension
        ("size = 1\ndef f():\n    return size", {"size"}),  # the body runs later
        ("def f(n):\n    m = n + 1\n    return m * k", {"k"}),
        ("def f():\n    global count\n    count += 1", {"count"}),
        ("limit = 3\ng = (v for v in values if v < limit)", {"values", "limit"}),
        ("f = lambda: q", {"q"}),
        ("if flag:\n    y = 1\nelse:\n    y = 2\nprint(y)", {"flag", "print"}),
        ("if flag:\n    y = 1\nprint(y)", {"flag", "print", "y"}),
        ("for i in range(3):\n    last = i\nprint(last)", {"range", "print", "last"}),
        ("for i in range(3):\n    print(previous)\n    previous = i",
         {"range", "print", "previous"}),
        ("with exercise():\n    sizes = [1]\n    check(sizes)", {"exercise", "check"}),
        ("with exercise():\n    sizes = [1]\ncheck(sizes)", {"exercise", "check", "sizes"}),
        ("try:\n    w = f()\nexcept ValueError as e:\n    print(e)\nprint(w)",
         {"f", "ValueError", "print", "w"}),
        ("z = 1\ndel z\nprint(z)", {"print", "z"}),
        ("class A:\n    n = 1\n    m = n + base", {"base"}),
        ("scores = {}\nscores['a'] = 1", set()),
        ("match command:\n    case Point(x=0, y=y) if y > limit:\n        print(y)",
         {"command", "Point", "limit", "print"}),  # y is captured, Point and limit are read
    ],
)
def test_a_name_bound_before_it_is_read_is_not_read_from_the_notebook(source, reads):
    assert set(cell_names(source).reads) == reads


def test_a_check_that_binds_a_chapter_name_before_reading_it_does_not_need_the_chapter_code():
    # Chapter 08's check bound guesses and chapter 11's sizes: the plan took them for the
    # chapter's and kept the training that made those (issue 15).
    graded = _graded([
        ("chapter", "import numpy as np\ndef model(x):\n    return x + 1"),
        ("chapter", "guesses = train_for_an_hour(model)\nsizes = [len(g) for g in guesses]"),
        ("answer", "def double(x):\n    return 2 * x"),
        ("check", "with exercise('98.1'):\n    guesses = model(np.arange(3))\n"
                  "    sizes = [double(g) for g in guesses]\n    assert sizes[0] == 2"),
        ("check", "total = 0\nfor g in guesses:\n    total += g"),  # reads the chapter's
    ])
    sources = graded_sources(graded)
    assert sources[0] == graded.notebook.cells[0].source
    assert sources[1] == "guesses = train_for_an_hour(model)"  # the last check reads guesses
    graded.notebook.cells.pop()
    graded.cells.pop()
    assert graded_sources(graded)[1] == SKIPPED


def test_course_setup_always_runs():
    graded = _graded([
        ("chapter", "import course\nprofile = course.setup()\nSTEPS = profile.pick(1, 2)"),
        ("check", "assert 1 + 1 == 2"),
    ])
    assert graded_sources(graded)[0] == "import course\nprofile = course.setup()"


def _chapter(setup: str, extra: str) -> nbformat.NotebookNode:
    answer = ("def first():\n    # BEGIN SOLUTION\n    # HINT: the first item.\n"
              "    return data[0]\n    # END SOLUTION")
    check = ('# CHECK 98.1\nwith course.checks.exercise("98.1", "first"):\n'
             '    check_equal(first(), 1, name="first()")')
    return new_notebook(
        cells=[
            new_markdown_cell("# 98 · A plan chapter"),
            new_code_cell("import course.checks\nfrom course.checks import check_equal\n" + setup),
            new_code_cell(extra),
            new_markdown_cell("### Exercise 98.1: first\n\nThe first item of `data`."),
            new_code_cell(answer),
            new_code_cell(check),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}},
    )


@pytest.mark.parametrize(
    ("setup", "extra", "every_cell"),
    [
        ("data = [1]", "broken = 1 / 0  # would fail the chapter if it ran", False),
        ("data = []\nalias = data", "alias.append(1)  # data changes through a name it cannot see",
         True),
    ],
    ids=["unneeded-cell-skipped", "self-check-falls-back-to-every-cell"],
)
def test_the_plan_is_checked_with_the_instructors_solution(tmp_path, capsys, setup, extra,
                                                           every_cell):
    instructor = _chapter(setup, extra)
    (tmp_path / "notebooks").mkdir()
    nbformat.write(instructor, tmp_path / "notebooks" / "98_plan.ipynb")
    (tmp_path / "subs").mkdir()
    nbformat.write(instructor, tmp_path / "subs" / "ann.ipynb")  # the solution, as a submission
    (result,) = grading.grade(tmp_path / "subs", "98", tmp_path / "out",
                              source=tmp_path / "notebooks", limits=LIMITS, workers=1,
                              show_progress=False)
    assert result["total"] == 1, result
    assert result["cells_run"] == ("every cell" if every_cell else "the cells the checks need")
    warning = capsys.readouterr().err
    assert ("running every cell of the chapter" in warning) == every_cell


@pytest.mark.parametrize(
    ("extra", "limits", "error"),
    [
        ("raise RuntimeError('the chapter is broken')", {},
         "the chapter's own code failed before any check ran (the chapter's code cell 1: "
         "RuntimeError: the chapter is broken)"),
        ("import time\ntime.sleep(60)", {"notebook_timeout": 10, "cell_timeout": 60},
         "the chapter's own code failed before any check ran (the chapter's code cell 1: "
         "stopped: the notebook's time limit of 10 s ran out)"),
    ],
    ids=["chapter-code-fails", "notebook-time-limit"],
)
def test_a_chapter_that_fails_or_runs_out_of_time_scores_zero_with_the_reason(
    tmp_path, extra, limits, error
):
    instructor = _chapter("data = [1]", extra)
    (tmp_path / "notebooks").mkdir()
    nbformat.write(instructor, tmp_path / "notebooks" / "98_plan.ipynb")
    (tmp_path / "subs").mkdir()
    nbformat.write(instructor, tmp_path / "subs" / "ann.ipynb")
    settings = {**LIMITS.__dict__, "every_cell": True, **limits}
    (result,) = grading.grade(tmp_path / "subs", "98", tmp_path / "out",
                              source=tmp_path / "notebooks", limits=grading.Limits(**settings),
                              workers=1, show_progress=False)
    assert result["total"] == 0
    assert result["error"] == error
    feedback = (tmp_path / "out" / "feedback" / "ann.md").read_text()
    assert "could not be graded normally" in feedback


def test_a_guard_that_flags_the_instructors_own_solution_stops_grading(tmp_path):
    # A chapter that patches course.checks itself, as no chapter should: the guard (which takes
    # its snapshot before any cell runs) flags the solution, and grading stops before any student.
    instructor = _chapter("data = [1]", "import course.checks\ncourse.checks.check_shape = print")
    (tmp_path / "notebooks").mkdir()
    nbformat.write(instructor, tmp_path / "notebooks" / "98_plan.ipynb")
    (tmp_path / "subs").mkdir()
    nbformat.write(instructor, tmp_path / "subs" / "ann.ipynb")
    with pytest.raises(ValueError, match="Your own solution of 98_plan.ipynb is flagged"):
        grading.grade(tmp_path / "subs", "98", tmp_path / "out", source=tmp_path / "notebooks",
                      limits=LIMITS, workers=1, show_progress=False)
    assert not list((tmp_path / "out" / "results").glob("*.json"))
