"""Byte-level byte-pair encoding (BPE): learn the merges here, apply them with keras-hub.

The idea in three steps:

1. Write the text as UTF-8 bytes. Every byte is a symbol, so 256 symbols can spell *any* text:
   nothing is ever unknown.
2. Count every pair of neighbouring symbols and merge the most frequent pair into a new symbol
   (``"t" "h"`` -> ``"th"``). Repeat until the vocabulary has ``vocabulary_size`` tokens.
3. To encode new text, apply the learned merges in the order they were learned.

keras-hub's ``BytePairTokenizer`` does step 3 (fast, and inside ``tf.data``) but has no trainer,
so :func:`learn_bpe` does steps 1 and 2 and :func:`train_byte_pair_tokenizer` hands the result to
keras-hub. Both sides write bytes as the same printable symbols (the space is ``"Ġ"``) and
pre-split text into the same chunks, which merges never cross; see :mod:`course.text.pretokenize`.

keras-hub 0.32's tokenizer has two code paths. Inside ``tf.data`` or a ``tf.function`` it uses
TensorFlow and pre-splits text like GPT-2. Called directly, by default, it uses the Hugging Face
``tokenizers`` library, whose pre-split pattern keras-hub passes as a plain string, so it is
matched literally and the whole input ends up as one chunk: merges then cross word boundaries
and the ids differ from the ``tf.data`` ones. The tokenizer built here is therefore told to take
the TensorFlow path always (``_allow_python_workflow=False``): the same ids everywhere, and the
same as :meth:`BPEVocabulary.encode`. Its ``tokenize`` returns a ``tf.Tensor``.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from course.environment import quiet_tensorflow
from course.text._ids import as_id_list
from course.text.pretokenize import (
    BYTE_SYMBOLS,
    NUMBER_OF_BYTES,
    SYMBOL_TO_BYTE,
    split_special_and_chunks,
    to_byte_symbols,
)

if TYPE_CHECKING:
    import keras_hub


@dataclass
class BPEVocabulary:
    """What byte-level BPE learned: the vocabulary and the merges, in keras-hub's format.

    Ids 0-255 are the single bytes (id ``b`` is byte value ``b``), then come the special tokens,
    then the merged tokens in the order they were learned.

    Attributes:
        vocabulary: Token string -> id, e.g. ``{"Ġ": 32, ..., "Ġt": 260}``.
        merges: Merge rules in learning order, each written ``"left right"`` (e.g. ``"Ġ t"``).
        special_tokens: Tokens such as ``"<|endoftext|>"`` that are never split or merged.

    Example:
        >>> bpe = learn_bpe("low lower lowest", vocabulary_size=258)
        >>> bpe.merges
        ['l o', 'lo w']
        >>> bpe.decode(bpe.encode("slow"))
        'slow'
    """

    vocabulary: dict[str, int]
    merges: list[str]
    special_tokens: list[str] = field(default_factory=list)

    def vocabulary_size(self) -> int:
        """Number of tokens (bytes, special tokens and merged tokens).

        Returns:
            ``len(self.vocabulary)``.

        Example:
            >>> learn_bpe("aaaa", vocabulary_size=257).vocabulary_size()
            257
        """
        return len(self.vocabulary)

    def encode(self, text: str) -> list[int]:
        """Encode text in pure Python, giving the same ids as the keras-hub tokenizer.

        Args:
            text: Any string.

        Returns:
            The token ids.

        Example:
            >>> bpe = learn_bpe("aaaa", vocabulary_size=257)
            >>> bpe.encode("aaa")
            [256, 97]
        """
        ranks = _merge_ranks(self.merges)
        ids: list[int] = []
        cache: dict[str, list[int]] = {}
        for chunk, is_special in split_special_and_chunks(text, self.special_tokens):
            if is_special:
                ids.append(self.vocabulary[chunk])
                continue
            if chunk not in cache:
                symbols = _apply_merges(to_byte_symbols(chunk), ranks)[-1]
                cache[chunk] = [self.vocabulary[symbol] for symbol in symbols]
            ids.extend(cache[chunk])
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """Turn ids back into text: the exact inverse of :meth:`encode`.

        Args:
            ids: Token ids (list, NumPy array or tensor).

        Returns:
            The text. Byte sequences that are not valid UTF-8 (only possible for ids that did not
            come from :meth:`encode`) show as ``"\\ufffd"``.

        Example:
            >>> learn_bpe("aaaa", vocabulary_size=257).decode([256, 97])
            'aaa'
        """
        tokens = {token_id: token for token, token_id in self.vocabulary.items()}
        special = set(self.special_tokens)
        data = bytearray()
        for token_id in as_id_list(ids):
            if token_id not in tokens:
                raise ValueError(
                    f"id={token_id} is not in the vocabulary (ids 0 to {len(tokens) - 1}). "
                    "Check that the ids came from this BPE vocabulary."
                )
            token = tokens[token_id]
            if token in special:
                data.extend(token.encode("utf-8"))
            else:
                data.extend(SYMBOL_TO_BYTE[symbol] for symbol in token)
        return data.decode("utf-8", errors="replace")


def learn_bpe(
    text: str,
    vocabulary_size: int,
    special_tokens: Sequence[str] = (),
) -> BPEVocabulary:
    """Learn byte-level BPE merges until the vocabulary has ``vocabulary_size`` tokens.

    Each round merges the most frequent pair of neighbouring symbols, counted over the chunks of
    :func:`~course.text.pretokenize.split_for_bpe`; ties go to the pair that sorts first. Chunks
    are counted once and pair counts are updated only for the words a merge touches, so a few
    hundred kilobytes train in about a second. If the text runs out of pairs, learning stops
    early with a smaller vocabulary.

    Args:
        text: The training text. Occurrences of the special tokens are cut out first.
        vocabulary_size: Target number of tokens: 256 bytes + special tokens + merged tokens. It
            must leave room for at least one merge.
        special_tokens: Tokens kept whole, e.g. ``["<|endoftext|>"]``; they get the ids right
            after the 256 bytes.

    Returns:
        A :class:`BPEVocabulary`.

    Example:
        >>> bpe = learn_bpe("hug hug pug pun bun", vocabulary_size=259)
        >>> bpe.merges
        ['u g', 'h ug', 'u n']
        >>> bpe.vocabulary["ug"], bpe.vocabulary["hug"], bpe.vocabulary["un"]
        (256, 257, 258)
    """
    if not isinstance(text, str):
        raise TypeError(
            f"learn_bpe() needs a str, got {type(text).__name__}; read the file first, "
            "e.g. text = path.read_text(encoding='utf-8')."
        )
    special = _check_special_tokens(special_tokens)
    _check_vocabulary_size(vocabulary_size, len(special))

    vocabulary = {symbol: byte for byte, symbol in enumerate(BYTE_SYMBOLS)}
    for token in special:
        vocabulary[token] = len(vocabulary)

    chunk_counts = Counter(
        chunk for chunk, is_special in split_special_and_chunks(text, special) if not is_special
    )
    words = [to_byte_symbols(chunk) for chunk in chunk_counts]
    counts = list(chunk_counts.values())

    merges = _learn_merges(words, counts, vocabulary, vocabulary_size)
    return BPEVocabulary(vocabulary=vocabulary, merges=merges, special_tokens=special)


def _learn_merges(
    words: list[list[str]],
    counts: list[int],
    vocabulary: dict[str, int],
    vocabulary_size: int,
) -> list[str]:
    """The BPE training loop. Adds merged tokens to ``vocabulary`` in place; returns the merges.

    ``pair_counts[(a, b)]`` is how often ``a`` is followed by ``b``, weighted by word counts;
    ``words_with[(a, b)]`` holds the indices of the words where the pair may occur. A heap of
    ``(-count, pair)`` finds the most frequent pair; entries whose count is out of date are
    skipped when they come up.
    """
    pair_counts: defaultdict[tuple[str, str], int] = defaultdict(int)
    words_with: defaultdict[tuple[str, str], set[int]] = defaultdict(set)
    for index, (word, count) in enumerate(zip(words, counts, strict=True)):
        for pair in pairwise(word):
            pair_counts[pair] += count
            words_with[pair].add(index)
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)

    merges: list[str] = []
    while len(vocabulary) < vocabulary_size and heap:
        negative_count, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negative_count:
            continue  # stale entry: this pair's count changed after it was pushed
        merges.append(f"{pair[0]} {pair[1]}")
        merged = pair[0] + pair[1]
        if merged not in vocabulary:  # "a"+"bc" and "ab"+"c" give the same token
            vocabulary[merged] = len(vocabulary)
        changed: set[tuple[str, str]] = set()
        for index in words_with.pop(pair):
            old = words[index]
            new = _merge_pair(old, pair)
            if len(new) == len(old):
                continue  # the pair is no longer in this word
            count = counts[index]
            for old_pair in pairwise(old):
                pair_counts[old_pair] -= count
                changed.add(old_pair)
            for new_pair in pairwise(new):
                pair_counts[new_pair] += count
                words_with[new_pair].add(index)
                changed.add(new_pair)
            words[index] = new
        for changed_pair in changed:
            count = pair_counts[changed_pair]
            if count > 0:
                heapq.heappush(heap, (-count, changed_pair))
            else:
                del pair_counts[changed_pair]
    return merges


def _merge_pair(symbols: list[str], pair: tuple[str, str]) -> list[str]:
    """Replace every occurrence of ``pair`` in ``symbols`` by the merged symbol, left to right."""
    first, second = pair
    merged: list[str] = []
    position = 0
    while position < len(symbols):
        if (
            position + 1 < len(symbols)
            and symbols[position] == first
            and symbols[position + 1] == second
        ):
            merged.append(first + second)
            position += 2
        else:
            merged.append(symbols[position])
            position += 1
    return merged


def encode_with_merges(word: str, merges: Sequence[str]) -> list[list[str]]:
    """Encode one chunk by applying merges, and show every step (for teaching).

    At each step the neighbouring pair whose merge was learned *earliest* is merged (all its
    occurrences, left to right). The loop stops when no neighbouring pair has a merge rule.

    Args:
        word: One chunk of text, e.g. ``" lower"`` (an element of
            :func:`~course.text.pretokenize.split_for_bpe`). It is first written as byte symbols
            (a space becomes ``"Ġ"``).
        merges: Merge rules in learning order, each ``"left right"``.

    Returns:
        The symbols after each step: the first list is the bytes, the last is the encoding.

    Example:
        >>> for step in encode_with_merges("hello", ["l l", "h e", "he ll"]):
        ...     print(step)
        ['h', 'e', 'l', 'l', 'o']
        ['h', 'e', 'll', 'o']
        ['he', 'll', 'o']
        ['hell', 'o']
    """
    if not isinstance(word, str):
        raise TypeError(f"encode_with_merges() needs a str, got {type(word).__name__}.")
    if isinstance(merges, str):
        raise TypeError(
            f"merges must be a list of rules like ['l l', 'h e'], got the string {merges!r:.40}."
        )
    return _apply_merges(to_byte_symbols(word), _merge_ranks(merges))


def _merge_ranks(merges: Sequence[str]) -> dict[tuple[str, str], int]:
    """Map each merge rule ``"a b"`` to its position in the list (lower merges first)."""
    ranks: dict[tuple[str, str], int] = {}
    for rank, rule in enumerate(merges):
        parts = rule.split(" ")
        if len(parts) != 2 or not all(parts):
            raise ValueError(
                f"Merge rule {rank} is {rule!r}; each rule must be two tokens separated by one "
                "space, e.g. 'Ġ t' (spaces inside tokens are written 'Ġ')."
            )
        ranks.setdefault((parts[0], parts[1]), rank)
    return ranks


def _apply_merges(symbols: list[str], ranks: dict[tuple[str, str], int]) -> list[list[str]]:
    """Merge the best-ranked neighbouring pair until none is left; return every stage."""
    steps = [symbols]
    while len(symbols) > 1:
        best = min(pairwise(symbols), key=lambda pair: ranks.get(pair, len(ranks)))
        if best not in ranks:
            break
        symbols = _merge_pair(symbols, best)
        steps.append(symbols)
    return steps


def train_byte_pair_tokenizer(
    text: str,
    vocabulary_size: int,
    special_tokens: Sequence[str] = (),
    sequence_length: int | None = None,
) -> keras_hub.tokenizers.BytePairTokenizer:
    """Learn byte-level BPE on ``text`` and return a keras-hub tokenizer that applies it.

    The tokenizer gives the same ids as :meth:`BPEVocabulary.encode`, called directly or inside
    ``tf.data``, and ``detokenize(tokenize(x)) == x`` for any string.

    Args:
        text: The training text.
        vocabulary_size: Target number of tokens, at least 257 + number of special tokens.
        special_tokens: Tokens kept whole (passed to keras-hub as ``unsplittable_tokens``).
        sequence_length: If set, the tokenizer pads (with id 0, which is byte 0) or truncates
            its output to this length.

    Returns:
        A ``keras_hub.tokenizers.BytePairTokenizer``; ``tokenize`` returns ``tf.Tensor`` ids.

    Example:
        >>> tokenizer = train_byte_pair_tokenizer("low lower lowest", vocabulary_size=260)
        >>> ids = tokenizer.tokenize("lowest")
        >>> tokenizer.detokenize(ids)
        'lowest'
    """
    bpe = learn_bpe(text, vocabulary_size, special_tokens=special_tokens)
    return byte_pair_tokenizer(bpe, sequence_length=sequence_length)


def byte_pair_tokenizer(
    bpe: BPEVocabulary, sequence_length: int | None = None
) -> keras_hub.tokenizers.BytePairTokenizer:
    """Build a keras-hub ``BytePairTokenizer`` from a learned :class:`BPEVocabulary`.

    The tokenizer always takes keras-hub's TensorFlow path, so that it pre-splits text the way
    :func:`learn_bpe` does whether it is called directly or inside ``tf.data`` (see the module
    notes).

    Args:
        bpe: The result of :func:`learn_bpe`.
        sequence_length: If set, the tokenizer pads (with id 0) or truncates its output to this
            length.

    Returns:
        A ``keras_hub.tokenizers.BytePairTokenizer``.

    Example:
        >>> tokenizer = byte_pair_tokenizer(learn_bpe("aaaa", vocabulary_size=257))
        >>> tokenizer.tokenize("aaa").numpy().tolist()
        [256, 97]
    """
    if not bpe.merges:
        # keras-hub cannot build its merge table from an empty list.
        raise ValueError(
            "The BPE vocabulary has no merges (the training text has no two neighbouring bytes "
            "inside one chunk). Train on more text."
        )
    quiet_tensorflow()
    import keras_hub

    tokenizer_class = keras_hub.tokenizers.BytePairTokenizer
    options = {}
    if hasattr(tokenizer_class, "_use_tf_workflow"):
        # keras-hub >= 0.32 has a second, pure-Python path; older versions only have TensorFlow's.
        options["_allow_python_workflow"] = False
    return tokenizer_class(
        vocabulary=dict(bpe.vocabulary),
        merges=list(bpe.merges),
        sequence_length=sequence_length,
        unsplittable_tokens=list(bpe.special_tokens) or None,
        **options,
    )


def _check_vocabulary_size(vocabulary_size: object, number_of_special_tokens: int) -> None:
    """Raise a helpful error unless ``vocabulary_size`` leaves room for at least one merge."""
    minimum = NUMBER_OF_BYTES + number_of_special_tokens + 1
    if isinstance(vocabulary_size, bool) or not isinstance(vocabulary_size, int):
        raise TypeError(f"vocabulary_size must be an int, got {vocabulary_size!r}.")
    if vocabulary_size < minimum:
        raise ValueError(
            f"vocabulary_size={vocabulary_size} is too small: a byte-level BPE vocabulary holds "
            f"the {NUMBER_OF_BYTES} byte symbols plus {number_of_special_tokens} special "
            f"token(s), and needs room for at least one merge. Pass vocabulary_size >= {minimum} "
            "(a few thousand is typical for a small corpus)."
        )


def _check_special_tokens(special_tokens: Sequence[str]) -> list[str]:
    """Check the special tokens and return them as a list."""
    if isinstance(special_tokens, str):
        raise TypeError(
            f"special_tokens must be a list of strings, got the string {special_tokens!r}; "
            f"write [{special_tokens!r}]."
        )
    tokens = list(special_tokens)
    for token in tokens:
        if not isinstance(token, str) or len(token) < 2 or any(c.isspace() for c in token):
            raise ValueError(
                f"Special token {token!r} must be a string of at least two characters without "
                "spaces, such as '<|endoftext|>', so that it cannot be confused with a byte and "
                "keras-hub can keep it whole."
            )
    if len(set(tokens)) != len(tokens):
        raise ValueError(f"special_tokens={tokens!r} lists a token more than once.")
    return tokens
