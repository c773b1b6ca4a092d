"""Word-level tokenization: split text into words and punctuation, keep the most frequent words.

Words give short sequences, but the vocabulary must stop somewhere: every word left out becomes
the unknown token ``[UNK]``, and the share of such words (the out-of-vocabulary rate) measures
what the vocabulary misses.

Reserved ids: ``[PAD]`` is id 0 (keras-hub pads with 0) and ``[UNK]`` is id 1; words follow from
id 2, most frequent first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence

import numpy as np
import regex

from course.text._ids import VocabularyTokenizer, as_id_list

PAD_TOKEN = "[PAD]"
UNKNOWN_TOKEN = "[UNK]"
RESERVED_TOKENS = (PAD_TOKEN, UNKNOWN_TOKEN)

_WORD_PATTERN = regex.compile(
    r"\d+(?:[.,]\d+)+"  # a number with a decimal point or thousands separators: 3.14, 1,000
    r"|\w+(?:['’-]\w+)*"  # a word, with apostrophes or hyphens inside: don't, well-known
    r"|[^\w\s]"  # any other visible character is a token of its own: . , ! ( "
)

# Punctuation written against the previous word ("end.") or against the next one ("(note").
_NO_SPACE_BEFORE = set(".,!?;:%)]}»…")
_NO_SPACE_AFTER = set("([{«¿¡$#")


def split_words(text: str, lowercase: bool = False) -> list[str]:
    """Split text into words, numbers and punctuation marks; whitespace is dropped.

    Apostrophes and hyphens inside a word stay in it ("don't", "well-known"), decimal numbers stay
    whole ("3.14"), and every other non-space symbol becomes a token of its own.

    Args:
        text: The text to split.
        lowercase: Lowercase the text first, so "The" and "the" become one word.

    Returns:
        The tokens, in order.

    Example:
        >>> split_words("Don't panic: it's 3.14, well-known!")
        ["Don't", 'panic', ':', "it's", '3.14', ',', 'well-known', '!']
    """
    if not isinstance(text, str):
        raise TypeError(f"split_words() needs a str, got {type(text).__name__}: {text!r:.60}")
    if lowercase:
        text = text.lower()
    return _WORD_PATTERN.findall(text)


def join_words(tokens: Iterable[str]) -> str:
    """Join tokens with single spaces, but write punctuation against its word.

    Args:
        tokens: Words and punctuation, as :func:`split_words` returns them.

    Returns:
        Readable text, e.g. ``"Hello, world!"``; the original spacing is not restored.

    Example:
        >>> join_words(["Hello", ",", "world", "(", "again", ")", "!"])
        'Hello, world (again)!'
    """
    pieces: list[str] = []
    glue_next = True  # no space before the first token
    for token in tokens:
        if pieces and not glue_next and token not in _NO_SPACE_BEFORE:
            pieces.append(" ")
        pieces.append(token)
        glue_next = token in _NO_SPACE_AFTER
    return "".join(pieces)


def oov_rate(tokens: Sequence[str], vocabulary: Collection[str]) -> float:
    """Fraction of tokens that are not in a vocabulary (the out-of-vocabulary rate).

    Args:
        tokens: Tokens of some text, e.g. ``split_words(validation_text)``.
        vocabulary: The known tokens, e.g. ``tokenizer.get_vocabulary()``.

    Returns:
        A number between 0 (every token known) and 1 (none known).

    Example:
        >>> oov_rate(["the", "cat", "sat", "the"], {"the", "sat"})
        0.25
    """
    if isinstance(tokens, str):
        raise TypeError(
            f"oov_rate() needs a list of tokens, got the string {tokens!r:.40}; "
            "split it first with split_words(text)."
        )
    if len(tokens) == 0:
        raise ValueError("oov_rate() got no tokens; the rate of an empty text is undefined.")
    known = vocabulary if isinstance(vocabulary, (set, frozenset, dict)) else set(vocabulary)
    missing = sum(1 for token in tokens if token not in known)
    return missing / len(tokens)


class WordTokenizer(VocabularyTokenizer):
    """Map words and punctuation to ids; words outside the vocabulary become ``[UNK]``.

    ``[PAD]`` is always id 0 and ``[UNK]`` id 1. ``detokenize`` joins words with spaces and
    writes punctuation against its word, so it is *not* an exact inverse of ``tokenize``: the
    original spacing, line breaks and any word that became ``[UNK]`` are lost.

    Args:
        vocabulary: The words, in id order. ``[PAD]`` and ``[UNK]`` are put at ids 0 and 1 (and
            removed from anywhere else in the list).
        lowercase: Lowercase text before looking words up.

    Example:
        >>> tokenizer = WordTokenizer.fit("the cat sat on the mat.")
        >>> tokenizer.get_vocabulary()
        ['[PAD]', '[UNK]', 'the', '.', 'cat', 'mat', 'on', 'sat']
        >>> tokenizer.tokenize("the dog sat.")
        array([2, 1, 7, 3], dtype=int32)
        >>> tokenizer.detokenize([2, 1, 7, 3])
        'the [UNK] sat.'
    """

    def __init__(self, vocabulary: Sequence[str], lowercase: bool = False) -> None:
        if isinstance(vocabulary, str):
            raise TypeError(
                f"vocabulary must be a list of words, got the string {vocabulary!r:.40}; "
                "use WordTokenizer.fit(text) to build one from text."
            )
        words = [word for word in vocabulary if word not in RESERVED_TOKENS]
        for word in words:
            if not isinstance(word, str) or not word:
                raise ValueError(f"Vocabulary entry {word!r} must be a non-empty string.")
        repeated = sorted(word for word, count in Counter(words).items() if count > 1)
        if repeated:
            raise ValueError(
                f"The vocabulary lists {repeated[:5]!r} more than once; each word needs exactly "
                "one id. Remove the repeats."
            )
        self._tokens = [*RESERVED_TOKENS, *words]
        self._ids = {token: index for index, token in enumerate(self._tokens)}
        self.lowercase = lowercase

    @classmethod
    def fit(
        cls,
        text: str,
        vocabulary_size: int | None = None,
        min_count: int = 1,
        lowercase: bool = False,
    ) -> WordTokenizer:
        """Build a vocabulary of the most frequent words in ``text``.

        Words are ranked by count (ties in alphabetical order) and kept while they occur at least
        ``min_count`` times and the vocabulary has room.

        Args:
            text: The training text.
            vocabulary_size: Largest number of ids, counting ``[PAD]`` and ``[UNK]``; ``None``
                keeps every word that passes ``min_count``.
            min_count: Drop words seen fewer times than this.
            lowercase: Lowercase the text first.

        Returns:
            A fitted :class:`WordTokenizer`.

        Example:
            >>> WordTokenizer.fit("a b a c a b", vocabulary_size=4).get_vocabulary()
            ['[PAD]', '[UNK]', 'a', 'b']
        """
        if vocabulary_size is not None and (
            not isinstance(vocabulary_size, int) or vocabulary_size < len(RESERVED_TOKENS) + 1
        ):
            raise ValueError(
                f"vocabulary_size={vocabulary_size!r} leaves no room for words: it counts "
                f"{PAD_TOKEN} and {UNKNOWN_TOKEN}, so pass an int of at least 3, or None to keep "
                "every word."
            )
        if not isinstance(min_count, int) or min_count < 1:
            raise ValueError(f"min_count={min_count!r} must be an int >= 1 (1 keeps every word).")
        counts = Counter(split_words(text, lowercase=lowercase))
        if not counts:
            raise ValueError("fit() found no words in the text; pass non-empty training text.")
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        words = [word for word, count in ranked if count >= min_count]
        if vocabulary_size is not None:
            words = words[: vocabulary_size - len(RESERVED_TOKENS)]
        return cls(words, lowercase=lowercase)

    def tokenize(self, text: str) -> np.ndarray:
        """Split ``text`` into words and look each one up; unknown words get the ``[UNK]`` id.

        Args:
            text: The string to encode.

        Returns:
            A 1-D ``int32`` array of ids.

        Example:
            >>> WordTokenizer(["hi"]).tokenize("hi there")
            array([2, 1], dtype=int32)
        """
        unknown_id = self._ids[UNKNOWN_TOKEN]
        words = split_words(text, lowercase=self.lowercase)
        return np.array([self._ids.get(word, unknown_id) for word in words], dtype=np.int32)

    def detokenize(self, ids: Iterable[int]) -> str:
        """Turn ids back into readable text (not an exact inverse of :meth:`tokenize`).

        Args:
            ids: A 1-D sequence of ids: a list, a NumPy array or a tensor.

        Returns:
            The words joined by spaces, punctuation attached to its word, ``[PAD]`` ids skipped.

        Example:
            >>> WordTokenizer(["hi", "!"]).detokenize([2, 3, 0, 0])
            'hi!'
        """
        pad_id = self._ids[PAD_TOKEN]
        tokens = [self.id_to_token(i) for i in as_id_list(ids) if i != pad_id]
        return join_words(tokens)

    def _unknown_hint(self) -> str:
        return " (the tokenizer lowercases: try token.lower())" if self.lowercase else ""

    def __repr__(self) -> str:
        return (
            f"WordTokenizer(vocabulary_size={self.vocabulary_size()}, lowercase={self.lowercase})"
        )
