"""Loading datasets as Python values: text corpora as one string, labelled data as rows.

Two corpora are built offline from the Python installation itself, so they work on a fresh
machine with no network:

* ``pydoc``: English prose, the topic pages of Python's documentation
  (``pydoc_data.topics.topics``, joined in sorted topic order).
* ``stdlib``: Python source code, the public top-level modules of the standard library sorted by
  file name, each preceded by a ``# ==== stdlib/NAME.py ====`` line, capped in length.

Both depend on the Python version, so compare results across machines with the same version.
"""

from __future__ import annotations

import functools
import sysconfig
from collections.abc import Callable
from pathlib import Path

from course.data.download import fetch
from course.data.registry import DatasetError, describe
from course.project import ROOT

#: Top-level standard-library modules left out of the ``stdlib`` corpus besides private ones
#: (``_*.py``) and tests: ``this.py`` holds the Zen of Python ROT13-encoded, not code to learn from.
_STDLIB_SKIP = frozenset({"this.py"})


def _pydoc_text() -> str:
    from pydoc_data.topics import topics

    return "\n".join(topics[key] for key in sorted(topics))


def stdlib_files() -> list[Path]:
    """The files that make up the ``stdlib`` corpus, in corpus order.

    Returns:
        The public top-level ``.py`` files of the standard library (``sysconfig``'s ``stdlib``
        folder: no packages, no ``site-packages``, no tests, no private ``_*.py``), sorted by name.

    Example:
        >>> [p.name for p in stdlib_files()][:2]
        ['abc.py', 'aifc.py']
    """
    folder = Path(sysconfig.get_path("stdlib"))
    return sorted(
        (
            path
            for path in folder.glob("*.py")
            if not path.name.startswith(("_", "test"))
            and path.name not in _STDLIB_SKIP
            and path.is_file()
        ),
        key=lambda path: path.name,
    )


def _stdlib_text(max_chars: int | None) -> str:
    parts: list[str] = []
    total = 0
    for path in stdlib_files():
        source = path.read_text(encoding="utf-8", errors="replace")
        if not source.endswith("\n"):
            source += "\n"
        part = f"# ==== stdlib/{path.name} ====\n{source}\n"
        parts.append(part)
        total += len(part)
        if max_chars is not None and total >= max_chars:
            break
    text = "".join(parts)
    return text if max_chars is None else text[:max_chars]


def _shipped_text(file_name: str) -> str:
    """A small corpus shipped in the kit's data/ folder, without its '#' comment lines."""
    path = ROOT / "data" / file_name
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("#")) + "\n"


_BUILDERS: dict[str, Callable[[int | None], str]] = {
    "pydoc": lambda max_chars: _pydoc_text()[:max_chars],
    "stdlib": _stdlib_text,
    "zh-sample": lambda max_chars: _shipped_text("zh_sample.txt")[:max_chars],
}


@functools.cache
def _builtin_text(name: str) -> str:
    info = describe(name)
    if name not in _BUILDERS:
        raise DatasetError(f"The registry lists builtin corpus {name!r}, but no code builds it.")
    return _BUILDERS[name](info.max_chars)


def load_text(name: str, max_chars: int | None = None) -> str:
    """Load a text corpus as one string.

    Builtin corpora (``pydoc``, ``stdlib``) are built offline from the Python installation;
    downloaded ones (``tinyshakespeare``) are fetched into the cache first (see :func:`fetch`).

    Args:
        name: A dataset with task ``"text"``: ``"pydoc"``, ``"stdlib"`` or ``"tinyshakespeare"``.
        max_chars: If given, return only the first ``max_chars`` characters.

    Returns:
        The corpus text, with ``"\\n"`` line endings.

    Raises:
        DatasetError: for an unknown name, a labelled dataset, or a download that fails.

    Example:
        >>> text = load_text("pydoc", max_chars=22)
        >>> text
        'The "assert" statement'
        >>> load_text("pydoc") == load_text("pydoc")
        True
    """
    info = describe(name)
    if info.task == "pairs":
        raise DatasetError(
            f"{name!r} is a set of sentence pairs, not a text corpus: use "
            f"course.data.load_translation_pairs({name!r})."
        )
    if info.task != "text":
        raise DatasetError(
            f"{name!r} is a labelled dataset, not a text corpus: use "
            f"course.data.load_labelled({name!r}, split) with split one of "
            f"{', '.join(info.splits)}."
        )
    if max_chars is not None and max_chars < 0:
        raise ValueError(f"max_chars must be None or >= 0, not {max_chars}.")
    if info.kind == "builtin":
        text = _builtin_text(name)
    else:
        path = fetch(name, info.text_file)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    return text if max_chars is None else text[:max_chars]


def _read_labelled_tsv(path: Path) -> list[tuple[str, int]]:
    rows: list[tuple[str, int]] = []
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\r\n").split("\t")
        if header[0] != "label" or len(header) != 2:
            raise DatasetError(f"{path}: expected a header 'label<TAB>text', found {header!r}.")
        for number, line in enumerate(fh, start=2):
            line = line.rstrip("\r\n")
            if not line:
                continue
            label, sep, sentence = line.partition("\t")
            if not sep or not label.isdigit():
                raise DatasetError(f"{path}, line {number}: expected 'label<TAB>text': {line!r}.")
            rows.append((sentence, int(label)))
    return rows


def load_labelled(name: str, split: str) -> list[tuple[str, int]]:
    """Load one split of a labelled dataset as ``(text, label)`` rows, in file order.

    Args:
        name: A dataset with task ``"labelled"``, e.g. ``"sst2"``.
        split: One of the dataset's splits, e.g. ``"train"``, ``"dev"`` or ``"test"``.

    Returns:
        A list of ``(text, label)`` tuples; for ``sst2`` the label is 0 (negative) or 1 (positive).

    Raises:
        DatasetError: for an unknown name or split (the message lists the valid ones), a text
            corpus, or a download that fails.

    Example:
        >>> rows = load_labelled("sst2", "dev")  # doctest: +SKIP
        >>> len(rows), rows[0]  # doctest: +SKIP
        (872, ('one long string of cliches .', 0))
    """
    info = describe(name)
    if info.task != "labelled":
        loader = "load_translation_pairs" if info.task == "pairs" else "load_text"
        raise DatasetError(
            f"{name!r} is not a labelled dataset (its task is {info.task!r}): use "
            f"course.data.{loader}({name!r})."
        )
    if split not in info.splits:
        raise DatasetError(
            f"Unknown split {split!r} for dataset {name!r}. Valid splits: {', '.join(info.splits)}."
        )
    return _read_labelled_tsv(fetch(name, info.splits[split]))


def load_sst2(split: str = "train") -> list[tuple[str, int]]:
    """Load one split of SST-2 (binary movie-review sentiment) as ``(sentence, label)`` rows.

    Same as ``load_labelled("sst2", split)``.

    Args:
        split: ``"train"`` (67,349 rows), ``"dev"`` (872) or ``"test"`` (1,821).

    Returns:
        A list of ``(sentence, label)`` tuples, label 0 = negative, 1 = positive.

    Example:
        >>> load_sst2("validation")
        Traceback (most recent call last):
        ...
        course.data.registry.DatasetError: Unknown split 'validation' for dataset 'sst2'. ...
    """
    return load_labelled("sst2", split)


def split_text(text: str, validation_fraction: float = 0.1) -> tuple[str, str]:
    """Split a corpus into a training part and a validation part (the tail), contiguously.

    The cut is made at the newline nearest to the ``1 - validation_fraction`` point (within 1,000
    characters, and keeping both parts non-empty), so that validation starts at a line; if there
    is no such newline the cut is exactly at that point. Every chapter uses this function, so they
    all validate on the same text. ``train + validation == text`` always holds.

    Args:
        text: The whole corpus.
        validation_fraction: Roughly what share of ``text`` goes to validation, in (0, 1).

    Returns:
        ``(train, validation)``.

    Raises:
        ValueError: if ``validation_fraction`` is not strictly between 0 and 1.

    Example:
        >>> train, validation = split_text("one\\ntwo\\nthree\\nfour\\nfive\\n", 0.3)
        >>> train, validation
        ('one\\ntwo\\nthree\\nfour\\n', 'five\\n')
        >>> train, validation = split_text(load_text("pydoc"))
        >>> round(len(validation) / (len(train) + len(validation)), 2)
        0.1
    """
    if not 0.0 < validation_fraction < 1.0:
        raise ValueError(
            f"validation_fraction must be strictly between 0 and 1, not {validation_fraction}."
        )
    n = len(text)
    if n < 2:
        return text, ""
    cut = min(max(round(n * (1.0 - validation_fraction)), 1), n - 1)
    window = 1000
    # A newline at index i puts the cut at i + 1; both parts must stay non-empty.
    before = text.rfind("\n", max(0, cut - 1 - window), cut)
    after = text.find("\n", cut, min(n - 1, cut + window))
    candidates = [i + 1 for i in (before, after) if i != -1 and 1 <= i + 1 <= n - 1]
    if candidates:
        cut = min(candidates, key=lambda c: (abs(c - cut), c))
    return text[:cut], text[cut:]
