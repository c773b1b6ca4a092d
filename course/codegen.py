"""Completing Python functions from their signature and docstring (chapter 12).

A prompt is the text of a source file up to the end of a function's docstring; the model writes
the body. Where the body ends is a rule, not something the model announces: the body is every
line up to (not including) the first non-blank line indented no deeper than the ``def`` itself,
the line where the next statement of the enclosing block starts. A completion with no such line
within the characters generated never finished. A finished completion is *valid* when the
function (signature, docstring and body, dedented) parses with :func:`ast.parse` and the body has
at least one non-blank line.

Example:
    >>> header = "def double(x):\\n    'Twice x.'\\n"
    >>> body = cut_completion("    return 2 * x\\n\\ndef other():", indent=0)
    >>> body
    '    return 2 * x\\n\\n'
    >>> function_parses(header, body)
    True
"""

from __future__ import annotations

import ast
import re
import textwrap
import warnings
from dataclasses import dataclass

# A def line (one line, optionally async), then the docstring if there is one.
_FUNCTION = re.compile(
    r'^(?P<indent>[ ]*)(?:async[ ]+)?def[ ]+(?P<name>\w+)\([^\n]*\)[^\n]*:[ ]*\n'
    r'(?:(?P=indent)[ ]{4}(?P<quote>"""|\'\'\')(?:(?!(?P=quote))[\s\S])*?(?P=quote)[ ]*\n)?',
    re.MULTILINE,
)


@dataclass(frozen=True)
class FunctionPrompt:
    """One function to complete.

    Attributes:
        name: the function's name.
        prompt: the ``prompt_length`` characters of the file that end where the body begins
            (the text before the function, its ``def`` line and its docstring).
        header: the ``def`` line and the docstring (when there is one), as in the file.
        indent: the columns of indentation of the ``def`` line.
        reference: the body the file actually has (cut by :func:`cut_completion`).
    """

    name: str
    prompt: str
    header: str
    indent: int
    reference: str


def indentation(line: str) -> int:
    """The number of leading spaces of ``line``.

    Example:
        >>> indentation("    return x")
        4
    """
    return len(line) - len(line.lstrip(" "))


def cut_completion(generated: str, indent: int) -> str | None:
    """The body a completion wrote: its lines before the first one that leaves the function.

    Args:
        generated: the text generated after the docstring (it starts at the start of a line).
        indent: the indentation of the function's ``def`` line, in columns.

    Returns:
        The body, every line ending with its newline, or ``None`` when no non-blank line
        indented ``indent`` columns or less appears (the completion did not finish).

    Example:
        >>> cut_completion("    x = 1\\n\\n    return x\\n  y", indent=2)
        '    x = 1\\n\\n    return x\\n'
        >>> cut_completion("    x = 1\\n    return x", indent=0) is None
        True
    """
    if not isinstance(generated, str):
        raise TypeError(f"generated must be a str, got {type(generated).__name__}.")
    if isinstance(indent, bool) or not isinstance(indent, int) or indent < 0:
        raise ValueError(f"indent must be a non-negative int (columns), got {indent!r}.")
    lines = generated.split("\n")
    for number, line in enumerate(lines):
        if line.strip() and indentation(line) <= indent:
            return "".join(text + "\n" for text in lines[:number])
    return None


def function_parses(header: str, body: str | None) -> bool:
    """Whether a function with this header and body is valid Python.

    Args:
        header: the ``def`` line and docstring (any common indentation).
        body: the body from :func:`cut_completion`; ``None`` (unfinished) or a body without a
            non-blank line counts as invalid.

    Returns:
        ``True`` when the body is not empty and ``header + body``, dedented, parses.

    Example:
        >>> function_parses("def f():\\n", "    return (1\\n")
        False
        >>> function_parses("def f():\\n", None)
        False
    """
    if body is None or not body.strip():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes in generated strings warn
        try:
            ast.parse(textwrap.dedent(header + body))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def function_prompts(
    source: str,
    prompt_length: int,
    max_header_chars: int | None = None,
) -> list[FunctionPrompt]:
    """Every function of ``source`` that can serve as a completion task.

    A function qualifies when its ``def`` fits on one line (its docstring, if it has one,
    is part of the header), its
    header fits in the last ``max_header_chars`` characters of the prompt, at least
    ``prompt_length`` characters of the file come before its body, and its real body, cut by
    :func:`cut_completion`, makes a function that parses (so the task is possible).

    Args:
        source: Python source (the chapter passes the held-out part of the ``stdlib`` corpus).
        prompt_length: characters of the prompt, the same for every function.
        max_header_chars: longest header allowed (default: ``prompt_length``).

    Returns:
        The :class:`FunctionPrompt` objects in the order of the source.

    Example:
        >>> source = "x = 1\\n\\ndef f(a):\\n    '''Return a.'''\\n    return a\\n\\ny = 2\\n"
        >>> [(p.name, p.reference) for p in function_prompts(source, prompt_length=30)]
        [('f', '    return a\\n\\n')]
    """
    if isinstance(prompt_length, bool) or not isinstance(prompt_length, int) or prompt_length < 1:
        raise ValueError(f"prompt_length must be a positive int, got {prompt_length!r}.")
    limit = prompt_length if max_header_chars is None else max_header_chars
    prompts = []
    for match in _FUNCTION.finditer(source):
        header = match.group(0)
        end = match.end()
        if len(header) > limit or end < prompt_length:
            continue
        indent = len(match.group("indent"))
        reference = cut_completion(source[end:], indent)
        if reference is None or not function_parses(header, reference):
            continue
        prompts.append(FunctionPrompt(match.group("name"), source[end - prompt_length : end],
                                      header, indent, reference))
    return prompts
