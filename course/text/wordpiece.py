"""WordPiece: learn a sub-word vocabulary with keras-hub and get a ready tokenizer.

WordPiece first splits text on whitespace and punctuation, then writes each word as the longest
vocabulary pieces it can find, marking pieces inside a word with ``##`` ("tokenizer" might become
``token ##izer``). Rare words no longer become ``[UNK]``: they are spelled with smaller pieces.

Detokenizing is *not* an exact round trip: keras-hub joins the words with single spaces, so
spaces appear around punctuation (``"Hello, world!"`` comes back as ``"Hello , world !"``) and
line breaks become spaces. What it guarantees is that tokenizing the detokenized text again gives
the same ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from course.environment import quiet_tensorflow

if TYPE_CHECKING:
    import keras_hub

#: Reserved tokens at the start of the vocabulary: ``[PAD]`` is id 0, ``[UNK]`` is id 1.
WORDPIECE_RESERVED_TOKENS = ("[PAD]", "[UNK]")


def train_wordpiece(
    text_or_lines: str | Iterable[str],
    vocabulary_size: int,
    lowercase: bool = False,
) -> keras_hub.tokenizers.WordPieceTokenizer:
    """Learn a WordPiece vocabulary from text and return a keras-hub tokenizer that uses it.

    Uses ``keras_hub.tokenizers.compute_word_piece_vocabulary``. The vocabulary starts with
    ``[PAD]`` (id 0) and ``[UNK]`` (id 1). It may come out *smaller* than ``vocabulary_size``
    when the text has fewer useful pieces; check ``tokenizer.vocabulary_size()``.

    Args:
        text_or_lines: The training text, as one string or as an iterable of lines.
        vocabulary_size: Largest number of ids, counting the two reserved tokens.
        lowercase: Lowercase text both when learning and when tokenizing.

    Returns:
        A ``keras_hub.tokenizers.WordPieceTokenizer`` with ``oov_token="[UNK]"``.

    Example:
        >>> tokenizer = train_wordpiece("the cat sat on the mat", vocabulary_size=30)
        >>> tokenizer.get_vocabulary()[:4]
        ['[PAD]', '[UNK]', 'a', 'c']
        >>> tokenizer.detokenize(tokenizer.tokenize("the mat"))
        'the mat'
    """
    lines = _as_lines(text_or_lines)
    minimum = len(WORDPIECE_RESERVED_TOKENS) + 1
    if isinstance(vocabulary_size, bool) or not isinstance(vocabulary_size, int):
        raise TypeError(f"vocabulary_size must be an int, got {vocabulary_size!r}.")
    if vocabulary_size < minimum:
        raise ValueError(
            f"vocabulary_size={vocabulary_size} is too small: it counts the reserved tokens "
            f"{list(WORDPIECE_RESERVED_TOKENS)}, so pass at least {minimum} (a few hundred or "
            "thousand is typical)."
        )
    tf = quiet_tensorflow()
    import keras_hub

    vocabulary = keras_hub.tokenizers.compute_word_piece_vocabulary(
        tf.data.Dataset.from_tensor_slices(lines),
        vocabulary_size,
        lowercase=lowercase,
        reserved_tokens=list(WORDPIECE_RESERVED_TOKENS),
    )
    return keras_hub.tokenizers.WordPieceTokenizer(
        vocabulary=vocabulary, lowercase=lowercase, oov_token="[UNK]"
    )


def _as_lines(text_or_lines: str | Iterable[str]) -> list[str]:
    """Split a string into lines, or check an iterable of lines; drop blank lines."""
    if isinstance(text_or_lines, str):
        lines = text_or_lines.splitlines()
    elif isinstance(text_or_lines, Iterable):
        lines = list(text_or_lines)
        for position, line in enumerate(lines):
            if not isinstance(line, str):
                raise TypeError(
                    f"Line {position} is {type(line).__name__} {line!r:.40}; pass str lines "
                    "(decode bytes with .decode('utf-8'))."
                )
    else:
        raise TypeError(
            "text_or_lines must be a str or an iterable of str, "
            f"got {type(text_or_lines).__name__}."
        )
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise ValueError("The training text is empty (or only whitespace); pass some text.")
    return lines
