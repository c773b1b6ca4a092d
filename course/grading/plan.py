"""Which code of a graded notebook the checks need: grade a training chapter without training.

The kit's chapters put their exercises at the end, after the cells that train and plot. The
checks rarely need those cells: they test the student's function on inputs of their own, with the
chapter's definitions (a layer class, a constant, a helper). :func:`graded_sources` finds, from
the code alone, the chapter code that the answers and checks depend on, and the grader runs only
that, every answer and every check (a cell with nothing needed runs a comment instead, so the
cell numbers stay the same). The checks themselves are unchanged, and the grader first grades the
instructor's own solution the same way: if it does not score full marks, the batch runs every
cell instead (:func:`course.grading.grade`).

The unit is a top-level statement of a chapter cell (a ``def`` with its body, a loop with its
body). A statement is needed when a later needed statement, answer or check reads a name it

* binds (``x = ...``, ``def x``, ``import x``, ``for x in ...``), or
* may change: ``x.attribute = ...``, ``x[i] = ...``, ``x += ...``, ``x.method(...)`` (also
  ``x[i].method(...)``), or, in a statement that is a call whose result is dropped, ``x`` as the
  function or an argument (``train(x, ...)``, ``x(batch)``), or through a loop variable
  (``for layer in [x, y]: layer.set_weights(...)`` may change ``x`` and ``y``), unless its name
  is in capitals (``VOCABULARY_SIZE``: the kit's constants);

and a statement that binds and reads no variable at all (``course.seed_everything(0)``,
``plt.style.use(...)``) is kept for its effect on the libraries. Names bound by imports, ``def``
and ``class`` are not "changed" by being used (``np.exp(x)`` does not change ``np``). What this
cannot see: a name reached through ``globals()``, ``eval`` or ``exec``, a constant in capitals
that is changed all the same, and state kept inside libraries (a random generator's position):
the self-check above is the guard against all three.
"""

from __future__ import annotations

import ast
import symtable
from dataclasses import dataclass

from course.exercises import GradedNotebook

SKIPPED = "# (grading: this cell of the chapter is not needed by any answer or check; skipped)"


@dataclass(frozen=True)
class CellNames:
    """The names a cell binds, reads and may change.

    Args:
        binds: names bound at the top level (assignments, ``def``, ``class``, imports, loops).
        reads: names read anywhere in the cell, function bodies included.
        changes: names the cell may change in place (see the module docstring).
        definitions: names bound by ``import``, ``def`` or ``class``.
        parsed: ``False`` when the cell's code could not be parsed (it is then always kept).
    """

    binds: frozenset[str]
    reads: frozenset[str]
    changes: frozenset[str]
    definitions: frozenset[str]
    parsed: bool = True


def _python(source: str) -> str:
    """The cell's code with IPython's syntax (``%magic``, ``!shell``) turned into Python."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython comes with the kernel
        return source
    return TransformerManager().transform_cell(source)


def cell_names(source: str) -> CellNames:
    r"""The names a cell binds, reads and may change.

    Names local to a function or comprehension of the cell are not the notebook's names: only the
    module-level ones count (from :mod:`symtable`).

    Example:
        >>> names = cell_names("import numpy as np\nmodel = build()\nmodel.fit(np.ones(3))\n"
        ...                    "history = train(model, steps=profile.steps)\nupdate(state)\n"
        ...                    "log['losses'].append(1)\n"
        ...                    "def loss(batch):\n    return model(batch) + SCALE")
        >>> sorted(names.binds), sorted(names.definitions)
        (['history', 'loss', 'model', 'np'], ['loss', 'np'])
        >>> sorted(names.changes)
        ['log', 'model', 'np', 'state', 'update']
        >>> sorted(names.reads)
        ['SCALE', 'build', 'log', 'model', 'np', 'profile', 'state', 'train', 'update']
    """
    code = _python(source)
    try:
        tree = ast.parse(code)
        table = symtable.symtable(code, "<cell>", "exec")
    except SyntaxError:
        return CellNames(frozenset(), frozenset(), frozenset(), frozenset(), parsed=False)
    binds = {symbol.get_name() for symbol in table.get_symbols() if symbol.is_assigned()
             or symbol.is_imported()}
    definitions = {symbol.get_name() for symbol in table.get_symbols() if symbol.is_imported()}
    definitions |= {
        node.name for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    reads = {symbol.get_name() for symbol in table.get_symbols() if symbol.is_referenced()}
    reads |= {  # ``total += x`` reads total, though symtable calls it assigned only
        node.target.id for node in ast.walk(tree)
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name)
        and node.target.id in binds
    }
    nested = list(table.get_children())
    while nested:
        scope = nested.pop()
        nested += scope.get_children()
        reads |= {
            symbol.get_name() for symbol in scope.get_symbols()
            if symbol.is_referenced() and symbol.is_global()
        }
    changes: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(
            node.ctx, (ast.Store, ast.Del)
        ):
            base = node.value
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(base, ast.Name):
                changes.add(base.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            changes.add(node.target.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr not in READ_ONLY_METHODS:
            base = node.func.value  # x.method(...), x["key"].append(...), x.a.b.method(...)
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(base, ast.Name):
                changes.add(base.id)
    for statement in tree.body:  # a call whose result is dropped is called for its effect
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            call = statement.value
            for argument in [call.func, *call.args, *(k.value for k in call.keywords)]:
                if isinstance(argument, ast.Starred):
                    argument = argument.value
                if isinstance(argument, ast.Name):
                    changes.add(argument.id)
    for node in ast.walk(tree):  # for layer in [a, b]: layer.set_weights(...) changes a and b
        if isinstance(node, (ast.For, ast.AsyncFor)):
            targets = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
            if targets & changes:
                changes |= {n.id for n in ast.walk(node.iter) if isinstance(n, ast.Name)}
    changes &= reads | binds  # a local variable of a function is not the notebook's
    return CellNames(frozenset(binds), frozenset(reads), frozenset(changes - _CONSTANT),
                     frozenset(definitions))


_CONSTANT = frozenset({"True", "False", "None"})

#: Methods that read their object and never change it (the kit's tokenizers, Keras' inference,
#: NumPy's and Python's usual queries). ``x.tokenize(...)`` does not make ``x`` "changed", so a
#: statement that only reads a tokenizer or a model is not kept for its sake. A method of the same
#: name that changes its object would be missed; the self-check on the instructor's solution
#: (every cell when it loses a point) is the guard.
READ_ONLY_METHODS = frozenset({
    "tokenize", "detokenize", "vocabulary_size", "id_to_token", "token_to_id", "predict",
    "count_params", "get_config", "get_weights", "numpy", "tolist", "item", "copy", "astype",
    "reshape", "mean", "sum", "max", "min", "argmax", "argmin", "std", "keys", "values", "items",
    "get", "format", "startswith", "endswith", "split", "join", "strip", "lower", "upper",
    "replace", "count", "index", "find",
})


def _units(source: str) -> list[str]:
    r"""A chapter cell cut into its top-level statements (decorators and ``;`` kept together).

    Example:
        >>> _units("import math\n\n@cache\ndef f():\n    return 1\nx = 1; y = 2\nprint(x)")
        ['import math', '@cache\ndef f():\n    return 1', 'x = 1; y = 2', 'print(x)']
    """
    code = _python(source)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return [source]
    lines = code.splitlines()
    spans: list[list[int]] = []
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        last = node.end_lineno or node.lineno
        if spans and first <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last])
    return ["\n".join(lines[first - 1 : last]) for first, last in spans] or [source]


def graded_sources(graded: GradedNotebook) -> list[str]:
    """The code grading runs in each cell: only what the answers and checks need.

    Answers and checks (visible and hidden) run whole. A chapter cell runs the top-level
    statements that the module docstring's rules keep, in their order, or :data:`SKIPPED` when
    none is kept.

    Args:
        graded: the notebook to grade, with the role of each cell.

    Returns:
        One source per cell of ``graded.notebook``.
    """
    units: list[tuple[int, str, CellNames, bool]] = []  # (cell, code, names, always kept)
    for index, (cell, role) in enumerate(zip(graded.notebook.cells, graded.cells, strict=True)):
        if role.kind != "chapter":
            units.append((index, cell.source, cell_names(cell.source), True))
            continue
        for code in _units(cell.source):
            names = cell_names(code)
            units.append((index, code, names, not names.parsed))
    every = [names for _, _, names, _ in units]
    definitions = frozenset().union(*(n.definitions for n in every)) if every else frozenset()
    variables_bound = frozenset().union(*(n.binds for n in every)) if every else frozenset()
    modules_and_functions = definitions - _assigned(every)
    kept = [False] * len(units)
    wanted: set[str] = set()
    for position in range(len(units) - 1, -1, -1):
        _, _, names, always = units[position]
        changes = {
            name for name in names.changes - modules_and_functions
            if name in variables_bound and not name.isupper()  # CONSTANTS are never changed
        }
        if always or (names.binds | changes) & wanted:
            keep = True
        else:  # an effect on the libraries only: binds nothing, reads no variable of the chapter
            keep = not names.binds and not (names.reads & (variables_bound - definitions))
        if keep:
            kept[position] = True
            wanted |= names.reads
            if not names.parsed:
                wanted |= variables_bound  # unknown code: assume it reads everything
    sources = []
    for index, cell in enumerate(graded.notebook.cells):
        parts = [(code, keep) for (i, code, _, _), keep in zip(units, kept, strict=True)
                 if i == index]
        if all(keep for _, keep in parts):
            sources.append(cell.source)
        elif any(keep for _, keep in parts):
            sources.append("\n".join(code for code, keep in parts if keep))
        else:
            sources.append(SKIPPED)
    return sources


def _assigned(names: list[CellNames]) -> frozenset[str]:
    """Names some cell binds by assignment too, not only by ``import``/``def``/``class``."""
    assigned: set[str] = set()
    for cell in names:
        assigned |= cell.binds - cell.definitions
    return frozenset(assigned)


__all__ = ["READ_ONLY_METHODS", "SKIPPED", "CellNames", "cell_names", "graded_sources"]
