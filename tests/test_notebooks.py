"""Static checks of the chapter notebooks (nbval runs them; these check their shape).

Policy: notebooks are committed without outputs. nbval (``--nbval-lax``) then compares no outputs
and a notebook's test is its own asserts: every chapter checks what its models learned.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

from course import project

NOTEBOOKS = project.chapter_notebooks()
MIN_EXERCISES = 3


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _code_cells(path: Path) -> list[str]:
    return [cell.source for cell in _read(path).cells if cell.cell_type == "code"]


def test_there_are_chapters():
    assert [path.name[:2] for path in NOTEBOOKS][:3] == ["00", "01", "02"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_badge_and_install_cell_agree_with_the_repository(path):
    notebook = _read(path)
    first_markdown = next(cell for cell in notebook.cells if cell.cell_type == "markdown")
    assert project.colab_badge(path.name) in first_markdown.source, (
        f"{path.name}: the Colab badge is missing or out of date; regenerate it from "
        "course.project.colab_badge"
    )
    assert _code_cells(path)[0] == project.colab_install_cell(), (
        f"{path.name}: the first code cell must be course.project.colab_install_cell()"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    for cell in _read(path).cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                f"{path.name} has stored outputs; clear them before committing"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_at_least_three_exercises_each_with_a_solution_and_a_check(path):
    chapter = path.name[:2]
    cells = _code_cells(path)
    checks = [m.group(1) for c in cells if (m := re.match(r"# CHECK (\d\d\.\d+)\s*$", c, re.M))]
    solutions = [c for c in cells if "# BEGIN SOLUTION" in c]
    assert len(checks) >= MIN_EXERCISES, f"{path.name} has {len(checks)} exercises"
    assert len(solutions) >= len(checks), f"{path.name}: an exercise has no solution block"
    assert all(number.startswith(chapter + ".") for number in checks), checks
    assert len(set(checks)) == len(checks), f"duplicate exercise numbers in {path.name}"
    for cell in solutions:
        assert cell.count("# BEGIN SOLUTION") == cell.count("# END SOLUTION")
        assert "# HINT:" in cell, f"{path.name}: a solution block has no '# HINT:' line"
    for number in checks:
        assert any(f'exercise("{number}"' in c for c in cells), f"{number} never calls exercise()"


def _top_level_definitions(source: str) -> set[str]:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set()
    kinds = (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)
    return {node.name for node in tree.body if isinstance(node, kinds)}


def test_no_function_or_class_is_defined_in_two_notebooks():
    where = defaultdict(set)
    for path in NOTEBOOKS:
        for source in _code_cells(path):
            for name in _top_level_definitions(source):
                where[name].add(path.name)
    twice = {name: sorted(places) for name, places in where.items() if len(places) > 1}
    assert not twice, f"defined in several notebooks (move it into course/): {twice}"


def _definition_shapes(source: str) -> list[tuple[str, str]]:
    """``(name, shape)`` of each top-level def/class: its code without its name and docstring."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    shapes = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            name, node.name = node.name, "_"
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                node.body = node.body[1:] or [ast.Pass()]
            shapes.append((name, ast.dump(node, include_attributes=False)))
    return shapes


def test_no_function_or_class_is_defined_in_two_notebooks_under_two_names():
    where = defaultdict(set)
    for path in NOTEBOOKS:
        for source in _code_cells(path):
            for name, shape in _definition_shapes(source):
                where[shape].add(f"{path.name}:{name}")
    twice = [sorted(places) for places in where.values()
             if len({place.split(":")[0] for place in places}) > 1]
    assert not twice, f"the same code in several notebooks (move it into course/): {twice}"


def test_the_same_code_under_two_names_is_noticed():
    one = 'def total(values):\n    """Add."""\n    return sum(values)'
    other = "def add_up(values):\n    return sum(values)"
    assert _definition_shapes(one)[0][1] == _definition_shapes(other)[0][1]
    assert _definition_shapes(one)[0][1] != _definition_shapes("def f(v):\n    return 1")[0][1]
