"""Datasets for the course: a registry, a checked download cache and offline corpora.

The registry (``data/registry.toml`` in the course checkout) lists every dataset. Text corpora
load as one string, labelled datasets as ``(text, label)`` rows::

    from course.data import load_text, load_sst2, split_text

    text = load_text("tinyshakespeare")          # downloaded once, then read from the cache
    train_text, val_text = split_text(text)      # the same 90/10 split in every chapter
    rows = load_sst2("train")                    # [(sentence, 0 or 1), ...]
    pairs = load_translation_pairs("fra-eng")    # [(english, french), ...]

``pydoc`` (English prose) and ``stdlib`` (Python code) are built from the Python installation and
need no network. Downloads are cached in ``$COURSE_DATA_DIR`` (default ``~/.cache/course/data``)
and can come from a local mirror named by ``$COURSE_DATA_MIRROR``.

Example:
    >>> from course.data import list_datasets, load_text
    >>> "pydoc" in list_datasets()
    True
    >>> len(load_text("stdlib", max_chars=1000))
    1000
"""

from course.data.corpora import load_labelled, load_sst2, load_text, split_text
from course.data.download import DATA_DIR_ENV, MIRROR_ENV, data_dir, fetch
from course.data.pairs import load_translation_pairs, read_pairs_file, split_pairs, toy_pairs
from course.data.registry import DatasetError, DatasetInfo, FileInfo, describe, list_datasets

__all__ = [
    "DATA_DIR_ENV",
    "MIRROR_ENV",
    "DatasetError",
    "DatasetInfo",
    "FileInfo",
    "data_dir",
    "describe",
    "fetch",
    "list_datasets",
    "load_labelled",
    "load_sst2",
    "load_text",
    "load_translation_pairs",
    "read_pairs_file",
    "split_pairs",
    "split_text",
    "toy_pairs",
]
