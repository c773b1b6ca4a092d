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
``plt.style.use(...)``) is kept for its effect on the libraries, as is ``course.setup()`` (quiet
TensorFlow, the seeds: every graded run starts the same way).

A name counts as *read* only where the code may read the notebook's own: a cell (an answer, a
check) that binds a name before reading it, in the order Python runs it, reads its own value, so
``guesses = model(batch)`` followed by ``check_equal(guesses, ...)`` in a check does not make the
chapter's ``guesses`` (and the training that made it) needed. ``x += 1`` reads ``x``; a name bound
on one branch of an ``if``, in a loop's body or inside a ``try`` or ``with`` is not bound after
it; a comprehension's variables are its own; a function's or lambda's body runs later, so every
name it reads that is not its own local counts. Names bound by imports, ``def``
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


class _Reads:
    """The names a piece of code reads before binding them itself, in the order Python runs it.

    Module-level code (and a class body, a comprehension) runs at once: a name it binds before
    reading it is its own, not the notebook's (``guesses = model(x)`` then ``print(guesses)``
    reads ``model`` and ``x`` only). A function or lambda body runs later: every name it reads
    that is not local to it counts. Branches are merged conservatively: after ``if``/``try``/
    ``with``/loops, a name counts as bound only when every way through binds it.
    """

    def __init__(self) -> None:
        self.reads: set[str] = set()

    def block(self, statements: list[ast.stmt], bound: set[str]) -> set[str]:
        """Go through ``statements`` with ``bound`` already bound; the names bound after them."""
        for statement in statements:
            bound = self.statement(statement, bound)
        return bound

    def statement(self, node: ast.stmt, bound: set[str]) -> set[str]:  # noqa: C901, PLR0911, PLR0912
        """Go through one statement; the names bound after it."""
        if isinstance(node, ast.Assign):
            self.expression(node.value, bound)
            for target in node.targets:
                self.expression(target, bound)
            return bound | _stored(node.targets)
        if isinstance(node, ast.AugAssign):  # x += 1 reads x
            self.expression(node.value, bound)
            if isinstance(node.target, ast.Name):
                self._name(node.target.id, bound)
                return bound | {node.target.id}
            self.expression(node.target, bound)
            return bound
        if isinstance(node, ast.AnnAssign):
            self.expression(node.value, bound)
            self.expression(node.annotation, bound)
            self.expression(node.target, bound)
            return bound | _stored([node.target]) if node.value is not None else bound
        if isinstance(node, ast.Delete):
            for target in node.targets:
                self.expression(target, bound)  # del x needs an x
            return bound - _stored(node.targets, ast.Del)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return bound | {
                (alias.asname or alias.name.split(".")[0]) for alias in node.names
                if alias.name != "*"
            }
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._signature(node, bound)
            self.reads |= _function_reads(node)  # the body runs later, when it is called
            return bound | {node.name}
        if isinstance(node, ast.ClassDef):
            for expression in [*node.decorator_list, *node.bases, *node.keywords]:
                self.expression(expression, bound)
            self.block(node.body, set(bound))  # runs now; its names are the class's
            return bound | {node.name}
        if isinstance(node, (ast.For, ast.AsyncFor)):
            self.expression(node.iter, bound)
            inside = bound | _stored([node.target])
            self.expression(node.target, inside)
            self.block(node.body, inside)  # each pass starts with at least these bound
            self.block(node.orelse, bound)
            return bound  # the body may not have run
        if isinstance(node, ast.While):
            self.expression(node.test, bound)
            self.block(node.body, bound)
            self.block(node.orelse, bound)
            return bound
        if isinstance(node, ast.If):
            self.expression(node.test, bound)
            return self.block(node.body, bound) & self.block(node.orelse, bound)
        if isinstance(node, (ast.With, ast.AsyncWith)):
            inside = set(bound)
            for item in node.items:
                self.expression(item.context_expr, inside)
                if item.optional_vars is not None:
                    inside |= _stored([item.optional_vars])
                    self.expression(item.optional_vars, inside)
            self.block(node.body, inside)
            return inside  # a context manager may swallow an error half-way through the body
        if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            ends = [self.block(node.orelse, self.block(node.body, bound))]
            for handler in node.handlers:
                self.expression(handler.type, bound)
                named = {handler.name} if handler.name else set()
                ends.append(self.block(handler.body, bound | named) - named)
            return set.intersection(*ends) | self.block(node.finalbody, bound)
        if isinstance(node, ast.Match):
            self.expression(node.subject, bound)
            for case in node.cases:
                captured = bound | {
                    name for pattern in ast.walk(case.pattern)
                    for name in [getattr(pattern, "name", None), getattr(pattern, "rest", None)]
                    if isinstance(name, str)
                }
                self.expression(case.pattern, bound)  # values and classes it compares with
                self.expression(case.guard, captured)
                self.block(case.body, captured)
            return bound
        for child in ast.iter_child_nodes(node):  # Expr, Return, Raise, Assert, ...
            self.expression(child, bound)
        return bound

    def expression(self, node: ast.AST | None, bound: set[str]) -> None:
        """Note the names an expression reads (a lambda's body and a generator's run later)."""
        if node is None:
            return
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Store):
                self._name(node.id, bound)
        elif isinstance(node, ast.Lambda):
            self._signature(node, bound)
            self.reads |= _function_reads(node)
        elif isinstance(node, ast.GeneratorExp):  # runs when it is iterated, maybe much later
            self.expression(node.generators[0].iter, bound)
            self.reads |= _function_reads(node)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp)):
            inside = set(bound)
            for number, generator in enumerate(node.generators):
                self.expression(generator.iter, bound if number == 0 else inside)
                inside |= _stored([generator.target])
                for condition in generator.ifs:
                    self.expression(condition, inside)
            for part in ([node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]):
                self.expression(part, inside)
        else:
            for child in ast.iter_child_nodes(node):
                self.expression(child, bound)

    def _name(self, name: str, bound: set[str]) -> None:
        if name not in bound:
            self.reads.add(name)

    def _signature(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda,
                   bound: set[str]) -> None:
        """Decorators, default values and annotations: evaluated where the function is made."""
        arguments = node.args
        parts = [*arguments.defaults, *arguments.kw_defaults]
        if not isinstance(node, ast.Lambda):
            parts += [*node.decorator_list, node.returns]
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                     arguments.vararg, arguments.kwarg]
            parts += [argument.annotation for argument in every if argument is not None]
        for part in parts:
            self.expression(part, bound)


def _stored(targets: list[ast.expr], context: type = ast.Store) -> set[str]:
    """The plain names that assignment targets bind (``a, *b = ...``; not ``x.a`` or ``x[i]``)."""
    names: set[str] = set()
    for target in targets:
        if isinstance(target, ast.Name) and isinstance(target.ctx, context):
            names.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            names |= _stored(target.elts, context)
        elif isinstance(target, ast.Starred):
            names |= _stored([target.value], context)
    return names


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.GeneratorExp,
           ast.ListComp, ast.SetComp, ast.DictComp)


def _function_reads(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.GeneratorExp
                    ) -> set[str]:
    """The names a function (lambda, generator) may read from outside when it runs.

    Every name its body reads, nested functions' included, except its own local names: its
    parameters and every name it binds anywhere (Python makes those local to the whole body),
    unless declared ``global``.
    """
    inner = _Reads()
    if isinstance(node, ast.GeneratorExp):
        bound: set[str] = set()
        for number, generator in enumerate(node.generators):
            if number:
                inner.expression(generator.iter, bound)
            bound |= _stored([generator.target])
            for condition in generator.ifs:
                inner.expression(condition, bound)
        inner.expression(node.elt, bound)
        return inner.reads - bound
    arguments = node.args
    parameters = {argument.arg for argument in [
        *arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg,
        arguments.kwarg] if argument is not None}
    body = [ast.Expr(node.body)] if isinstance(node, ast.Lambda) else node.body
    inner.block(body, set(parameters))
    return inner.reads - (parameters | _locals(body))


def _locals(body: list[ast.stmt]) -> set[str]:
    """Names a function body binds anywhere (Python makes them local to all of it), not ``global``.

    Nested functions, classes and comprehensions keep their names to themselves (only a nested
    ``def`` or ``class`` name is the body's); leaving out a local only adds a read, never hides one.
    """
    bound: set[str] = set()
    declared: set[str] = set()
    pending: list[ast.AST] = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            declared |= set(node.names)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        if not isinstance(node, _SCOPES):
            pending += ast.iter_child_nodes(node)
    return bound - declared


def cell_names(source: str) -> CellNames:
    r"""The names a cell binds, reads and may change.

    Names local to a function or comprehension of the cell are not the notebook's names (the
    bindings come from :mod:`symtable`). A name counts as read only when the cell may read it
    before binding it itself, in the order the code runs (:class:`_Reads`): ``guesses = f(x)``
    then ``print(guesses)`` reads ``f`` and ``x``, not the notebook's ``guesses``.

    Example:
        >>> names = cell_names("import numpy as np\nmodel = build()\nmodel.fit(np.ones(3))\n"
        ...                    "history = train(model, steps=profile.steps)\nupdate(state)\n"
        ...                    "log['losses'].append(1)\n"
        ...                    "def loss(batch):\n    return model(batch) + SCALE")
        >>> sorted(names.binds), sorted(names.definitions)
        (['history', 'loss', 'model', 'np'], ['loss', 'np'])
        >>> sorted(names.changes)
        ['log', 'model', 'np', 'state', 'update']
        >>> sorted(names.reads)  # np and model are bound before they are read; loss reads model
        ['SCALE', 'build', 'log', 'model', 'profile', 'state', 'train', 'update']
        >>> sorted(cell_names("guesses = predict(batch)\ntotal += len(guesses)").reads)
        ['batch', 'len', 'predict', 'total']
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
    flow = _Reads()
    flow.block(tree.body, set())
    reads = flow.reads
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
    "tokenize", "detokenize", "encode", "decode", "vocabulary_size", "id_to_token", "token_to_id",
    "predict", "count_params", "get_config", "get_weights", "numpy", "tolist", "item", "copy",
    "astype", "reshape", "mean", "sum", "max", "min", "argmax", "argmin", "std", "keys", "values",
    "items", "get", "format", "startswith", "endswith", "split", "join", "strip", "lower", "upper",
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
            units.append((index, code, names, not names.parsed or _sets_up(code)))
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


def _sets_up(code: str) -> bool:
    """Whether the statement calls ``course.setup`` (quiet TensorFlow, the seeds): always run.

    Example:
        >>> _sets_up("profile = course.setup()"), _sets_up("model = build()")
        (True, False)
    """
    try:
        tree = ast.parse(_python(code))
    except SyntaxError:
        return False
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "setup" and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "course"
        for node in ast.walk(tree)
    )


def _assigned(names: list[CellNames]) -> frozenset[str]:
    """Names some cell binds by assignment too, not only by ``import``/``def``/``class``."""
    assigned: set[str] = set()
    for cell in names:
        assigned |= cell.binds - cell.definitions
    return frozenset(assigned)


__all__ = ["READ_ONLY_METHODS", "SKIPPED", "CellNames", "cell_names", "graded_sources"]
