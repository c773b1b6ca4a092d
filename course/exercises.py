"""Exercises in a chapter notebook: find them, release the student version, rebuild for grading.

The notebooks in ``notebooks/`` are the instructor's source. Everything this module needs is
written in the cells' source (never in cell tags or metadata, which Colab may drop, and never as
cell positions, which nbval numbers differently from release to release):

* a code cell holding ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` is an **answer cell**; the one
  ``# HINT: ...`` line inside each block becomes the hint of the student's stub;
* a code cell whose first line is ``# CHECK NN.K`` is the exercise's **visible check**; the
  answer cells since the previous check belong to it;
* a code cell whose first line is ``# HIDDEN CHECK NN.K`` is a **hidden check**: only the
  instructor's copy holds it, and grading puts it back.

:func:`release_notebook` writes the student version: each solution block becomes a stub that
raises ``NotImplementedError`` with the hint, each answer cell gets a first line
``# ANSWER NN.K ...`` by which the grader finds it again, hidden checks go, outputs are cleared,
and nothing else changes. :func:`restore_checks` rebuilds the notebook that is graded from the
instructor's notebook, taking from a submission nothing but the code of its answer cells: edited
or deleted check cells, and anything printed to look like a pass, cannot change a grade.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field

import nbformat

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
HINT = "# HINT:"
_NUMBER = r"(\d+\.\d+)"
CHECK_PATTERN = re.compile(rf"^# CHECK {_NUMBER}\s*$")
HIDDEN_PATTERN = re.compile(rf"^# HIDDEN CHECK {_NUMBER}\s*$")
ANSWER_PATTERN = re.compile(rf"^# ANSWER {_NUMBER}(?: \(part (\d+)\))?(?=[\s:]|$)")
# Markers written almost right (lower case, no space, a colon) would leak a solution: refuse them.
_LOOSE_MARKER = re.compile(r"#\s*(BEGIN|END)\s*_?SOLUTION\b|#\s*HIDDEN\s*_?CHECK\b", re.IGNORECASE)


@dataclass(frozen=True)
class SolutionBlock:
    """One ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` block in a cell's source.

    Args:
        begin: index of the ``# BEGIN SOLUTION`` line.
        end: index of the ``# END SOLUTION`` line.
        indent: the whitespace before ``# BEGIN SOLUTION``; the stub gets the same.
        hint: the text after ``# HINT:``.
    """

    begin: int
    end: int
    indent: str
    hint: str


@dataclass(frozen=True)
class Exercise:
    """Where one exercise lives in an instructor notebook (indices into ``notebook.cells``).

    Args:
        number: such as ``"02.1"``.
        title: from the ``### Exercise NN.K: title`` heading, or ``""``.
        answer_cells: the cells holding solution blocks, in order.
        check_cell: the visible check (``# CHECK NN.K``).
        hidden_cells: the hidden checks (``# HIDDEN CHECK NN.K``), possibly none.
        hints: the hint of each solution block, in order.
    """

    number: str
    title: str
    answer_cells: tuple[int, ...]
    check_cell: int
    hidden_cells: tuple[int, ...] = ()
    hints: tuple[str, ...] = ()


@dataclass(frozen=True)
class GradedCell:
    """What one code cell of a graded notebook is.

    Args:
        kind: ``"chapter"`` (the instructor's code), ``"answer"`` (the student's code),
            ``"check"`` or ``"hidden"``.
        exercise: the exercise number for answers and checks, else ``""``.
    """

    kind: str
    exercise: str = ""


@dataclass
class GradedNotebook:
    """The notebook that grading runs, and what each of its cells is.

    It holds code cells only, so that "the N-th code cell" and "the N-th cell" are the same cell
    whichever way a version of nbval counts.

    Args:
        notebook: the notebook to run.
        cells: one :class:`GradedCell` per cell of ``notebook``.
        found: per exercise, how its answer was found: ``"marker"``, ``"position"`` or
            ``"missing"`` (the stub was graded).
        notes: remarks for the student's feedback, per exercise.
    """

    notebook: nbformat.NotebookNode
    cells: list[GradedCell]
    found: dict[str, str] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)


def first_line(source: str) -> str:
    """The first non-blank line of a cell's source, without trailing whitespace.

    Example:
        >>> first_line("\\n# CHECK 02.1  \\nwith ...")
        '# CHECK 02.1'
    """
    for line in source.splitlines():
        if line.strip():
            return line.rstrip()
    return ""


def check_number(source: str) -> str | None:
    """The exercise number of a visible check cell, else ``None``.

    Example:
        >>> check_number("# CHECK 02.1\\nwith course.checks.exercise('02.1'): ...")
        '02.1'
        >>> check_number("# HIDDEN CHECK 02.1") is None
        True
    """
    match = CHECK_PATTERN.match(first_line(source))
    return match.group(1) if match else None


def hidden_check_number(source: str) -> str | None:
    """The exercise number of a hidden check cell, else ``None``.

    Example:
        >>> hidden_check_number("# HIDDEN CHECK 02.1\\n...")
        '02.1'
    """
    match = HIDDEN_PATTERN.match(first_line(source))
    return match.group(1) if match else None


def answer_marker(number: str, part: int = 1, parts: int = 1) -> str:
    """The first line of an answer cell in the student version.

    Args:
        number: the exercise number.
        part: which answer cell of the exercise this is, from 1.
        parts: how many answer cells the exercise has.

    Returns:
        The marker line, without a newline.

    Example:
        >>> answer_marker("02.1")
        '# ANSWER 02.1: your code goes in this cell; keep this line, grading looks for it.'
        >>> answer_marker("02.1", 2, 2)[:24]
        '# ANSWER 02.1 (part 2): '
    """
    label = number if parts == 1 else f"{number} (part {part})"
    return f"# ANSWER {label}: your code goes in this cell; keep this line, grading looks for it."


def answer_key(source: str) -> tuple[str, int] | None:
    """``(exercise, part)`` from an answer cell's marker line, else ``None``.

    Example:
        >>> answer_key(answer_marker("02.1", 2, 3) + "\\ndef f(): ...")
        ('02.1', 2)
        >>> answer_key("def f(): ...") is None
        True
    """
    match = ANSWER_PATTERN.match(first_line(source))
    if not match:
        return None
    return match.group(1), int(match.group(2) or 1)


def find_solution_blocks(source: str, where: str = "this cell") -> list[SolutionBlock]:
    """The solution blocks of a cell's source.

    Args:
        source: the cell's source.
        where: how to name the cell in an error message.

    Returns:
        One :class:`SolutionBlock` per ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` pair.

    Raises:
        ValueError: for an unpaired or misspelt marker, or a block without exactly one
            ``# HINT:`` line.

    Example:
        >>> source = "def f(x):\\n    # BEGIN SOLUTION\\n    # HINT: double it.\\n"
        >>> source += "    return 2 * x\\n    # END SOLUTION"
        >>> find_solution_blocks(source)
        [SolutionBlock(begin=1, end=4, indent='    ', hint='double it.')]
    """
    blocks: list[SolutionBlock] = []
    begin: int | None = None
    hints: list[str] = []
    lines = source.splitlines()
    for index, line in enumerate(lines):
        text = line.strip()
        if text == BEGIN:
            if begin is not None:
                raise ValueError(
                    f"{where}: line {index + 1} opens a second '{BEGIN}' before line "
                    f"{begin + 1}'s block is closed. Add '{END}' after the first block."
                )
            begin, hints = index, []
        elif text == END:
            if begin is None:
                raise ValueError(
                    f"{where}: line {index + 1} has '{END}' without a '{BEGIN}' before it. "
                    f"Add the '{BEGIN}' line above the solution."
                )
            if len(hints) != 1 or not hints[0]:
                raise ValueError(
                    f"{where}: the solution block at line {begin + 1} has {len(hints)} "
                    f"'{HINT}' lines (or an empty one); write exactly one, with text (it becomes "
                    "the hint of the student's stub)."
                )
            indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
            blocks.append(SolutionBlock(begin, index, indent, hints[0]))
            begin = None
        elif begin is not None and text.startswith(HINT):
            hints.append(text[len(HINT) :].strip())
        elif HIDDEN_PATTERN.match(text) and line.rstrip() != first_line(source):
            raise ValueError(
                f"{where}: '{text}' is on line {index + 1}; a hidden check's marker must be the "
                "first line of its cell, or the cell would reach the students. Move it to the top."
            )
        elif _LOOSE_MARKER.search(line) and not HIDDEN_PATTERN.match(text):
            raise ValueError(
                f"{where}: line {index + 1} looks like a marker but is not written exactly "
                f"({line.strip()!r}). Write '{BEGIN}', '{END}' or '# HIDDEN CHECK NN.K' as shown, "
                "or the solution would reach the students."
            )
    if begin is not None:
        raise ValueError(
            f"{where}: the '{BEGIN}' at line {begin + 1} is never closed. Add an '{END}' line."
        )
    return blocks


def stub_source(source: str, number: str, where: str = "this cell") -> str:
    """A cell's source with each solution block replaced by a stub that raises with its hint.

    Args:
        source: the instructor's cell.
        number: the exercise number, quoted in the stub's message.
        where: how to name the cell in an error message.

    Returns:
        The source with every block's lines (markers included) replaced by a ``raise``.

    Example:
        >>> source = "def f(x):\\n    # BEGIN SOLUTION\\n    # HINT: double it.\\n"
        >>> source += "    return 2 * x\\n    # END SOLUTION"
        >>> print(stub_source(source, "99.1"))
        def f(x):
            raise NotImplementedError(
                "Exercise 99.1: replace this line with your code. "
                "Hint: double it."
            )
    """
    lines = source.splitlines()
    for block in reversed(find_solution_blocks(source, where)):
        pad = block.indent
        stub = [
            f"{pad}raise NotImplementedError(",
            f'{pad}    "Exercise {number}: replace this line with your code. "',
            f"{pad}    {json.dumps('Hint: ' + block.hint, ensure_ascii=False)}",
            f"{pad})",
        ]
        lines[block.begin : block.end + 1] = stub
    return "\n".join(lines)


def model_answer(source: str, where: str = "this cell") -> str:
    """A cell's source with the solutions in place and the marker and hint lines removed.

    This is what a student who solved the exercise as intended would have written.

    Example:
        >>> source = "def f(x):\\n    # BEGIN SOLUTION\\n    # HINT: double it.\\n"
        >>> source += "    return 2 * x\\n    # END SOLUTION"
        >>> print(model_answer(source))
        def f(x):
            return 2 * x
    """
    lines = source.splitlines()
    for block in reversed(find_solution_blocks(source, where)):
        inside = [
            line for line in lines[block.begin + 1 : block.end] if not line.strip().startswith(HINT)
        ]
        lines[block.begin : block.end + 1] = inside
    return "\n".join(lines)


def _titles(notebook: nbformat.NotebookNode) -> dict[str, str]:
    titles = {}
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for match in re.finditer(rf"^#+\s*Exercise {_NUMBER}\s*:?\s*(.*)$", cell.source, re.M):
                titles.setdefault(match.group(1), match.group(2).strip())
    return titles


def parse_exercises(notebook: nbformat.NotebookNode) -> list[Exercise]:
    """Find the exercises of an instructor notebook by the markers in its cells' source.

    Args:
        notebook: the instructor's notebook.

    Returns:
        The exercises in notebook order.

    Raises:
        ValueError: when the markers do not form exercises (a solution with no check after it,
            a check with no solution before it, a number used twice, a hidden check of an unknown
            exercise or placed before its answer); the message names the cell and the fix.

    Example:
        >>> from nbformat.v4 import new_code_cell, new_notebook
        >>> nb = new_notebook(cells=[
        ...     new_code_cell("def f():\\n    # BEGIN SOLUTION\\n    # HINT: one.\\n"
        ...                   "    return 1\\n    # END SOLUTION"),
        ...     new_code_cell("# CHECK 99.1\\nassert f() == 1"),
        ...     new_code_cell("# HIDDEN CHECK 99.1\\nassert f() + 1 == 2"),
        ... ])
        >>> [exercise] = parse_exercises(nb)
        >>> exercise.number, exercise.answer_cells, exercise.check_cell, exercise.hidden_cells
        ('99.1', (0,), 1, (2,))
    """
    titles = _titles(notebook)
    exercises: dict[str, Exercise] = {}
    pending: list[int] = []
    pending_hints: list[str] = []
    hidden: dict[str, list[int]] = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        where = f"cell {index}"
        number, secret = check_number(cell.source), hidden_check_number(cell.source)
        blocks = find_solution_blocks(cell.source, where)
        if (number or secret) and blocks:
            raise ValueError(
                f"{where} is a check cell and also holds a solution block. Put the solution in "
                "its own cell above the check."
            )
        if blocks:
            pending.append(index)
            pending_hints.extend(block.hint for block in blocks)
        elif number:
            if number in exercises:
                raise ValueError(
                    f"{where}: exercise {number} already has a check in cell "
                    f"{exercises[number].check_cell}. Give each exercise its own number."
                )
            if not pending:
                raise ValueError(
                    f"{where}: '# CHECK {number}' has no answer cell before it (a cell with "
                    f"'{BEGIN}') since the previous check. Add the exercise's answer cell above it."
                )
            exercises[number] = Exercise(
                number, titles.get(number, ""), tuple(pending), index, (), tuple(pending_hints)
            )
            pending, pending_hints = [], []
        elif secret:
            if secret not in exercises:
                raise ValueError(
                    f"{where}: '# HIDDEN CHECK {secret}' comes before the visible '# CHECK "
                    f"{secret}' (or there is none). Move it below the exercise's check."
                )
            hidden.setdefault(secret, []).append(index)
    if pending:
        raise ValueError(
            f"cell {pending[0]} holds a solution but no '# CHECK NN.K' cell follows it. Add the "
            "exercise's check cell after it."
        )
    return [
        Exercise(e.number, e.title, e.answer_cells, e.check_cell, tuple(hidden.get(e.number, [])),
                 e.hints)
        for e in exercises.values()
    ]


def _answer_source(notebook: nbformat.NotebookNode, exercise: Exercise, part: int) -> str:
    index = exercise.answer_cells[part - 1]
    source = stub_source(notebook.cells[index].source, exercise.number, f"cell {index}")
    if answer_key(source) is None:
        marker = answer_marker(exercise.number, part, len(exercise.answer_cells))
        source = f"{marker}\n{source}"
    return source


def release_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version of an instructor notebook.

    Solution blocks become stubs raising ``NotImplementedError`` with their hint, each answer
    cell starts with its ``# ANSWER NN.K`` line, hidden checks are removed, outputs and execution
    counts are cleared; every other cell, and all metadata, stay as they are.

    Args:
        notebook: the instructor's notebook (not modified).

    Returns:
        A new notebook.

    Raises:
        ValueError: when the exercises are malformed (see :func:`parse_exercises`).

    Example:
        >>> from nbformat.v4 import new_code_cell, new_notebook
        >>> nb = new_notebook(cells=[
        ...     new_code_cell("def f():\\n    # BEGIN SOLUTION\\n    # HINT: one.\\n"
        ...                   "    return 1\\n    # END SOLUTION"),
        ...     new_code_cell("# CHECK 99.1\\nassert f() == 1"),
        ...     new_code_cell("# HIDDEN CHECK 99.1\\nassert f() + 1 == 2"),
        ... ])
        >>> student = release_notebook(nb)
        >>> [first_line(cell.source)[:13] for cell in student.cells]
        ['# ANSWER 99.1', '# CHECK 99.1']
    """
    exercises = parse_exercises(notebook)
    released = copy.deepcopy(notebook)
    for exercise in exercises:
        for part, index in enumerate(exercise.answer_cells, start=1):
            released.cells[index].source = _answer_source(notebook, exercise, part)
    drop = {index for exercise in exercises for index in exercise.hidden_cells}
    released.cells = [cell for index, cell in enumerate(released.cells) if index not in drop]
    for cell in released.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return released


def _code_sources(notebook: nbformat.NotebookNode) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def _find_answer(
    submission: list[str], released: list[str], number: str, part: int
) -> tuple[str | None, str, str]:
    """The student's source for one answer cell, how it was found, and a note for feedback."""
    marked = [source for source in submission if answer_key(source) == (number, part)]
    if marked:
        note = ""
        if len(marked) > 1:
            note = (
                f"{len(marked)} cells start with the '# ANSWER {number}' line; the last one was "
                "graded. Keep one answer cell per exercise."
            )
        return marked[-1], "marker", note
    # Fallback: as many code cells above the exercise's check as in the released notebook.
    check = next(i for i, source in enumerate(released) if check_number(source) == number)
    answer = next(i for i, source in enumerate(released) if answer_key(source) == (number, part))
    checks = [i for i, source in enumerate(submission) if check_number(source) == number]
    if checks and checks[0] - (check - answer) >= 0:
        candidate = submission[checks[0] - (check - answer)]
        chapter_code = {source for source in released if answer_key(source) is None}
        if candidate not in chapter_code and answer_key(candidate) is None:
            return candidate, "position", (
                f"Your answer cell for {number} had lost its first line '# ANSWER {number}...'; "
                "it was found by its place above the check. Keep that line next time."
            )
    return None, "missing", (
        f"No answer cell was found for {number}: no cell starts with '# ANSWER {number}', and "
        "the cell above its check could not be identified. The unsolved stub was graded."
    )


_FOUND_ORDER = ("marker", "position", "missing")


@dataclass(frozen=True)
class InstructorChapter:
    """The instructor's notebook with what grading reads from it, worked out once per batch.

    Building a graded notebook needs the chapter's exercises and the code of its released
    version. Both depend on the instructor's notebook only, so a batch computes them once here
    instead of once per submission.

    Args:
        notebook: the instructor's notebook, with solutions and hidden checks.
        exercises: its exercises (:func:`parse_exercises`).
        released: the code cells' sources of its released version (:func:`release_notebook`).
        sha256: the SHA-256 of the notebook as nbformat writes it (results record it, so a
            changed instructor notebook regrades everyone).

    Example:
        >>> from nbformat.v4 import new_code_cell, new_notebook
        >>> chapter = InstructorChapter.of(new_notebook(cells=[new_code_cell("x = 1")]))
        >>> chapter.exercises, len(chapter.sha256)
        ((), 64)
    """

    notebook: nbformat.NotebookNode
    exercises: tuple[Exercise, ...]
    released: tuple[str, ...]
    sha256: str

    @classmethod
    def of(cls, notebook: nbformat.NotebookNode | InstructorChapter) -> InstructorChapter:
        """Parse ``notebook`` once (raises ``ValueError`` for malformed exercises); a chapter
        already parsed is returned as it is."""
        import hashlib

        if isinstance(notebook, InstructorChapter):
            return notebook
        return cls(notebook, tuple(parse_exercises(notebook)),
                   tuple(_code_sources(release_notebook(notebook))),
                   hashlib.sha256(nbformat.writes(notebook).encode()).hexdigest())


def build_graded_notebook(
    submission: nbformat.NotebookNode, instructor: nbformat.NotebookNode | InstructorChapter
) -> GradedNotebook:
    """The notebook to grade: the instructor's, with the student's answer cells put in.

    Only the code of the submission's answer cells is used; every other cell, hidden checks
    included, comes from the instructor's notebook, and so does every cell's metadata. Markdown
    cells are left out (grading runs code only), so cell N of the result is also its N-th code
    cell, whichever way a version of nbval counts.

    Args:
        submission: the student's notebook (a released notebook they completed).
        instructor: the instructor's notebook, with solutions and hidden checks, or an
            :class:`InstructorChapter` made from it once for a whole batch.

    Returns:
        A :class:`GradedNotebook`.

    Raises:
        ValueError: when the instructor's exercises are malformed (see :func:`parse_exercises`).

    Example:
        >>> from nbformat.v4 import new_code_cell, new_notebook
        >>> instructor = new_notebook(cells=[
        ...     new_code_cell("def f():\\n    # BEGIN SOLUTION\\n    # HINT: one.\\n"
        ...                   "    return 1\\n    # END SOLUTION"),
        ...     new_code_cell("# CHECK 99.1\\nassert f() == 1"),
        ...     new_code_cell("# HIDDEN CHECK 99.1\\nassert f() + 1 == 2"),
        ... ])
        >>> student = release_notebook(instructor)
        >>> student.cells[0].source += "\\nf = lambda: 1"
        >>> student.cells[1].source = "print('Exercise 99.1: passed.')"
        >>> graded = build_graded_notebook(student, instructor)
        >>> [cell.kind for cell in graded.cells], graded.found
        (['answer', 'check', 'hidden'], {'99.1': 'marker'})
        >>> graded.notebook.cells[1].source == instructor.cells[1].source
        True
    """
    chapter = InstructorChapter.of(instructor)
    instructor, exercises, released = chapter.notebook, chapter.exercises, list(chapter.released)
    submitted = _code_sources(submission)
    roles: dict[int, GradedCell] = {}
    sources: dict[int, str] = {}
    metadata = copy.deepcopy(instructor.metadata)
    graded = GradedNotebook(nbformat.v4.new_notebook(metadata=metadata), [])
    for exercise in exercises:
        number, found, notes = exercise.number, "marker", []
        for part, index in enumerate(exercise.answer_cells, start=1):
            source, how, note = _find_answer(submitted, released, number, part)
            if source is None:
                source = _answer_source(instructor, exercise, part)
            found = max(found, how, key=_FOUND_ORDER.index)
            notes += [note] if note else []
            roles[index], sources[index] = GradedCell("answer", number), source
        roles[exercise.check_cell] = GradedCell("check", number)
        for index in exercise.hidden_cells:
            roles[index] = GradedCell("hidden", number)
        graded.found[number], graded.notes[number] = found, notes
    for index, cell in enumerate(instructor.cells):
        if cell.cell_type == "code":
            new_cell = copy.deepcopy(cell)
            new_cell.source = sources.get(index, cell.source)
            new_cell.outputs, new_cell.execution_count = [], None
            graded.notebook.cells.append(new_cell)
            graded.cells.append(roles.get(index, GradedCell("chapter")))
    return graded


def restore_checks(
    submission: nbformat.NotebookNode, instructor: nbformat.NotebookNode
) -> nbformat.NotebookNode:
    """The graded notebook: the instructor's checks (hidden ones too) around the student's answers.

    Args:
        submission: the student's notebook.
        instructor: the instructor's notebook.

    Returns:
        The notebook of :func:`build_graded_notebook`.
    """
    return build_graded_notebook(submission, instructor).notebook


__all__ = [
    "Exercise",
    "GradedCell",
    "GradedNotebook",
    "InstructorChapter",
    "SolutionBlock",
    "answer_key",
    "answer_marker",
    "build_graded_notebook",
    "check_number",
    "find_solution_blocks",
    "first_line",
    "hidden_check_number",
    "model_answer",
    "parse_exercises",
    "release_notebook",
    "restore_checks",
    "stub_source",
]
