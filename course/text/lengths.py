"""How long a text becomes once tokenized: tokens per character, and BPE's by vocabulary size.

Chapter 01 measures the trade-off between vocabulary size and sequence length with
:func:`bpe_tokens_per_character`; its slide draws the same numbers with the same function.
"""

from __future__ import annotations

from collections.abc import Sequence, Sized

from course.text.bpe import learn_bpe


def tokens_per_character(tokens: Sized, text: str) -> float:
    """How many tokens a tokenizer spent per character of ``text``.

    A model whose context holds ``n`` tokens sees about ``n / rate`` characters of text.

    Args:
        tokens: the tokens or ids of ``text`` (anything with a length: list, array, tensor).
        text: the text they encode; not empty.

    Returns:
        ``len(tokens) / len(text)``: 1 for characters, less for larger tokens.

    Example:
        >>> tokens_per_character(["Hel", "lo"], "Hello")
        0.4
    """
    if not isinstance(text, str) or not text:
        raise ValueError(f"text must be a non-empty str, got {text!r:.60}; pass the text that "
                         "was tokenized.")
    return len(tokens) / len(text)


def bpe_tokens_per_character(
    train_text: str, text: str, vocabulary_sizes: Sequence[int]
) -> list[float]:
    """Tokens per character of ``text`` under byte-level BPE learned at each vocabulary size.

    Each vocabulary is learned with :func:`~course.text.learn_bpe` from the same ``train_text``,
    then ``text`` (held-out text, so that the merges are not fitted to it) is encoded.

    Args:
        train_text: the text BPE learns its merges from.
        text: the text to measure; not empty.
        vocabulary_sizes: the vocabulary sizes to try, each above 256 (the bytes).

    Returns:
        One rate per vocabulary size, in the order given.

    Example:
        >>> rates = bpe_tokens_per_character("the cat sat on the mat " * 20, "the rat sat",
        ...                                  [257, 270])
        >>> rates[0] > rates[1]
        True
    """
    sizes = list(vocabulary_sizes)
    if not sizes:
        raise ValueError("vocabulary_sizes is empty; pass the sizes to try, e.g. [300, 1000].")
    return [tokens_per_character(learn_bpe(train_text, vocabulary_size=size).encode(text), text)
            for size in sizes]
