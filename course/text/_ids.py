"""What the character and word tokenizers share: id input checks and the vocabulary methods."""

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


class VocabularyTokenizer:
    """The vocabulary methods of a tokenizer that keeps its tokens in a list, the id the index.

    A subclass sets ``self._tokens`` (the tokens in id order) and ``self._ids`` (token -> id) in
    its ``__init__``, and may add a hint for unknown tokens with :meth:`_unknown_hint`.
    """

    _tokens: list[str]
    _ids: dict[str, int]

    def vocabulary_size(self) -> int:
        """Number of ids, special tokens included.

        Example:
            >>> from course.text import CharacterTokenizer
            >>> CharacterTokenizer.fit("aab").vocabulary_size()
            2
        """
        return len(self._tokens)

    def get_vocabulary(self) -> list[str]:
        """All tokens in id order: a new list, ``get_vocabulary()[i]`` being the token of id ``i``.

        Example:
            >>> from course.text import WordTokenizer
            >>> WordTokenizer(["a"]).get_vocabulary()
            ['[PAD]', '[UNK]', 'a']
        """
        return list(self._tokens)

    def id_to_token(self, id: int) -> str:
        """The token with a given id, an integer in ``[0, vocabulary_size())``.

        Example:
            >>> from course.text import CharacterTokenizer
            >>> CharacterTokenizer(["x", "y"]).id_to_token(1)
            'y'
        """
        index = int(id)
        if not 0 <= index < len(self._tokens):
            raise ValueError(
                f"id={id!r} is out of range: valid ids are 0 to {len(self._tokens) - 1}. "
                "Check that the ids came from this tokenizer."
            )
        return self._tokens[index]

    def token_to_id(self, token: str) -> int:
        """The id of a token of the vocabulary (an unknown token is an error, not ``[UNK]``).

        Example:
            >>> from course.text import WordTokenizer
            >>> WordTokenizer(["a"]).token_to_id("[UNK]")
            1
        """
        if token not in self._ids:
            examples = ", ".join(repr(t) for t in self._tokens[:8])
            more = ", ..." if len(self._tokens) > 8 else ""
            raise ValueError(
                f"Token {token!r} is not in the vocabulary{self._unknown_hint()}. Valid tokens "
                f"include: {examples}{more} (see get_vocabulary())."
            )
        return self._ids[token]

    def _unknown_hint(self) -> str:
        """Words added to the error for an unknown token (``""``: none)."""
        return ""
