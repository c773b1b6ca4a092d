"""The dataset registry: what each dataset is, where its files live and how to check them.

The registry is the file ``data/registry.toml`` at the root of the course checkout. This module
reads it once, checks that every entry is complete, and answers questions about it.
"""

from __future__ import annotations

import difflib
import functools
import textwrap
import tomllib  # the kit needs Python 3.11 (pyproject.toml), which has it
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The registry file: ``<repo root>/data/registry.toml`` (the kit is used from a checkout).
REGISTRY_PATH = Path(__file__).resolve().parents[2] / "data" / "registry.toml"

KINDS = ("builtin", "download")
TASKS = ("text", "labelled", "pairs")


class DatasetError(ValueError):
    """A dataset request that cannot be met: unknown name, bad file, missing download, ..."""


@dataclass(frozen=True)
class FileInfo:
    """One downloadable file of a dataset.

    Attributes:
        name: File name, also its name inside the dataset's cache folder.
        url: Public address that users download it from.
        sha256: Expected SHA-256 of the file's bytes, as 64 lower-case hex digits.
        bytes: Expected size in bytes.
    """

    name: str
    url: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class DatasetInfo:
    """Everything the registry says about one dataset.

    Attributes:
        name: Name used in code, e.g. ``"tinyshakespeare"``.
        description: A sentence or two for humans.
        kind: ``"builtin"`` (built offline from the Python installation) or ``"download"``.
        task: ``"text"`` (one string, see ``load_text``), ``"labelled"`` (rows of text, label)
            or ``"pairs"`` (sentence pairs for translation, see ``load_translation_pairs``).
        licence: The terms the data is published under.
        source: Where the data comes from.
        files: The downloadable files (empty for builtin corpora).
        splits: For labelled datasets, split name -> file name.
        text_file: For downloaded text datasets, the file holding the text.
        pairs_file: For downloaded pairs datasets, the tab-separated file of pairs.
        max_chars: For builtin corpora, an optional cap on the length of the text.
    """

    name: str
    description: str
    kind: str
    task: str
    licence: str
    source: str = ""
    files: tuple[FileInfo, ...] = ()
    splits: dict[str, str] = field(default_factory=dict)
    text_file: str | None = None
    pairs_file: str | None = None
    max_chars: int | None = None

    def file(self, filename: str) -> FileInfo:
        """Return the registry entry of one of this dataset's files.

        Args:
            filename: A file name listed for this dataset, e.g. ``"train.tsv"``.

        Returns:
            The matching :class:`FileInfo`.

        Raises:
            DatasetError: if the dataset is builtin or has no file of that name.

        Example:
            >>> from course.data import describe
            >>> describe("tinyshakespeare").file("input.txt").bytes
            1115394
        """
        if self.kind == "builtin":
            raise DatasetError(
                f"{self.name!r} is a builtin corpus: it is built from your Python installation "
                f"and has no files to fetch. Use course.data.load_text({self.name!r}) instead."
            )
        for info in self.files:
            if info.name == filename:
                return info
        names = ", ".join(f.name for f in self.files)
        raise DatasetError(
            f"Dataset {self.name!r} has no file {filename!r}. Its files are: {names}."
        )

    def __str__(self) -> str:
        lines = [
            f"{self.name} ({self.kind}, {self.task})",
            textwrap.fill(self.description, width=96, initial_indent="  ", subsequent_indent="  "),
            f"  licence: {self.licence}",
        ]
        if self.source:
            lines.append(f"  source: {self.source}")
        for info in self.files:
            lines.append(f"  file {info.name}: {info.bytes:,} bytes, sha256 {info.sha256}")
            lines.append(f"    from {info.url}")
        if self.splits:
            lines.append("  splits: " + ", ".join(f"{k} ({v})" for k, v in self.splits.items()))
        return "\n".join(lines)


def _require(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise DatasetError(f"{REGISTRY_PATH}: {where} is missing the required key {key!r}.")
    return entry[key]


def _parse_file(entry: dict[str, Any], dataset: str) -> FileInfo:
    where = f"a file of dataset {dataset!r}"
    name = _require(entry, "name", where)
    where = f"file {name!r} of dataset {dataset!r}"
    url = _require(entry, "url", where)
    sha256 = str(_require(entry, "sha256", where)).lower()
    size = _require(entry, "bytes", where)
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise DatasetError(f"{REGISTRY_PATH}: {where} has a malformed sha256 {sha256!r}.")
    if not isinstance(size, int) or size < 0:
        raise DatasetError(f"{REGISTRY_PATH}: {where} has a bad size {size!r}.")
    if not str(url).startswith(("https://", "http://")):
        raise DatasetError(f"{REGISTRY_PATH}: {where} needs a public http(s) url, not {url!r}.")
    return FileInfo(name=str(name), url=str(url), sha256=sha256, bytes=size)


def _parse_dataset(entry: dict[str, Any]) -> DatasetInfo:
    name = str(_require(entry, "name", "a [[dataset]] entry"))
    where = f"dataset {name!r}"
    kind = _require(entry, "kind", where)
    task = _require(entry, "task", where)
    if kind not in KINDS:
        raise DatasetError(f"{REGISTRY_PATH}: {where} has kind {kind!r}; expected one of {KINDS}.")
    if task not in TASKS:
        raise DatasetError(f"{REGISTRY_PATH}: {where} has task {task!r}; expected one of {TASKS}.")
    files = tuple(_parse_file(f, name) for f in entry.get("files", []))
    if kind == "download" and not files:
        raise DatasetError(f"{REGISTRY_PATH}: {where} is a download but lists no files.")
    if kind == "builtin" and files:
        raise DatasetError(f"{REGISTRY_PATH}: {where} is builtin but lists files.")
    info = DatasetInfo(
        name=name,
        description=" ".join(str(_require(entry, "description", where)).split()),
        kind=kind,
        task=task,
        licence=str(_require(entry, "licence", where)),
        source=str(entry.get("source", "")),
        files=files,
        splits=dict(entry.get("splits", {})),
        text_file=entry.get("text_file"),
        pairs_file=entry.get("pairs_file"),
        max_chars=entry.get("max_chars"),
    )
    file_names = {f.name for f in files}
    named = [name for name in (info.text_file, info.pairs_file) if name]
    for target in [*info.splits.values(), *named]:
        if target not in file_names:
            raise DatasetError(f"{REGISTRY_PATH}: {where} refers to {target!r}, not in its files.")
    return info


@functools.lru_cache(maxsize=1)
def registry() -> dict[str, DatasetInfo]:
    """Read and check ``data/registry.toml``.

    Returns:
        A dict from dataset name to :class:`DatasetInfo`, in the order of the file.

    Example:
        >>> sorted(registry())
        ['cmn-eng', 'fra-eng', 'pydoc', 'sst2', 'stdlib', 'tinyshakespeare', 'toy-fra-eng',
         'zh-sample']
    """
    with open(REGISTRY_PATH, "rb") as fh:
        raw = tomllib.load(fh)
    out: dict[str, DatasetInfo] = {}
    for entry in raw.get("dataset", []):
        info = _parse_dataset(entry)
        if info.name in out:
            raise DatasetError(f"{REGISTRY_PATH}: dataset {info.name!r} is listed twice.")
        out[info.name] = info
    return out


def list_datasets() -> list[str]:
    """Names of all datasets in the registry, sorted.

    Returns:
        The dataset names.

    Example:
        >>> list_datasets()
        ['cmn-eng', 'fra-eng', 'pydoc', 'sst2', 'stdlib', 'tinyshakespeare', 'toy-fra-eng',
         'zh-sample']
    """
    return sorted(registry())


def describe(name: str) -> DatasetInfo:
    """Look a dataset up in the registry. ``print()`` the result for a readable summary.

    Args:
        name: A dataset name, e.g. ``"pydoc"``.

    Returns:
        The dataset's :class:`DatasetInfo`.

    Raises:
        DatasetError: if there is no such dataset; the message lists the valid names.

    Example:
        >>> info = describe("pydoc")
        >>> info.kind, info.task
        ('builtin', 'text')
        >>> try:  # doctest: +NORMALIZE_WHITESPACE
        ...     describe("shakespeare")
        ... except DatasetError as err:
        ...     print(err)
        Unknown dataset 'shakespeare'. Did you mean 'tinyshakespeare'?
        Valid names: cmn-eng, fra-eng, pydoc, sst2, stdlib, tinyshakespeare, toy-fra-eng, zh-sample.
    """
    table = registry()
    if name in table:
        return table[name]
    names = sorted(table)
    close = difflib.get_close_matches(str(name), names, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise DatasetError(f"Unknown dataset {name!r}.{hint} Valid names: {', '.join(names)}.")
