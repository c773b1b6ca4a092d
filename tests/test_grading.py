"""Grading (course.grading): a small class of synthetic submissions, graded for real.

The class covers a correct and a partly correct answer, an untouched stub, an import that
crashes, a kernel that dies, an endless loop, a memory hog, a file that is not JSON, edited and
deleted check cells, a fake "passed" print, a notebook after a trip through Colab, a submission
that looks for the hidden checks and writes a fake gradebook, and (in the bubblewrap sandbox)
hostile answers: reading the instructor's notebook and other submissions, writing into
``grades/``, opening network connections, looking for and signalling the grader's processes,
leaving a process behind, replacing the checks, and raising errors that quote private paths.
Each hostile answer earns its point only if every attempt failed. One grading run of the class
(two workers, short limits) is shared by the tests; resuming is tested on copies.

Without a usable ``bwrap`` the class is graded with ``--no-sandbox`` and the hostile answers are
left out, unless ``COURSE_REQUIRE_SANDBOX=1`` (CI), which turns that into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest

from course import grading
from course.exercises import release_notebook
from course.grading import sandbox
from tests import synthetic_chapter as chapter

SANDBOX = not sandbox.unavailable_reason()
if not SANDBOX and os.environ.get("COURSE_REQUIRE_SANDBOX") == "1":
    raise RuntimeError(f"COURSE_REQUIRE_SANDBOX=1 but {sandbox.unavailable_reason()}")
needs_sandbox = pytest.mark.skipif(not SANDBOX, reason=sandbox.unavailable_reason() or "")
LIMITS = grading.Limits(cell_timeout=5, notebook_timeout=120, memory_mb=512, sandbox=SANDBOX)
ISOLATION = "sandbox" if SANDBOX else "none"
GRADEBOOK = """\
student,99.1,99.2,99.3,total,isolation
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
HOSTILE_ROWS = """\
hostile_files,1,1,1,3
hostile_network,1,1,1,3
hostile_paths_in_errors,1,0,1,2
hostile_processes,1,1,1,3
replaces_checks,0,0,0,0
"""
MARKER = f"course-grading-leftover-{uuid.uuid4().hex}"


def _rows(text: str) -> list[str]:
    lines = text.splitlines()
    return [lines[0], *(f"{line},{ISOLATION}" for line in lines[1:])]


def expected_gradebook() -> str:
    rows = _rows(GRADEBOOK)
    if SANDBOX:
        rows = [rows[0], *sorted(rows[1:] + _rows("x\n" + HOSTILE_ROWS)[1:])]
    return "\n".join(rows) + "\n"


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


# Each hostile answer collects the attempts that worked in BREACHES; double() is right only if
# none did. {instructor}, {submissions}, {grades}, {home}, {port}, {grader}, {marker} are filled in.
HOSTILE_FILES = """import os
import sys

BREACHES = []
for path in ({instructor!r}, {submissions!r} + "/correct.ipynb"):
    try:
        open(path).read()
        BREACHES.append("read " + path)
    except OSError:
        pass
for folder in ({submissions!r}, os.path.dirname({instructor!r}), {grades!r}, {home!r}):
    try:
        if folder != {home!r} and os.listdir(folder):
            BREACHES.append("listed " + folder)
    except OSError:
        pass
    for top, _, files in os.walk(folder):
        for name in files:
            try:
                with open(os.path.join(top, name), "a") as file:
                    file.write("hacked")
                BREACHES.append("appended to " + name)
            except OSError:
                pass
try:  # the private /tmp is a tmpfs of a quarter of the memory limit (here 256 MiB)
    with open("/tmp/fill", "wb") as file:
        for _ in range(300):
            file.write(bytes(2**20))
    BREACHES.append("wrote 300 MiB into /tmp")
except OSError:
    pass
os.remove("/tmp/fill")
for folder in ({submissions!r}, {grades!r}, {home!r}, "/", "/dev", os.path.dirname(sys.executable)):
    try:
        with open(os.path.join(folder, "hacked.txt"), "w") as file:
            file.write("hacked")
        BREACHES.append("wrote into " + folder)
    except OSError:
        pass


def double(x):
    assert not BREACHES, BREACHES
    return 2 * x"""
HOSTILE_NETWORK = """import socket

BREACHES = []
for address in (("127.0.0.1", {port}), ("1.1.1.1", 53)):
    try:
        socket.create_connection(address, timeout=2).close()
        BREACHES.append(address)
    except OSError:
        pass


def double(x):
    assert not BREACHES, BREACHES
    return 2 * x"""
HOSTILE_PROCESSES = """import os
import subprocess
import sys

BREACHES = []
try:
    os.kill({grader}, 0)
    BREACHES.append("signalled the grader")
except OSError:
    pass
for pid in (name for name in os.listdir("/proc") if name.isdigit()):
    try:
        with open(f"/proc/{{pid}}/cmdline", "rb") as file:
            if b"pytest" in file.read():
                BREACHES.append("saw " + pid)
    except OSError:
        pass
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", {marker!r}],
                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def double(x):
    assert not BREACHES, BREACHES
    return 2 * x"""
REPLACES_CHECKS = """import course.checks

course.checks.check_equal = lambda *args, **kwargs: None
check_close = lambda *args, **kwargs: None  # noqa: E731


def double(x):
    raise NotImplementedError"""
PATHS_IN_ERRORS = "raise RuntimeError({instructor!r} + ' ' + {grades!r})"


def _hostile(released: nbformat.NotebookNode, places: dict) -> dict[str, nbformat.NotebookNode]:
    solve = chapter.solve
    return {
        "hostile_files": solve(released, {"99.1": HOSTILE_FILES.format(**places)}),
        "hostile_network": solve(released, {"99.1": HOSTILE_NETWORK.format(**places)}),
        "hostile_processes": solve(released, {"99.1": HOSTILE_PROCESSES.format(**places)}),
        "hostile_paths_in_errors": solve(released, {"99.2": PATHS_IN_ERRORS.format(**places)}),
        "replaces_checks": solve(released, {"99.1": REPLACES_CHECKS}),
    }


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
def listener():
    """A TCP server on the grader's loopback that no submission may reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    yield server
    server.close()


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, listener) -> tuple[Path, list[dict]]:
    root = tmp_path_factory.mktemp("class")
    (root / "notebooks").mkdir()
    instructor = chapter.instructor_chapter()
    nbformat.write(instructor, root / "notebooks" / chapter.NAME)
    submissions = root / "submissions"
    submissions.mkdir()
    released = release_notebook(instructor)
    students = _class(released)
    if SANDBOX:
        places = {
            "instructor": str(root / "notebooks" / chapter.NAME), "submissions": str(submissions),
            "grades": str(root / "grades"), "port": listener.getsockname()[1],
            "grader": os.getpid(), "marker": MARKER, "home": str(Path.home()),
        }
        students.update(_hostile(released, places))
    for student, notebook in students.items():
        text = notebook if isinstance(notebook, str) else nbformat.writes(notebook)
        (submissions / f"{student}.ipynb").write_text(text)
    (submissions / ".ipynb_checkpoints").mkdir()  # ignored
    results = grading.grade(submissions, "99", root / "grades", source=root / "notebooks",
                            limits=LIMITS, workers=2, show_progress=False)
    return root, results


def test_the_gradebook_is_exact(graded_class):
    root, results = graded_class
    assert (root / "grades" / "gradebook.csv").read_text() == expected_gradebook()
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
        ("memory_hog", ["it used more than the 512 MiB of memory allowed and was stopped",
                        "not run: the kernel had died in your answer cell for 99.3"]),
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
    assert all(r["error"] == "" for r in results
               if r["student"] not in ("not_json", "replaces_checks"))


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
    assert len(ran) == 2  # the instructor's solution (the plan's self-check), then "correct"
    after = {p.name: p.stat().st_mtime_ns for p in results.iterdir()}
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"correct.json", "not_json.json"}
    assert (tmp_path / "grades" / "gradebook.csv").read_text() == expected_gradebook()


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
                      show_progress=False, limits=LIMITS)
    assert sorted(p.name for p in (tmp_path / "out" / "results").iterdir()) == ["a.json", "b.json"]
    calls.clear()
    monkeypatch.setattr(grading, "grade_submission", real)
    monkeypatch.setattr(grading, "grade_submission",
                        lambda s, *a, **k: calls.append(s.student) or real(s, *a, **k))
    grading.grade(tmp_path / "subs", "99", tmp_path / "out", source=tmp_path, workers=1,
                  show_progress=False, limits=LIMITS)
    assert [c for c in calls if not c.startswith("(")] == ["c", "d"]  # not the self-check
    assert (tmp_path / "out" / "gradebook.csv").read_text().splitlines()[1:] == [
        f"{s},0,0,0,0,{ISOLATION}" for s in "abcd"]


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


@needs_sandbox
def test_hostile_answers_find_nothing_outside_their_sandbox(graded_class, listener):
    root, results = graded_class
    by_student = {r["student"]: r for r in results}
    for student in ("hostile_files", "hostile_network", "hostile_processes"):
        assert by_student[student]["total"] == 3, _feedback(root, student)
        assert by_student[student]["isolation"] == "sandbox"
    assert not list(root.rglob("hacked.txt"))
    for path in (root / "grades").rglob("*"):
        assert not path.is_file() or "hacked" not in path.read_text(), path
    with pytest.raises(BlockingIOError):
        listener.accept()  # nothing connected to the grader's loopback
    leftovers = []
    for process in psutil.process_iter(["cmdline"]):
        if MARKER in (process.info["cmdline"] or []):
            leftovers.append(process.pid)
    assert not leftovers, "a submission's process outlived its run"


@needs_sandbox
def test_replaced_checks_score_zero_with_the_reason(graded_class):
    root, results = graded_class
    result = next(r for r in results if r["student"] == "replaces_checks")
    assert result["total"] == 0
    assert result["error"].startswith(grading.TAMPERED_ERROR)
    text = _feedback(root, "replaces_checks")
    assert "course.checks.check_equal was replaced" in text
    assert "the name check_close no longer refers to course.checks.check_close" in text


@needs_sandbox
def test_errors_quoting_private_paths_reach_the_feedback_without_them(graded_class):
    root, _ = graded_class
    text = _feedback(root, "hostile_paths_in_errors")
    assert "RuntimeError: <path>/99_toy.ipynb <path>" in text, text
    assert str(root) not in text and str(root.resolve()) not in text


def test_grading_refuses_to_start_without_the_sandbox_unless_told(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: "bwrap is not installed")
    nbformat.write(chapter.instructor_chapter(), tmp_path / chapter.NAME)
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "ann.ipynb").write_text(
        nbformat.writes(chapter.solve(release_notebook(chapter.instructor_chapter()))))
    with pytest.raises(grading.SandboxUnavailable, match="bwrap is not installed.*--no-sandbox"):
        grading.grade(tmp_path / "subs", "99", tmp_path / "out", source=tmp_path,
                      show_progress=False)
    assert not (tmp_path / "out").exists()
    unsafe = grading.Limits(cell_timeout=5, notebook_timeout=120, memory_mb=1024, sandbox=False)
    (result,) = grading.grade(tmp_path / "subs", "99", tmp_path / "out", source=tmp_path,
                              limits=unsafe, show_progress=False)
    assert result["total"] == 3 and result["isolation"] == "none"
    assert (tmp_path / "out" / "gradebook.csv").read_text().endswith("ann,1,1,1,3,none\n")
    assert "Graded without a sandbox" in (tmp_path / "out" / "feedback" / "ann.md").read_text()


def test_the_sandbox_binds_no_instructor_files(tmp_path):
    command = sandbox.kernel_command(["python"], writable=tmp_path, env={"SECRET_TOKEN": "x"})
    readable = {command[i + 2] for i, arg in enumerate(command) if arg == "--ro-bind"}
    root = str(Path(__file__).resolve().parents[1])
    assert f"{root}/course" in readable and f"{root}/notebooks" not in readable
    assert f"{root}/data/zh_sample.txt" in readable  # a corpus shipped with the kit (chapter 10)
    assert root not in readable and str(Path.home()) not in readable
    assert "SECRET_TOKEN" not in command and "--unshare-all" in command
    assert "--die-with-parent" in command and command[-1] == "python"


LOOPBACK = """import socket
server = socket.create_server(("localhost", 0))
client = socket.create_connection(("localhost", server.getsockname()[1]), timeout=5)
print("connected to", socket.gethostbyname("localhost"))
"""


@needs_sandbox
def test_processes_of_one_run_reach_each_other_on_the_sandboxs_own_localhost(tmp_path):
    # Chapter 11 runs a local cluster of two workers at localhost:PORT; without a hosts file
    # inside, "localhost" did not resolve and the workers waited for each other until timeout.
    command = sandbox.kernel_command([sys.executable, "-c", LOOPBACK], writable=tmp_path,
                                     env=dict(os.environ))
    run = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "connected to 127.0.0.1\n"
