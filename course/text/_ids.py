"""Shared input checks for the tokenizers: accept ids as a list, a NumPy array or a tensor."""

from __future__ import annotations

from typing import Any

import numpy as np


def as_id_list(ids: Any) -> list[int]:
    """Convert a 1-D sequence of integer ids (list, NumPy array, tensor) to a list of ints.

    Args:
        ids: The ids. Tensors are converted with ``numpy()``.

    Returns:
        A list of Python ints.

    Example:
        >>> as_id_list(np.array([3, 1], dtype=np.int32))
        [3, 1]
    """
    if hasattr(ids, "numpy"):
        ids = ids.numpy()
    array = np.asarray(ids)
    if array.ndim != 1:
        raise ValueError(
            f"Expected a 1-D sequence of ids, got shape {array.shape}. "
            "Detokenize one sequence at a time, e.g. [tokenizer.detokenize(row) for row in batch]."
        )
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(
            f"Expected integer ids, got dtype {array.dtype} (first value {array.flat[0]!r}). "
            "Pass the ids that tokenize() returned."
        )
    return [int(value) for value in array]
