"""Small helpers that several parts of the kit need: one version of each.

* :func:`strip_ansi`: terminal colour codes out of a kernel's error text;
* :func:`write_atomic`: a file replaced in one step, never seen half-written;
* :func:`select_chapters`: files ``NN_*`` chosen by chapter number, with a clear error.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

_ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes, raw or as a junit report escapes them (``#x1B``).

    Example:
        >>> strip_ansi("\x1b[0;31mValueError\x1b[0m: bad and #x1B[1mbold#x1B[0m")
        'ValueError: bad and bold'
    """
    return _ANSI.sub("", text)


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a part.

    The text goes to a temporary file in the same folder (its parents are made), which then
    replaces ``path`` in one step; an interruption leaves at most that temporary file, named
    ``.NAME.*.partial``.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp()) / "a"
        >>> write_atomic(folder / "grades.csv", "student,total\\n")
        >>> (folder / "grades.csv").read_text(), sorted(p.name for p in folder.iterdir())
        ('student,total\\n', ['grades.csv'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                           suffix=".partial")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def select_chapters(paths: Iterable[Path], chapters: Sequence[str] | None, what: str) -> list[Path]:
    """The files of the chapters named (``["2", "05"]``), in that order; all when none are named.

    Args:
        paths: files named ``NN_*`` (notebooks, decks).
        chapters: chapter numbers, or full file stems (``"05_lstm_gru"``).
        what: what the files are, for the error (``"notebook"``, ``"deck"``).

    Returns:
        The matching files.

    Raises:
        ValueError: naming the chapter that has no file, and the chapters there are.

    Example:
        >>> files = [Path("00_setup.ipynb"), Path("02_ngrams.ipynb")]
        >>> select_chapters(files, ["2"], "notebook")
        [PosixPath('02_ngrams.ipynb')]
        >>> select_chapters(files, ["7"], "notebook")
        Traceback (most recent call last):
        ...
        ValueError: No notebook for chapter '7'. Chapters: 00_setup, 02_ngrams.
    """
    paths = sorted(paths)
    if not chapters:
        return paths
    chosen = []
    for chapter in chapters:
        matches = [
            path for path in paths
            if path.name.startswith(f"{chapter.zfill(2)}_") or path.stem == chapter
        ]
        if not matches:
            known = ", ".join(path.stem for path in paths) or "none"
            raise ValueError(f"No {what} for chapter {chapter!r}. Chapters: {known}.")
        chosen.extend(matches)
    return chosen


__all__ = ["select_chapters", "strip_ansi", "write_atomic"]
