"""Sequence labelling on Python source: tokens, tags from Python's own lists, and span scores.

The labelled set of chapter 12 costs no annotator: Python's tokenizer cuts the source into
tokens, and each name is tagged by the lists Python itself keeps, with two rules of context:

* ``KEYWORD``: a name in ``keyword.kwlist`` (``for``, ``None``, ``lambda`` ...);
* a name right after ``.`` (an attribute) or after ``def`` / ``class`` (a name being defined)
  is ``O``, whatever its spelling;
* ``BUILTIN``: a public name of the ``builtins`` module (``len``, ``ValueError`` ...);
* ``MODULE``: a public name in ``sys.stdlib_module_names`` (``os``, ``re``, ``json`` ...);
* every other token is ``O`` (outside any entity).

Such labels are *distant supervision*: exact where the lists are right, wrong where a program
reuses a name (a parameter called ``type`` is tagged as the builtin; a variable called ``copy`` as
the module). The lists, and so the labels, differ a little between Python versions.

Tags follow the BIO scheme (``B-TYPE`` begins an entity, ``I-TYPE`` continues it, ``O`` is
outside). The entities here are single tokens, so only ``B-`` tags occur; the scores below work
on spans of any length, as named-entity recognition needs.

Example:
    >>> print(" ".join(f"{token}/{tag}" for token, tag in tag_python("import os, sys\\n")))
    import/B-KEYWORD os/B-MODULE ,/O sys/B-MODULE <nl>/<nl>
"""

from __future__ import annotations

import builtins
import io
import keyword
import sys
import tokenize
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

ENTITY_TYPES = ("KEYWORD", "BUILTIN", "MODULE")
"""The entity types, in the order of :data:`TAGS`."""

TAGS = ("O", *(f"B-{kind}" for kind in ENTITY_TYPES))
"""The tags a token can get (only ``B-`` tags: every entity here is one token)."""

KEYWORDS = frozenset(keyword.kwlist)
BUILTIN_NAMES = frozenset(name for name in dir(builtins) if not name.startswith("_"))
MODULE_NAMES = frozenset(name for name in sys.stdlib_module_names if not name.startswith("_"))

NEWLINE = "<nl>"
"""The token (and tag-less marker) written at the end of each logical line."""
STRING = "<str>"
NUMBER = "<num>"

_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENCODING, tokenize.ENDMARKER}
_FSTRING_PARTS = {getattr(tokenize, name) for name in ("FSTRING_MIDDLE", "FSTRING_END")
                  if hasattr(tokenize, name)}  # Python 3.12+: an f-string is several tokens
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)


def name_tag(name: str, previous: str | None) -> str:
    """The tag of a name, from the lists and the token before it.

    Args:
        name: a NAME token.
        previous: the token before it (``None`` at the start).

    Returns:
        One of :data:`TAGS`.

    Example:
        >>> name_tag("len", None), name_tag("len", "."), name_tag("json", "import")
        ('B-BUILTIN', 'O', 'B-MODULE')
    """
    if name in KEYWORDS:
        return "B-KEYWORD"
    if previous in (".", "def", "class"):
        return "O"
    if name in BUILTIN_NAMES:
        return "B-BUILTIN"
    if name in MODULE_NAMES:
        return "B-MODULE"
    return "O"


def tag_python(source: str) -> list[tuple[str, str]]:
    """Python source as ``(token, tag)`` pairs.

    Names keep their spelling; strings become ``<str>``, numbers ``<num>``, the end of each
    logical line ``<nl>`` (tagged ``<nl>``, to be dropped or kept as a separator); comments and
    indentation are left out. Text that Python's tokenizer cannot read (a file cut in the middle
    of a string, say) ends the tokens there.

    Args:
        source: Python source code.

    Returns:
        The tokens and their tags (:data:`TAGS`, or ``<nl>``).

    Example:
        >>> tag_python("x = True  # done")
        [('x', 'O'), ('=', 'O'), ('True', 'B-KEYWORD'), ('<nl>', '<nl>')]
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a str of Python code, got {type(source).__name__}.")
    pairs: list[tuple[str, str]] = []
    previous = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in _SKIPPED or token.type in _FSTRING_PARTS:
                continue
            if token.type == tokenize.NEWLINE:
                pairs.append((NEWLINE, NEWLINE))
                previous = None
                continue
            if token.type == tokenize.NAME:
                pairs.append((token.string, name_tag(token.string, previous)))
            elif token.type == tokenize.STRING or token.type == _FSTRING_START:
                pairs.append((STRING, "O"))
            elif token.type == tokenize.NUMBER:
                pairs.append((NUMBER, "O"))
            else:
                pairs.append((token.string, "O"))
            previous = token.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # unreadable from here on: keep what came before
    return pairs


def spans(tags: Sequence[str]) -> set[tuple[int, int, str]]:
    """The entities of a BIO tag sequence, as ``(start, end, type)`` with ``end`` exclusive.

    ``B-X`` starts an entity of type ``X``; ``I-X`` continues the entity before it if that one
    has type ``X``, and otherwise starts a new one (as the CoNLL evaluation script reads it);
    anything else (``O``, a separator) is outside.

    Args:
        tags: one tag per token.

    Returns:
        The set of spans.

    Example:
        >>> sorted(spans(["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-ORG"]))
        [(0, 2, 'PER'), (3, 4, 'LOC'), (4, 5, 'LOC'), (5, 6, 'ORG')]
    """
    found = set()
    start, kind = None, None
    for position, tag in enumerate([*tags, "O"]):
        prefix, _, tag_kind = tag.partition("-") if tag[:2] in ("B-", "I-") else ("O", "", "")
        continues = prefix == "I" and tag_kind == kind
        if kind is not None and not continues:
            found.add((start, position, kind))
            start, kind = None, None
        if prefix in ("B", "I") and not continues:
            start, kind = position, tag_kind
    return found


@dataclass(frozen=True)
class EntityScore:
    """Precision, recall and F1 of one entity type (or of all, for ``"micro"``).

    Attributes:
        precision: correct predicted spans / predicted spans (0 when none predicted).
        recall: correct predicted spans / true spans (0 when there are none).
        f1: their harmonic mean (0 when both are 0).
        support: true spans.
        predicted: predicted spans.
        correct: predicted spans that match a true span exactly (start, end and type).
    """

    precision: float
    recall: float
    f1: float
    support: int
    predicted: int
    correct: int


def _score(correct: int, predicted: int, support: int) -> EntityScore:
    precision = correct / predicted if predicted else 0.0
    recall = correct / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return EntityScore(precision, recall, f1, support, predicted, correct)


def entity_scores(
    true_tags: Iterable[Sequence[str]],
    predicted_tags: Iterable[Sequence[str]],
) -> dict[str, EntityScore]:
    """Span-level precision, recall and F1 per entity type, and over all types (``"micro"``).

    A predicted entity counts only when its start, end and type all match a true entity; a
    half-found or mistyped entity is both a false positive and a false negative. Tokens tagged
    ``O`` never count: a tagger that says ``O`` everywhere gets recall 0, however many tokens
    it gets "right".

    Args:
        true_tags: the reference tag sequences (one per sentence or window).
        predicted_tags: the predicted ones, each as long as its reference.

    Returns:
        ``{type: EntityScore}`` for every type that occurs in either, plus ``"micro"``.

    Example:
        >>> scores = entity_scores([["B-PER", "I-PER", "O", "B-LOC"]],
        ...                        [["B-PER", "O", "O", "B-LOC"]])
        >>> scores["LOC"].f1, scores["PER"].recall, scores["micro"].precision
        (1.0, 0.0, 0.5)
    """
    counts: dict[str, Counter] = {}
    for index, (truth, guess) in enumerate(zip(true_tags, predicted_tags, strict=True)):
        if len(truth) != len(guess):
            raise ValueError(
                f"Sequence {index}: {len(truth)} true tags but {len(guess)} predicted; predict "
                "one tag per token."
            )
        true_spans, guessed_spans = spans(truth), spans(guess)
        for span in true_spans:
            counts.setdefault(span[2], Counter())["support"] += 1
        for span in guessed_spans:
            counts.setdefault(span[2], Counter())["predicted"] += 1
            counts[span[2]]["correct"] += span in true_spans
    scores = {kind: _score(c["correct"], c["predicted"], c["support"])
              for kind, c in sorted(counts.items())}
    total = sum(counts.values(), Counter())
    scores["micro"] = _score(total["correct"], total["predicted"], total["support"])
    return scores


def build_vocabulary(tokens: Iterable[str], max_size: int, min_count: int = 1) -> list[str]:
    """``[PAD]``, ``[UNK]``, then the most frequent tokens (at least ``min_count`` times).

    Args:
        tokens: the training tokens.
        max_size: the vocabulary size, the two special tokens included.
        min_count: rarer tokens are left out (they become ``[UNK]``).

    Returns:
        The tokens in id order (ties broken alphabetically).

    Example:
        >>> build_vocabulary(["a", "b", "a", "c", "b", "a"], max_size=4, min_count=2)
        ['[PAD]', '[UNK]', 'a', 'b']
    """
    if max_size < 3:
        raise ValueError(
            f"max_size must leave room for a token after [PAD] and [UNK], got {max_size}."
        )
    counts = Counter(tokens)
    kept = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
    return ["[PAD]", "[UNK]", *kept[: max_size - 2]]


def tagged_windows(
    pairs: Sequence[tuple[str, str]],
    sequence_length: int,
) -> list[tuple[list[str], list[str]]]:
    """Cut a tagged token stream into windows of at most ``sequence_length`` tokens.

    The ``<nl>`` tokens stay in the text (the model sees where lines end) and get the tag
    ``O``. Windows do not overlap; the last one may be shorter.

    Args:
        pairs: ``(token, tag)`` from :func:`tag_python`.
        sequence_length: tokens per window.

    Returns:
        ``(tokens, tags)`` per window.

    Example:
        >>> tagged_windows(tag_python("import os"), 2)
        [(['import', 'os'], ['B-KEYWORD', 'B-MODULE']), (['<nl>'], ['O'])]
    """
    if isinstance(sequence_length, bool) or not isinstance(sequence_length, int) \
            or sequence_length < 1:
        raise ValueError(f"sequence_length must be a positive int, got {sequence_length!r}.")
    tokens = [token for token, _ in pairs]
    tags = ["O" if tag == NEWLINE else tag for _, tag in pairs]
    return [(tokens[i : i + sequence_length], tags[i : i + sequence_length])
            for i in range(0, len(tokens), sequence_length)]


def encode_windows(
    windows: Sequence[tuple[Sequence[str], Sequence[str]]],
    vocabulary: Sequence[str],
    sequence_length: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and tag ids of windows, padded with ``[PAD]`` (id 0) and tag ``O`` (id 0).

    Args:
        windows: ``(tokens, tags)`` pairs from :func:`tagged_windows`.
        vocabulary: from :func:`build_vocabulary` (``[PAD]`` first, ``[UNK]`` second).
        sequence_length: the padded length.

    Returns:
        ``(token_ids, tag_ids)``, both ``(windows, sequence_length)`` int32; a tag id indexes
        :data:`TAGS`.

    Example:
        >>> ids, tags = encode_windows([(["import", "os"], ["B-KEYWORD", "B-MODULE"])],
        ...                            ["[PAD]", "[UNK]", "import"], 3)
        >>> ids.tolist(), tags.tolist()
        ([[2, 1, 0]], [[1, 3, 0]])
    """
    if list(vocabulary[:2]) != ["[PAD]", "[UNK]"]:
        raise ValueError("vocabulary must start with '[PAD]', '[UNK]' (use build_vocabulary).")
    index = {token: i for i, token in enumerate(vocabulary)}
    tag_index = {tag: i for i, tag in enumerate(TAGS)}
    token_ids = np.zeros((len(windows), sequence_length), np.int32)
    tag_ids = np.zeros((len(windows), sequence_length), np.int32)
    for row, (tokens, tags) in enumerate(windows):
        if len(tokens) > sequence_length or len(tokens) != len(tags):
            raise ValueError(
                f"Window {row} has {len(tokens)} tokens and {len(tags)} tags; each window needs "
                f"one tag per token and at most sequence_length={sequence_length} tokens."
            )
        token_ids[row, : len(tokens)] = [index.get(token, 1) for token in tokens]
        tag_ids[row, : len(tags)] = [tag_index[tag] for tag in tags]
    return token_ids, tag_ids
