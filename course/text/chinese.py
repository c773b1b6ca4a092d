"""Chinese text: which characters are Han, and cutting sentences into words with a dictionary.

Chinese is written without spaces between words, so "split on whitespace" returns whole clauses.
:func:`segment_words` cuts text with ``jieba``, a dictionary-based segmenter whose dictionary
(about 350,000 words with frequencies) ships inside the package: it looks up every way to cover
the sentence with dictionary words, keeps the most probable one, and guesses words it does not
know with a hidden Markov model.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

# Blocks of Han characters (CJK Unified Ideographs and their extensions, compatibility forms).
_HAN_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F))


def is_han(character: str) -> bool:
    """Whether a single character is a Han (Chinese) character.

    Args:
        character: one character.

    Returns:
        True for a Han character, False for anything else (letters, digits, punctuation).

    Example:
        >>> [is_han(c) for c in "中a。文"]
        [True, False, False, True]
    """
    if not isinstance(character, str) or len(character) != 1:
        raise ValueError(f"is_han takes one character, got {character!r}.")
    code = ord(character)
    return any(low <= code <= high for low, high in _HAN_BLOCKS)


EXTRA_WORD_FREQUENCY = 10_000  # jieba's dictionary counts about 60 million words in all


@functools.cache
def _segmenter() -> Any:
    """jieba's segmenter with its dictionary loaded, built once per process."""
    try:
        import jieba
    except ImportError as error:  # pragma: no cover - jieba is a requirement
        raise ImportError(
            "Chinese word segmentation needs the jieba package: pip install -r requirements.txt "
            "(or pip install jieba)."
        ) from error
    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict..." lines in notebooks
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    return segmenter


def segment_words(text: str, hmm: bool = True, extra_words: tuple[str, ...] = ()) -> list[str]:
    """Cut Chinese text into words with jieba's dictionary; spaces are dropped.

    Args:
        text: the text.
        hmm: guess words missing from the dictionary (jieba's hidden Markov model).
        extra_words: words added to the dictionary for this call only, each counted
            ``EXTRA_WORD_FREQUENCY`` times (as often as a common word), as a way to see another
            reading of an ambiguous sentence.

    Returns:
        The words, in order; joined without separators they give back ``text`` minus spaces.

    Example:
        >>> segment_words("我们学习中文")
        ['我们', '学习', '中文']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}.")
    segmenter = _segmenter()
    if extra_words:
        base, segmenter = segmenter, segmenter.__class__()  # a copy: the words stay in this call
        segmenter.FREQ, segmenter.total, segmenter.initialized = dict(base.FREQ), base.total, True
        for word in extra_words:
            segmenter.add_word(word, freq=EXTRA_WORD_FREQUENCY)
    return [word for word in segmenter.lcut(text, HMM=hmm) if word.strip()]

