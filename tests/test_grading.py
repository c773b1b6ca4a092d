"""Grading (course.grading): a small class of synthetic submissions, graded for real.

The class covers a correct and a partly correct answer, an untouched stub, an import that
crashes, a kernel that dies, an endless loop, a memory hog, a file that is not JSON, edited and
deleted check cells, a fake "passed" print, a notebook after a trip through Colab, and a
submission that looks for the hidden checks and writes a fake gradebook. One grading run of the
class (two workers, short limits) is shared by the tests; resuming is tested on copies.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from course import grading
from course.exercises import release_notebook
from tests import synthetic_chapter as chapter

LIMITS = grading.Limits(cell_timeout=5, notebook_timeout=120, memory_mb=1024)
EXPECTED_GRADEBOOK = """\
student,99.1,99.2,99.3,total
correct,1,1,1,3
crash_at_import,0,1,1,2
endless_loop,1,0,1,2
kernel_dies,1,0,0,1
memory_hog,1,1,0,2
not_json,0,0,0,0
partial_via_colab,1,0,0,1
snoop,1,1,1,3
stub_only,0,0,0,0
tampers_with_checks,0,0,1,1
"""

SNOOP = """import glob
import os
import tempfile

NEEDLE = "total(" + "[])"  # in the hidden check's code only
PLACES = glob.glob("../**/*", recursive=True)
OTHERS = os.path.join(tempfile.gettempdir(), "course-grade-*", "**", "*")
PLACES += glob.glob(OTHERS, recursive=True)
FOUND = [path for path in PLACES
         if os.path.isfile(path) and NEEDLE in open(path, errors="replace").read()]
for name in ("gradebook.csv", "../gradebook.csv", "../results.json"):
    with open(name, "w") as file:
        file.write("student,99.1,99.2,99.3,total\\nsnoop,9,9,9,27\\n")


def double(x):
    assert not FOUND, f"the hidden checks were readable: {FOUND}"
    return 2 * x"""


def _class(released: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode | str]:
    """The submissions, by student name."""
    solve = chapter.solve
    tampers = solve(released, {
        "99.1": "print('Exercise 99.1 (double): passed.')\n\n\n"
                "def double(x):\n    return 2 * x + 1",
        "99.2": "def total(values):\n    return 0",
    })
    del tampers.cells[4]  # the check of 99.1, deleted
    tampers.cells[6].source = "# CHECK 99.2\nprint('Exercise 99.2 (total): passed.')"  # edited
    partial = solve(released, {
        "99.2": "def total(values):\n    return values[0] + values[1] + values[2]",
        "99.3": "def scaled_mean(values):\n    raise NotImplementedError",
    })
    colab = json.loads(nbformat.writes(partial))
    colab["nbformat_minor"] = 4  # no cell ids, no cell metadata, source as lists of lines
    for cell in colab["cells"]:
        cell["metadata"] = {}
        cell.pop("id")
    colab["cells"][3]["source"] = colab["cells"][3]["source"][1:]  # lost its # ANSWER line
    return {
        "correct": solve(released),
        "partial_via_colab": json.dumps(colab),
        "stub_only": released,
        "crash_at_import": solve(released, {"99.1": "import no_such_module_for_grading\n\n\n"
                                                    + chapter.model_answer(chapter.ANSWER_1)}),
        "kernel_dies": solve(released, {"99.2": "import os\n\nos._exit(1)"}),
        "endless_loop": solve(released, {"99.2": "while True:\n    pass"}),
        "memory_hog": solve(released, {
            "99.3": "hoard = []\nwhile True:\n    hoard.append(bytearray(2**24))"}),
        "not_json": "{ this is not a notebook",
        "tampers_with_checks": tampers,
        "snoop": solve(released, {"99.1": SNOOP}),
    }


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory) -> tuple[Path, list[dict]]:
    root = tmp_path_factory.mktemp("class")
    (root / "notebooks").mkdir()
    instructor = chapter.instructor_chapter()
    nbformat.write(instructor, root / "notebooks" / chapter.NAME)
    submissions = root / "submissions"
    submissions.mkdir()
    for student, notebook in _class(release_notebook(instructor)).items():
        text = notebook if isinstance(notebook, str) else nbformat.writes(notebook)
        (submissions / f"{student}.ipynb").write_text(text)
    (submissions / ".ipynb_checkpoints").mkdir()  # ignored
    results = grading.grade(submissions, "99", root / "grades", source=root / "notebooks",
                            limits=LIMITS, workers=2, show_progress=False)
    return root, results


def test_the_gradebook_is_exact(graded_class):
    root, results = graded_class
    assert (root / "grades" / "gradebook.csv").read_text() == EXPECTED_GRADEBOOK
    assert [r["student"] for r in results] == sorted(r["student"] for r in results)
    assert sorted(p.stem for p in (root / "grades" / "feedback").glob("*.md")) == [
        r["student"] for r in results
    ]


def _feedback(root: Path, student: str) -> str:
    return (root / "grades" / "feedback" / f"{student}.md").read_text()


@pytest.mark.parametrize(
    ("student", "phrases"),
    [
        ("correct", ["Score: **3 / 3**", "| 99.1 double | 1 / 1 | passed |"]),
        ("partial_via_colab", [
            "| 99.2 total | 0 / 1 | a hidden check failed |",
            "A hidden check (it runs only when grading) failed: IndexError: list index out of "
            "range",
            "| 99.3 scaled mean | 0 / 1 | not attempted |",
            "found by its place above the check"]),
        ("stub_only", ["NotImplementedError: Exercise 99.2: replace this line with your code. "
                       "Hint: Python's sum() does it."]),
        ("crash_at_import", ["Your answer cell itself failed: ModuleNotFoundError: No module named "
                             "'no_such_module_for_grading'"]),
        ("kernel_dies", ["Your answer cell itself failed: the Python kernel died",
                         "The check failed: not run: the kernel had died in your answer cell for "
                         "99.2"]),
        ("endless_loop", ["ran for more than 5 s and was stopped"]),
        ("memory_hog", ["MemoryError (the memory limit is 1024 MiB)"]),
        ("not_json", ["could not be graded normally:** the file is not a valid notebook"]),
        ("tampers_with_checks", ["The check failed: CheckFailed: double(3) is 7, expected 6.",
                                 "The check failed: CheckFailed: total(DATA) is 0, expected 6."]),
    ],
)
def test_feedback_says_what_failed_and_why(graded_class, student, phrases):
    text = _feedback(graded_class[0], student)
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} not in the feedback of {student}:\n{text}"


def test_hidden_checks_are_unreadable_and_fake_gradebooks_land_in_the_temporary_folder(
    graded_class,
):
    root, results = graded_class
    snoop = next(r for r in results if r["student"] == "snoop")
    assert snoop["total"] == 3, _feedback(root, "snoop")
    assert snoop["review"] == ["99.1: looks around the file system"]
    assert "snoop,9" not in (root / "grades" / "gradebook.csv").read_text()
    assert sorted(p.name for p in (root / "grades").iterdir()) == [
        "feedback", "gradebook.csv", "results"]


def test_a_dead_kernel_is_noticed_at_once_and_every_run_reports_each_cell(graded_class):
    _, results = graded_class
    dies = next(r for r in results if r["student"] == "kernel_dies")
    # Without the watchdog nbval would report a timeout, after waiting for it.
    assert dies["exercises"][1]["answer_error"].startswith("the Python kernel died")
    assert all(r["error"] == "" for r in results if r["student"] != "not_json")


def test_a_rerun_grades_only_missing_or_changed_submissions(graded_class, tmp_path, monkeypatch):
    root, _ = graded_class
    for folder in ("notebooks", "submissions", "grades"):
        shutil.copytree(root / folder, tmp_path / folder)
    results = tmp_path / "grades" / "results"
    (results / "correct.json").unlink()  # as if interrupted before its result was saved
    (results / ".stub_only.json.1.2.partial").write_text("{")  # a write cut short
    (tmp_path / "submissions" / "not_json.ipynb").write_text("still not json")  # resubmitted
    before = {p.name: p.stat().st_mtime_ns for p in results.iterdir()}
    ran = []
    real_run = grading.run_graded_notebook
    monkeypatch.setattr(grading, "run_graded_notebook",
                        lambda graded, name, limits, batch=None: ran.append(name) or real_run(
                            graded, name, limits, batch))
    grading.grade(tmp_path / "submissions", "99", tmp_path / "grades",
                  source=tmp_path / "notebooks", limits=LIMITS, show_progress=False)
    assert len(ran) == 1
    after = {p.name: p.stat().st_mtime_ns for p in results.iterdir()}
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"correct.json", "not_json.json"}
    assert (tmp_path / "grades" / "gradebook.csv").read_text() == EXPECTED_GRADEBOOK


def test_an_interrupted_batch_keeps_finished_grades_and_resumes(tmp_path, monkeypatch):
    nbformat.write(chapter.instructor_chapter(), tmp_path / chapter.NAME)
    (tmp_path / "subs").mkdir()
    for student in "abcd":
        (tmp_path / "subs" / f"{student}.ipynb").write_text("not json")  # graded without a run
    calls = []

    def interrupt_at_c(submission, *args, **kwargs):
        calls.append(submission.student)
        if submission.student == "c":
            raise KeyboardInterrupt
        return real(submission, *args, **kwargs)

    real = grading.grade_submission
    monkeypatch.setattr(grading, "grade_submission", interrupt_at_c)
    with pytest.raises(KeyboardInterrupt):
        grading.grade(tmp_path / "subs", "99", tmp_path / "out", source=tmp_path, workers=1,
                      show_progress=False)
    assert sorted(p.name for p in (tmp_path / "out" / "results").iterdir()) == ["a.json", "b.json"]
    calls.clear()
    monkeypatch.setattr(grading, "grade_submission", real)
    monkeypatch.setattr(grading, "grade_submission",
                        lambda s, *a, **k: calls.append(s.student) or real(s, *a, **k))
    grading.grade(tmp_path / "subs", "99", tmp_path / "out", source=tmp_path, workers=1,
                  show_progress=False)
    assert calls == ["c", "d"]
    assert (tmp_path / "out" / "gradebook.csv").read_text().splitlines()[1:] == [
        f"{s},0,0,0,0" for s in "abcd"]


def test_submissions_are_files_or_folders(tmp_path):
    (tmp_path / "ann.ipynb").write_text("{}")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "99_toy.ipynb").write_text("{}")
    (tmp_path / "bob" / "scratch.ipynb").write_text("{}")
    (tmp_path / "cy").mkdir()
    (tmp_path / "cy" / "a.ipynb").write_text("{}")
    (tmp_path / "cy" / "b.ipynb").write_text("{}")
    (tmp_path / "dee").mkdir()
    (tmp_path / "notes.txt").write_text("")
    found = grading.find_submissions(tmp_path, "99")
    assert [(s.student, s.path and s.path.name, bool(s.problem)) for s in found] == [
        ("ann", "ann.ipynb", False), ("bob", "99_toy.ipynb", False), ("cy", None, True),
        ("dee", None, True)]
    with pytest.raises(ValueError, match="not a folder"):
        grading.find_submissions(tmp_path / "ann.ipynb", "99")
    with pytest.raises(ValueError, match="Expected one notebook 05_"):
        grading.find_chapter(tmp_path, "5")
