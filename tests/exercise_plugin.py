"""A pytest plugin that tries every exercise check of a chapter against answers that must fail.

When ``pytest`` runs a chapter notebook through nbval, this plugin appends test items after the
notebook's own cells, in the same kernel (re-running the notebook would double the suite's time).
For each exercise, in notebook order:

* ``Exercise NN.K stub``: the answer cells as the student receives them (each solution block
  replaced by the stub that raises ``NotImplementedError``), then the check cell, which must
  print "not attempted yet";
* ``Exercise NN.K wrong answer N``: the answer cells with each solution block replaced by a
  plausible wrong answer from ``tests/exercise_answers/chNN.py``, then the check cell, which must
  fail a check (print "not yet right" with a message), not pass and not crash;
* ``Exercise NN.K solution``: the instructor's answer cells and the check again, which must pass,
  so the later cells and exercises see the solution.

Before a stub or a wrong answer runs, the names that the answer cells (the solution's or the
ones about to run) bind at top level are deleted, as in a student's fresh kernel, so that the
solution's values cannot linger and pass the check.

The wrong answers are a module per chapter, ``tests/exercise_answers/chNN.py``::

    WRONG_ANSWERS = {
        "02.1": [
            # the arithmetic mean of 1/p instead of the geometric one
            "return float(np.mean(1 / np.asarray(probabilities)))",
        ],
    }

Each string replaces the code between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` (written
unindented; it is indented to match); an exercise with several solution blocks takes a list of
strings, one per block. The items are added only when all of a notebook's cells are selected.
``--no-exercise-answers`` leaves them out. The grading tool runs nbval with its own configuration
and root folder, so this plugin never runs there.
"""

from __future__ import annotations

import ast
import importlib
import textwrap
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import IPyNbCell, IPyNbFile, NbCellError

from course.exercises import Exercise, find_solution_blocks, parse_exercises, stub_source

NOT_ATTEMPTED = "not attempted yet"
NOT_RIGHT = "not yet right"
PASSED = "passed."
NOTEBOOKS_INI = "exercise_notebooks"
ANSWERS_INI = "exercise_answers"
DEFAULT_NOTEBOOKS = "notebooks/[0-9][0-9]_*.ipynb"
DEFAULT_ANSWERS = "tests.exercise_answers.ch{chapter}"

WrongAnswer = str | Sequence[str]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the option that turns the items off, and where notebooks and answers are found."""
    parser.addoption("--no-exercise-answers", action="store_true",
                     help="do not try the exercise checks against stubs and wrong answers")
    parser.addini(NOTEBOOKS_INI, default=DEFAULT_NOTEBOOKS,
                  help="glob, relative to the root folder, of the notebooks whose exercises are "
                       "tried against stubs and wrong answers")
    parser.addini(ANSWERS_INI, default=DEFAULT_ANSWERS,
                  help="module holding a chapter's WRONG_ANSWERS; {chapter} is its number")


def load_wrong_answers(chapter: str, pattern: str = DEFAULT_ANSWERS) -> dict[str, list]:
    """The wrong answers of a chapter, ``{}`` when its module does not exist.

    Args:
        chapter: the chapter number, such as ``"02"``.
        pattern: the module's name, ``{chapter}`` standing for the number.

    Returns:
        ``WRONG_ANSWERS`` of the module: ``{exercise number: [wrong answer, ...]}``.

    Example:
        >>> load_wrong_answers("99")
        {}
    """
    name = pattern.format(chapter=chapter)
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is not None and name.startswith(error.name):
            return {}
        raise
    return dict(module.WRONG_ANSWERS)


def replace_solutions(source: str, codes: Sequence[str], where: str = "this cell") -> str:
    """A cell's source with each solution block (markers included) replaced by other code.

    Args:
        source: the instructor's answer cell.
        codes: one piece of code per solution block, unindented; it is indented to match.
        where: how to name the cell in an error message.

    Returns:
        The new source.

    Raises:
        ValueError: when ``codes`` does not hold one piece per block.

    Example:
        >>> source = "def f(x):\\n    # BEGIN SOLUTION\\n    # HINT: double it.\\n"
        >>> source += "    return 2 * x\\n    # END SOLUTION"
        >>> print(replace_solutions(source, ["y = x + x\\nreturn y"]))
        def f(x):
            y = x + x
            return y
    """
    blocks = find_solution_blocks(source, where)
    if len(codes) != len(blocks):
        raise ValueError(
            f"{where} has {len(blocks)} solution blocks but {len(codes)} replacements were "
            "given; give a list with one string per block."
        )
    lines = source.splitlines()
    for block, code in reversed(list(zip(blocks, codes, strict=True))):
        body = textwrap.dedent(code).strip("\n").splitlines()
        lines[block.begin : block.end + 1] = [
            block.indent + line if line.strip() else "" for line in body
        ]
    return "\n".join(lines)


def wrong_answer_cells(
    notebook: nbformat.NotebookNode, exercise: Exercise, answer: WrongAnswer
) -> list[str]:
    """The answer cells of an exercise with a wrong answer in place of the solution blocks.

    Args:
        notebook: the instructor's notebook.
        exercise: the exercise, from :func:`course.exercises.parse_exercises`.
        answer: a string (one solution block) or a list of strings, one per block.

    Returns:
        The source of each answer cell, in order.

    Raises:
        ValueError: when the number of pieces differs from the number of blocks.
    """
    codes = [answer] if isinstance(answer, str) else list(answer)
    counts = [len(find_solution_blocks(notebook.cells[i].source)) for i in exercise.answer_cells]
    if len(codes) != sum(counts):
        raise ValueError(
            f"Exercise {exercise.number} has {sum(counts)} solution blocks but a wrong answer "
            f"gives {len(codes)} pieces of code; give a list with one string per block."
        )
    sources, start = [], 0
    for index, count in zip(exercise.answer_cells, counts, strict=True):
        where = f"exercise {exercise.number}, cell {index}"
        sources.append(replace_solutions(notebook.cells[index].source,
                                         codes[start : start + count], where))
        start += count
    return sources


def bound_names(sources: Sequence[str]) -> list[str]:
    """The names that code binds at its top level (functions, classes, assignments, loops).

    Example:
        >>> bound_names(["import re\\ndef f(): x = 1\\nA, (b, c) = 1, (2, 3)\\nd: int = 4"])
        ['A', 'b', 'c', 'd', 'f']
    """
    names: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor):
                targets = [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return sorted(names)


@dataclass(frozen=True)
class Probe:
    """One run of an exercise's check against given answer cells.

    Args:
        exercise: the exercise.
        kind: ``"stub"``, ``"wrong"`` or ``"solution"``.
        answers: the source of each answer cell to run before the check.
        label: the item's name, such as ``"Exercise 02.1 wrong answer 1"``.
        shown: the code under test, quoted when the check does not do what it should.
    """

    exercise: Exercise
    kind: str
    answers: tuple[str, ...]
    label: str
    shown: str = ""


def exercise_probes(notebook: nbformat.NotebookNode, wrong: dict[str, list]) -> list[Probe]:
    """For each exercise: the stub, each wrong answer, then the solution again.

    Args:
        notebook: the instructor's notebook.
        wrong: the chapter's ``WRONG_ANSWERS``.

    Returns:
        The probes in the order they run.
    """
    probes = []
    for exercise in parse_exercises(notebook):
        number, cells = exercise.number, exercise.answer_cells
        solution = tuple(notebook.cells[i].source for i in cells)
        stub = tuple(stub_source(notebook.cells[i].source, number, f"cell {i}") for i in cells)
        probes.append(Probe(exercise, "stub", stub, f"Exercise {number} stub"))
        for n, answer in enumerate(wrong.get(number, []), start=1):
            shown = answer if isinstance(answer, str) else "\n# next block\n".join(answer)
            probes.append(Probe(exercise, "wrong",
                                tuple(wrong_answer_cells(notebook, exercise, answer)),
                                f"Exercise {number} wrong answer {n}", shown))
        probes.append(Probe(exercise, "solution", solution, f"Exercise {number} solution"))
    return probes


class ProbeFailed(Exception):
    """An exercise check did not respond to an answer as it should."""


@dataclass(frozen=True)
class Outcome:
    """What a cell printed, and the error it raised (``ename``, ``evalue``), if any."""

    printed: str
    ename: str = ""
    evalue: str = ""


class ExerciseProbe(IPyNbCell):
    """An nbval cell item that runs a :class:`Probe` in its notebook's kernel."""

    def __init__(self, name, parent, cell_num, cell, options, probe: Probe):
        super().__init__(name, parent, cell_num, cell, options)
        self.probe = probe

    def _execute(self, source: str) -> Outcome:
        self.cell = nbformat.v4.new_code_cell(source)
        try:
            IPyNbCell.runtest(self)
        except NbCellError:
            errors = [out for out in self.test_outputs or [] if "ename" in out]
            if not errors:  # a timeout, or a kernel that stopped answering
                raise
            return Outcome(self._printed(), errors[-1]["ename"], errors[-1]["evalue"])
        return Outcome(self._printed())

    def _printed(self) -> str:
        return "".join(out.get("text", "") for out in self.test_outputs or []
                       if out.get("output_type") == "stream")

    def runtest(self) -> None:
        probe, number = self.probe, self.probe.exercise.number
        check = self.parent.nb.cells[probe.exercise.check_cell].source
        solution = [self.parent.nb.cells[i].source for i in probe.exercise.answer_cells]
        names = bound_names([*solution, *probe.answers]) if probe.kind != "solution" else []
        if names:  # as in a fresh kernel: nothing of the solution may linger
            self._execute(f"for _name in {names!r}:\n    globals().pop(_name, None)\ndel _name")
        stub_raised = False
        for source in probe.answers:
            outcome = self._execute(source)
            if not outcome.ename:
                continue
            if probe.kind == "stub" and outcome.ename == "NotImplementedError":
                stub_raised = True  # a stub at the top level of its cell stops there
                continue
            raise ProbeFailed(
                f"{probe.label}: the answer cell itself raised {outcome.ename}: "
                f"{outcome.evalue}\nso the check never ran. "
                + self._fix_hint() + self._code()
            )
        result = self._execute(check)
        verdict = f"The check printed:\n{textwrap.indent(result.printed.strip(), '    ')}\n"
        if probe.kind == "solution":
            if result.ename or PASSED not in result.printed:
                raise ProbeFailed(
                    f"{probe.label}: the check failed with the instructor's solution put back "
                    f"({result.ename or 'no error'}: {result.evalue}).\n{verdict}"
                    "The check must pass with the solution, and the later cells need it. (These "
                    "runs come after the whole notebook: if a later cell reassigns a name the "
                    "check uses, rename one of the two.)"
                )
        elif probe.kind == "stub":
            if stub_raised and result.ename:
                return  # the student sees the stub's message in the answer cell
            if result.ename != "NotImplementedError" or NOT_ATTEMPTED not in result.printed:
                raise ProbeFailed(
                    f"{probe.label}: with the released stub, the check should print "
                    f"'{NOT_ATTEMPTED}' (the stub's NotImplementedError reaching "
                    f"course.checks.exercise), but it "
                    + (f"raised {result.ename}: {result.evalue}." if result.ename else "passed.")
                    + f"\n{verdict}"
                )
        else:
            if not result.ename:
                raise ProbeFailed(
                    f"{probe.label}: the check of {number} passed a wrong answer. Make it test a "
                    "toy input on which this answer differs from the solution."
                    f"\n{verdict}{self._code()}"
                )
            message = result.printed.split(NOT_RIGHT, 1)[-1].strip(" .\n")
            if NOT_RIGHT not in result.printed:
                raise ProbeFailed(
                    f"{probe.label}: the check should fail a check (print '{NOT_RIGHT}' from an "
                    f"AssertionError such as course.checks.CheckFailed), but it crashed with "
                    f"{result.ename}: {result.evalue}\nA student would read a crash, not what "
                    f"is wrong. Either check for this case or fix the wrong answer.\n{verdict}"
                    + self._code()
                )
            if not message:
                raise ProbeFailed(
                    f"{probe.label}: the check failed without a message. Give the assertion a "
                    f"message that says what was expected.\n{verdict}{self._code()}"
                )

    def _fix_hint(self) -> str:
        if self.probe.kind == "stub":
            return "The released stub must run and define what the check uses."
        return "Write a wrong answer that runs and that the check must reject."

    def _code(self) -> str:
        if not self.probe.shown:
            return ""
        shown = textwrap.indent(self.probe.shown, "    ")
        return f"The wrong answer (tests/exercise_answers):\n{shown}\n"

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ProbeFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, self.name


class BrokenExercises(pytest.Item):
    """Stands for a notebook's probes when they could not be built, and fails with the reason."""

    def __init__(self, *, problem: str, **kwargs):
        super().__init__(**kwargs)
        self.problem = problem

    def runtest(self) -> None:
        raise ProbeFailed(
            f"The exercises of {self.path.name} could not be tried against stubs and wrong "
            f"answers: {self.problem}"
        )

    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value)

    def reportinfo(self):
        return self.path, 0, self.name


def _chapter_notebooks(config: pytest.Config) -> set[Path]:
    pattern = config.getini(NOTEBOOKS_INI)
    return {path.resolve() for path in Path(config.rootpath).glob(pattern)}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Append each chapter notebook's probes after its last cell, when all its cells are run."""
    if config.getoption("no_exercise_answers"):
        return
    chapters = _chapter_notebooks(config)
    cells: dict[IPyNbFile, list[int]] = defaultdict(list)
    for position, item in enumerate(items):
        if isinstance(item.parent, IPyNbFile) and not isinstance(item, ExerciseProbe):
            cells[item.parent].append(position)
    for notebook_file, positions in sorted(cells.items(), key=lambda kv: -kv[1][-1]):
        if Path(notebook_file.path).resolve() not in chapters:
            continue
        notebook = notebook_file.nb
        code_cells = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
        if len(positions) != len(code_cells):
            continue  # some cells were deselected: the kernel would not hold the chapter's state
        chapter = Path(notebook_file.path).name[:2]
        try:
            wrong = load_wrong_answers(chapter, config.getini(ANSWERS_INI))
            probes = [
                ExerciseProbe.from_parent(
                    notebook_file, name=probe.label,
                    cell_num=code_cells.index(probe.exercise.check_cell),
                    cell=nbformat.v4.new_code_cell(""), options=defaultdict(bool), probe=probe,
                )
                for probe in exercise_probes(notebook, wrong)
            ]
        except Exception as error:  # one chapter's mistake must not stop the whole collection
            problem = f"{type(error).__name__}: {error}"
            probes = [BrokenExercises.from_parent(notebook_file, name="Exercises",
                                                  problem=problem)]
        last = positions[-1]
        items[last + 1 : last + 1] = probes
