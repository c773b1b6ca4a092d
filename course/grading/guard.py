"""Notice, when grading, that an answer cell replaced the checks it is graded by.

Answer cells run in the same Python interpreter as the checks after them, so an answer could
rebind ``check_equal`` in the notebook, patch ``course.checks.check_equal``, put a fake module in
``sys.modules`` or replace a builtin the checks call. :mod:`course.grading` therefore adds to the
graded notebook (never to the student's):

* at the top of its first code cell, before any student code has run, a :class:`Guard` under a
  name drawn at random for each run, loaded from this file as a fresh module object that is in no
  module table (so no answer can patch it by a name known in advance);
* as the first line of every check cell, visible and hidden, a call of that guard, which raises
  :class:`Tampered` (its message starts with :data:`TAMPERED`) when

  - a function of ``course.checks`` no longer has the code of the file on disk (which the sandbox
    binds read-only), or ``sys.modules["course.checks"]`` is another module;
  - a name the chapter bound to ``course``, ``course.checks`` or one of its functions now refers to
    something else;
  - a builtin function, or an attribute of a module ``course.checks`` uses (``numpy``, ``math``),
    is no longer the object it was before the first answer ran.

The grader scores a tampered submission 0 with the reason. This is detection inside one
interpreter, not a proof: code that finds the guard object itself (by walking the namespace or the
garbage collector) can still disable it. ``docs/instructors.md`` says so.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import inspect
import sys
import types
from typing import Any

TAMPERED = "course-grading: tampered:"
_IPYTHON_BUILTINS = {"exit", "quit", "get_ipython", "display", "help", "copyright", "credits",
                     "license", "dreload", "input", "raw_input"}  # IPython swaps these


class Tampered(Exception):
    """The checks of a graded notebook were changed by an answer cell."""


def check_names(sources: list[str]) -> dict[str, str]:
    """The names that chapter cells bind to ``course``, ``course.checks`` or its attributes.

    Args:
        sources: the source of the chapter's own cells and check cells (not the answers).

    Returns:
        ``{name in the notebook: what it must be}``, where the value is ``"course"``,
        ``"course.checks"`` or ``"course.checks.<attribute>"``.

    Example:
        >>> check_names(["import course.checks\\nfrom course.checks import check_equal as eq",
        ...              "from course import checks", "x = 1"])
        {'course': 'course', 'eq': 'course.checks.check_equal', 'checks': 'course.checks'}
    """
    names: dict[str, str] = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:  # IPython magics: the chapter's cells are not all plain Python
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "course" or alias.name.startswith("course."):
                        if alias.asname is None:
                            names["course"] = "course"
                        elif alias.name in ("course", "course.checks"):
                            names[alias.asname] = alias.name
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                for alias in node.names:
                    if node.module == "course.checks" and alias.name != "*":
                        names[alias.asname or alias.name] = f"course.checks.{alias.name}"
                    elif node.module == "course" and alias.name == "checks":
                        names[alias.asname or alias.name] = "course.checks"
    return names


def _code(value: Any) -> types.CodeType | None:
    function = inspect.unwrap(value) if callable(value) else None
    return getattr(function, "__code__", None)


class Guard:
    """Snapshots taken before any answer runs, and a check of them before each check cell.

    Args:
        names: what :func:`check_names` found in the chapter.
    """

    def __init__(self, names: dict[str, str]) -> None:
        self._names = dict(names)
        self._modules = sys.modules  # the table itself, as it will be when the checks run
        self._builtins = {
            name: value for name, value in vars(builtins).items()
            if callable(value) and not name.startswith("_") and name not in _IPYTHON_BUILTINS
        }
        self._builtins["__import__"] = builtins.__import__
        importlib.import_module("course.checks")  # imported before any answer can fake it
        spec = importlib.util.find_spec("course.checks")
        if spec is None or spec.origin is None:
            raise RuntimeError("course.checks cannot be found: is the kit installed?")
        fresh_spec = importlib.util.spec_from_file_location(f"_course_checks_{id(self)}",
                                                            spec.origin)
        fresh = importlib.util.module_from_spec(fresh_spec)
        fresh_spec.loader.exec_module(fresh)
        self._reference = {
            name: code for name, value in vars(fresh).items()
            if not name.startswith("__") and (code := _code(value)) is not None
            and getattr(value, "__module__", None) == fresh.__name__
        }
        self._used = {
            value.__name__: dict(vars(value)) for value in vars(fresh).values()
            if isinstance(value, types.ModuleType) and value.__name__ != "builtins"
        }

    def problems(self, namespace: dict[str, Any]) -> list[str]:
        """What differs from the snapshots; empty when nothing was tampered with."""
        problems = []
        live = self._modules.get("course.checks")
        package = self._modules.get("course")
        if live is None or getattr(package, "checks", None) is not live:
            problems.append("course.checks was replaced in sys.modules")
        else:
            for name, code in self._reference.items():
                if _code(getattr(live, name, None)) != code:
                    problems.append(f"course.checks.{name} was replaced")
            failed = getattr(live, "CheckFailed", None)
            if not (isinstance(failed, type) and issubclass(failed, AssertionError)):
                problems.append("course.checks.CheckFailed was replaced")
        for name, target in self._names.items():
            if name not in namespace:
                continue
            if target == "course":
                expected = package
            elif target == "course.checks":
                expected = live
            else:
                expected = getattr(live, target.rsplit(".", 1)[1], None)
            if namespace[name] is not expected:
                problems.append(f"the name {name} no longer refers to {target}")
        for name, value in self._builtins.items():
            if getattr(builtins, name, None) is not value:
                problems.append(f"the builtin {name} was replaced")
        for module_name, snapshot in self._used.items():
            module = self._modules.get(module_name)
            if module is None:
                problems.append(f"the module {module_name} was removed")
                continue
            current = vars(module)
            changed = [name for name, value in snapshot.items() if current.get(name) is not value]
            if changed:
                problems.append(f"{module_name}.{changed[0]} was replaced")
        return problems

    def __call__(self, namespace: dict[str, Any]) -> None:
        """Raise :class:`Tampered` when :meth:`problems` finds anything."""
        problems = self.problems(namespace)
        if problems:
            raise Tampered(f"{TAMPERED} {'; '.join(problems[:3])}.")


def definition(variable: str, names: dict[str, str]) -> str:
    """The code that creates the guard as ``variable``, from this file loaded afresh.

    Example:
        >>> code = definition("_g", {"course": "course"})
        >>> namespace = {}
        >>> exec(code, namespace)
        >>> namespace["_g"](namespace)  # nothing bound yet, nothing replaced
    """
    return (
        f"def {variable}():\n"
        "    import importlib.util\n"
        f"    spec = importlib.util.spec_from_file_location({variable!r}, {__file__!r})\n"
        "    module = importlib.util.module_from_spec(spec)\n"
        "    spec.loader.exec_module(module)\n"
        f"    return module.Guard({names!r})\n"
        f"{variable} = {variable}()\n"
    )


def call(variable: str) -> str:
    """The line that a check cell starts with when grading."""
    return f"{variable}(globals())\n"


__all__ = ["TAMPERED", "Guard", "Tampered", "call", "check_names", "definition"]
