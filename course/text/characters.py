"""Character-level tokenization: every distinct character of the text gets its own id.

The vocabulary is tiny (a few dozen symbols for English prose) and nothing is ever lost: turning
ids back into text gives the original string exactly. The price is long sequences, which is why
later chapters move on to words and sub-words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from course.text._ids import VocabularyTokenizer, as_id_list


class CharacterTokenizer(VocabularyTokenizer):
    """Map each character of a string to an integer id, and back.

    The interface mirrors the keras-hub tokenizers (``tokenize``, ``detokenize``,
    ``vocabulary_size``, ``get_vocabulary``, ``id_to_token``, ``token_to_id``), but this is a
    plain Python class: use it on whole strings outside a ``tf.data`` pipeline.

    Args:
        vocabulary: The characters, in id order (id ``i`` is ``vocabulary[i]``). Each entry must
            be a single character and appear once.
        unknown_token: Optional token for characters that are not in the vocabulary. When given,
            it is reserved as id 0 (unless it is already in ``vocabulary``) and ``tokenize`` maps
            every unknown character to it. When ``None``, an unknown character is an error.

    Example:
        >>> tokenizer = CharacterTokenizer.fit("hello world")
        >>> tokenizer.get_vocabulary()
        [' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']
        >>> tokenizer.tokenize("hello")
        array([3, 2, 4, 4, 5], dtype=int32)
        >>> tokenizer.detokenize([3, 2, 4, 4, 5])
        'hello'
    """

    def __init__(self, vocabulary: Sequence[str], unknown_token: str | None = None) -> None:
        tokens = list(vocabulary)
        for position, token in enumerate(tokens):
            if not isinstance(token, str) or len(token) != 1:
                raise ValueError(
                    f"Vocabulary entry {position} is {token!r}; every entry must be a single "
                    "character (a str of length 1). Build the tokenizer with "
                    "CharacterTokenizer.fit(text) to get a valid vocabulary."
                )
        if unknown_token is not None:
            if not isinstance(unknown_token, str) or not unknown_token:
                raise ValueError(
                    f"unknown_token={unknown_token!r} must be a non-empty string such as '?' or "
                    "'[UNK]', or None to make unknown characters an error."
                )
            if unknown_token not in tokens:
                tokens.insert(0, unknown_token)
        duplicates = sorted({token for token in tokens if tokens.count(token) > 1})
        if duplicates:
            raise ValueError(
                f"The vocabulary lists {duplicates!r} more than once; each character must have "
                "exactly one id. Remove the repeats (e.g. sorted(set(vocabulary)))."
            )
        if not tokens:
            raise ValueError("The vocabulary is empty; fit the tokenizer on some text first.")
        self._tokens = tokens
        self._ids = {token: index for index, token in enumerate(tokens)}
        self.unknown_token = unknown_token

    @classmethod
    def fit(cls, text: str, unknown_token: str | None = None) -> CharacterTokenizer:
        """Build a tokenizer whose vocabulary is the sorted set of characters in ``text``.

        Args:
            text: The training text.
            unknown_token: Optional reserved token (id 0) for characters not seen in ``text``.

        Returns:
            A fitted :class:`CharacterTokenizer`.

        Example:
            >>> CharacterTokenizer.fit("abca", unknown_token="?").get_vocabulary()
            ['?', 'a', 'b', 'c']
        """
        if not isinstance(text, str):
            raise TypeError(
                f"fit() needs a str, got {type(text).__name__}; read the file first, "
                "e.g. text = path.read_text(encoding='utf-8')."
            )
        if not text:
            raise ValueError("fit() got an empty string; pass the training text.")
        return cls(sorted(set(text)), unknown_token=unknown_token)

    def tokenize(self, text: str) -> np.ndarray:
        """Turn a string into an array of ids, one per character.

        Args:
            text: The string to encode.

        Returns:
            A 1-D ``int32`` array with ``len(text)`` ids.

        Example:
            >>> CharacterTokenizer(["a", "b"]).tokenize("abba")
            array([0, 1, 1, 0], dtype=int32)
        """
        if not isinstance(text, str):
            raise TypeError(f"tokenize() needs a str, got {type(text).__name__}: {text!r:.60}")
        unknown_id = None if self.unknown_token is None else self._ids[self.unknown_token]
        ids = np.empty(len(text), dtype=np.int32)
        for position, character in enumerate(text):
            token_id = self._ids.get(character, unknown_id)
            if token_id is None:
                raise ValueError(
                    f"Character {character!r} at position {position} is not in the vocabulary "
                    f"({self.vocabulary_size()} characters). Fit the tokenizer on text that "
                    "contains it, or create it with unknown_token='?' to map unseen characters "
                    "to a reserved id."
                )
            ids[position] = token_id
        return ids

    def detokenize(self, ids: Iterable[int]) -> str:
        """Turn ids back into a string (the exact inverse of :meth:`tokenize`).

        Args:
            ids: A 1-D sequence of ids: a list, a NumPy array or a tensor.

        Returns:
            The decoded string.

        Example:
            >>> CharacterTokenizer(["a", "b"]).detokenize([1, 0])
            'ba'
        """
        return "".join(self.id_to_token(token_id) for token_id in as_id_list(ids))

    def __repr__(self) -> str:
        return (
            f"CharacterTokenizer(vocabulary_size={self.vocabulary_size()}, "
            f"unknown_token={self.unknown_token!r})"
        )
